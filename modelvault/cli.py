"""The `modelvault` command: a thin layer over the public API."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from modelvault import ModelVaultError, list_models

GROUPS = (
    "image_editing",
    "prompt_to_image",
    "prompt_to_video",
    "image_to_video",
    "prompt_to_audio",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="modelvault")
def main() -> None:
    """Run AI generation models from the modelvault catalog."""


@main.command(name="list")
@click.option("--group", type=click.Choice(GROUPS), help="Only this group.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_command(group: str | None, as_json: bool) -> None:
    """List the models in the catalog (reads the registry only)."""
    try:
        models = list_models(group)
    except ModelVaultError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        rows = [{**asdict(m), "base_cost": str(m.base_cost)} for m in models]
        click.echo(json.dumps(rows, indent=2))
        return
    headers = ("ID", "GROUP", "PROVIDER", "CREDITS", "LOCK", "NAME")
    table = [
        (
            m.id,
            m.group,
            m.provider,
            f"{m.base_cost}",
            "locked" if m.locked else "-",
            m.name,
        )
        for m in models
    ]
    widths = [max(len(row[i]) for row in [headers, *table]) for i in range(5)]
    for row in [headers, *table]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:5])]
        click.echo("  ".join([*cells, row[5]]))
    click.echo(f"\n{len(models)} model(s)")
