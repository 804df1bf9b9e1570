"""The root .gitattributes: model files and registry.py stay byte-exact. Pure.

Their bytes are hashed (body-sha256) and compared (registry.py), so a checkout must
hold exactly the committed bytes on every platform. Without attributes, Git on
Windows (core.autocrlf=true) writes CRLF line endings and every locked model fails
its hash at runtime. The shipped lines unset what can rewrite a file between the
repository and the work tree: `text` (line-ending conversion; unset, core.autocrlf
does not apply), `eol`, `ident` ($Id$ expansion), `filter` (clean/smudge drivers)
and `working-tree-encoding` (https://git-scm.com/docs/gitattributes).

No other line may apply to models/ or registry.py, since a later line would win.
Whether a line can apply is decided from its pattern alone, conservatively (the
pattern rules are gitignore's: https://git-scm.com/docs/gitignore#_pattern_format):
a line is harmless when its pattern is anchored under another top-level folder,
or when every path it matches ends in something no `.py` name ends in. Attribute
files elsewhere only reach their own folder: one under models/ is refused as not
a model file, one under a case variant of models/ as a case collision.
"""

from __future__ import annotations

import re
import unicodedata

from generator.lockstate import Violation

ATTRIBUTES_PATH = ".gitattributes"
_UNSET = "-text -eol -ident -filter -working-tree-encoding"
SHIPPED_LINES = (f"/models/** {_UNSET}", f"/registry.py {_UNSET}")
SHIPPED = (
    "# Model files and registry.py are hashed and compared byte for byte: no\n"
    "# line-ending conversion (core.autocrlf), encoding, filter or $Id$ expansion\n"
    "# between the repository and a checkout, on any platform. `python -m generator\n"
    "# verify` refuses any other line that applies to them.\n"
    + "".join(f"{line}\n" for line in SHIPPED_LINES)
)
_GLOB = re.compile(r"[*?\[\]\\]")
_PROTECTED_TOP = ("models", "registry.py")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _pattern(line: str) -> str:
    if line.startswith('"'):
        end = line.find('"', 1)
        return line[1:end] if end > 0 else line[1:]
    return line.split(None, 1)[0]


def may_affect_protected(pattern: str) -> bool:
    """Whether a pattern can match a path under models/ or registry.py (folded:
    core.ignorecase is on for macOS and Windows checkouts)."""
    if pattern.endswith("/"):
        return False  # matches directories only; attributes do not recurse
    stripped = pattern.removeprefix("/")
    if "/" in stripped:  # anchored at the root: look at its first folder
        first = stripped.split("/", 1)[0]
        if not _GLOB.search(first) and _fold(first) not in _PROTECTED_TOP:
            return False
    tail = _fold(_GLOB.split(pattern)[-1])
    return tail == "" or tail.endswith(".py") or ".py".endswith(tail)


def attributes_violations(
    data: bytes | None, *, mode: str, base: str
) -> list[Violation]:
    """Violations of the root .gitattributes at head (None: deleted)."""
    restore = f"restore it: git checkout {base} -- {ATTRIBUTES_PATH}"
    if data is None or mode == "000000":
        return [
            Violation(
                ATTRIBUTES_PATH,
                "gitattributes",
                "deleted: it keeps model files and registry.py byte-exact on every "
                f"platform (a Windows checkout would break every locked model); "
                f"{restore}",
            )
        ]
    if mode != "100644":
        return [Violation(ATTRIBUTES_PATH, "gitattributes", f"mode {mode}; {restore}")]
    text = data.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines()]
    out: list[Violation] = []
    missing = [line for line in SHIPPED_LINES if line not in lines]
    if missing:
        out.append(
            Violation(
                ATTRIBUTES_PATH,
                "gitattributes",
                f"lacks {' and '.join(repr(m) for m in missing)}, which keep model "
                f"files and registry.py byte-exact on every platform; {restore}",
            )
        )
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#") or line in SHIPPED_LINES:
            continue
        if line.startswith("[attr]"):
            reason = "defines a macro, which can change what other lines mean"
        elif may_affect_protected(_pattern(line)):
            reason = "can apply to models/ or registry.py"
        else:
            continue
        out.append(
            Violation(
                ATTRIBUTES_PATH,
                "gitattributes",
                f"line {number} {line!r} {reason}; their bytes are hashed and must "
                "stay exactly as committed, so only the shipped lines "
                f"({' / '.join(SHIPPED_LINES)}) may: remove the line, or anchor "
                "its pattern under another folder (/docs/** ...)",
            )
        )
    return out
