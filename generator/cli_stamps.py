"""lock and unlock: the commands that stamp a header (who, when, the hash or the
reason), for one model, a template's models or all of them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from generator.cli_catalog import (
    _Command,
    _Context,
    _dry_run_option,
    _root_option,
    _run,
    _select,
)
from generator.operations import Plan, plan_lock, plan_unlock
from generator.pr import PrRequest, pr_options, pr_request
from modelvault._modelfile import validate_handle


def _requested_for(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    if not value:
        return None
    try:
        return validate_handle(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_requested_for_option = click.option(
    "--requested-for",
    "requested_for",
    metavar="@HANDLE",
    callback=_requested_for,
    help="Who asked for it, shown in the PR body; the header stamps --by (in the "
    "workflows: the GitHub user who ran them).",
)


def _selection_argv(
    refs: tuple[str, ...], template: str | None, flag: str
) -> list[str]:
    argv = list(refs)
    if template == "*":
        argv.append(flag)
    elif template is not None:
        argv += ["--template", template]
    return argv


def _selection_scope(refs: tuple[str, ...], template: str | None) -> str | None:
    """The PR branch scope of a multi-model change (None: one model, its id)."""
    if template == "*":
        return "all"
    if template is not None and not refs:
        return f"template-{template}"
    return None if len(refs) <= 1 else "set-" + "-".join(sorted(refs))[:60]


_template_option = click.option(
    "--template",
    metavar="NAME",
    help="Also every model generated from this template (e.g. kie_jobs).",
)


@click.command(cls=_Command)
@click.argument("models", nargs=-1)
@click.option("--by", "handle", required=True, help="Your GitHub handle, e.g. @alice.")
@_template_option
@click.option("--all-unlocked", is_flag=True, help="Every unlocked model.")
@click.option(
    "--relock",
    is_flag=True,
    help="Every unlocked model that was locked before (carries an unlock stamp): "
    "the last step of bringing a template fix to locked files.",
)
@_requested_for_option
@_root_option
@_dry_run_option
@pr_options
def lock(
    *,
    models: tuple[str, ...],
    handle: str,
    template: str | None,
    all_unlocked: bool,
    relock: bool,
    requested_for: str | None,
    root: Path | None,
    dry_run: bool,
    pr: bool,
    base: str,
    remote: str,
) -> None:
    """Lock MODELS: stamp who, when and the body hash into each header.

    With --template or --all-unlocked, every unlocked model of that template (or
    all of them) is locked too, in one change; --relock narrows that to models
    that were locked before their last unlock.
    """
    template = "*" if all_unlocked or (relock and template is None) else template

    def make(ctx: _Context) -> Plan:
        targets = _select(ctx, models, template, locked=False, once_locked=relock)
        return plan_lock(
            ctx.catalog,
            targets,
            handle=handle,
            settings=ctx.settings,
            current=ctx.current,
        )

    flag = "--relock" if relock else "--all-unlocked"
    argv = ["lock", *_selection_argv(models, template, flag)]
    argv += ["--relock"] if relock and template not in (None, "*") else []
    argv += ["--by", handle]
    argv += ["--requested-for", requested_for] if requested_for else []
    request = pr_request(pr, "lock", argv, base, remote, requested_for=requested_for)
    _run(root, dry_run, make, _scoped(request, models, template))


@click.command(cls=_Command)
@click.argument("models", nargs=-1)
@click.option("--by", "handle", required=True, help="Your GitHub handle, e.g. @alice.")
@click.option("--reason", required=True, help="Why it must change (for reviewers).")
@_template_option
@click.option("--all-locked", is_flag=True, help="Every locked model.")
@_requested_for_option
@_root_option
@_dry_run_option
@pr_options
def unlock(
    *,
    models: tuple[str, ...],
    handle: str,
    reason: str,
    template: str | None,
    all_locked: bool,
    requested_for: str | None,
    root: Path | None,
    dry_run: bool,
    pr: bool,
    base: str,
    remote: str,
) -> None:
    """Unlock MODELS (header-only changes that reviewers approve on their own).

    With --template or --all-locked, every locked model of that template (or all
    of them) is unlocked too, in one change: the first step of bringing a
    template fix to locked files (then regenerate --all, then lock again).
    """
    template = "*" if all_locked else template

    def make(ctx: _Context) -> Plan:
        targets = _select(ctx, models, template, locked=True)
        return plan_unlock(
            ctx.catalog,
            targets,
            handle=handle,
            reason=reason,
            settings=ctx.settings,
            current=ctx.current,
        )

    argv = ["unlock", *_selection_argv(models, template, "--all-locked")]
    argv += ["--by", handle, "--reason", reason]
    argv += ["--requested-for", requested_for] if requested_for else []
    request = pr_request(pr, "unlock", argv, base, remote, requested_for=requested_for)
    _run(root, dry_run, make, _scoped(request, models, template))


def _scoped(
    request: PrRequest | None, refs: tuple[str, ...], template: str | None
) -> PrRequest | None:
    scope = _selection_scope(refs, template)
    if request is None or scope is None:
        return request
    return replace(request, scope=scope)
