"""The catalog commands: new, regenerate, lock, unlock, sync, spec, check, form-spec."""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import yaml

from generator.catalog import Catalog, build_catalog
from generator.check import check_catalog
from generator.config import ConfigError, Settings, load_settings
from generator.modelfile import ParsedModelFile
from generator.operations import (
    OperationError,
    Plan,
    plan_new,
    plan_regenerate,
    plan_sync,
    select_models,
)
from generator.outputs import CODEOWNERS_PATH, REGISTRY_PATH
from generator.pr import PrError, PrRequest, pr_options, pr_request, run_pr
from generator.repo import find_root, read_catalog, read_text_or_none, write_files
from generator.schema import spec_data_from_literals
from generator.spec import ModelSpec, SpecError, load_spec_text


class _Context:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.settings: Settings = load_settings(root)
        self.catalog: Catalog = build_catalog(read_catalog(root))
        self.current: dict[str, str | None] = {
            path: read_text_or_none(root / path)
            for path in (REGISTRY_PATH, CODEOWNERS_PATH)
        }


def _load(root: Path | None) -> _Context:
    try:
        return _Context(root.resolve() if root else find_root())
    except (FileNotFoundError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None


def _read_spec(path: Path) -> ModelSpec:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read spec {path}: {exc}") from None
    return load_spec_text(text, str(path))


def _apply(ctx: _Context, plan: Plan, dry_run: bool) -> None:
    if not plan.changed:
        click.echo("nothing to change: the files already match")
        return
    if dry_run:
        # Said first, so no line below reads as done.
        click.echo("dry run (nothing written):")
        for line in plan.summary:
            click.echo(f"  {line}")
        click.echo("dry run: would write " + ", ".join(sorted(plan.writes)))
        return
    for line in plan.summary:
        click.echo(line)
    write_files(ctx.root, plan.writes)
    click.echo("wrote " + ", ".join(sorted(plan.writes)))


_root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root (default: found from the current folder).",
)
_dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Show what would change; write nothing."
)


def _run(
    root: Path | None,
    dry_run: bool,
    make: Callable[[_Context], Plan],
    request: PrRequest | None,
) -> None:
    """Write the plan here, or (--pr) compute it on the remote base and open a PR."""
    if request is None:
        ctx = _load(root)
        _apply(ctx, make(ctx), dry_run)
        return
    try:
        run_pr(
            root,
            replace(request, dry_run=dry_run),
            lambda at: make(_load(at)),
            click.echo,
        )
    except PrError as exc:
        raise click.ClickException(str(exc)) from None


