"""`modelvault webhooks serve` as a real process: it serves deliveries, keeps
the callback token and the signing secret out of its logs, refuses a bad secret
without repeating it, and says which extra to install when it is missing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from webhook_support import (
    REPLICATE_SECRET,
    make_record,
    new_token,
    sign_replicate,
)

from modelvault.store import SQLiteStore

REPO = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), env.get("PYTHONPATH", "")) if p
    )
    env.pop("MODELVAULT_DB", None)
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "modelvault", *args]


def test_serve_answers_deliveries_and_logs_no_secret(tmp_path: Path) -> None:
    db = tmp_path / "generations.db"
    store = SQLiteStore(db)
    token, digest = new_token()
    gen = make_record(store, "replicate", token_sha256=digest)
    port = _free_port()
    process = subprocess.Popen(
        _cli("webhooks", "serve", "--port", str(port), "--db", str(db)),
        env=_env(REPLICATE_WEBHOOK_SECRET=REPLICATE_SECRET),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        body = b'{"id": "task-1", "status": "succeeded", "output": []}'
        forged = httpx.post(
            f"{base}/replicate/{gen}",
            content=body,
            params={"token": token},
            headers=sign_replicate(body, secret="whsec_" + "QUJD" * 8),
        )
        assert forged.status_code == 401
        unknown = httpx.post(
            f"{base}/replicate/gen-nope",
            content=body,
            params={"token": token},
            headers=sign_replicate(body),
        )
        assert unknown.status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    logs = out + err
    assert f"/replicate/{gen}?token=[REDACTED]" in logs
    assert f"webhook replicate {gen!r} -> 401" in logs
    assert "Replicate signing secret: set" in logs
    assert token not in logs
    assert REPLICATE_SECRET.removeprefix("whsec_") not in logs


def test_serve_refuses_a_bad_secret_without_repeating_it(tmp_path: Path) -> None:
    done = subprocess.run(
        _cli("webhooks", "serve", "--db", str(tmp_path / "g.db")),
        env=_env(REPLICATE_WEBHOOK_SECRET="whsec_n0t-base64!"),
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: ")
    assert "REPLICATE_WEBHOOK_SECRET" in done.stderr
    assert "n0t-base64" not in done.stderr + done.stdout


def test_serve_without_the_extra_names_it(tmp_path: Path) -> None:
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('starlette', 'uvicorn'):\n"
        "            raise ImportError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import modelvault\n"  # the runtime itself imports without the extra
        "from modelvault.cli import main\n"
        "main(['webhooks', 'serve', '--db', sys.argv[1]])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocker, str(tmp_path / "g.db")],
        env=_env(),
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "pip install 'modelvault[webhooks]'" in done.stderr
    assert "Traceback" not in done.stderr
