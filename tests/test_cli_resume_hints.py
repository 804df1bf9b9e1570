"""Every "continue with" the CLI prints is a command that works as printed:
with --fake when the run used the fakes, with --db when it was given."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from modelvault._cli_text import (
    Invocation,
    error_text,
    interrupted_text,
    resume_command,
)
from modelvault.errors import GenerationTimeoutError, RecordNotSavedError
from modelvault.store import Generation, GenerationStatus

RESUME = re.compile(r"`(modelvault resume [^`]+)`")


def _modelvault(
    args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelvault", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    for name in ("MODELVAULT_DB", "MODELVAULT_FAKE", "KIE_API_KEY"):
        if name not in extra:
            env.pop(name, None)
    return env


def test_fake_timeout_names_the_resume_command_with_fake_and_db(
    tmp_path: Path,
) -> None:
    db = tmp_path / "my dbs" / "g.sqlite3"
    db.parent.mkdir()
    args = ["run", "seedance-v1-lite", "--set", "prompt=a fox", "--fake"]
    timed_out = _modelvault(
        [*args, "--timeout", "3", "--db", str(db)], _env(), tmp_path
    )
    assert timed_out.returncode == 1
    errors = [line for line in timed_out.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, timed_out.stderr
    commands = RESUME.findall(errors[0])
    assert len(commands) == 1, errors[0]  # one specific command, no generic one
    command = commands[0]
    assert command.endswith(f"--fake --db {shlex.quote(str(db))}")
    resumed = _modelvault(shlex.split(command)[1:], _env(), tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "status    completed" in resumed.stdout


def test_resume_without_fake_says_to_add_it(tmp_path: Path) -> None:
    env = _env(MODELVAULT_DB=str(tmp_path / "g.sqlite3"))
    started = _modelvault(
        ["run", "seedance-v1-lite", "--set", "prompt=a fox", "--fake", "--no-wait"],
        env,
        tmp_path,
    )
    assert started.returncode == 0, started.stderr
    generation = started.stdout.split()[1]
    plain = _modelvault(["resume"], env, tmp_path)
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    assert f"`modelvault resume {generation} --fake`" in plain.stderr
    assert "set KIE_API_KEY in the environment, or pass --ask-key" in plain.stderr
    assert "api_key=" not in plain.stderr
    fixed = _modelvault(["resume", generation, "--fake"], env, tmp_path)
    assert fixed.returncode == 0, fixed.stderr


def test_a_bad_speedup_is_one_error_line(tmp_path: Path) -> None:
    env = _env(
        MODELVAULT_DB=str(tmp_path / "g.sqlite3"), MODELVAULT_FAKE_SPEEDUP="fast"
    )
    result = _modelvault(
        ["run", "seedance-v1-lite", "--set", "prompt=a fox", "--fake"], env, tmp_path
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: MODELVAULT_FAKE_SPEEDUP='fast' is not")
    assert len(result.stderr.splitlines()) == 1


def _record(status: GenerationStatus, task_id: str | None) -> Generation:
    return Generation(
        id="g-1",
        model_id="m",
        model_record_id="r",
        inputs={},
        cost="1",
        status=status,
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
        provider_task_id=task_id,
    )


def test_interrupted_texts() -> None:
    fake = Invocation(fake=True, db_arg=Path("/tmp/a b.sqlite3"))
    assert (
        resume_command(fake, "g-1")
        == "modelvault resume g-1 --fake --db '/tmp/a b.sqlite3'"
    )
    running = interrupted_text(fake, "g-1", _record(GenerationStatus.PROCESSING, "t"))
    assert running.splitlines() == [
        "interrupted: generation g-1 keeps running at the provider",
        "continue with: modelvault resume g-1 --fake --db '/tmp/a b.sqlite3'",
    ]
    submitting = interrupted_text(
        Invocation(), "g-1", _record(GenerationStatus.PENDING, None)
    )
    assert "may or may not have the task" in submitting
    assert "`modelvault resume g-1` marks it failed" in submitting
    done = interrupted_text(
        Invocation(), "g-1", _record(GenerationStatus.COMPLETED, "t")
    )
    assert "had already ended (completed): modelvault status g-1" in done
    assert "nothing was sent" in interrupted_text(Invocation(), None, None)
    every = interrupted_text(
        Invocation(fake=True),
        "g-1",
        _record(GenerationStatus.PROCESSING, "t"),
        resume_all=True,
    )
    assert every.endswith("continue with: modelvault resume --fake")


def test_every_resume_command_in_an_error_gets_the_flags() -> None:
    how = Invocation(fake=True, db_arg=Path("/tmp/g.sqlite3"))
    lost = RecordNotSavedError(
        "the store refused the task id", generation_id="g-1", task_id="t-9"
    )
    text = error_text(lost, how)
    assert "`modelvault resume g-1 --task-id t-9 --fake --db /tmp/g.sqlite3`" in text
    timed_out = GenerationTimeoutError(
        "no result; continue with `modelvault resume g-1`",
        generation_id="g-1",
        task_id="t-9",
    )
    assert RESUME.findall(error_text(timed_out, how)) == [
        "modelvault resume g-1 --fake --db /tmp/g.sqlite3"
    ]
    assert "`modelvault resume g-1`" in error_text(timed_out, Invocation())
