"""`modelvault fetch`: copy a completed generation's outputs again, on demand."""

from __future__ import annotations

from pathlib import Path

import click

from modelvault._cli_common import db_option, fail, store
from modelvault._durable import Outputs, copy_generation, outputs_from
from modelvault._outputs_local import LocalOutputStore
from modelvault._outputs_model import FetchPolicy
from modelvault._render import copy_lines
from modelvault._run import stored
from modelvault.errors import ModelVaultError
from modelvault.store import GenerationStatus


@click.command()
@click.argument("generation_id")
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Copy into this folder (default: the output store, $MODELVAULT_OUTPUTS "
    "or the user data folder).",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Also fetch from private and loopback addresses (a local fake or mirror).",
)
@db_option
def fetch(
    generation_id: str, folder: Path | None, allow_private: bool, db: Path | None
) -> None:
    """Copy GENERATION_ID's outputs to the output store (again), streamed and
    hashed, and record where they went. Works whatever the last copy did; the
    provider's URLs must still be valid (Replicate keeps outputs for an hour,
    others for days)."""
    try:
        found = store(db)
        record = stored(found, generation_id)
        if record.status != GenerationStatus.COMPLETED:
            raise ModelVaultError(
                f"generation {generation_id} is {record.status.value}: only a "
                "completed generation has outputs to fetch (`modelvault status "
                f"{generation_id}`)"
            )
        if not record.outputs:
            raise ModelVaultError(
                f"generation {generation_id} completed without output URLs: "
                "there is nothing to fetch"
            )
        if folder is not None:
            outputs = Outputs(
                LocalOutputStore(folder), FetchPolicy(allow_private=allow_private)
            )
        else:
            default = outputs_from(None, allow_private=allow_private)
            assert default is not None
            outputs = default
        record = copy_generation(found, record, outputs)
    except ModelVaultError as exc:
        fail(exc)
    click.echo("\n".join([f"generation {record.id}", *copy_lines(record)]))
    error = (record.output_copy or {}).get("error") or {}
    if error.get("kind") == "refused_address" and not allow_private:
        click.echo(
            "hint: the output is on a private or loopback address; if that host "
            "is yours and trusted, run again with --allow-private",
            err=True,
        )
    if record.output_state is not None and record.output_state.value != "stored":
        raise SystemExit(1)
