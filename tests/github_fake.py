"""A loopback fake of the GitHub REST endpoints the generator's PR flow uses.

List, create and update pull requests and add labels, with GitHub's documented
request and response shapes (pull objects with number, html_url, head/base refs,
title, body, state and label objects; 401 {"message": "Bad credentials"}; 404
{"message": "Not Found"}; 422 {"message": "Validation Failed", "errors": [...]},
including "A pull request already exists for owner:branch."). Every request is
recorded with its Authorization header redacted. Failures are injectable: any
status, body and headers (rate limits), or a dropped connection.

Issues (the drift workflow's): list a repository's issues (`GET .../issues`:
state, labels, sort, direction, per_page up to 100, page, a Link header; pull
requests are listed too, with a `pull_request` key, as GitHub does), search
(`GET /search/issues?q=`: repo:, is:issue/is:pr, is:open/is:closed, state:,
label:, in:title and words), create (`POST .../issues`, 201; title required),
get and update (`PATCH .../issues/{n}`: title, body, state open/closed with
state_reason completed/not_planned/reopened, labels). Issues and pull requests
share one sequence of numbers.

    with FakeGitHub(branch_exists=lambda ref: True) as fake:
        fake.inject("GET", r"/pulls$", status=403, headers={...})
        ... GITHUB_API_URL=fake.base_url, GITHUB_TOKEN=fake.token ...
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names; authorization redacted
    body: Any


@dataclass
class Fault:
    method: str
    path: str  # a regex searched in the request path
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without an answer
    times: int = 1


class FakeGitHub:
    def __init__(
        self,
        repository: str = "acme/catalog",
        token: str = "ghs_fakeTOKEN0123456789abcdef",
        branch_exists: Callable[[str], bool] | None = None,
    ) -> None:
        self.repository = repository
        self.token = token
        self.branch_exists = branch_exists
        self.pulls: dict[int, dict[str, Any]] = {}
        self.issues: dict[int, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self._next_number = 1
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def inject(
        self,
        method: str,
        path: str,
        status: int = 500,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        drop: bool = False,
        times: int = 1,
    ) -> None:
        """The next `times` matching requests get this answer instead."""
        with self._lock:
            self.faults.append(
                Fault(method, path, status, body, dict(headers or {}), drop, times)
            )

    def seed_pull(self, head: str, base: str = "main", title: str = "seeded") -> int:
        """An open pull request made by someone else (e.g. an earlier run)."""
        with self._lock:
            return self._create(head, base, title, "")["number"]  # type: ignore[no-any-return]

    def seed_issue(
        self,
        title: str,
        body: str = "",
        *,
        state: str = "open",
        labels: tuple[str, ...] = (),
    ) -> int:
        """An issue made by someone else (an earlier run, a person)."""
        with self._lock:
            issue = self._create_issue(title, body, list(labels))
            if state == "closed":
                issue["state"], issue["state_reason"] = "closed", "completed"
                issue["closed_at"] = issue["updated_at"]
            return int(issue["number"])

    def calls(self, method: str, pattern: str = "") -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.method == method and re.search(pattern, r.path)
        ]

    # --- behaviour (called with the lock held) ---------------------------------

    def _pull_object(self, number: int) -> dict[str, Any]:
        return json.loads(json.dumps(self.pulls[number]))  # type: ignore[no-any-return]

    def _create(self, head: str, base: str, title: str, body: str) -> dict[str, Any]:
        owner = self.repository.split("/")[0]
        number = self._next_number
        self._next_number += 1
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        api = f"{self.base_url}/repos/{self.repository}"
        self.pulls[number] = {
            "url": f"{api}/pulls/{number}",
            "id": 1000 + number,
            "node_id": f"PR_kwFake{number}",
            "html_url": f"https://github.com/{self.repository}/pull/{number}",
            "issue_url": f"{api}/issues/{number}",
            "number": number,
            "state": "open",
            "locked": False,
            "title": title,
            "body": body,
            "user": {"login": "modelvault-bot", "type": "Bot"},
            "labels": [],
            "draft": False,
            "merged": False,
            "created_at": now,
            "updated_at": now,
            "head": {"label": f"{owner}:{head}", "ref": head, "user": {"login": owner}},
            "base": {"label": f"{owner}:{base}", "ref": base, "user": {"login": owner}},
        }
        return self.pulls[number]

    def _label(self, name: str, index: int) -> dict[str, Any]:
        return {
            "id": 5000 + index,
            "node_id": f"LA_fake{name}",
            "url": f"{self.base_url}/repos/{self.repository}/labels/{name}",
            "name": name,
            "color": "ededed",
            "default": False,
            "description": None,
        }

    def _create_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        number = self._next_number
        self._next_number += 1
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        api = f"{self.base_url}/repos/{self.repository}"
        self.issues[number] = {
            "url": f"{api}/issues/{number}",
            "repository_url": api,
            "id": 2000 + number,
            "node_id": f"I_kwFake{number}",
            "html_url": f"https://github.com/{self.repository}/issues/{number}",
            "number": number,
            "state": "open",
            "state_reason": None,
            "locked": False,
            "title": title,
            "body": body,
            "user": {"login": "github-actions[bot]", "type": "Bot"},
            "labels": [self._label(n, i) for i, n in enumerate(dict.fromkeys(labels))],
            "assignees": [],
            "comments": 0,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
        }
        return self.issues[number]

    def _as_issue(self, number: int) -> dict[str, Any] | None:
        """An issue, or a pull request as the issues API shows it."""
        if number in self.issues:
            return json.loads(json.dumps(self.issues[number]))  # type: ignore[no-any-return]
        if number in self.pulls:
            pull = self.pulls[number]
            keys = ("url", "id", "node_id", "number", "state", "locked", "title")
            item = {k: pull[k] for k in keys}
            item.update(
                body=pull["body"],
                user=pull["user"],
                labels=pull["labels"],
                html_url=pull["html_url"],
                url=pull["issue_url"],
                state_reason=None,
                created_at=pull["created_at"],
                updated_at=pull["updated_at"],
                closed_at=None,
                pull_request={"url": pull["url"], "html_url": pull["html_url"]},
            )
            return json.loads(json.dumps(item))  # type: ignore[no-any-return]
        return None

    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str
    ) -> tuple[int, Any, dict[str, str]] | None:
        """(status, json body, headers), or None to drop the connection."""
        with self._lock:
            for fault in self.faults:
                if fault.method == method and re.search(fault.path, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    if fault.drop:
                        return None
                    return fault.status, fault.body, fault.headers
            if auth not in (f"Bearer {self.token}", f"token {self.token}"):
                return (
                    401,
                    {"message": "Bad credentials", "documentation_url": DOCS},
                    {},
                )
            if path == "/search/issues" and method == "GET":
                return self._search(query)
            prefix = f"/repos/{self.repository}"
            if not path.startswith(prefix + "/"):
                return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
            return self._route(method, path[len(prefix) :], query, body)

    def _route(
        self, method: str, rest: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        not_found: tuple[int, Any, dict[str, str]] = (
            404,
            {"message": "Not Found", "documentation_url": DOCS},
            {},
        )
        if rest == "/pulls" and method == "GET":
            return 200, self._list(query), {}
        if rest == "/pulls" and method == "POST":
            return self._post_pull(body)
        match = re.fullmatch(r"/pulls/(\d+)", rest)
        if match and method in ("GET", "PATCH"):
            number = int(match.group(1))
            if number not in self.pulls:
                return not_found
            if method == "PATCH":
                for key in ("title", "body", "state", "base"):
                    if key in body:
                        if key == "base":
                            self.pulls[number]["base"]["ref"] = body["base"]
                        else:
                            self.pulls[number][key] = body[key]
            return 200, self._pull_object(number), {}
        match = re.fullmatch(r"/issues/(\d+)/labels", rest)
        if match and method == "POST":
            number = int(match.group(1))
            owner = self.pulls.get(number) or self.issues.get(number)
            if owner is None:
                return not_found
            names = body.get("labels", []) if isinstance(body, dict) else body
            labels = owner["labels"]
            for name in names:
                if name not in [label["name"] for label in labels]:
                    labels.append(self._label(name, len(labels)))
            return 200, labels, {}
        if rest == "/issues" and method == "GET":
            return self._list_issues(query)
        if rest == "/issues" and method == "POST":
            return self._post_issue(body)
        match = re.fullmatch(r"/issues/(\d+)", rest)
        if match and method in ("GET", "PATCH"):
            number = int(match.group(1))
            if self._as_issue(number) is None:
                return not_found
            if method == "PATCH":
                return self._patch_issue(number, body)
            return 200, self._as_issue(number), {}
        return not_found

    def _list(self, query: dict[str, str]) -> list[dict[str, Any]]:
        state = query.get("state", "open")
        found = []
        for number, pull in sorted(self.pulls.items()):
            if state != "all" and pull["state"] != state:
                continue
            if "head" in query and pull["head"]["label"] != query["head"]:
                continue
            if "base" in query and pull["base"]["ref"] != query["base"]:
                continue
            found.append(self._pull_object(number))
        return found

    def _list_issues(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            return _invalid("state", f"{state!r} is not open, closed or all")
        try:
            per_page = min(100, max(1, int(query.get("per_page", "30"))))
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            return _invalid("per_page", "not a number")
        wanted = [n for n in query.get("labels", "").split(",") if n]
        items = []
        for number in sorted({*self.issues, *self.pulls}):
            item = self._as_issue(number)
            assert item is not None
            if state != "all" and item["state"] != state:
                continue
            names = {label["name"] for label in item["labels"]}
            if any(n not in names for n in wanted):
                continue
            items.append(item)
        newest_first = query.get("direction", "desc") == "desc"
        items.sort(key=lambda i: i["number"], reverse=newest_first)
        start = (page - 1) * per_page
        chunk = items[start : start + per_page]
        headers: dict[str, str] = {}
        last = max(1, -(-len(items) // per_page))
        if page < last:
            url = f"{self.base_url}/repos/{self.repository}/issues"
            rest = "&".join(f"{k}={v}" for k, v in sorted(query.items()) if k != "page")
            headers["link"] = (
                f'<{url}?{rest}&page={page + 1}>; rel="next", '
                f'<{url}?{rest}&page={last}>; rel="last"'
            )
        return 200, chunk, headers

    def _post_issue(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            return 400, {"message": "Problems parsing JSON"}, {}
        title = body.get("title")
        if not isinstance(title, str) or not title:
            return _invalid("title", "missing_field", resource="Issue")
        labels = body.get("labels") or []
        if not isinstance(labels, list) or not all(isinstance(n, str) for n in labels):
            return _invalid("labels", "invalid", resource="Issue")
        created = self._create_issue(title, str(body.get("body") or ""), labels)
        return 201, json.loads(json.dumps(created)), {}

    def _patch_issue(self, number: int, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            return 400, {"message": "Problems parsing JSON"}, {}
        target = self.issues.get(number) or self.pulls[number]
        state = body.get("state")
        reason = body.get("state_reason")
        if state is not None and state not in ("open", "closed"):
            return _invalid("state", "invalid", resource="Issue")
        if reason is not None and reason not in (
            "completed",
            "not_planned",
            "reopened",
        ):
            return _invalid("state_reason", "invalid", resource="Issue")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for key in ("title", "body"):
            if key in body:
                target[key] = body[key]
        if "labels" in body and number in self.issues:
            names = [n if isinstance(n, str) else n["name"] for n in body["labels"]]
            target["labels"] = [self._label(n, i) for i, n in enumerate(names)]
        if state == "closed" and target["state"] != "closed":
            target["state"], target["closed_at"] = "closed", now
            target["state_reason"] = reason or "completed"
        elif state == "open" and target["state"] != "open":
            target["state"], target["closed_at"] = "open", None
            target["state_reason"] = "reopened"
        elif reason is not None and target["state"] == "closed":
            target["state_reason"] = reason
        target["updated_at"] = now
        return 200, self._as_issue(number), {}

    def _search(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        q = query.get("q", "")
        if not q.strip():
            return _invalid("q", "missing", resource="Search")
        terms = re.findall(r'(\w+:"[^"]*"|\w+:\S+|"[^"]*"|\S+)', q)
        words: list[str] = []
        wanted: dict[str, str] = {}  # state, kind, label
        in_title = False
        for term in terms:
            key, _, value = term.partition(":")
            value = value.strip('"')
            if key == "repo" and value:
                if value.lower() != self.repository.lower():
                    return (
                        200,
                        {"total_count": 0, "incomplete_results": False, "items": []},
                        {},
                    )
            elif key in ("is", "state") and value in ("open", "closed"):
                wanted["state"] = value
            elif key in ("is", "type") and value in ("issue", "pr", "pull-request"):
                wanted["kind"] = "issue" if value == "issue" else "pr"
            elif key == "label" and value:
                wanted["label"] = value
            elif key == "in" and value == "title":
                in_title = True
            else:
                words.append(term.strip('"').lower())

        def matches(item: dict[str, Any]) -> bool:
            kind = "pr" if "pull_request" in item else "issue"
            labels = {label["name"] for label in item["labels"]}
            return (
                wanted.get("state", item["state"]) == item["state"]
                and wanted.get("kind", kind) == kind
                and ("label" not in wanted or wanted["label"] in labels)
            )

        items = []
        for number in sorted({*self.issues, *self.pulls}, reverse=True):
            item = self._as_issue(number)
            assert item is not None
            text = item["title"] if in_title else f"{item['title']}\n{item['body']}"
            if matches(item) and all(w in text.lower() for w in words):
                items.append({**item, "score": 1.0})
        return (
            200,
            {
                "total_count": len(items),
                "incomplete_results": False,
                "items": items[:100],
            },
            {},
        )

    def _post_pull(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        def invalid(errors: list[dict[str, str]]) -> tuple[int, Any, dict[str, str]]:
            payload = {"message": "Validation Failed", "errors": errors}
            payload["documentation_url"] = f"{DOCS}/pulls/pulls#create-a-pull-request"
            return 422, payload, {}

        if not isinstance(body, dict):
            return 400, {"message": "Problems parsing JSON"}, {}
        missing = [k for k in ("title", "head", "base") if not body.get(k)]
        if missing:
            return invalid(
                [
                    {"resource": "PullRequest", "field": k, "code": "missing_field"}
                    for k in missing
                ]
            )
        owner = self.repository.split("/")[0]
        head = str(body["head"]).removeprefix(f"{owner}:")
        if self.branch_exists is not None and not self.branch_exists(head):
            return invalid(
                [{"resource": "PullRequest", "field": "head", "code": "invalid"}]
            )
        for pull in self.pulls.values():
            if pull["state"] == "open" and pull["head"]["ref"] == head:
                message = f"A pull request already exists for {owner}:{head}."
                return invalid(
                    [{"resource": "PullRequest", "code": "custom", "message": message}]
                )
        created = self._create(
            head, str(body["base"]), body["title"], body.get("body") or ""
        )
        return 201, json.loads(json.dumps(created)), {}


def _invalid(
    field_name: str, code: str, resource: str = "Issue"
) -> tuple[int, Any, dict[str, str]]:
    """GitHub's 422 answer for a request it cannot process."""
    payload = {
        "message": "Validation Failed",
        "errors": [{"resource": resource, "field": field_name, "code": code}],
        "documentation_url": f"{DOCS}/issues/issues",
    }
    return 422, payload, {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def _serve(self) -> None:
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        auth = headers.get("authorization", "")
        if "authorization" in headers:
            headers["authorization"] = auth.split(" ")[0] + " <redacted>"
        with fake._lock:
            fake.requests.append(
                Recorded(self.command, parts.path, query, headers, body)
            )
        answer = fake.handle(self.command, parts.path, query, body, auth)
        if answer is None:
            self.close_connection = True
            return
        status, payload, extra = answer
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
        limits = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "4999",
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-used": "1",
            "x-ratelimit-resource": "core",
        }
        for name, value in {**limits, **extra}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()
