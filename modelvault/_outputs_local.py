"""LocalOutputStore: output copies as files under a folder.

A put writes a hidden temporary file beside the target, fsyncs it, then
renames it over the target (os.replace is atomic within one file system) and
fsyncs the folder: a reader sees the old file or the whole new one, never a
part, and a failed or interrupted put leaves no file at the key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from modelvault._outputs_model import check_key

TEMP_SUFFIX = ".part"


class LocalOutputStore:
    """Copies under `root` (created on the first put), at `root/<key>`."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().absolute()

    def describe(self) -> str:
        return f"folder {self.root}"

    def __repr__(self) -> str:
        return f"LocalOutputStore({str(self.root)!r})"

    def path_for(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, chunks: Iterable[bytes], content_type: str | None) -> str:
        target = self.path_for(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
        # O_EXCL: never write through a file (or link) someone else put there.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as file:
                for chunk in chunks:
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        _fsync_folder(target.parent)
        return str(target)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be
    opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
