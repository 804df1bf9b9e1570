"""What the lock rules look at and what they report: pure data, no rules."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

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
class Context:
    """Where a change is checked. `base` names the old side in the commands a
    message suggests (`git checkout <base> -- <path>`): HEAD for the pre-commit
    hook, the --base of `verify`. `bootstrap`: the old side is empty (a
    repository's first commit), so there is no reviewed state to hold files to."""

    base: str = "HEAD"
    bootstrap: bool = False

    def restore(self, path: str) -> str:
        return f"git checkout {shlex.quote(self.base)} -- {shlex.quote(path)}"
