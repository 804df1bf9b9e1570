"""The few GitHub REST endpoints the PR flow uses, through httpx.

Settings come from the environment as GitHub Actions provides them
(GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN). The token is sent in the
Authorization header only: it is never part of a message, a repr or an exception
(every message is passed through `redact` in case a server echoes it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_PERMISSIONS = (
    "the token needs write access to pull requests, contents and issues on {repo} "
    "(Actions: `permissions: {{contents: write, pull-requests: write}}` on the job "
    "and 'Allow GitHub Actions to create and approve pull requests' in the "
    "repository's settings; a fine-grained token: 'Pull requests' and 'Contents' "
    "read and write; a classic token: the repo scope)"
)


class GitHubError(Exception):
    """A GitHub API call failed; the message says why and what to do (no token)."""


class PullExistsError(GitHubError):
    """422: a pull request already exists for this head branch."""


@dataclass(frozen=True)
class GitHubSettings:
    api_url: str
    repository: str  # owner/name
    token: str = field(repr=False)

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]


@dataclass(frozen=True)
class Pull:
    number: int
    html_url: str
    head_ref: str
    base_ref: str
    title: str
    body: str
    labels: tuple[str, ...] = ()


def settings_from_env(env: Mapping[str, str]) -> GitHubSettings:
    missing = [k for k in ("GITHUB_REPOSITORY", "GITHUB_TOKEN") if not env.get(k)]
    if missing:
        raise GitHubError(
            f"{' and '.join(missing)} not set: --pr opens the pull request through "
            "GitHub's API; set GITHUB_REPOSITORY=owner/name and GITHUB_TOKEN (in "
            "Actions: env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }})"
        )
    repository = env["GITHUB_REPOSITORY"]
    if not _REPOSITORY.match(repository):
        raise GitHubError(
            f"GITHUB_REPOSITORY={repository!r} is not owner/name (e.g. acme/models)"
        )
    api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    if not re.match(r"^https?://", api_url):
        raise GitHubError(f"GITHUB_API_URL={api_url!r} is not an http(s) URL")
    return GitHubSettings(api_url, repository, env["GITHUB_TOKEN"])


def redact(message: str, token: str) -> str:
    return message.replace(token, "***") if token else message


def _when(epoch: float, now: float) -> str:
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} (in {max(0, round(epoch - now))} s)"


def describe_failure(
    status: int,
    *,
    headers: Mapping[str, str],
    payload: Any,
    what: str,
    repository: str,
    now: float,
) -> str:
    """A clear message for a failed call: what failed, why, when to retry. Pure."""
    message = payload.get("message", "") if isinstance(payload, dict) else ""
    said = f" ({status} {message})" if message else f" ({status})"
    remaining = headers.get("x-ratelimit-remaining")
    if status in (403, 429) and (remaining == "0" or "retry-after" in headers):
        if "retry-after" in headers and headers["retry-after"].isdigit():
            wait = int(headers["retry-after"])
            retry = f"retry after {_when(now + wait, now)}"
        elif headers.get("x-ratelimit-reset", "").isdigit():
            retry = f"retry after {_when(int(headers['x-ratelimit-reset']), now)}"
        else:
            retry = "wait at least a minute before retrying"
        return f"GitHub's API rate limit stopped {what}{said}; {retry}"
    if status == 401:
        return (
            f"GitHub refused the token for {what}{said}: GITHUB_TOKEN is invalid, "
            "expired or revoked; set a valid one"
        )
    if status == 403:
        return f"GitHub forbade {what}{said}: {_PERMISSIONS.format(repo=repository)}"
    if status == 404:
        return (
            f"GitHub answered 404 for {what}: the repository {repository} does not "
            "exist or the token cannot see it (check GITHUB_REPOSITORY, and that the "
            f"token covers this repository); {_PERMISSIONS.format(repo=repository)}"
        )
    if status == 422:
        errors = payload.get("errors", []) if isinstance(payload, dict) else []
        details = [
            e.get("message") or f"{e.get('field', '?')} is {e.get('code', 'invalid')}"
            for e in errors
            if isinstance(e, dict)
        ]
        return f"GitHub refused {what}{said}: " + ("; ".join(details) or "invalid")
    if status == 429:
        return f"GitHub throttled {what}{said}; wait at least a minute and retry"
    if status >= 500:
        return f"GitHub had a server error on {what}{said}; retry in a few minutes"
    return f"GitHub refused {what}{said}"


def _already_exists(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    return any(
        isinstance(e, dict) and "already exists" in str(e.get("message", ""))
        for e in payload.get("errors", [])
    )


def _pull(data: Any) -> Pull:
    try:
        return Pull(
            number=int(data["number"]),
            html_url=str(data["html_url"]),
            head_ref=str(data["head"]["ref"]),
            base_ref=str(data["base"]["ref"]),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            labels=tuple(str(lb["name"]) for lb in data.get("labels") or []),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GitHubError(f"GitHub sent a pull request without {exc}") from None


class GitHubClient:
    """Pull requests and labels of one repository."""

    def __init__(
        self, settings: GitHubSettings, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._repo_path = f"/repos/{settings.repository}"
        self._http = httpx.Client(
            base_url=settings.api_url,
            headers={
                "Authorization": f"Bearer {settings.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "modelvault-generator",
            },
            timeout=httpx.Timeout(30.0),
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"GitHubClient({self._settings.api_url}, {self._settings.repository})"

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._http.close()

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        token = self._settings.token
        try:
            response = self._http.request(
                method, self._repo_path + path, json=json, params=params
            )
        except httpx.HTTPError as exc:
            reason = redact(f"{type(exc).__name__}: {exc}", token)
            raise GitHubError(
                f"could not reach GitHub at {self._settings.api_url} for {what} "
                f"({reason}); check the network and GITHUB_API_URL, then retry"
            ) from None
        try:
            payload = response.json() if response.content else None
        except ValueError:
            payload = None
        if response.is_success:
            return payload
        headers = {k.lower(): v for k, v in response.headers.items()}
        message = describe_failure(
            response.status_code,
            headers=headers,
            payload=payload,
            what=what,
            repository=self._settings.repository,
            now=time.time(),
        )
        error = PullExistsError if _already_exists(payload) else GitHubError
        raise error(redact(message, token)) from None

    def find_open_pull(self, branch: str) -> Pull | None:
        head = f"{self._settings.owner}:{branch}"
        found = self._call(
            "GET",
            "/pulls",
            f"listing the open pull requests of {head}",
            params={"head": head, "state": "open", "per_page": "10"},
        )
        pulls = [_pull(item) for item in found or []]
        matching = [p for p in pulls if p.head_ref == branch]
        return matching[0] if matching else None

    def create_pull(self, *, title: str, body: str, head: str, base: str) -> Pull:
        data = {"title": title, "body": body, "head": head, "base": base}
        return _pull(
            self._call(
                "POST", "/pulls", f"opening a pull request {head} -> {base}", json=data
            )
        )

    def update_pull(self, number: int, *, title: str, body: str, base: str) -> Pull:
        data = {"title": title, "body": body, "base": base}
        return _pull(
            self._call(
                "PATCH",
                f"/pulls/{number}",
                f"updating pull request #{number}",
                json=data,
            )
        )

    def add_labels(self, number: int, labels: list[str]) -> None:
        self._call(
            "POST",
            f"/issues/{number}/labels",
            f"labelling pull request #{number}",
            json={"labels": labels},
        )
