"""The `modelvault` command: a thin layer over the public API.

Exit codes: 0 ok, 1 a user, store or provider error (an `error:` report that
says what to do), 2 a usage error, 130 interrupted (Ctrl-C). `run` and `resume`
live in modelvault._cli_run.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

import click

import modelvault
from modelvault._catalog import CATALOG_ENV, default_root
from modelvault._cli_common import (
    FAKE_ENV,
    Group,
    db_option,
    db_path,
    fail,
    read_inputs,
    set_option,
    store,
    terminal_width,
)
from modelvault._cli_fetch import fetch
from modelvault._cli_fleet import stats_command, worker
from modelvault._cli_run import resume, run
from modelvault._cli_text import Invocation, close_ids
from modelvault._cli_webhooks import webhooks
from modelvault._pricing import Price, price, price_text
from modelvault._render import generation_json, generation_sheet, table
from modelvault._render_model import model_sheet
from modelvault.errors import (
    GenerationNotFoundError,
    ModelVaultError,
    UnknownModelError,
)

GROUPS = (
    "image_editing",
    "prompt_to_image",
    "prompt_to_video",
    "image_to_video",
    "prompt_to_audio",
)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="modelvault")
def main() -> None:
    """Run AI generation models from the modelvault catalog.

    Start with `modelvault list`, `modelvault show MODEL`, then
    `modelvault run MODEL --set prompt="..." --fake` (no key, no cost).
    """


main.add_command(run)
main.add_command(resume)
main.add_command(worker)
main.add_command(stats_command)
main.add_command(webhooks)
main.add_command(fetch)


def _describe(model: str) -> modelvault.ModelInfo:
    """The model, or an UnknownModelError that suggests ids containing `model`."""
    try:
        return modelvault.describe(model)
    except UnknownModelError:
        ids = [m.id for m in modelvault.list_models()]
        raise UnknownModelError(model, close_ids(model, ids)) from None


@main.command(name="list")
@click.option("--group", type=click.Choice(GROUPS), help="Only this group.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_command(group: str | None, as_json: bool) -> None:
    """List the models in the catalog, with what a run costs.

    CREDITS is one run with the default inputs; "(from X)" is the cheapest
    choice of inputs. `modelvault cost MODEL --set ...` prices any inputs.
    """
    models = modelvault.list_models(group)
    prices: dict[str, Price | None] = {}
    problems: list[str] = []
    for m in models:
        try:
            module = modelvault.get(m.id)
            prices[m.id] = price(module.MODEL_CONFIG, module.SCHEMA)
        except ModelVaultError as exc:
            prices[m.id] = None
            problems.append(str(exc))
    if as_json:
        rows = []
        for m in models:
            found = prices[m.id]
            rows.append(
                {
                    **asdict(m),
                    "base_cost": str(m.base_cost),
                    "default_cost": None
                    if found is None or found.default is None
                    else str(found.default),
                    "cheapest_cost": None if found is None else str(found.cheapest),
                    "cost_unit": None if found is None else found.unit,
                }
            )
        click.echo(json.dumps(rows, indent=2))
    else:
        headers = ["ID", "GROUP", "PROVIDER", "CREDITS", "LOCK", "NAME"]
        rows_text = [
            [
                m.id,
                m.group,
                m.provider,
                "?" if (found := prices[m.id]) is None else price_text(found),
                "locked" if m.locked else "-",
                m.name,
            ]
            for m in models
        ]
        click.echo(table(headers, rows_text))
        click.echo(
            f"\n{len(models)} model(s). CREDITS: one run with the default inputs; "
            "(from X): the cheapest inputs."
        )
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(1)


@main.command()
@click.argument("model")
def show(model: str) -> None:
    """Show MODEL's inputs (defaults, allowed values), cost and lock state."""
    info = _describe(model)
    module = modelvault.get(info.id)
    click.echo(model_sheet(info, module.MODEL_CONFIG, module.SCHEMA, terminal_width()))


@main.command()
@click.argument("model")
@set_option
def cost(model: str, assignments: tuple[str, ...]) -> None:
    """Print what one run of MODEL with these inputs costs, in credits, and how
    the figure was reached, step by step."""
    info = _describe(model)
    module = modelvault.get(info.id)
    inputs = read_inputs(info.id, module, assignments)
    total = modelvault.cost(info.id, inputs)  # validates: errors say what to fix
    explain = getattr(module, "explain_cost", None)  # model files from template v5
    steps: list[tuple[str, str]] = explain(inputs) if explain is not None else []
    width = max((len(figure) for _, figure in steps), default=0)
    for step, figure in steps:
        click.echo(f"  {figure:>{width}}  {step}")
    click.echo(f"{total} credits")


@main.command()
@click.argument("generation_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@db_option
def status(generation_id: str | None, as_json: bool, db: Path | None) -> None:
    """Show a stored generation; without GENERATION_ID, the database in use and
    its unfinished generations."""
    path = db_path(db)
    if generation_id is None:
        _unfinished(path, as_json)
        return
    try:
        record = modelvault.status(generation_id, store=store(db))
    except GenerationNotFoundError as exc:
        fail(exc, Invocation(db_path=path))
    click.echo(generation_json(record) if as_json else generation_sheet(record))


def _unfinished(path: Path, as_json: bool) -> None:
    if not path.exists():
        message = f"database {path}: none yet (the first `modelvault run` creates it)"
        click.echo("[]" if as_json else message)
        return
    records = store(path).unfinished_generations()
    if as_json:
        data = [{**r.to_dict(), "status": r.status.value} for r in records]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"database {path}")
    if not records:
        click.echo("no unfinished generations")
        return
    rows = [[r.id, r.model_id, r.status.value, r.created_at] for r in records]
    click.echo(table(["GENERATION", "MODEL", "STATUS", "CREATED"], rows))
    click.echo(
        f"\n{len(records)} unfinished: `modelvault resume` continues them "
        "(with --fake for those started with --fake)"
    )


@main.command()
@db_option
def info(db: Path | None) -> None:
    """Where modelvault reads and writes: catalog, database, keys, fakes."""
    path = db_path(db)
    source = "--db or $MODELVAULT_DB" if db is not None else "default"
    catalog = default_root()
    key_envs = sorted({m.api_key_env for m in modelvault.list_models()})
    lines = [
        f"modelvault {modelvault.__version__}",
        f"  catalog    {catalog} ({len(modelvault.list_models())} models; "
        f"${CATALOG_ENV} to change)",
        f"  database   {path} ({source}; "
        f"{'exists' if path.exists() else 'not created yet'})",
        "  keys       "
        + ", ".join(
            f"{name} {'set' if os.environ.get(name) else 'not set'}"
            for name in key_envs
        ),
        f"  fakes      {'on' if _truthy(os.environ.get(FAKE_ENV)) else 'off'} "
        f"(${FAKE_ENV}=1 or --fake)",
    ]
    click.echo("\n".join(lines))


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on", "y", "t")
