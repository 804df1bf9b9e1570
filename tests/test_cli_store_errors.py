"""Every store problem reaches a CLI user as one `error:` line that says what to do,
exit code 1, no traceback: real `modelvault` processes on real broken files."""

from __future__ import annotations

import os
import shutil
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


def _without_root_override() -> list[str]:
    """A prefix that makes file permissions bind even for root (who otherwise
    writes to read-only files): drop the capabilities that override them."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only file stays writable")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def test_a_read_only_database_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite3"
    env = {**os.environ, "MODELVAULT_DB": str(db)}
    env.pop("MODELVAULT_FAKE", None)
    run = [sys.executable, "-m", "modelvault", "run", "flux-1-schnell-runware"]
    started = subprocess.run(
        [*run, "--set", "prompt=a fox", "--fake", "--no-wait"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    db.chmod(0o444)
    try:
        for command in (
            [*run, "--set", "prompt=a fox", "--fake"],
            [sys.executable, "-m", "modelvault", "resume", "--fake"],
        ):
            result = subprocess.run(
                [*_without_root_override(), *command],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
                check=False,
            )
            assert result.returncode == 1, result.stderr
            assert "Traceback" not in result.stderr
            errors = [
                line for line in result.stderr.splitlines() if line.startswith("error:")
            ]
            assert len(errors) == 1, result.stderr
            assert str(db) in errors[0] and "read-only" in errors[0]
            assert "writable" in errors[0] and "MODELVAULT_DB" in errors[0]
    finally:
        db.chmod(0o644)


@pytest.mark.parametrize("case", ["garbage-file", "newer-schema", "a-directory"])
def test_status_without_an_id_is_one_line_too(case: str, tmp_path: Path) -> None:
    db = CASES[case](tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "modelvault", "status"],
        capture_output=True,
        text=True,
        env={**os.environ, "MODELVAULT_DB": str(db)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(db) in errors[0], result.stderr
