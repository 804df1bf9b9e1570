"""The lock rules, pure: given each changed file's old and new state, the violations.

Rules (DESIGN.md, Locks):
1. a file locked at base keeps its path, mode and body; its header may only flip
   to unlocked, stamped with who, when and why (an unlock change of its own);
2. a file locked at head matches its own body-sha256;
3. locking stamps who, when and the hash, and is a header-only change on a body
   that has already landed (a new file, or an edit, cannot arrive locked);
4. deleting or renaming a locked file is refused;
and every file under models/ is a plain (100644) model file with a valid header in
its canonical form, whose bytes mean one text (generator.lock_shape). The derived
files (rule 5) are checked in generator.derived; paths outside models/ in
generator.paths.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace

from generator.lock_shape import parsed, shape_violations
from generator.lockstate import (
    EXECUTABLE,
    MAX_MODEL_FILE_BYTES,
    MODELS_PREFIX,
    REGULAR,
    SYMLINK,
    Context,
    FileChange,
    FileState,
    Violation,
)
from modelvault._modelfile import Header, body_sha256

__all__ = [
    "EXECUTABLE",
    "MAX_MODEL_FILE_BYTES",
    "MODELS_PREFIX",
    "REGULAR",
    "SYMLINK",
    "Context",
    "FileChange",
    "FileState",
    "Violation",
    "check_change",
    "check_changes",
]


@dataclass(frozen=True)
class _Parsed:
    header: Header
    body: bytes


def _parse(state: FileState | None) -> _Parsed | None:
    found = parsed(state)
    return None if found is None else _Parsed(*found)


def _unlock_command(header: Header) -> str:
    return f"python -m generator unlock {header.model_id} --by @you --reason '...'"


def _lock_command(header: Header) -> str:
    return f"python -m generator lock {header.model_id} --by @you"


def _locked_label(path: str, header: Header) -> str:
    return f"{path} is locked (by {header.locked_by}, {header.locked_at})"


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
            step = (
                f"Undo the edit (git restore --staged --worktree {path}) or set "
                f"it aside (git stash), land the header-only unlock in its own "
                f"PR ({_unlock_command(head)}), then re-apply it (git stash pop)"
            )
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
                "locked, but its body does not match body-sha256: set "
                f"'# locked: false' back (or git restore --staged --worktree "
                f"{path}) and lock it with {_lock_command(new.header)}, which "
                "stamps the hash",
            )
        ]
    return []


def _lock_violations(
    path: str, old: _Parsed | None, new: _Parsed, context: Context
) -> list[Violation]:
    """A file unlocked (or absent) at base and locked at head: a lock is reviewed
    like an unlock, on a body that has already landed, and changes nothing else."""
    lock = _lock_command(new.header)
    if old is None:
        if context.bootstrap:
            return []  # a repository's first commit: nothing was reviewed before
        return [
            Violation(
                path,
                "lock-new",
                "a new model file arrives locked, so its lock was never reviewed "
                "on a body that had landed: add it unlocked (git rm --cached -- "
                f"{shlex.quote(path)}, then python -m generator new --spec SPEC, "
                "which writes locked: false), merge that, then lock it in a "
                f"change of its own: {lock}",
            )
        ]
    if new.body != old.body:
        return [
            Violation(
                path,
                "lock-with-edit",
                "locked in the same change that edits its body; a lock is a "
                "header-only change on a body that has already landed: land the "
                f"edit unlocked first ({context.restore(path)}, then redo the "
                f"edit or regenerate), then lock it in a change of its own: {lock}",
            )
        ]
    kept = replace(
        new.header,
        locked=False,
        locked_by=old.header.locked_by,
        locked_at=old.header.locked_at,
        body_sha256=old.header.body_sha256,
    )
    if kept != old.header:
        return [
            Violation(
                path,
                "lock-fields",
                "a lock changes only locked, locked-by, locked-at and body-sha256; "
                f"restore the other header fields, or let the generator stamp it: "
                f"{lock}",
            )
        ]
    unlocked_at = old.header.unlocked_at
    if unlocked_at is not None and (new.header.locked_at or "") < unlocked_at:
        return [
            Violation(
                path,
                "lock-fields",
                f"locked-at {new.header.locked_at} is before its unlock "
                f"({unlocked_at}); stamp a fresh lock: {lock}",
            )
        ]
    return []


def check_change(change: FileChange, context: Context | None = None) -> list[Violation]:
    """Violations of one path under models/ (renames are paired in check_changes)."""
    context = context or Context()
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
    out = shape_violations(
        change.path, change.new, locked_at_base=locked_at_base, context=context
    )
    if locked_at_base and old is not None:
        out += _locked_base_violations(change, old, new)
    if new is not None and new.header.locked:
        body_edit_reported = locked_at_base and old is not None and new.body != old.body
        if not body_edit_reported:  # locked-body already says what to do
            out += _locked_head_violations(change.path, new)
        if not locked_at_base:
            out += _lock_violations(change.path, old, new, context)
    return out


def check_changes(
    changes: list[FileChange], context: Context | None = None
) -> list[Violation]:
    """All violations among changes under models/; a deleted locked file whose
    record id reappears elsewhere is reported as the rename or move it is."""
    context = context or Context()
    added: dict[str, str] = {}
    for change in changes:
        new = _parse(change.new)
        if change.old is None and new is not None:
            added[new.header.record_id] = change.path
    moved_locked = {
        added[old.header.record_id]
        for change in changes
        if change.new is None
        and (old := _parse(change.old)) is not None
        and old.header.locked
        and old.header.record_id in added
    }
    out: list[Violation] = []
    for change in changes:
        found = check_change(change, context)
        if change.path in moved_locked:  # reported once, as the rename at its source
            found = [v for v in found if v.rule != "lock-new"]
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
