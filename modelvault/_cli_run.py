"""`modelvault run` and `modelvault resume`: a live status line while polling,
and Ctrl-C that says which generation is left and the command that continues it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

import modelvault
from modelvault._cli_common import (
    EXIT_INTERRUPTED,
    ask_key_option,
    db_option,
    fail,
    fake_option,
    invocation,
    read_inputs,
    set_option,
    store,
)
from modelvault._cli_common import ask_key as prompt_key
from modelvault._cli_target import Recording, provider_target
from modelvault._cli_text import Invocation, error_text, interrupted_text
from modelvault._durable import outputs_from
from modelvault._progress import StatusLine
from modelvault._render import generation_json, generation_sheet
from modelvault.errors import ModelVaultError, StoreError
from modelvault.store import Generation, GenerationStore


def _read_back(found: GenerationStore, generation_id: str | None) -> Generation | None:
    if generation_id is None:
        return None
    try:
        return found.get_generation(generation_id)
    except StoreError:
        return None


def _interrupted(
    how: Invocation,
    found: GenerationStore,
    generation_id: str | None,
    *,
    resume_all: bool = False,
) -> NoReturn:
    record = _read_back(found, generation_id)
    text = interrupted_text(how, generation_id, record, resume_all=resume_all)
    click.echo(text, err=True)
    sys.exit(EXIT_INTERRUPTED)


@click.command()
@click.argument("model")
@set_option
@click.option("--no-wait", is_flag=True, help="Return once the provider has the task.")
@click.option("--timeout", type=float, help="Stop polling after this many seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@click.option(
    "--outputs",
    "outputs_spec",
    metavar="FOLDER|s3://BUCKET/PREFIX",
    help="Copy the outputs here when the generation completes (default: "
    "$MODELVAULT_OUTPUTS, else the user data folder).",
)
@click.option("--no-copy", is_flag=True, help="Keep only the provider's URLs.")
@click.option(
    "--callback-base",
    metavar="URL",
    envvar="MODELVAULT_CALLBACK_BASE",
    help="Public URL of a running `modelvault webhooks serve` (or a mounted "
    "receiver): the provider calls back there; polling becomes the slow "
    "fallback. [env: MODELVAULT_CALLBACK_BASE]",
)
@ask_key_option
@fake_option
@db_option
@click.pass_context
def run(
    ctx: click.Context,
    *,
    model: str,
    assignments: tuple[str, ...],
    no_wait: bool,
    timeout: float | None,
    as_json: bool,
    outputs_spec: str | None,
    no_copy: bool,
    callback_base: str | None,
    ask_key: bool,
    fake: bool,
    db: Path | None,
) -> None:
    """Run MODEL and print the generation record (outputs, cost, status).

    The API key comes from the model's environment variable (`modelvault show
    MODEL` names it) or --ask-key. While polling, a status line shows progress;
    Ctrl-C stops following the generation, names it, and prints the command
    that continues it. Completed outputs are copied (streamed, hashed) to the
    output store before the provider's URLs expire; with --fake they come from
    the fake on loopback, which only then is allowed.
    """
    how = invocation(ctx, fake, db)
    info = modelvault.describe(model)
    module = modelvault.get(model)
    inputs = read_inputs(info.id, module, assignments)
    key = prompt_key(info.api_key_env) if ask_key and not fake else None
    recording = Recording(store(db))
    with provider_target(fake) as target:
        status = StatusLine(sys.stderr, clock=target.monotonic)
        try:
            outputs = (
                False
                if no_copy
                else outputs_from(outputs_spec or None, allow_private=fake)
            )
            record = modelvault.run(
                info.id,
                inputs,
                store=recording,
                wait=not no_wait,
                timeout=timeout,
                api_key=target.api_key or key,
                base_url=target.base_url(info.provider),
                on_progress=lambda state, elapsed, next_in: status.update(
                    info.id, state, elapsed, next_in
                ),
                clock=modelvault.Clock(
                    monotonic=target.monotonic, sleep=status.sleeper(target.sleep)
                ),
                outputs=outputs,
                callback_base=callback_base,
            )
        except KeyboardInterrupt:
            status.clear(always=True)
            _interrupted(how, recording.store, recording.created)
        except ModelVaultError as exc:
            status.clear()
            fail(exc, how)
        finally:
            status.clear()
    click.echo(generation_json(record) if as_json else generation_sheet(record))


@click.command()
@click.argument("generation_id", required=False)
@click.option(
    "--task-id",
    metavar="TASK_ID",
    help="Record this provider task id on GENERATION_ID first (when an error said "
    "the store could not save it), then poll it. Never submits again.",
)
@ask_key_option
@fake_option
@db_option
@click.pass_context
def resume(
    ctx: click.Context,
    *,
    generation_id: str | None,
    task_id: str | None,
    ask_key: bool,
    fake: bool,
    db: Path | None,
) -> None:
    """Continue polling unfinished generations (all, or GENERATION_ID).

    Never submits again. Every generation is tried; one that cannot be finished
    now (no key, provider down) is reported and stays resumable. Exit code 1 if
    any is not completed. A generation started with --fake needs --fake here too.
    """
    if task_id is not None and generation_id is None:
        raise click.UsageError("--task-id needs the GENERATION_ID it belongs to")
    how = invocation(ctx, fake, db)
    found = store(db)
    keys = _asked_keys(found, generation_id) if ask_key and not fake else {}
    current: list[str] = []
    with provider_target(fake) as target:
        status = StatusLine(sys.stderr, clock=target.monotonic)

        def progress(
            record: Generation, state: str, elapsed: float, next_in: float
        ) -> None:
            current[:] = [record.id]
            status.update(record.id[:8], state, elapsed, next_in)

        try:
            results = modelvault.resume(
                generation_id,
                task_id=task_id,
                store=found,
                api_key=target.api_key,
                api_keys=keys,
                base_urls=target.base_urls,
                on_progress=progress,
                clock=modelvault.Clock(
                    monotonic=target.monotonic, sleep=status.sleeper(target.sleep)
                ),
            )
        except KeyboardInterrupt:
            status.clear(always=True)
            _interrupted(
                how,
                found,
                current[0] if current else generation_id,
                resume_all=generation_id is None,
            )
        except ModelVaultError as exc:
            status.clear()
            fail(exc, how)
        finally:
            status.clear()
    _report(results, how)


def _asked_keys(found: GenerationStore, generation_id: str | None) -> dict[str, str]:
    """One hidden prompt per key the generations to resume need and lack."""
    records = (
        [r for r in [found.get_generation(generation_id)] if r is not None]
        if generation_id is not None
        else found.unfinished_generations()
    )
    names = sorted(
        {modelvault.describe(r.model_record_id).api_key_env for r in records}
    )
    return {name: prompt_key(name) for name in names}


def _report(results: modelvault.ResumeResults, how: Invocation) -> None:
    if not results:
        click.echo("nothing to resume: no unfinished generations")
    for record in results:
        click.echo(generation_sheet(record))
    for generation, why in results.skipped.items():
        click.echo(f"skipped {generation}: {why}", err=True)
    for failure in results.failures:
        text = error_text(failure.error, how, failure.generation_id)
        click.echo(f"error: {failure.generation_id}: {text}", err=True)
    if results.failures or any(r.status.value != "completed" for r in results):
        sys.exit(1)
