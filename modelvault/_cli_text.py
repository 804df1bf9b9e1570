"""What the `modelvault` command says when something stops it. Pure.

Errors get a CLI wording where the runtime's own is written for Python callers
(`api_key=...`), and every "continue with" names the exact command to run: with
`--fake` when the run used the fakes, and `--db` when the database was given
on the command line.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from modelvault.errors import (
    GenerationNotFoundError,
    InvalidApiKeyError,
    InvalidInputsError,
    MissingApiKeyError,
)
from modelvault.store import Generation


@dataclass(frozen=True)
class Invocation:
    """How this command was run, as far as a follow-up command must repeat it."""

    fake: bool = False
    db_arg: Path | None = None  # --db given on the command line
    db_path: Path | None = None  # the database in use, wherever it came from


def _flags(how: Invocation) -> list[str]:
    """What a follow-up command must repeat of this one."""
    words = ["--fake"] if how.fake else []
    if how.db_arg is not None:
        words += ["--db", shlex.quote(str(how.db_arg))]
    return words


def resume_command(how: Invocation, generation_id: str | None = None) -> str:
    words = ["modelvault", "resume", *([generation_id] if generation_id else [])]
    return " ".join([*words, *_flags(how)])


_RESUME = re.compile(r"`modelvault resume((?: [^`\s]+)*)`")
_GENERIC_TAIL = "; continue with `modelvault resume`"


def _with_flags(message: str, how: Invocation) -> str:
    """Each `modelvault resume ...` in a runtime message, with this command's
    --fake and --db; a generic "continue with" next to a specific one dropped."""
    if _GENERIC_TAIL in message and _RESUME.search(message.replace(_GENERIC_TAIL, "")):
        message = message.replace(_GENERIC_TAIL, "")

    def completed(match: re.Match[str]) -> str:
        words = match.group(1).split()
        words += [flag for flag in _flags(how) if flag not in words]
        return "`" + " ".join(["modelvault", "resume", *words]) + "`"

    return _RESUME.sub(completed, message)


def invalid_inputs_text(exc: InvalidInputsError) -> str:
    lines = [f"invalid inputs for {exc.model_id}:"]
    lines += [f"  {name}: {problem}" for name, problem in exc.errors.items()]
    lines.append(f"  (`modelvault show {exc.model_id}` lists every input)")
    return "\n".join(lines)


def missing_key_text(exc: MissingApiKeyError, generation_id: str | None) -> str:
    text = (
        f"{exc.model_id} needs an API key: set {exc.env_name} in the environment, "
        "or pass --ask-key to type it at a hidden prompt"
    )
    if generation_id is None:
        return f"{text}; to try it without a key: modelvault run {exc.model_id} --fake"
    return (
        f"{text}; if it was started with --fake, continue it with "
        f"`modelvault resume {generation_id} --fake`"
    )


def error_text(
    exc: BaseException, how: Invocation, generation_id: str | None = None
) -> str:
    """The text after `error: ` for an exception the CLI reports."""
    if isinstance(exc, InvalidInputsError):
        return invalid_inputs_text(exc)
    if isinstance(exc, MissingApiKeyError) and not isinstance(exc, InvalidApiKeyError):
        return missing_key_text(exc, generation_id)
    if isinstance(exc, GenerationNotFoundError):
        where = str(how.db_path) if how.db_path is not None else "this database"
        return (
            f"no generation {exc.generation_id!r} in {where}: check the id, or point "
            "--db (or MODELVAULT_DB) at the database it was recorded in; "
            "`modelvault status` lists the unfinished ones"
        )
    return _with_flags(str(exc), how)


def interrupted_text(
    how: Invocation,
    generation_id: str | None,
    record: Generation | None,
    *,
    resume_all: bool = False,
) -> str:
    """What Ctrl-C during a run (or a resume) leaves behind, and the command that
    continues it (`resume_all`: the one that continues every generation)."""
    if generation_id is None:
        if resume_all:
            return f"interrupted; continue with: {resume_command(how)}"
        return "interrupted before a generation was recorded: nothing was sent"
    command = resume_command(how, None if resume_all else generation_id)
    if record is not None and record.finished:
        return (
            f"interrupted; generation {generation_id} had already ended "
            f"({record.status.value}): modelvault status {generation_id}"
        )
    if record is not None and record.provider_task_id is None:
        return (
            f"interrupted while submitting generation {generation_id}: the provider "
            "may or may not have the task. Nothing is submitted twice: "
            f"`{command}` marks it failed unless another process is still sending "
            "it; check the provider's dashboard before running again"
        )
    return (
        f"interrupted: generation {generation_id} keeps running at the provider"
        f"\ncontinue with: {command}"
    )


def close_ids(ref: str, ids: Iterable[str], limit: int = 5) -> list[str]:
    """Ids that contain what was typed (every word of it), then look like it."""
    known = sorted(ids)
    words = [w for w in re.split(r"[\s_.-]+", ref.lower()) if w]
    similar = difflib.get_close_matches(ref.lower(), known, n=limit, cutoff=0.5)
    containing = [  # every word is in the id, or close to a part of it ("fluxx")
        i
        for i in known
        if words
        and all(
            w in i or difflib.get_close_matches(w, i.split("-"), cutoff=0.8)
            for w in words
        )
    ]
    out: list[str] = []
    for candidate in [*similar, *containing]:
        if candidate not in out and candidate != ref:
            out.append(candidate)
    return out[:limit]
