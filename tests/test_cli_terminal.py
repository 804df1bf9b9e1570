"""What a person sees: `modelvault run` under a real pseudo-terminal at 100 and
40 columns, Ctrl-C typed on that terminal, and plain output when not a terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pty_terminal import Session, screen_lines, spawn

from modelvault._progress import status_line

RUN = ["run", "seedance-v1-lite", "--set", "prompt=a fox", "--fake"]
STATUS = re.compile(r"(submitted|not visible yet|waiting|queuing|generating) ")


def _env(tmp_path: Path, speedup: str) -> dict[str, str]:
    env = {
        **os.environ,
        "MODELVAULT_DB": str(tmp_path / "g.sqlite3"),
        "MODELVAULT_FAKE_SPEEDUP": speedup,
    }
    env.pop("MODELVAULT_FAKE", None)
    return env


def _modelvault(
    args: list[str], *, columns: int, env: dict[str, str], cwd: Path
) -> Session:
    return spawn(
        [sys.executable, "-m", "modelvault", *args],
        columns=columns,
        env=env,
        cwd=str(cwd),
    )


def _drawn_lines(raw: str) -> list[str]:
    """Every text the status line drew (what follows each erase of the line;
    the last erase is the one before the result)."""
    return [part.split("\n")[0] for part in raw.split("\r\x1b[K")[1:-1]]


@pytest.mark.parametrize("columns", [100, 40])
def test_status_line_stays_one_line_and_is_gone_at_the_end(
    columns: int, tmp_path: Path
) -> None:
    session = _modelvault(RUN, columns=columns, env=_env(tmp_path, "50"), cwd=tmp_path)
    assert session.finish() == 0, session.text
    drawn = [line for line in _drawn_lines(session.text) if line]
    assert len(drawn) > 5, session.text  # it ticked between polls
    assert all(len(line) < columns for line in drawn), drawn
    assert any("next" in line for line in drawn)
    screen = [line for line in session.screen() if line]
    # Only the record is left on the screen: no status line above it, none piled up.
    assert screen[0].startswith("generation "), screen
    assert not any(STATUS.search(line) for line in screen), screen
    assert "  status    completed" in screen


def test_ctrl_c_names_the_generation_and_the_exact_resume_command(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path, "5")
    session = _modelvault(RUN, columns=100, env=env, cwd=tmp_path)
    session.read_until(lambda text: "submitted" in text, timeout=30)
    session.interrupt()
    assert session.finish() == 130, session.text
    screen = [line for line in session.screen() if line]
    assert "Traceback" not in session.text and "Aborted!" not in session.text
    assert not any(STATUS.search(line) for line in screen), screen
    said = re.search(r"interrupted: generation (\S+) keeps running", screen[-2])
    assert said, screen
    generation = said.group(1)
    command = f"modelvault resume {generation} --fake"
    assert screen[-1] == f"continue with: {command}"
    assert all(len(line) <= 100 for line in screen)
    # ... and that command, as printed, finishes it.
    resumed = subprocess.run(
        [sys.executable, "-m", *command.split()],
        capture_output=True,
        text=True,
        env={**env, "MODELVAULT_FAKE_SPEEDUP": "100"},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"generation {generation}" in resumed.stdout
    assert "status    completed" in resumed.stdout


def test_not_a_terminal_gets_plain_lines(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "modelvault", *RUN],
        capture_output=True,
        text=True,
        env=_env(tmp_path, "100"),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("seedance-v1-lite: ") for line in lines)
    # One line per change of state, not one per tick.
    states = [line.split(" · ")[0] for line in lines]
    assert len(states) == len(set(states)), lines
    assert result.stdout.startswith("generation ")


def test_ask_key_never_echoes_the_key(tmp_path: Path) -> None:
    # A key with a space is refused before anything is sent: safe offline.
    args = ["run", "seedance-v1-lite", "--set", "prompt=a fox", "--ask-key"]
    env = _env(tmp_path, "100")
    env.pop("KIE_API_KEY", None)
    session = _modelvault(args, columns=100, env=env, cwd=tmp_path)
    session.read_until(lambda text: "KIE_API_KEY" in text, timeout=30)
    os.write(session.master, b"sk-secret typed\r")
    assert session.finish() == 1, session.text
    assert "sk-secret" not in session.text
    assert "contains a space" in session.text and "nothing was sent" in session.text


def test_screen_model_wraps_and_erases() -> None:
    assert screen_lines("abcdef", 4) == ["abcd", "ef"]
    assert screen_lines("old line\r\x1b[Knew\n", 20) == ["new", ""]
    assert screen_lines("abcd\r\x1b[Kx", 4) == ["x"]


@pytest.mark.parametrize("width", [1, 8, 20, 40, 41, 60, 100, 200])
def test_status_line_is_narrower_than_the_terminal(width: int) -> None:
    for label in ("seedance-v1-lite-image-to-video-fal", "91ebd091"):
        for state in ("submitted", "not visible yet"):
            line = status_line(label, state, 3725.0, 12.0, width)
            assert 0 < len(line) <= max(width - 1, 1)
    assert status_line("m", "waiting", 65, 0.2, 100) == (
        "m: waiting · 1m05s elapsed · checking now · Ctrl-C stops"
    )


def test_ask_key_reads_a_piped_line(tmp_path: Path) -> None:
    args = ["run", "seedance-v1-lite", "--set", "prompt=a fox", "--ask-key"]
    env = _env(tmp_path, "100")
    env.pop("KIE_API_KEY", None)
    for piped, expected in (
        ("sk-secret typed\n", "contains a space"),
        ("", "--ask-key got no key for KIE_API_KEY"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "modelvault", *args],
            input=piped,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1
        assert result.stderr.startswith("error: ") and expected in result.stderr
        assert "sk-secret" not in result.stderr and "Warning" not in result.stderr
