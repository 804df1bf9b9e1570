"""The pure lock rules (generator.locks) on real catalog files, without git."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from generator.locks import (
    EXECUTABLE,
    REGULAR,
    SYMLINK,
    FileChange,
    FileState,
    check_changes,
)
from modelvault._modelfile import body_sha256, read_header, render_header

REPO = Path(__file__).resolve().parents[1]
LOCKED = "models/prompt_to_video/google_veo_3_1_fast.py"
UNLOCKED = "models/prompt_to_image/flux_1_schnell_fal.py"


def state(path: str) -> FileState:
    return FileState(REGULAR, (REPO / path).read_bytes())


def rules(*changes: FileChange) -> list[str]:
    return sorted(v.rule for v in check_changes(list(changes)))


def with_body(data: bytes, body: bytes, *, rehash: bool = False) -> bytes:
    header, _ = read_header(data)
    if rehash:
        header = replace(header, body_sha256=body_sha256(body))
    return render_header(header).encode() + body


def unlocked(
    data: bytes,
    *,
    unlocked_by: str | None = "@bob",
    unlock_reason: str | None = "new parameter",
) -> bytes:
    header, body = read_header(data)
    flipped = replace(
        header,
        locked=False,
        unlocked_by=unlocked_by,
        unlocked_at="2030-01-01T00:00:00Z",
        unlock_reason=unlock_reason,
    )
    return render_header(flipped).encode() + body


def test_the_catalog_has_the_expected_lock_states() -> None:
    assert read_header(state(LOCKED).data)[0].locked
    assert not read_header(state(UNLOCKED).data)[0].locked


def test_unchanged_and_header_only_unlock_are_allowed() -> None:
    old = state(LOCKED)
    assert rules(FileChange(LOCKED, old, old)) == []
    new = FileState(REGULAR, unlocked(old.data))
    assert rules(FileChange(LOCKED, old, new)) == []


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: b + b"\n",
        lambda b: b.replace(b"\n", b"\r\n"),
        lambda b: b.replace(b"HTTP_TIMEOUT_S = 30.0", b"HTTP_TIMEOUT_S = 31.0"),
    ],
    ids=["trailing-newline", "crlf", "constant"],
)
def test_any_body_byte_of_a_locked_file_is_refused(edit: object) -> None:
    old = state(LOCKED)
    _, body = read_header(old.data)
    new_body = edit(body)  # type: ignore[operator]
    for rehash in (False, True):  # a forged matching hash changes nothing
        new = FileState(REGULAR, with_body(old.data, new_body, rehash=rehash))
        assert "locked-body" in rules(FileChange(LOCKED, old, new))


def test_unlock_with_body_edit_says_land_the_unlock_first() -> None:
    old = state(LOCKED)
    header, body = read_header(unlocked(old.data))
    new = FileState(REGULAR, render_header(header).encode() + body + b"# more\n")
    [violation] = check_changes([FileChange(LOCKED, old, new)])
    assert violation.rule == "locked-body"
    assert "land the header-only unlock first" in violation.message


def test_unlock_without_who_and_why_is_refused() -> None:
    old = state(LOCKED)
    new = FileState(REGULAR, unlocked(old.data, unlocked_by=None, unlock_reason=None))
    assert rules(FileChange(LOCKED, old, new)) == ["unlock-fields"]


def test_unlock_that_also_changes_other_header_fields_is_refused() -> None:
    old = state(LOCKED)
    header, body = read_header(unlocked(old.data))
    forged = replace(header, generated_by="generator 9.9.9, template kie_veo v9")
    new = FileState(REGULAR, render_header(forged).encode() + body)
    assert rules(FileChange(LOCKED, old, new)) == ["unlock-fields"]


def test_mode_symlink_and_delete_of_a_locked_file() -> None:
    old = state(LOCKED)
    assert "locked-mode" in rules(
        FileChange(LOCKED, old, FileState(EXECUTABLE, old.data))
    )
    assert "symlink" in rules(FileChange(LOCKED, old, FileState(SYMLINK, b"../x.py")))
    assert rules(FileChange(LOCKED, old, None)) == ["locked-delete"]


def test_a_move_is_reported_as_a_rename() -> None:
    old = state(LOCKED)
    target = "models/image_to_video/google_veo_3_1_fast.py"
    found = check_changes(
        [FileChange(LOCKED, old, None), FileChange(target, None, old)]
    )
    assert [v.rule for v in found] == ["locked-rename"]
    assert target in found[0].message


def test_locking_needs_a_matching_hash() -> None:
    old = state(UNLOCKED)
    header, body = read_header(old.data)
    stamped = header.locked_by_handle("@alice", "2030-01-01T00:00:00Z", "0" * 64)
    new = FileState(REGULAR, render_header(stamped).encode() + body)
    assert rules(FileChange(UNLOCKED, old, new)) == ["lock-hash"]
    good = header.locked_by_handle("@alice", "2030-01-01T00:00:00Z", body_sha256(body))
    ok = FileState(REGULAR, render_header(good).encode() + body)
    assert rules(FileChange(UNLOCKED, old, ok)) == []


def test_unlocked_files_may_change_and_new_files_must_be_model_files() -> None:
    old = state(UNLOCKED)
    edited = FileState(REGULAR, old.data + b"# tweak\n")
    assert rules(FileChange(UNLOCKED, old, edited)) == []
    stray = "models/prompt_to_image/notes.txt"
    assert rules(FileChange(stray, None, FileState(REGULAR, b"hi"))) == [
        "not-a-model-file"
    ]
    fake = "models/prompt_to_image/evil.py"
    assert rules(FileChange(fake, None, FileState(REGULAR, b"import os\n"))) == [
        "not-a-model-file"
    ]
    binary = FileState(REGULAR, b"# modelvault model file v1\n# id: \xff\xfe\n")
    assert rules(FileChange(fake, None, binary)) == ["not-a-model-file"]


def test_oversized_file_is_refused_without_parsing_trouble() -> None:
    big = FileState(REGULAR, state(UNLOCKED).data + b"#" * 5_000_000)
    path = "models/prompt_to_image/huge.py"
    assert "size" in rules(FileChange(path, None, big))


def test_malformed_header_on_a_locked_file() -> None:
    old = state(LOCKED)
    _, body = read_header(old.data)
    new = FileState(REGULAR, b"# not a header\n" + body)
    found = rules(FileChange(LOCKED, old, new))
    assert "locked-header" in found and "not-a-model-file" in found
