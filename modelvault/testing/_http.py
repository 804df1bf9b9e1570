"""HTTP plumbing of the fakes: the loopback server, requests in, replies out,
and the queue of injected faults.

`LoopbackServer` is one `ThreadingHTTPServer` on 127.0.0.1 (port 0) serving in
a daemon thread; every request becomes an `Incoming` handed to one dispatch
function, whose `Reply` is written back (or the connection dropped). `stop()`
shuts every open keep-alive connection down, so it takes tens of milliseconds.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import ssl
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qsl, urlsplit

from modelvault.testing._types import REDACTED, Fault, Phase

STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    455: "Service Unavailable (maintenance)",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_SECRET_HEADERS = {"authorization", "x-api-key", "proxy-authorization"}


@dataclass
class Reply:
    """What to answer: a status, a body and headers, or `drop` the connection.

    A streamed reply (`chunks`, with its full `length` as Content-Length) is
    written chunk by chunk; `break_after` closes the connection once that many
    body bytes are out (a download that breaks halfway)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    drop: bool = False
    task_id: str | None = None
    chunks: Callable[[], Iterator[bytes]] | None = None
    length: int | None = None
    break_after: int | None = None


@dataclass
class Incoming:
    """One parsed request (`json` is the raw text when `json_ok` is False)."""

    method: str
    path: str
    query: dict[str, str]
    raw: bytes
    json: Any
    json_ok: bool
    headers: dict[str, str]

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]


Dispatch = Callable[[Incoming], Reply]


def json_reply(
    status: int,
    body: Any,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
    task_id: str | None = None,
) -> Reply:
    data = json.dumps(body, separators=(",", ":")).encode()
    return Reply(status, data, dict(headers or {}), content_type, task_id=task_id)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        k: (REDACTED if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()
    }


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value, its name matched case-insensitively ("" when absent)."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


class FaultQueue:
    """Injected faults in FIFO order, each used for its `times` requests.

    Not thread-safe on its own: the owning fake calls it under its lock.
    """

    def __init__(self) -> None:
        self._entries: list[list[Any]] = []  # [Fault, remaining]

    def add(self, fault: Fault) -> None:
        self._entries.append([fault, fault.times])

    def clear(self) -> None:
        self._entries.clear()

    def pending(self) -> list[Fault]:
        return [dataclasses.replace(f, times=n) for f, n in self._entries]

    def take(self, phase: Phase, terminal: bool) -> Fault | None:
        """Use up the first fault for `phase`; a poll that would deliver the
        terminal answer matches "result" faults too."""
        accepted = {phase, "result"} if terminal and phase == "poll" else {phase}
        for entry in self._entries:
            fault, remaining = entry
            if fault.phase in accepted:
                if remaining <= 1:
                    self._entries.remove(entry)
                else:
                    entry[1] = remaining - 1
                return cast(Fault, fault)
        return None


def fault_reply(fault: Fault, error: Callable[[Fault], Reply]) -> Reply:
    """The answer a drop, malformed or status fault calls for; `error` shapes a
    status fault in the family's documented error body."""
    if fault.kind == "drop":
        return Reply(0, b"", drop=True)
    if fault.kind == "malformed":
        return Reply(200, b"<html><body>502 Bad Gateway</body></html>\n{")
    return error(fault)


class Serving(ABC):
    """Something that `start()`s and `stop()`s; a context manager."""

    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server on 127.0.0.1 that hands requests to `dispatch`."""

    daemon_threads = True
    block_on_close = False
    # 1,000 clients connecting at once must not be reset by the listen queue.
    request_queue_size = 1024

    def __init__(
        self, dispatch: Dispatch, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.dispatch = dispatch
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.thread: threading.Thread | None = None
        super().__init__(("127.0.0.1", 0), _Handler)
        if ssl_context is not None:
            # The handshake runs on the first read, in the connection's own
            # thread, so a slow client cannot stall the accept loop.
            self.socket = ssl_context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self, name: str) -> None:
        self.thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=name,
            daemon=True,
        )
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        self.shutdown()
        with self.connections_lock:
            connections = list(self.connections)
        for conn in connections:
            with suppress(OSError, ValueError):
                conn.shutdown(socket.SHUT_RDWR)
        self.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out without a 40 ms stall
    timeout = 30.0  # idle keep-alive connections end on their own

    def setup(self) -> None:
        super().setup()
        server = cast(LoopbackServer, self.server)
        with server.connections_lock:
            server.connections.add(self.connection)

    def finish(self) -> None:
        server = cast(LoopbackServer, self.server)
        with server.connections_lock:
            server.connections.discard(self.connection)
        with suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _incoming(self) -> Incoming:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        parsed: Any = None
        json_ok = True
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                json_ok = False
                parsed = raw.decode("utf-8", "replace")
        return Incoming(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            raw=raw,
            json=parsed,
            json_ok=json_ok,
            headers={key: value for key, value in self.headers.items()},
        )

    def _handle(self) -> None:
        reply = cast(LoopbackServer, self.server).dispatch(self._incoming())
        if reply.drop:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status, STATUS_TEXT.get(reply.status))
        self.send_header("Content-Type", reply.content_type)
        length = len(reply.body) if reply.length is None else reply.length
        self.send_header("Content-Length", str(length))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if reply.chunks is None:
            self.wfile.write(reply.body)
        else:
            self._stream(reply)

    def _stream(self, reply: Reply) -> None:
        assert reply.chunks is not None
        sent, limit = 0, reply.break_after
        for chunk in reply.chunks():
            if limit is not None and sent + len(chunk) >= limit:
                self.wfile.write(chunk[: limit - sent])
                self.wfile.flush()
                self.close_connection = True
                with suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(chunk)
            sent += len(chunk)

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()
