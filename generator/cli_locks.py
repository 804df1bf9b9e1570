"""The lock commands, kept free of pydantic and jinja2 so they start fast:
verify (CI) and hook (pre-commit)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from generator.git import GitError
from generator.locks import Violation
from generator.verify import VerifyError, verify_range, verify_staged

_root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root (default: the current folder).",
)


def _escape_property(value: str) -> str:
    """A workflow-command property value: a file name must not start a command."""
    for raw, escaped in (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"), (":", "%3A")):
        value = value.replace(raw, escaped)
    return value.replace(",", "%2C")


def _report(violations: list[Violation], fmt: str, what: str) -> None:
    if fmt == "json":
        rows = [
            {"path": v.path, "rule": v.rule, "message": v.message} for v in violations
        ]
        click.echo(json.dumps(rows, indent=2))
    elif fmt == "github":
        for v in violations:
            message = v.message.replace("%", "%25").replace("\r", "%0D")
            message = message.replace("\n", "%0A")
            click.echo(
                f"::error file={_escape_property(v.path)},"
                f"title=modelvault {v.rule}::{message}"
            )
    else:
        for v in violations:
            click.echo(str(v))
    if fmt != "json":
        if violations:
            click.echo(f"{len(violations)} lock violation(s) in {what}", err=True)
        else:
            click.echo(f"ok: {what} respects the locks", err=True)


_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "github", "json"]),
    default="text",
    show_default=True,
    help="github: workflow annotations; json: for tools.",
)


@click.command()
@click.option("--base", required=True, help="The PR's base (branch, tag or commit).")
@click.option("--head", default="HEAD", show_default=True, help="The PR's head.")
@_format_option
@_root_option
def verify(base: str, head: str, fmt: str, root: Path | None) -> None:
    """Check a PR range against the lock rules (CI: cannot be skipped)."""
    repo = root.resolve() if root else Path.cwd()
    try:
        violations = verify_range(repo, base, head)
    except (VerifyError, GitError) as exc:
        raise click.ClickException(str(exc)) from None
    _report(violations, fmt, f"{base}...{head}")
    sys.exit(1 if violations else 0)


@click.command()
@click.argument("files", nargs=-1)
@_root_option
def hook(files: tuple[str, ...], root: Path | None) -> None:
    """pre-commit hook: check the whole staged change against HEAD.

    FILES are accepted and ignored: pre-commit never passes deleted files, and a
    batch of names is not the whole change, so every call checks all of it.
    """
    repo = root.resolve() if root else Path.cwd()
    try:
        violations = verify_staged(repo)
    except (VerifyError, GitError) as exc:
        raise click.ClickException(str(exc)) from None
    _report(violations, "text", "the staged change")
    sys.exit(1 if violations else 0)
