"""The click-free path of `python -m generator verify|hook` (generator.cli_fast):
it answers the usual command lines, and hands anything else to click."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from generator.cli_fast import _parse, run


def _generator(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("command", "args", "expected"),
    [
        ("verify", ["--base", "main"], {"--base": "main"}),
        (
            "verify",
            ["--base=main", "--format", "json"],
            {"--base": "main", "--format": "json"},
        ),
        ("verify", ["--base", "a", "--base", "b"], None),  # click says what is wrong
        ("verify", ["--base"], None),
        ("verify", ["--help"], None),
        ("verify", ["stray"], None),
        ("hook", ["a.py", "b.py", "--root", "x"], {"--root": "x"}),
        ("hook", ["--base", "x"], None),
    ],
)
def test_only_the_exact_option_sets_take_the_fast_path(
    command: str, args: list[str], expected: dict[str, str] | None
) -> None:
    assert _parse(command, args) == expected


def test_other_commands_and_bad_values_go_to_click() -> None:
    assert run([]) is None
    assert run(["check"]) is None
    assert run(["verify", "--head", "x"]) is None  # no --base
    assert run(["verify", "--base", "x", "--format", "yaml"]) is None


def test_the_fast_path_imports_no_click(tmp_path: Path) -> None:
    code = (
        "import sys, runpy; sys.argv = ['generator', 'verify', '--base', 'HEAD'];\n"
        "try:\n    runpy.run_module('generator', run_name='__main__')\n"
        "except SystemExit as exit:\n    print(exit.code, 'click' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.split() == ["1", "False"], done.stdout + done.stderr
    assert "Error: " in done.stderr  # not a git repository: one line, no traceback


def test_fast_path_and_click_say_the_same(tmp_path: Path) -> None:
    """Usage errors and --help still come from click; a missing ref is one
    `Error:` line either way."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    fast = _generator("verify", "--base", "nope", cwd=tmp_path)
    slow = _generator("verify", "--base", "nope", "--bogus", cwd=tmp_path)
    assert fast.returncode == 1 and fast.stderr.startswith("Error: head 'HEAD'")
    assert slow.returncode == 2 and "No such option" in slow.stderr  # click's
    helped = _generator("verify", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "--format" in helped.stdout
