"""Every git call the lock checks make, in one place, batched.

A change set is read with one `git diff --raw` (modes and blob ids of both sides)
and the blobs with one `git cat-file --batch`, whatever the number of files.
"""

from __future__ import annotations

import subprocess
import threading
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


def resolve_range(
    repo: Path, head: str, base: str
) -> tuple[str | None, str | None, str | None, bool]:
    """(head commit, base commit, their merge base, whether the clone is shallow)
    in one `git rev-parse` (`head...base` names the merge base as ^<id>); a missing
    ref is None (then each is resolved on its own, to tell which)."""
    if not head.startswith("-") and not base.startswith("-"):
        head_rev, base_rev = f"{head}^{{commit}}", f"{base}^{{commit}}"
        result = subprocess.run(
            [
                *("git", "-C", str(repo), "rev-parse", "--is-shallow-repository"),
                *(head_rev, base_rev, f"{head_rev}...{base_rev}"),
            ],
            capture_output=True,
            check=False,
        )
        lines = result.stdout.decode().split()
        if result.returncode == 0 and len(lines) >= 5:
            bases = [line[1:] for line in lines[5:] if line.startswith("^")]
            merge = bases[0] if len(bases) == 1 else None
            if len(bases) > 1:  # criss-cross history: let merge-base choose
                merge = merge_base(repo, lines[1], lines[2])
            return lines[1], lines[2], merge, lines[0] == "true"
    head_id, base_id = resolve(repo, head), resolve(repo, base)
    merge = merge_base(repo, base_id, head_id) if head_id and base_id else None
    return head_id, base_id, merge, is_shallow(repo)


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


def _batch(repo: Path, request: bytes) -> bytes:
    """`git cat-file --batch` output for `request`: stdin is written by a thread
    while the output is read whole (one readall, not communicate()'s 32 KB polls:
    the registry alone is 3.5 MB on a 5,000-model catalog)."""
    proc = subprocess.Popen(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin = proc.stdin

    def feed() -> None:
        try:
            stdin.write(request)
            stdin.close()
        except BrokenPipeError:
            pass  # git died; its status and stderr say why

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    output = proc.stdout.read()
    writer.join()
    error = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        message = error.decode("utf-8", "replace").strip()
        raise GitError(f"git cat-file --batch failed: {message}")
    return output


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
    output = _batch(repo, request)
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
