"""Every git call the lock checks make, in one place, batched.

A change set is read with one `git diff --raw` (modes and blob ids of both sides)
and the blobs with one `git cat-file --batch`, whatever the number of files.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO_OID = "0" * 40
INDEX = ":"  # pseudo-revision: the staging area


class GitError(Exception):
    """A git command failed; the message says which and what git said."""


@dataclass(frozen=True)
class RawChange:
    """One path changed between two trees (no rename detection: a rename is a
    delete plus an add, which the rules then pair up by record id)."""

    path: str
    old_mode: str  # "000000" when the path is new
    new_mode: str  # "000000" when the path is deleted
    old_oid: str
    new_oid: str


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=stdin,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {' '.join(args)} failed: {message}")
    return result.stdout


def resolve(repo: Path, ref: str) -> str | None:
    """The commit id of `ref`, or None when it does not exist here."""
    result = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "rev-parse",
            "--verify",
            "--quiet",
            f"{ref}^{{commit}}",
        ],
        capture_output=True,
        check=False,
    )
    return result.stdout.decode().strip() or None


def resolve_pair(
    repo: Path, head: str, base: str
) -> tuple[str | None, str | None, bool]:
    """(head commit id, base commit id, whether the clone is shallow) in one git
    call; a missing ref is None (then each is resolved on its own, to tell which)."""
    if not head.startswith("-") and not base.startswith("-"):
        result = subprocess.run(
            [
                *("git", "-C", str(repo), "rev-parse", "--is-shallow-repository"),
                f"{head}^{{commit}}",
                f"{base}^{{commit}}",
            ],
            capture_output=True,
            check=False,
        )
        lines = result.stdout.decode().split()
        if result.returncode == 0 and len(lines) == 3:
            return lines[1], lines[2], lines[0] == "true"
    return resolve(repo, head), resolve(repo, base), is_shallow(repo)


def is_shallow(repo: Path) -> bool:
    return git(repo, "rev-parse", "--is-shallow-repository").strip() == b"true"


def merge_base(repo: Path, base: str, head: str) -> str | None:
    result = subprocess.run(
        ["git", "-C", str(repo), "merge-base", base, head],
        capture_output=True,
        check=False,
    )
    return result.stdout.decode().strip() or None


def _parse_raw(output: bytes) -> list[RawChange]:
    changes: list[RawChange] = []
    fields = output.split(b"\0")
    i = 0
    while i + 1 < len(fields) and fields[i]:
        meta = fields[i].decode().lstrip(":").split()
        path = fields[i + 1].decode("utf-8", "surrogateescape")
        changes.append(RawChange(path, meta[0], meta[1], meta[2], meta[3]))
        i += 2
    return changes


def diff_trees(repo: Path, old: str, new: str) -> list[RawChange]:
    """Changes from commit/tree `old` to commit/tree `new`."""
    output = git(
        repo,
        "diff-tree",
        "-r",
        "-z",
        "--raw",
        "--no-renames",
        "--full-index",
        old,
        new,
    )
    return _parse_raw(output)


def diff_index(repo: Path, old: str) -> list[RawChange]:
    """Changes from commit/tree `old` to the staging area."""
    output = git(
        repo,
        "diff-index",
        "--cached",
        "-r",
        "-z",
        "--raw",
        "--no-renames",
        "--full-index",
        old,
    )
    return _parse_raw(output)


def head_or_empty_tree(repo: Path) -> str:
    """HEAD's commit id, or the empty tree before the first commit."""
    return resolve(repo, "HEAD") or EMPTY_TREE


def read_objects(repo: Path, names: list[str]) -> dict[str, bytes | None]:
    """Contents of each object name (`<oid>`, `<rev>:<path>`, `:<path>` for the
    index), read through one `git cat-file --batch`; None for missing ones."""
    if not names:
        return {}
    for name in names:
        if "\n" in name:
            raise GitError(f"object name {name!r} contains a newline")
    request = "".join(f"{name}\n" for name in names).encode("utf-8", "surrogateescape")
    output = git(repo, "cat-file", "--batch", stdin=request)
    contents: dict[str, bytes | None] = {}
    position = 0
    for name in names:
        newline = output.index(b"\n", position)
        header = output[position:newline].split()
        position = newline + 1
        if header[-1] == b"missing" or len(header) != 3:
            contents[name] = None
            continue
        size = int(header[2])
        contents[name] = output[position : position + size]
        position += size + 1  # the blob is followed by a newline
    return contents
