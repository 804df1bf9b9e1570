"""How lock violations are written: text, GitHub workflow annotations or JSON.
Shared by the click commands (generator.cli_locks) and their fast path
(generator.cli_fast). Writes bytes, so a file name that is not UTF-8 cannot stop
the report."""

from __future__ import annotations

import json
import sys
from typing import BinaryIO

from generator.lockstate import Violation

FORMATS = ("text", "github", "json")


def _escape_property(value: str) -> str:
    """A workflow-command property value: a file name must not start a command."""
    for raw, escaped in (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"), (":", "%3A")):
        value = value.replace(raw, escaped)
    return value.replace(",", "%2C")


def _lines(violations: list[Violation], fmt: str) -> list[str]:
    if fmt == "json":
        rows = [
            {"path": v.path, "rule": v.rule, "message": v.message} for v in violations
        ]
        return [json.dumps(rows, indent=2)]
    if fmt == "github":
        out = []
        for v in violations:
            message = v.message.replace("%", "%25").replace("\r", "%0D")
            message = message.replace("\n", "%0A")
            out.append(
                f"::error file={_escape_property(v.path)},"
                f"title=modelvault {v.rule}::{message}"
            )
        return out
    return [str(v) for v in violations]


def _write(stream: BinaryIO, line: str) -> None:
    stream.write(line.encode("utf-8", "replace") + b"\n")
    stream.flush()


def report(
    violations: list[Violation],
    fmt: str,
    what: str,
    out: BinaryIO | None = None,
    err: BinaryIO | None = None,
) -> None:
    """Every violation on stdout; the summary on stderr (not for json)."""
    out = out or sys.stdout.buffer
    err = err or sys.stderr.buffer
    for line in _lines(violations, fmt):
        _write(out, line)
    if fmt != "json":
        if violations:
            _write(err, f"{len(violations)} lock violation(s) in {what}")
        else:
            _write(err, f"ok: {what} respects the locks")
