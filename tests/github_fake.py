"""A loopback fake of the GitHub REST endpoints the generator's PR flow uses.

List, create and update pull requests and add labels, with GitHub's documented
request and response shapes (pull objects with number, html_url, head/base refs,
title, body, state and label objects; 401 {"message": "Bad credentials"}; 404
{"message": "Not Found"}; 422 {"message": "Validation Failed", "errors": [...]},
including "A pull request already exists for owner:branch."). Every request is
recorded with its Authorization header redacted. Failures are injectable: any
status, body and headers (rate limits), or a dropped connection.

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
            if number not in self.pulls:
                return not_found
            names = body.get("labels", []) if isinstance(body, dict) else body
            labels = self.pulls[number]["labels"]
            for name in names:
                if name not in [label["name"] for label in labels]:
                    labels.append(
                        {
                            "id": 5000 + len(labels),
                            "node_id": f"LA_fake{name}",
                            "name": name,
                            "color": "ededed",
                            "default": False,
                            "description": None,
                        }
                    )
            return 200, labels, {}
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
