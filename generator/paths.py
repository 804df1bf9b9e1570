"""Rules on paths anywhere in the repository, not only under models/. Pure.

- `bytecode`: no *.pyc / *.pyo / __pycache__/ and no native extension module is
  committed: Python runs those instead of the reviewed source (an unchecked-hash
  .pyc is used without looking at the .py beside it).
- `shadow-module`: no new top-level module or package outside the allowlist in
  pyproject.toml ([tool.modelvault] top-level-python): in a source checkout the
  repository root comes first on sys.path, so a root `uuid.py`, `email/` or
  `sitecustomize.py` replaces the standard library's.
- `codeowners-location`: CODEOWNERS lives at the root only. GitHub looks in
  .github/, the root and docs/ and uses the first one it finds, so another one
  replaces the generated file and its reviewers rule.
  https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners#codeowners-file-location
- `case-collision`: no path that case-folds onto a protected path (Models/...,
  Registry.py): on a case-insensitive checkout (macOS, Windows) the two are one
  file and either may win. Folding follows those file systems: Unicode case
  folding (NFKC), trailing dots and spaces dropped (Windows), the code points HFS+
  ignores dropped. Paths under models/, generator/, modelvault/ and
  .github/workflows/ must be lowercase ASCII.
- `gitattributes`: the root .gitattributes keeps the lines the project ships, and
  no other line may apply to models/ or registry.py (generator.attributes).
"""

from __future__ import annotations

import re
import shlex
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from generator.attributes import ATTRIBUTES_PATH, attributes_violations
from generator.lockstate import Violation

_ABSENT = "000000"
_BYTECODE_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd")
_IMPORTABLE = re.compile(r"^([^.]+)\.(?:py|pyw|pyc|pyo|pyd|so|[a-z0-9_.-]*\.so)$")
PROTECTED_DIRS = ("models/", "generator/", "modelvault/", ".github/")
LOWERCASE_DIRS = ("models/", "generator/", "modelvault/", ".github/workflows/")
PROTECTED_FILES = (
    "registry.py",
    "CODEOWNERS",
    "pyproject.toml",
    ATTRIBUTES_PATH,
    ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml",
)
# Code points HFS+ ignores in names (git's is_hfs_dotgit list).
_HFS_IGNORED = dict.fromkeys(
    [0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x206A, 0x2070)],
)
_HFS_IGNORED[0xFEFF] = None


@dataclass(frozen=True)
class PathChange:
    path: str
    old_mode: str  # "000000": added
    new_mode: str  # "000000": deleted

    @property
    def added(self) -> bool:
        return self.old_mode == _ABSENT and self.new_mode != _ABSENT

    @property
    def exists(self) -> bool:
        return self.new_mode != _ABSENT


def fold(path: str) -> str:
    """How a case-insensitive file system sees a path."""
    parts = unicodedata.normalize("NFKC", path).translate(_HFS_IGNORED).split("/")
    return "/".join(part.casefold().rstrip(" .") for part in parts)


def _remove(path: str) -> str:
    return f"git rm -r --cached -- {shlex.quote(path)}"


def _bytecode(change: PathChange) -> Violation | None:
    parts = change.path.split("/")
    if "__pycache__" not in parts and not change.path.endswith(_BYTECODE_SUFFIXES):
        return None
    return Violation(
        change.path,
        "bytecode",
        "compiled code is never committed: Python runs a .pyc (or a native module) "
        "instead of the reviewed source beside it. Remove it "
        f"({_remove(change.path)}) and keep __pycache__/ and *.pyc in .gitignore",
    )


def _top_level_name(path: str) -> str | None:
    """The import name a new path would make importable from the repository root."""
    parts = path.split("/")
    if len(parts) == 1:
        found = _IMPORTABLE.match(parts[0])
        return found.group(1) if found else None
    if len(parts) == 2 and _IMPORTABLE.match(parts[1]):
        stem = _IMPORTABLE.match(parts[1])
        return parts[0] if stem and stem.group(1) == "__init__" else None
    return None


def _shadow(
    change: PathChange, allowed_names: Callable[[], Iterable[str]]
) -> Violation | None:
    name = _top_level_name(change.path)
    if name is None:
        return None
    allowed = frozenset(allowed_names())
    if name in allowed:
        return None
    stdlib = (
        f", the standard library's {name!r} included"
        if name in sys.stdlib_module_names
        else ""
    )
    return Violation(
        change.path,
        "shadow-module",
        f"a new top-level module {name!r}: in a source checkout it would shadow "
        f"any module of that name{stdlib}. Top-level Python names are limited to "
        f"[tool.modelvault] top-level-python in pyproject.toml "
        f"({', '.join(sorted(allowed))}); move it into a package (modelvault/, "
        "generator/, tests/), or add the name to that list in a change of its own "
        "first",
    )


def _codeowners(change: PathChange) -> Violation | None:
    name = change.path.rsplit("/", 1)[-1]
    if fold(name) != "codeowners" or change.path == "CODEOWNERS":
        return None
    return Violation(
        change.path,
        "codeowners-location",
        "GitHub reads .github/CODEOWNERS first, then CODEOWNERS, then "
        "docs/CODEOWNERS, and uses the first it finds: this one would replace the "
        "generated /CODEOWNERS and its reviewers rule. Owners come only from "
        f"/CODEOWNERS (python -m generator sync); remove it: {_remove(change.path)}",
    )


def _case_collision(change: PathChange) -> Violation | None:
    path, folded = change.path, fold(change.path)
    target = next(
        (f for f in PROTECTED_FILES if folded == fold(f) and path != f), None
    ) or next(
        (
            d
            for d in PROTECTED_DIRS
            if folded.startswith(fold(d)) and not path.startswith(d)
        ),
        None,
    )
    if target is not None:
        what = f"the protected {target}"
    elif (
        path.startswith(LOWERCASE_DIRS)
        and (not path.isascii() or path != folded)
        and not (path.startswith("models/") and not path.endswith(".py"))
    ):  # (a file under models/ that is no .py is refused as not a model file)
        what = "another name there: paths under " + ", ".join(LOWERCASE_DIRS)
        what += " are lowercase ASCII"
    else:
        return None
    return Violation(
        path,
        "case-collision",
        f"it case-folds onto {what} (macOS and Windows checkouts see one file, "
        f"and either may win); rename it or remove it: {_remove(path)}",
    )


def path_violations(
    changes: list[PathChange],
    *,
    allowed_top_level: Callable[[], Iterable[str]],
    attributes_text: bytes | None,
    base: str,
) -> list[Violation]:
    """Every path rule over a change set. `allowed_top_level`: the allowlist of
    top-level names, asked for only when a new one shows up; `attributes_text`:
    the root .gitattributes at head (None when absent); `base` names the old side
    in suggested commands."""
    out: list[Violation] = []
    for change in changes:
        if not change.exists:
            continue
        for found in (
            _bytecode(change),
            _shadow(change, allowed_top_level) if change.added else None,
            _codeowners(change),
            _case_collision(change),
        ):
            if found is not None:
                out.append(found)
    touched = any(c.path == ATTRIBUTES_PATH for c in changes)
    if touched:
        mode = next(c.new_mode for c in changes if c.path == ATTRIBUTES_PATH)
        out += attributes_violations(attributes_text, mode=mode, base=base)
    return out
