"""Real parts for the output-copy tests: a loopback HTTP file server that misbehaves
on request, and moto's stand-alone S3 server.

FileServer routes (GET only):
  /files/<name>                 the file, with Content-Type and Content-Length
  /nolength/<name>              the file, no Content-Length (ends at close)
  /broken/<name>?at=N           Content-Length of the whole file, N bytes, close
  /redirect?to=URL[&code=302]   a redirect to URL (absolute or relative)
  /loop/<n>                     a redirect to /loop/<n+1>, for ever
  /status/<code>                that status, a short body
  /stall?after=N&seconds=S      200, N bytes of a longer promised body, then silence
  /trickle?every=S              200, one byte every S seconds, for ever
Every request's path and headers are recorded in `requests`.
"""

from __future__ import annotations

import http.server
import logging
import random
import socket
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx


def payload(size: int, seed: int = 12) -> bytes:
    """`size` deterministic pseudo-random bytes (incompressible)."""
    return random.Random(seed).randbytes(size)


@dataclass
class Seen:
    path: str
    host: str | None
    headers: dict[str, str]


@dataclass
class FileServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 (port chosen by the system)."""

    files: dict[str, tuple[bytes, str | None]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    tls: ssl.SSLContext | None = None  # serve https with this server context
    _server: http.server.ThreadingHTTPServer | None = None

    def add(self, name: str, body: bytes, content_type: str | None = None) -> str:
        self.files[name] = (body, content_type)
        return self.url(f"/files/{name}")

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def start(self) -> FileServer:
        handler = type("Handler", (_Handler,), {"owner": self})
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(
                self._server.socket, server_side=True
            )
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: ClassVar[FileServer]

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _file(self, name: str) -> tuple[bytes, dict[str, str]] | None:
        found = self.owner.files.get(name)
        if found is None:
            self._head(404, {"Content-Length": "0"})
            return None
        body, content_type = found
        headers = {"Content-Type": content_type} if content_type else {}
        return body, headers

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.owner.requests.append(Seen(self.path, headers.get("host"), headers))
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        route, _, rest = parts.path.lstrip("/").partition("/")
        handler = getattr(self, f"route_{route}", None)
        if handler is None:
            self._head(404, {"Content-Length": "0"})
            return
        handler(rest, query)

    def route_files(self, name: str, query: dict[str, str]) -> None:
        found = self._file(name)
        if found is not None:
            body, headers = found
            self._head(200, {**headers, "Content-Length": str(len(body))})
            self.wfile.write(body)

    def route_nolength(self, name: str, query: dict[str, str]) -> None:
        found = self._file(name)
        if found is not None:
            body, headers = found
            self._head(200, {**headers, "Connection": "close"})
            for start in range(0, len(body), 65536):
                self.wfile.write(body[start : start + 65536])
            self.close_connection = True

    def route_broken(self, name: str, query: dict[str, str]) -> None:
        found = self._file(name)
        if found is not None:
            body, headers = found
            self._head(200, {**headers, "Content-Length": str(len(body))})
            self.wfile.write(body[: int(query["at"])])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    def route_redirect(self, rest: str, query: dict[str, str]) -> None:
        code = int(query.get("code", "302"))
        self._head(code, {"Location": query["to"], "Content-Length": "0"})

    def route_loop(self, rest: str, query: dict[str, str]) -> None:
        self._head(302, {"Location": f"/loop/{int(rest) + 1}", "Content-Length": "0"})

    def route_status(self, rest: str, query: dict[str, str]) -> None:
        body = b"no such output\n"
        self._head(int(rest), {"Content-Length": str(len(body))})
        self.wfile.write(body)

    def route_stall(self, rest: str, query: dict[str, str]) -> None:
        after = int(query.get("after", "0"))
        self._head(200, {"Content-Length": str(after + 1000)})
        self.wfile.write(b"x" * after)
        self.wfile.flush()
        time.sleep(float(query.get("seconds", "2")))
        self.close_connection = True

    def route_trickle(self, rest: str, query: dict[str, str]) -> None:
        every = float(query.get("every", "0.05"))
        self._head(200, {"Content-Length": "1000000"})
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(every)
        except OSError:  # the client gave up: what the test wants
            pass
        self.close_connection = True


# -- moto's stand-alone S3 server ------------------------------------------------
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}
_S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class MotoS3:
    """moto's ThreadedMotoServer on a free loopback port. Buckets are made and
    inspected with plain HTTP (moto does not check signatures by default), so
    the tests need no boto3 typing."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> MotoS3:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()

    def create_bucket(self, bucket: str) -> None:
        answer = httpx.put(f"{self.endpoint}/{bucket}")
        assert answer.status_code == 200, answer.text

    def keys(self, bucket: str) -> list[str]:
        answer = httpx.get(f"{self.endpoint}/{bucket}", params={"list-type": "2"})
        assert answer.status_code == 200, answer.text
        root = ET.fromstring(answer.content)
        return sorted(e.text or "" for e in root.iter(f"{_S3_NS}Key"))

    def pending_uploads(self, bucket: str) -> list[str]:
        """Keys of multipart uploads started and neither completed nor aborted."""
        answer = httpx.get(f"{self.endpoint}/{bucket}?uploads")
        assert answer.status_code == 200, answer.text
        root = ET.fromstring(answer.content)
        return [
            upload.findtext(f"{_S3_NS}Key") or ""
            for upload in root.iter(f"{_S3_NS}Upload")
        ]

    def get(self, bucket: str, key: str) -> httpx.Response:
        return httpx.get(f"{self.endpoint}/{bucket}/{key}")
