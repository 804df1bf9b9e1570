"""A loopback fake of where providers publish input schemas (for import and drift).

- fal: `GET /api/openapi/queue/openapi.json?endpoint_id=<id>` -> the endpoint's
  OpenAPI document, public (no key); an unknown endpoint is 404.
- Replicate: `GET /v1/models/{owner}/{name}` with `Authorization: Bearer <token>`
  -> the model object, `latest_version.openapi_schema` holding the schema; no or a
  wrong token is 401 {"detail": ...}, an unknown model 404.

One server plays both (tests point --fal-api-base and --replicate-api-base, or
MODELVAULT_FAL_API_BASE / MODELVAULT_REPLICATE_API_BASE, at `base_url`). Faults
are injectable: the next N matching requests get a status (with Retry-After) or a
dropped connection. Requests are recorded, the Authorization header redacted.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPLICATE_TOKEN = "r8_fakeTOKEN0123456789abcdefghij"


@dataclass
class _Fault:
    pattern: str
    status: int
    times: int
    drop: bool
    retry_after: str | None


class SchemaServer:
    def __init__(self, token: str = REPLICATE_TOKEN) -> None:
        self.token = token
        self.fal: dict[str, bytes] = {}  # endpoint id -> document bytes
        self.replicate: dict[str, Any] = {}  # owner/name -> openapi_schema
        self.requests: list[tuple[str, str]] = []  # (path with query, auth redacted)
        self.faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> SchemaServer:
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
        pattern: str,
        status: int = 503,
        *,
        times: int = 1,
        drop: bool = False,
        retry_after: str | None = None,
    ) -> None:
        with self._lock:
            self.faults.append(_Fault(pattern, status, times, drop, retry_after))

    def answer(
        self, path: str, query: dict[str, str], auth: str
    ) -> tuple[int, bytes, dict[str, str]] | None:
        with self._lock:
            for fault in self.faults:
                if re.search(fault.pattern, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    if fault.drop:
                        return None
                    headers = (
                        {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    )
                    return fault.status, b'{"detail": "injected"}', headers
        if path == "/api/openapi/queue/openapi.json":
            document = self.fal.get(query.get("endpoint_id", ""))
            if document is None:
                return 404, b'{"detail": "Endpoint not found"}', {}
            return 200, document, {}
        match = re.fullmatch(r"/v1/models/([^/]+)/([^/]+)", path)
        if match:
            if auth != f"Bearer {self.token}":
                return 401, b'{"detail": "Invalid token."}', {}
            model = f"{match.group(1)}/{match.group(2)}"
            if model not in self.replicate:
                return 404, b'{"detail": "Not found."}', {}
            body = {
                "url": f"https://replicate.com/{model}",
                "owner": match.group(1),
                "name": match.group(2),
                "visibility": "public",
                "latest_version": {
                    "id": "0" * 63 + "1",
                    "created_at": "2026-01-01T00:00:00Z",
                    "openapi_schema": self.replicate[model],
                },
            }
            return 200, json.dumps(body).encode(), {}
        return 404, b'{"detail": "Not found."}', {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        fake: SchemaServer = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        auth = self.headers.get("authorization", "")
        with fake._lock:
            fake.requests.append((self.path, auth.split(" ")[0] if auth else ""))
        answer = fake.answer(parts.path, query, auth)
        if answer is None:
            self.close_connection = True
            return
        status, data, headers = answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