class _Command(click.Command):
    """Refused specs and operations: their message (every problem) and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SpecError, OperationError) as exc:
            click.echo(str(exc), err=True)
            ctx.exit(1)


@click.command(cls=_Command)
@click.option(
    "--spec",
    "spec_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The model spec, YAML or JSON.",
)
@_root_option
@_dry_run_option
@pr_options
def new(
    *,
    spec_path: Path,
    root: Path | None,
    dry_run: bool,
    pr: bool,
    base: str,
    remote: str,
) -> None:
    """Add a model from a spec: writes its file, registry.py and CODEOWNERS."""
    spec = _read_spec(spec_path)

    def make(ctx: _Context) -> Plan:
        return plan_new(ctx.catalog, spec, ctx.settings, ctx.current)

    argv = ["new", "--spec", str(spec_path)]
    _run(root, dry_run, make, pr_request(pr, "add", argv, base, remote))


@click.command(cls=_Command)
@click.argument("model", required=False)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A changed spec for MODEL (default: the file's own spec).",
)
@click.option("--all", "all_models", is_flag=True, help="Every unlocked model.")
@_root_option
@_dry_run_option
@pr_options
def regenerate(
    *,
    model: str | None,
    spec_path: Path | None,
    all_models: bool,
    root: Path | None,
    dry_run: bool,
    pr: bool,
    base: str,
    remote: str,
) -> None:
    """Re-render unlocked model files (after a spec or template change)."""
    if all_models == (model is not None):
        raise click.UsageError("give either MODEL or --all")
    if all_models and spec_path:
        raise click.UsageError("--spec goes with one MODEL, not --all")
    spec = _read_spec(spec_path) if spec_path else None

    def make(ctx: _Context) -> Plan:
        models = (
            [m for m in ctx.catalog.models if not m.header.locked]
            if all_models
            else [_lookup(ctx, model or "")]
        )
        targets = [(target, spec) for target in models]
        return plan_regenerate(ctx.catalog, targets, ctx.settings, ctx.current)

    argv = ["regenerate", *([model] if model else ["--all"])]
    argv += ["--spec", str(spec_path)] if spec_path else []
    _run(root, dry_run, make, pr_request(pr, "regenerate", argv, base, remote))


def _no_model(ctx: _Context, ref: str) -> click.ClickException:
    """An unknown id, with the ids that contain what was typed or look like it."""
    ids = sorted(str(m.config["id"]) for m in ctx.catalog.models)
    words = [w for w in re.split(r"[\s_.-]+", ref.lower()) if w]
    close = difflib.get_close_matches(ref.lower(), ids, n=5, cutoff=0.5)
    close += [  # every word is in the id, or close to a part of it ("fluxx")
        i
        for i in ids
        if words
        and all(
            w in i or difflib.get_close_matches(w, i.split("-"), cutoff=0.8)
            for w in words
        )
    ]
    close = list(dict.fromkeys(close))[:5]
    hint = f"did you mean {', '.join(close)}?" if close else "registry.py has every id"
    return click.ClickException(f"no model {ref!r} in models/; {hint}")


def _lookup(ctx: _Context, ref: str) -> ParsedModelFile:
    try:
        return ctx.catalog.lookup(ref)
    except KeyError:
        raise _no_model(ctx, ref) from None


def _select(
    ctx: _Context,
    refs: tuple[str, ...],
    template: str | None,
    locked: bool,
    once_locked: bool = False,
) -> list[ParsedModelFile]:
    for ref in refs:
        _lookup(ctx, ref)
    return select_models(
        ctx.catalog, refs, template=template, locked=locked, once_locked=once_locked
    )


@click.command(cls=_Command)
@_root_option
@_dry_run_option
def sync(root: Path | None, dry_run: bool) -> None:
    """Rewrite registry.py and CODEOWNERS from the model files."""
    ctx = _load(root)
    _apply(ctx, plan_sync(ctx.catalog, ctx.settings, ctx.current), dry_run)


@click.command(cls=_Command, name="spec")
@click.argument("model")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default="yaml",
    show_default=True,
)
@_root_option
def spec_command(model: str, fmt: str, root: Path | None) -> None:
    """Print MODEL's spec, recovered from its file (the file is the source of truth)."""
    ctx = _load(root)
    target = _lookup(ctx, model)
    data = spec_data_from_literals(target.config, target.schema)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88),
            nl=False,
        )


@click.command(cls=_Command)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@_root_option
def check(fmt: str, root: Path | None) -> None:
    """Check model files, registry.py and CODEOWNERS; exit 1 on any finding."""
    ctx = _load(root)
    findings = check_catalog(ctx.catalog, ctx.current, ctx.settings)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {"path": f.path, "rule": f.rule, "message": f.message}
                    for f in findings
                ],
                indent=2,
            )
        )
    else:
        for finding in findings:
            click.echo(str(finding))
        count = len(ctx.catalog.models)
        if findings:
            click.echo(f"{len(findings)} finding(s) in {count} model file(s)", err=True)
        else:
            click.echo(f"ok: {count} model file(s), registry.py and CODEOWNERS agree")
    sys.exit(1 if findings else 0)


@click.command(cls=_Command, name="form-spec")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the spec (JSON).",
)
def form_spec(out_path: Path) -> None:
    """Build a spec from the add-model workflow form (FORM_* env vars).

    The form's inputs arrive as environment variables, never on a command line;
    the spec is validated (every problem listed, exit 1) before it is written.
    """
    import os  # noqa: PLC0415

    from generator.form import spec_data_from_form, spec_from_form  # noqa: PLC0415

    spec = spec_from_form(os.environ)
    data = spec_data_from_form(os.environ)
    out_path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8"
    )
    click.echo(f"wrote {out_path}: spec for {spec.id} ({spec.path})")
