"""The lock rules, pure: given each changed file's old and new state, the violations.

Rules (DESIGN.md, Locks):
1. a file locked at base keeps its path, mode and body; its header may only flip
   to unlocked, stamped with who, when and why (an unlock change of its own);
2. a file locked at head matches its own body-sha256;
3. locking stamps who, when and the hash;
4. deleting or renaming a locked file is refused;
and every file under models/ is a plain (100644) model file with a valid header.
The derived files (rule 5) are checked in generator.derived.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelvault._modelfile import Header, HeaderError, body_sha256, read_header

REGULAR = "100644"
EXECUTABLE = "100755"
SYMLINK = "120000"
MAX_MODEL_FILE_BYTES = 1_000_000
MODELS_PREFIX = "models/"


@dataclass(frozen=True)
class FileState:
    mode: str
    data: bytes


@dataclass(frozen=True)
class FileChange:
    path: str
    old: FileState | None  # None: added
    new: FileState | None  # None: deleted


@dataclass(frozen=True)
class Violation:
    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class _Parsed:
    header: Header
    body: bytes


def _parse(state: FileState | None) -> _Parsed | None:
    if state is None or state.mode not in (REGULAR, EXECUTABLE):
        return None
    try:
        header, body = read_header(state.data)
    except HeaderError:
        return None
    return _Parsed(header, body)


def _unlock_command(header: Header) -> str:
    return f"python -m generator unlock {header.model_id} --by @you --reason '...'"


def _locked_label(path: str, header: Header) -> str:
    return f"{path} is locked (by {header.locked_by}, {header.locked_at})"


def _header_problem(state: FileState) -> str:
    try:
        read_header(state.data)
    except HeaderError as exc:
        return str(exc)
    return "unreadable"


def _shape_violations(path: str, new: FileState) -> list[Violation]:
    """What any file under models/ must be, locked or not."""
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
    if not path.endswith(".py"):
        out.append(
            Violation(
                path,
                "not-a-model-file",
                "only model files (.py, made by the generator) belong under models/",
            )
        )
    elif _parse(new) is None:
        out.append(
            Violation(
                path,
                "not-a-model-file",
                f"no valid model header ({_header_problem(new)}); model files "
                "are made with python -m generator new",
            )
        )
    return out


def _locked_base_violations(
    change: FileChange, old: _Parsed, new: _Parsed | None
) -> list[Violation]:
    path, head = change.path, old.header
    label = _locked_label(path, head)
    assert change.old is not None and change.new is not None
    out: list[Violation] = []
    if change.new.mode != change.old.mode:
        out.append(
            Violation(
                path,
                "locked-mode",
                f"{label}: its mode changed ({change.old.mode} -> "
                f"{change.new.mode}); restore it",
            )
        )
    if new is None:
        out.append(
            Violation(
                path,
                "locked-header",
                f"{label}: its header is missing or malformed; restore it "
                "with git checkout",
            )
        )
        return out
    if new.body != old.body:
        if new.header.locked:
            step = f"Open an unlock PR first: {_unlock_command(head)}"
        else:
            step = (
                "An unlock is a change of its own: land the header-only unlock "
                "first, then edit in a second PR"
            )
        out.append(Violation(path, "locked-body", f"{label}: its body changed. {step}"))
    if new.header == old.header:
        return out
    if new.header.locked:
        if new.body != old.body:
            return out  # the header only followed the body; reported above
        out.append(
            Violation(
                path,
                "locked-header",
                f"{label}: its header changed while it stays locked; a locked "
                f"header only changes by unlocking: {_unlock_command(head)}",
            )
        )
        return out
    return out + _unlock_violations(path, old.header, new.header)


def _unlock_violations(path: str, old: Header, new: Header) -> list[Violation]:
    if new.unlocked_by is None or new.unlocked_at is None or not new.unlock_reason:
        return [
            Violation(
                path,
                "unlock-fields",
                "unlocked without saying who and why; use "
                f"{_unlock_command(old)} (it stamps unlocked-by, unlocked-at "
                "and unlock-reason)",
            )
        ]
    kept = Header(
        model_id=new.model_id,
        record_id=new.record_id,
        locked=True,
        body_sha256=new.body_sha256,
        generated_by=new.generated_by,
        locked_by=new.locked_by,
        locked_at=new.locked_at,
        unlocked_by=old.unlocked_by,
        unlocked_at=old.unlocked_at,
        unlock_reason=old.unlock_reason,
    )
    if kept != old:
        return [
            Violation(
                path,
                "unlock-fields",
                "an unlock changes only locked, unlocked-by, unlocked-at and "
                "unlock-reason; restore the other header fields",
            )
        ]
    if old.locked_at is not None and new.unlocked_at < old.locked_at:
        return [
            Violation(
                path,
                "unlock-fields",
                f"unlocked-at {new.unlocked_at} is before locked-at "
                f"{old.locked_at} (an old unlock's stamps); stamp a fresh unlock "
                f"with {_unlock_command(old)}",
            )
        ]
    return []


def _locked_head_violations(path: str, new: _Parsed) -> list[Violation]:
    if body_sha256(new.body) != new.header.body_sha256:
        return [
            Violation(
                path,
                "lock-hash",
                "locked, but its body does not match body-sha256; lock with "
                f"python -m generator lock {new.header.model_id} --by @you "
                "(it stamps the hash)",
            )
        ]
    return []


def check_change(change: FileChange) -> list[Violation]:
    """Violations of one path under models/ (renames are paired in check_changes)."""
    old, new = _parse(change.old), _parse(change.new)
    locked_at_base = old is not None and old.header.locked
    if change.new is None:
        if locked_at_base and old is not None:
            return [
                Violation(
                    change.path,
                    "locked-delete",
                    f"{_locked_label(change.path, old.header)}: deleting a "
                    f"locked model is refused; unlock it first: "
                    f"{_unlock_command(old.header)}",
                )
            ]
        return []
    out = _shape_violations(change.path, change.new)
    if locked_at_base and old is not None:
        out += _locked_base_violations(change, old, new)
    if new is not None and new.header.locked:
        out += _locked_head_violations(change.path, new)
    return out


def check_changes(changes: list[FileChange]) -> list[Violation]:
    """All violations among changes under models/; a deleted locked file whose
    record id reappears elsewhere is reported as the rename or move it is."""
    added: dict[str, str] = {}
    for change in changes:
        new = _parse(change.new)
        if change.old is None and new is not None:
            added[new.header.record_id] = change.path
    out: list[Violation] = []
    for change in changes:
        found = check_change(change)
        old = _parse(change.old)
        if change.new is None and old is not None and old.header.record_id in added:
            target = added[old.header.record_id]
            found = [
                Violation(
                    change.path,
                    "locked-rename",
                    f"{_locked_label(change.path, old.header)}: renaming or "
                    f"moving it (to {target}) is refused; unlock it first: "
                    f"{_unlock_command(old.header)}",
                )
                if v.rule == "locked-delete"
                else v
                for v in found
            ]
        out += found
    return out
