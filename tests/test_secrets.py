"""An API key never appears in a log line, a record, an error or CLI output, on
any fault path, even when the provider echoes it back (in a message, a value or a
JSON object key). DEBUG logging is on for httpx and httpcore throughout."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import modelvault
from modelvault import Clock, SQLiteStore
from modelvault._render import generation_json, generation_sheet
from modelvault.testing import FakeProviders, Phase

KEY = "sk-secret-7f3a9c1e5b2d4f60"
# One model per provider family.
MODELS = {
    "kie_jobs": "seedance-v1-lite",
    "kie_veo": "google-veo-3-1-fast",
    "runware": "flux-1-schnell-runware",
    "fal_queue": "flux-1-schnell-fal",
    "replicate": "flux-schnell-replicate",
}
FAULTS: list[tuple[Phase, dict[str, Any]]] = [
    ("submit", {"status": 401}),
    ("submit", {"status": 402}),
    ("submit", {"status": 422}),
    ("submit", {"status": 429, "times": 9}),
    ("submit", {"status": 500}),
    ("submit", {"kind": "drop"}),
    ("submit", {"kind": "malformed"}),
    ("poll", {"status": 401}),
    ("poll", {"status": 503, "times": 3}),
    ("poll", {"status": 404, "times": 9}),
    ("poll", {"kind": "drop", "times": 2}),
    ("poll", {"kind": "malformed", "times": 2}),
    ("result", {"status": 500}),
]


@pytest.fixture(scope="module")
def fakes() -> Iterator[FakeProviders]:
    with FakeProviders(api_key=KEY, polls=1) as started:
        yield started


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _clock() -> Clock:
    return Clock(time.monotonic, lambda seconds: None)


@pytest.mark.parametrize("family", sorted(MODELS))
def test_no_fault_path_leaks_the_key(
    family: str,
    fakes: FakeProviders,
    tmp_path: Path,
    captured_logs: io.StringIO,
) -> None:
    store = SQLiteStore(tmp_path / "g.sqlite3")
    produced: list[str] = []
    for phase, fault in FAULTS:
        fakes.reset()
        fake = fakes[family]
        fake.inject(phase, message=f"echo of {KEY} from the provider", **fault)
        try:
            modelvault.run(
                MODELS[family],
                {"prompt": "a fox"},
                api_key=KEY,
                store=store,
                base_url=fake.base_url,
                timeout=120,
                clock=_clock(),
            )
        except modelvault.ModelVaultError as exc:
            produced += [str(exc), repr(exc), repr(vars(exc))]
    records = store.all_generations()
    assert len(records) == len(FAULTS)
    produced += [generation_json(r) + generation_sheet(r) for r in records]
    produced.append(captured_logs.getvalue())
    produced += [f.read_bytes().decode("latin-1") for f in tmp_path.glob("g.sqlite3*")]
    leaks = [text for text in produced if KEY in text]
    assert leaks == [], leaks[0][:500]


class _EchoingReplicate(BaseHTTPRequestHandler):
    """A Replicate-shaped server that echoes the bearer token everywhere it can:
    as a value, inside a list, and as a JSON object key."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        self._answer(
            201,
            {"id": "p-echo", "status": "starting", token: {"nested": [token]}},
        )

    def do_GET(self) -> None:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        self._answer(
            200,
            {
                "id": "p-echo",
                "status": "succeeded",
                "output": ["https://cdn.example/out.png"],
                "logs": f"authorised with {token}",
                token: token,
            },
        )


def test_a_key_echoed_as_a_json_key_is_redacted(
    tmp_path: Path, captured_logs: io.StringIO
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingReplicate)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        store = SQLiteStore(tmp_path / "g.sqlite3")
        record = modelvault.run(
            "flux-schnell-replicate",
            {"prompt": "a fox"},
            api_key=KEY,
            store=store,
            base_url=f"http://127.0.0.1:{server.server_address[1]}",
            clock=_clock(),
        )
    finally:
        server.shutdown()
        server.server_close()
    assert record.status.value == "completed"
    text = generation_json(record)
    assert KEY not in text and "[redacted]" in text
    assert KEY not in captured_logs.getvalue()
    for path in tmp_path.glob("g.sqlite3*"):  # the WAL too
        assert KEY.encode() not in path.read_bytes(), path
