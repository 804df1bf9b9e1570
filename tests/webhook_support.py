"""Helpers for the webhook receiver tests: a real uvicorn server on a free
loopback port, deliveries signed the way each provider documents (written here
by hand, independently of the receiver's own verification code), a loopback
JWKS server for fal's keys, and records to deliver to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from modelvault.store import GenerationStore

# A Standard Webhooks secret: whsec_ + base64 of the HMAC key.
REPLICATE_SECRET = (
    "whsec_" + base64.b64encode(b"modelvault-test-signing-key-0001").decode()
)

# One catalog model per provider family (tests/test_webhooks.py creates records
# of these; the receiver resolves the provider from the catalog).
MODEL_OF = {
    "replicate": "flux-schnell-replicate",
    "fal_queue": "flux-1-schnell-fal",
    "runware": "flux-1-schnell-runware",
    "kie_jobs": "recraft-crisp-upscale",
    "kie_veo": "google-veo-3-1-fast",
}


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run `app` under uvicorn on 127.0.0.1 (a free port) in a thread; yields
    the base URL, stops the server on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def new_token() -> tuple[str, str]:
    """A callback token and the sha256 hex a record keeps of it."""
    token = secrets.token_urlsafe(32)
    return token, hashlib.sha256(token.encode()).hexdigest()


def make_record(
    store: GenerationStore,
    provider: str,
    *,
    generation_id: str | None = None,
    task_id: str = "task-1",
    token_sha256: str | None = None,
) -> str:
    """A processing generation of that provider's model, waiting for its
    callback; returns its id."""
    gen_id = generation_id or f"gen-{secrets.token_hex(6)}"
    store.create_generation(
        {
            "id": gen_id,
            "model_id": MODEL_OF[provider],
            "model_record_id": "rec-test",
            "inputs": {"prompt": "a fox"},
            "cost": "1",
            "callback_token_sha256": token_sha256,
        }
    )
    store.update_generation(
        gen_id, {"status": "processing", "provider_task_id": task_id}
    )
    return gen_id


def sign_replicate(
    body: bytes,
    *,
    secret: str = REPLICATE_SECRET,
    msg_id: str = "msg_1",
    timestamp: int | None = None,
) -> dict[str, str]:
    """Standard Webhooks headers: HMAC-SHA256 over `id.timestamp.body` with the
    base64-decoded part of the whsec_ secret, as v1,<base64>."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }


class FalKey:
    """A test ED25519 key pair standing in for one of fal's."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = Ed25519PrivateKey.generate()

    def jwk(self) -> dict[str, str]:
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "use": "sig"}

    def headers(
        self,
        body: bytes,
        *,
        request_id: str = "task-1",
        user_id: str = "user-1",
        timestamp: int | None = None,
    ) -> dict[str, str]:
        """fal's four headers: the signature (hex) over request id, user id,
        timestamp and the body's hex sha256, joined by newlines."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        digest = hashlib.sha256(body).hexdigest()
        message = f"{request_id}\n{user_id}\n{ts}\n{digest}".encode()
        return {
            "X-Fal-Webhook-Request-Id": request_id,
            "X-Fal-Webhook-User-Id": user_id,
            "X-Fal-Webhook-Timestamp": ts,
            "X-Fal-Webhook-Signature": self.private.sign(message).hex(),
            "content-type": "application/json",
        }


class JwksServer:
    """A loopback JWKS endpoint: serves `keys` (change them to rotate) and
    counts the requests it got."""

    def __init__(self, keys: list[FalKey]) -> None:
        self.keys = keys
        self.hits = 0
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                data = json.dumps({"keys": [k.jwk() for k in outer.keys]}).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = (
            f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def post(
    base: str,
    path: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    token: str | None = None,
) -> httpx.Response:
    """POST body to base/path (?token= when given) over real HTTP."""
    params = {"token": token} if token is not None else None
    return httpx.post(
        f"{base}/{path}", content=body, headers=headers or {}, params=params, timeout=10
    )
