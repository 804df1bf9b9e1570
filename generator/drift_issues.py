"""One GitHub issue per drifted model, from a `drift --json` report.

Idempotent: each model's issue carries a marker (`<!-- modelvault-drift
model=ID -->`) and a stable title (`Provider schema drift: ID`), so a run finds it
again. Same drift -> the same issue, edited only if its text changed; drift gone
(the model compared clean) or the model gone from the catalog -> its issue
closed as completed; a model that could not be checked this time keeps its issue
as it is. Duplicates (two open issues for one model) are closed as not planned,
pointing at the oldest. Nothing else is touched: no pull request, no file.

REST calls (https://docs.github.com/rest/issues/issues): list the repository's
open issues (`GET /repos/{o}/{r}/issues?state=open`, paginated; pull requests,
which the endpoint also lists, are skipped), create (`POST .../issues`) and
update or close (`PATCH .../issues/{number}` with `state: closed` and
`state_reason`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from generator.github import GitHubClient, GitHubError

TITLE_PREFIX = "Provider schema drift: "
LABEL = "model-drift"
_MARKER = "<!-- modelvault-drift model={id} -->"
_MARKER_RE = re.compile(r"<!-- modelvault-drift model=([a-z0-9][a-z0-9-]*) -->")
_TITLE_RE = re.compile(r"^Provider schema drift: ([a-z0-9][a-z0-9-]*)$")
_MAX_ROWS = 200
_MAX_PAGES = 50
_REPORT_VERSION = 1


class ReportError(ValueError):
    """The drift report cannot be used; the message says why."""


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    state: str
    html_url: str = ""

    @property
    def model(self) -> str | None:
        found = _MARKER_RE.search(self.body) or _TITLE_RE.match(self.title)
        return found.group(1) if found else None


def _issue(data: Any) -> Issue:
    try:
        return Issue(
            number=int(data["number"]),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            state=str(data.get("state") or "open"),
            html_url=str(data.get("html_url") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GitHubError(f"GitHub sent an issue without {exc}") from None


class IssueClient(GitHubClient):
    """The issue endpoints of one repository, on the project's GitHub client."""

    def __enter__(self) -> IssueClient:
        return self

    def open_issues(self) -> list[Issue]:
        found: list[Issue] = []
        for page in range(1, _MAX_PAGES + 1):
            items = self._call(
                "GET",
                "/issues",
                "listing the open issues",
                params={
                    "state": "open",
                    "per_page": "100",
                    "page": str(page),
                    "sort": "created",
                    "direction": "asc",
                },
            )
            if not isinstance(items, list):
                raise GitHubError("GitHub answered the issue list with no list")
            found += [_issue(i) for i in items if "pull_request" not in i]
            if len(items) < 100:
                return found
        raise GitHubError(
            f"more than {_MAX_PAGES * 100} open issues and pull requests; "
            "close some, then run again"
        )

    def create_issue(self, title: str, body: str, labels: Sequence[str]) -> Issue:
        return _issue(
            self._call(
                "POST",
                "/issues",
                f"opening the issue {title!r}",
                json={"title": title, "body": body, "labels": list(labels)},
            )
        )

    def update_issue(self, number: int, **changes: Any) -> Issue:
        return _issue(
            self._call(
                "PATCH", f"/issues/{number}", f"updating issue #{number}", json=changes
            )
        )


# --- the plan (pure) -----------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    kind: Literal["create", "update", "close", "keep"]
    model: str
    number: int | None = None
    title: str = ""
    body: str = ""
    state_reason: str | None = None
    why: str = ""


def _models(report: Any) -> list[Mapping[str, Any]]:
    if not isinstance(report, dict) or report.get("version") != _REPORT_VERSION:
        raise ReportError(
            "not a drift report (version 1): make it with "
            "`python -m generator drift --json > drift.json`"
        )
    models = report.get("models")
    if not isinstance(models, list) or not all(
        isinstance(m, dict)
        and isinstance(m.get("id"), str)
        and re.fullmatch(r"[a-z0-9][a-z0-9-]*", m["id"])
        and m.get("status") in ("ok", "drift", "error", "skipped")
        for m in models
    ):
        raise ReportError("the drift report's models are malformed; run drift again")
    return models


def plan(report: Any, issues: Sequence[Issue]) -> list[Action]:
    """What to do with each model's issue, given the open issues now."""
    models = _models(report)
    by_model: dict[str, list[Issue]] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        if issue.state == "open" and issue.model is not None:
            by_model.setdefault(issue.model, []).append(issue)
    actions: list[Action] = []
    for model_id, found in by_model.items():
        for duplicate in found[1:]:
            actions.append(
                Action(
                    "close",
                    model_id,
                    duplicate.number,
                    duplicate.title,
                    f"Duplicate of #{found[0].number}, which tracks this drift.",
                    "not_planned",
                    f"duplicate of #{found[0].number}",
                )
            )
    listed = set()
    for model in models:
        model_id = model["id"]
        listed.add(model_id)
        current = by_model.get(model_id, [None])[0]
        status = model["status"]
        if status == "drift":
            title, body = TITLE_PREFIX + model_id, render_body(model, report)
            if current is None:
                actions.append(
                    Action("create", model_id, None, title, body, why="drift")
                )
            elif current.title != title or current.body != body:
                actions.append(
                    Action(
                        "update",
                        model_id,
                        current.number,
                        title,
                        body,
                        why="drift changed",
                    )
                )
            else:
                actions.append(
                    Action("keep", model_id, current.number, why="same drift")
                )
        elif status == "ok" and current is not None:
            actions.append(
                Action(
                    "close",
                    model_id,
                    current.number,
                    current.title,
                    _closed_body(
                        current, "its inputs match the provider's schema again"
                    ),
                    "completed",
                    "drift gone",
                )
            )
        elif current is not None:
            actions.append(
                Action("keep", model_id, current.number, why=f"not checked ({status})")
            )
    for model_id, found in by_model.items():
        if model_id not in listed:
            actions.append(
                Action(
                    "close",
                    model_id,
                    found[0].number,
                    found[0].title,
                    _closed_body(found[0], "the model is no longer in the catalog"),
                    "completed",
                    "model gone",
                )
            )
    return actions


