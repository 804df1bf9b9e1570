"""Every store problem reaches a CLI user as one `error:` line that says what to do,
exit code 1, no traceback: real `modelvault` processes on real broken files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from modelvault.store import SCHEMA_VERSION


def _garbage(path: Path) -> Path:
    path.write_bytes(b"this is not a database\x00" * 200)
    return path


def _newer_schema(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.execute("CREATE TABLE generations (id TEXT PRIMARY KEY)")
    db.commit()
    db.close()
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


CASES: dict[str, Callable[[Path], Path]] = {
    "proc-path": lambda tmp: Path("/proc/nope/x.sqlite3"),
    "garbage-file": lambda tmp: _garbage(tmp / "garbage.sqlite3"),
    "newer-schema": lambda tmp: _newer_schema(tmp / "newer.sqlite3"),
    "a-directory": lambda tmp: _directory(tmp / "folder.sqlite3"),
}
COMMANDS = [
    ["status", "0b8e8f4e-0000-4000-8000-000000000000"],
    ["resume"],
    ["run", "flux-1-schnell-runware", "--set", "prompt=a fox", "--fake"],
]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_store_problems_are_one_line(
    case: str, command: list[str], tmp_path: Path
) -> None:
    db = CASES[case](tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "modelvault", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "MODELVAULT_DB": str(db)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert str(db) in errors[0]
    # ... and it says what to do next.
    assert any(word in errors[0] for word in ("MODELVAULT_DB", "upgrade", "move"))
