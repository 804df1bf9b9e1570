"""What any file under models/ must be, locked or not: a plain, small model file
with a valid header in its one canonical form, whose bytes mean one text. Pure."""

from __future__ import annotations

from generator.lockstate import (
    EXECUTABLE,
    MAX_MODEL_FILE_BYTES,
    REGULAR,
    SYMLINK,
    Context,
    FileState,
    Violation,
)
from modelvault._modelfile import (
    Header,
    HeaderError,
    read_header,
    render_header,
    source_problem,
)


def parsed(state: FileState | None) -> tuple[Header, bytes] | None:
    """(header, body) of a plain file with a valid header; None otherwise."""
    if state is None or state.mode not in (REGULAR, EXECUTABLE):
        return None
    try:
        return read_header(state.data)
    except HeaderError:
        return None


def _header_problem(state: FileState) -> str:
    try:
        read_header(state.data)
    except HeaderError as exc:
        return str(exc)
    return "unreadable"


def shape_violations(
    path: str, new: FileState, *, locked_at_base: bool, context: Context
) -> list[Violation]:
    """Violations of the new side of a path under models/."""
    if new.mode == SYMLINK:
        return [
            Violation(
                path,
                "symlink",
                "symlinks are refused under models/; commit the model file itself",
            )
        ]
    if new.mode not in (REGULAR, EXECUTABLE):
        return [Violation(path, "not-a-file", f"mode {new.mode} is not a plain file")]
    out: list[Violation] = []
    if new.mode == EXECUTABLE:
        out.append(
            Violation(path, "mode", f"model files are not executable: chmod -x {path}")
        )
    if len(new.data) > MAX_MODEL_FILE_BYTES:
        out.append(
            Violation(
                path,
                "size",
                f"{len(new.data):,} bytes; a model file is at most "
                f"{MAX_MODEL_FILE_BYTES:,}: it is generated, not hand-written",
            )
        )
        return out  # never parsed: a 5 MB file is refused on its size alone
    if not path.endswith(".py"):
        out.append(
            Violation(
                path,
                "not-a-model-file",
                "only model files (.py, made by the generator) belong under models/",
            )
        )
        return out
    found = parsed(new)
    if found is None:
        out.append(
            Violation(
                path,
                "not-a-model-file",
                f"no valid model header ({_header_problem(new)}); model files "
                "are made with python -m generator new",
            )
        )
        return out
    header, body = found
    step = (
        f"restore it: {context.restore(path)}"
        if locked_at_base or header.locked
        else f"let the generator rewrite it: python -m generator regenerate "
        f"{header.model_id}"
    )
    problem = source_problem(new.data)
    if problem is not None and "encoding declaration" in problem:
        out.append(
            Violation(
                path,
                "encoding",
                f"{problem}. A model file is UTF-8 with no encoding declaration in "
                f"its first two lines, as the generator writes it; {step}",
            )
        )
    canonical = render_header(header).encode("utf-8")
    if new.data[: len(new.data) - len(body)] != canonical:
        out.append(
            Violation(
                path,
                "header-canonical",
                f"its header is not in the one form the generator writes "
                f"({_first_difference(new.data, canonical)}): the checks compare "
                f"header bytes, not parsed values; {step}",
            )
        )
    return out


def _first_difference(data: bytes, canonical: bytes) -> str:
    found = data.split(b"\n")
    for number, want in enumerate(canonical.split(b"\n")[:-1], start=1):
        have = found[number - 1] if number <= len(found) else b""
        if have != want:
            shown = have.decode("utf-8", "replace")
            return f"line {number} is {shown!r}, canonically {want.decode()!r}"
    return "the header is longer than its canonical form"