def _closed_body(issue: Issue, why: str) -> str:
    note = f"\n\n**Closed by the drift workflow:** {why}."
    return issue.body if issue.body.endswith(note) else issue.body + note


def _code(value: Any, limit: int = 160) -> str:
    """A value as an inline code span that cannot break out of the table."""
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def render_body(model: Mapping[str, Any], report: Mapping[str, Any]) -> str:
    """The issue text for one drifted model: deterministic (no run time), so the
    same drift never edits the issue."""
    model_id = str(model["id"])
    diffs = [d for d in model.get("differences") or [] if not d.get("accepted")]
    breaking = sum(1 for d in diffs if d.get("breaking"))
    locked = bool(model.get("locked"))
    lines = [
        _MARKER.format(id=model_id),
        f"The provider's published input schema for **{model_id}** no longer "
        f"matches the model file: {len(diffs)} difference(s), {breaking} of them "
        "breaking (a run the model allows could now be refused).",
        "",
        f"- model file: `{model.get('path')}` ({'locked' if locked else 'unlocked'})",
        f"- provider: {_code(model.get('provider'))} "
        f"{_code(model.get('provider_model'))}",
        f"- schema read from: {_code(model.get('source'))}",
        f"- drift fingerprint: `{model.get('fingerprint')}`",
        "",
        "| | field | aspect | model | provider | breaking |",
        "|---|---|---|---|---|---|",
    ]
    for d in diffs[:_MAX_ROWS]:
        lines.append(
            f"| {d.get('kind')} | {_code(d.get('field'))} | {d.get('aspect') or '-'} "
            f"| {_code(d.get('model'))} | {_code(d.get('provider'))} "
            f"| {'yes' if d.get('breaking') else 'no'} |"
        )
    if len(diffs) > _MAX_ROWS:
        lines.append(f"\n... and {len(diffs) - _MAX_ROWS} more (`generator drift`).")
    fix = (
        [
            "The file is locked, so it changes through the lock flow (each step a "
            "reviewed pull request):",
            "```bash",
            f'python -m generator unlock {model_id} --by @you --reason "provider '
            'schema drift" --pr',
            f"python -m generator spec {model_id} > spec.yaml   # then edit the inputs",
            f"python -m generator regenerate {model_id} --spec spec.yaml --pr",
            f"python -m generator lock {model_id} --by @you --pr",
            "```",
        ]
        if locked
        else [
            "```bash",
            f"python -m generator spec {model_id} > spec.yaml   # then edit the inputs",
            f"python -m generator regenerate {model_id} --spec spec.yaml --pr",
            "```",
        ]
    )
    lines += [
        "",
        "**What to do.** If the model should follow the provider:",
        *fix,
        "If the difference is deliberate (an input left out, a narrower range), "
        "record it in a pull request instead:",
        "```bash",
        f'python -m generator drift --accept {model_id} --reason "why"',
        "```",
        "",
        "This issue is kept by `.github/workflows/drift.yml` (weekly): updated "
        "while the drift lasts, closed once it is gone. See "
        f"`python -m generator drift` for the same report ({report.get('schemas')}).",
    ]
    return "\n".join(lines)


def sync(
    report: Any,
    client: IssueClient,
    *,
    dry_run: bool = False,
    echo: Callable[[str], None] = print,
) -> list[Action]:
    """Apply the plan through GitHub's API; returns what was (or would be) done."""
    actions = plan(report, client.open_issues())
    for action in actions:
        if action.kind == "keep":
            echo(f"keep   #{action.number} {action.model}: {action.why}")
            continue
        if dry_run:
            echo(f"would {action.kind} {action.model} ({action.why})")
            continue
        if action.kind == "create":
            issue = client.create_issue(action.title, action.body, [LABEL])
            echo(f"opened #{issue.number} {action.model}: {issue.html_url}")
        elif action.kind == "update":
            assert action.number is not None
            client.update_issue(action.number, title=action.title, body=action.body)
            echo(f"updated #{action.number} {action.model}: {action.why}")
        else:
            assert action.number is not None
            client.update_issue(
                action.number,
                body=action.body,
                state="closed",
                state_reason=action.state_reason,
            )
            echo(f"closed #{action.number} {action.model}: {action.why}")
    return actions
