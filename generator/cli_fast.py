"""`verify` and `hook` without click. They run on every commit and every PR, and
importing click costs about a fifth of their time budget, so `python -m generator`
answers exactly these option sets here and hands anything else (--help, a typo,
another command) to the click commands, which explain it.

    verify --base REF [--head REF] [--format text|github|json] [--root DIR]
    hook [FILES ...] [--root DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

_OPTIONS = {"verify": ("--base", "--head", "--format", "--root"), "hook": ("--root",)}


def _parse(command: str, args: Sequence[str]) -> dict[str, str] | None:
    """The options given, or None when click should handle the command line."""
    allowed = _OPTIONS[command]
    options: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        if not arg.startswith("-"):
            if command != "hook":
                return None
            index += 1  # hook takes file names and ignores them
            continue
        name, equals, value = arg.partition("=")
        if name not in allowed or name in options:
            return None
        if not equals:
            if index + 1 >= len(args):
                return None
            value = args[index + 1]
            index += 1
        options[name] = value
        index += 1
    return options


def run(argv: Sequence[str]) -> int | None:
    """The exit status of verify/hook, or None to let click run the command line."""
    if not argv or argv[0] not in _OPTIONS:
        return None
    command = argv[0]
    options = _parse(command, argv[1:])
    if options is None:
        return None
    fmt = options.get("--format", "text")
    if (command == "verify" and "--base" not in options) or fmt not in (
        "text",
        "github",
        "json",
    ):
        return None
    # Imported only now: `python -m generator --help` never pays for them.
    from generator.git import GitError  # noqa: PLC0415
    from generator.lock_report import report  # noqa: PLC0415
    from generator.verify import VerifyError, verify_range, verify_staged  # noqa: PLC0415

    root = options.get("--root")
    repo = Path(root).resolve() if root else Path.cwd()
    try:
        if command == "verify":
            base, head = options["--base"], options.get("--head", "HEAD")
            violations = verify_range(repo, base, head)
            what = f"{base}...{head}"
        else:
            violations = verify_staged(repo)
            what = "the staged change"
    except (VerifyError, GitError) as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    report(violations, fmt if command == "verify" else "text", what)
    return 1 if violations else 0
