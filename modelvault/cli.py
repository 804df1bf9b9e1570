"""The `modelvault` command: a thin layer over the public API.

Exit codes: 0 ok, 1 a user or provider error (the message says what to do),
2 a usage error.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

import modelvault
from modelvault._inputs import AssignmentError, parse_assignments
from modelvault._render import generation_json, generation_sheet, model_sheet, table
from modelvault.errors import ModelVaultError

GROUPS = (
    "image_editing",
    "prompt_to_image",
    "prompt_to_video",
    "image_to_video",
    "prompt_to_audio",
)
FAKE_ENV = "MODELVAULT_FAKE"
# Against the bundled fakes, waiting is simulated this many times faster.
FAKE_SPEEDUP = 100.0


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ModelVaultError, AssignmentError) as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="modelvault")
def main() -> None:
    """Run AI generation models from the modelvault catalog."""


_db_option = click.option(
    "--db",
    type=click.Path(path_type=Path),  # the store explains a bad path itself
    envvar="MODELVAULT_DB",
    help="Generation store (SQLite file). Default: the user data folder.",
)
_fake_option = click.option(
    "--fake",
    is_flag=True,
    envvar=FAKE_ENV,
    help="Use the bundled loopback provider fakes: no API key, no cost.",
)
_set_option = click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="An input value; repeat for each input.",
)


def _store(db: Path | None) -> modelvault.GenerationStore:
    return modelvault.SQLiteStore(db) if db is not None else modelvault.SQLiteStore()


@main.command(name="list")
@click.option("--group", type=click.Choice(GROUPS), help="Only this group.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_command(group: str | None, as_json: bool) -> None:
    """List the models in the catalog (reads the registry only)."""
    models = modelvault.list_models(group)
    if as_json:
        rows = [{**asdict(m), "base_cost": str(m.base_cost)} for m in models]
        click.echo(json.dumps(rows, indent=2))
        return
    headers = ["ID", "GROUP", "PROVIDER", "CREDITS", "LOCK", "NAME"]
    rows_text = [
        [
            m.id,
            m.group,
            m.provider,
            str(m.base_cost),
            "locked" if m.locked else "-",
            m.name,
        ]
        for m in models
    ]
    click.echo(table(headers, rows_text))
    click.echo(f"\n{len(models)} model(s)")


@main.command()
@click.argument("model")
def show(model: str) -> None:
    """Show MODEL's inputs (defaults, allowed values), cost table and lock state."""
    info = modelvault.describe(model)
    module = modelvault.get(model)
    click.echo(model_sheet(info, module.MODEL_CONFIG, module.SCHEMA))


@main.command()
@click.argument("model")
@_set_option
def cost(model: str, assignments: tuple[str, ...]) -> None:
    """Print what one run of MODEL with these inputs costs, in credits."""
    module = modelvault.get(model)
    inputs = parse_assignments(assignments, module.SCHEMA)
    click.echo(f"{modelvault.cost(model, inputs)} credits")


class _FastForward:
    """A clock whose waits pass FAKE_SPEEDUP times faster than they claim."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / FAKE_SPEEDUP)
        self.skipped += seconds - seconds / FAKE_SPEEDUP


@contextlib.contextmanager
def _provider_target(fake: bool, family: str | None) -> Iterator[dict[str, Any]]:
    """Keyword arguments that point a run at the fakes (or at the real provider)."""
    if not fake:
        yield {}
        return
    from modelvault.testing import FakeProviders  # noqa: PLC0415 - only with --fake

    clock = _FastForward()
    # A fake in this process never saw tasks an earlier process submitted:
    # adopting unknown task ids lets `resume --fake` follow them up.
    with FakeProviders(adopt_unknown_tasks=True) as fakes:
        yield {
            "fakes": fakes,
            "base_url": fakes.base_url(family) if family else None,
            "api_key": fakes.api_key,
            "clock": modelvault.Clock(monotonic=clock.monotonic, sleep=clock.sleep),
        }


class _Progress:
    """One status line on stderr, rewritten in place on a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ""

    def __call__(self, state: str, elapsed: float, next_in: float) -> None:
        line = f"{state} · {elapsed:.0f}s elapsed · next check in {next_in:.0f}s"
        if self.tty:
            click.echo(f"\r{line:<60}", err=True, nl=False)
        elif state != self.last:
            click.echo(line, err=True)
        self.last = state

    def done(self) -> None:
        if self.tty and self.last:
            click.echo("", err=True)


@main.command()
@click.argument("model")
@_set_option
@click.option("--no-wait", is_flag=True, help="Return once the provider has the task.")
@click.option("--timeout", type=float, help="Stop polling after this many seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@_fake_option
@_db_option
def run(
    *,
    model: str,
    assignments: tuple[str, ...],
    no_wait: bool,
    timeout: float | None,
    as_json: bool,
    fake: bool,
    db: Path | None,
) -> None:
    """Run MODEL and print the generation record (outputs, cost, status)."""
    info = modelvault.describe(model)
    module = modelvault.get(model)
    inputs = parse_assignments(assignments, module.SCHEMA)
    progress = _Progress()
    with _provider_target(fake, info.provider) as target:
        target.pop("fakes", None)
        try:
            record = modelvault.run(
                model,
                inputs,
                store=_store(db),
                wait=not no_wait,
                timeout=timeout,
                on_progress=progress,
                **target,
            )
        finally:
            progress.done()
    click.echo(generation_json(record) if as_json else generation_sheet(record))


@main.command()
@click.argument("generation_id")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@_db_option
def status(generation_id: str, as_json: bool, db: Path | None) -> None:
    """Show a stored generation."""
    record = modelvault.status(generation_id, store=_store(db))
    click.echo(generation_json(record) if as_json else generation_sheet(record))


@main.command()
@click.argument("generation_id", required=False)
@click.option(
    "--task-id",
    metavar="TASK_ID",
    help="Record this provider task id on GENERATION_ID first (when an error said "
    "the store could not save it), then poll it. Never submits again.",
)
@_fake_option
@_db_option
def resume(
    generation_id: str | None, task_id: str | None, fake: bool, db: Path | None
) -> None:
    """Continue polling unfinished generations (all, or GENERATION_ID).

    Every generation is tried; one that cannot be finished now (no key, provider
    down) is reported and stays resumable. Exit code 1 if any is not completed.
    """
    if task_id is not None and generation_id is None:
        raise click.UsageError("--task-id needs the GENERATION_ID it belongs to")
    store = _store(db)
    with _provider_target(fake, None) as target:
        fakes = target.get("fakes")
        results = modelvault.resume(
            generation_id,
            task_id=task_id,
            store=store,
            api_key=fakes.api_key if fakes is not None else None,
            base_urls=fakes.base_urls() if fakes is not None else None,
            clock=target.get("clock"),
        )
    if not results:
        click.echo("nothing to resume: no unfinished generations")
    for record in results:
        click.echo(generation_sheet(record))
    for generation, why in results.skipped.items():
        click.echo(f"skipped {generation}: {why}", err=True)
    for failure in results.failures:
        click.echo(f"error: {failure.generation_id}: {failure.message}", err=True)
    if results.failures or any(r.status.value != "completed" for r in results):
        sys.exit(1)
