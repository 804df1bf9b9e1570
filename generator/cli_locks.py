"""The lock commands, kept free of pydantic and jinja2 so they start fast:
verify (the lock gate) and hook (pre-commit). `python -m generator` answers their
usual command lines without click (generator.cli_fast); these click commands
handle the rest (--help, mistakes) and the CliRunner tests."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from generator.git import GitError
from generator.lock_report import FORMATS, report
from generator.locks import Violation
from generator.verify import VerifyError, verify_range, verify_staged

_root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root (default: the current folder).",
)


def _report(violations: list[Violation], fmt: str, what: str) -> None:
    report(violations, fmt, what)


_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
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
