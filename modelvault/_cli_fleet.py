"""`modelvault worker` and `modelvault stats`: the commands of a fleet. They are
registered on the main group by modelvault.cli."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any

import click

from modelvault._api import get, list_models
from modelvault._durable import outputs_from
from modelvault._stats import StoreStats, stats
from modelvault._store_open import open_store
from modelvault._worker import Worker, WorkerOptions
from modelvault._worker_parts import EventLog
from modelvault.errors import ModelVaultError

FAKE_SPEEDUP = 100.0  # as `run --fake`: the fakes' waits pass this much faster
SPEEDUP_ENV = "MODELVAULT_FAKE_SPEEDUP"

db_option = click.option(
    "--db",
    envvar="MODELVAULT_DB",
    help="Generation store: a SQLite file or a PostgreSQL URL "
    "(postgresql://user:password@host:5432/dbname). Default: $MODELVAULT_DB, "
    "else the SQLite file in the user data folder.",
)


def served_models(
    providers: tuple[str, ...], models: tuple[str, ...], fake: bool, log: EventLog
) -> list[str]:
    """The catalog's model ids this worker polls: those of the given providers
    and models (all if none given), with an API key in the environment."""
    catalog = list_models()
    families = {m.provider for m in catalog}
    unknown = [p for p in providers if p not in families]
    if unknown:
        raise click.BadParameter(
            f"unknown provider {unknown[0]!r}: use one of {sorted(families)}",
            param_hint="--provider",
        )
    ids = {m.id for m in catalog}
    missing = [m for m in models if m not in ids]
    if missing:
        get(missing[0])  # UnknownModelError names the closest ids
    chosen = [
        m.id
        for m in catalog
        if (not providers or m.provider in providers) and (not models or m.id in models)
    ]
    if fake:
        return chosen
    keyless: dict[str, str] = {}
    for model_id in chosen:
        env_name = get(model_id).MODEL_CONFIG["api_key_env"]
        if not os.environ.get(env_name):
            keyless[model_id] = env_name
    if keyless:
        log("no_api_key", models=sorted(keyless), env=sorted(set(keyless.values())))
    served = [m for m in chosen if m not in keyless]
    if not served:
        names = ", ".join(sorted(set(keyless.values())))
        raise ModelVaultError(
            f"no API key for any model this worker would serve: set {names} (or "
            "use --fake to poll the bundled fakes)"
        )
    return served


def _speedup() -> float:
    raw = os.environ.get(SPEEDUP_ENV, "").strip()
    try:
        value = float(raw) if raw else FAKE_SPEEDUP
    except ValueError:
        value = 0.0
    if not 1 <= value <= 1_000_000:
        raise ModelVaultError(
            f"{SPEEDUP_ENV}={raw!r} is not a number from 1 to 1000000: set how many "
            "times faster the fakes' waits pass, or unset it"
        )
    return value


@contextlib.contextmanager
def _fakes(fake: bool, base_urls: dict[str, str]) -> Iterator[dict[str, Any]]:
    if not fake:
        yield {"base_urls": base_urls}
        return
    from modelvault.testing import FakeProviders  # noqa: PLC0415 - only with --fake

    # Tasks were submitted by other processes: adopt unknown task ids (as
    # `resume --fake` does). --base-url points a family at fakes run elsewhere.
    with FakeProviders(adopt_unknown_tasks=True) as fakes:
        yield {
            "base_urls": {**fakes.base_urls(), **base_urls},
            "api_key": fakes.api_key,
            "speedup": _speedup(),
        }


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        family, sep, url = value.partition("=")
        if not sep or not family or not url.startswith(("http://", "https://")):
            raise click.BadParameter(
                f"{value!r}: give FAMILY=URL, e.g. kie_jobs=http://127.0.0.1:8080",
                param_hint="--base-url",
            )
        out[family] = url
    return out


@contextlib.contextmanager
def _signals(worker: Worker) -> Iterator[None]:
    """SIGTERM / Ctrl-C: drain; a second one: stop at once."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if worker._stopping.is_set():
            worker.abort()
        else:
            worker.stop()

    before = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in before.items():
            signal.signal(sig, old)


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=8,
    show_default=True,
    help="Generations polled at once.",
)
@click.option(
    "--provider",
    "providers",
    multiple=True,
    metavar="FAMILY",
    help="Only models of this provider family (repeatable).",
)
@click.option(
    "--model",
    "models",
    multiple=True,
    metavar="MODEL",
    help="Only this model (repeatable).",
)
@click.option(
    "--once",
    is_flag=True,
    help="Finish what can be claimed now, then exit (cron-style).",
)
@click.option(
    "--fake",
    is_flag=True,
    envvar="MODELVAULT_FAKE",
    help="Poll the bundled loopback fakes: no keys, waits fast-forwarded.",
)
@click.option(
    "--base-url",
    "base_urls",
    multiple=True,
    metavar="FAMILY=URL",
    help="Send this provider family's polls to another origin.",
)
@click.option(
    "--lease-ttl",
    type=click.FloatRange(0.1),
    envvar="MODELVAULT_LEASE_TTL",
    help="Lease length in seconds. Default: what the models' schedules need.",
)
@click.option(
    "--drain-timeout",
    type=click.FloatRange(0),
    default=30.0,
    show_default=True,
    help="On SIGTERM, seconds to finish held generations before releasing them.",
)
@click.option(
    "--idle",
    type=click.FloatRange(0.01),
    default=1.0,
    show_default=True,
    help="Seconds between looks for new work while idle.",
)
@click.option(
    "--retry-after",
    type=click.FloatRange(0.1),
    default=60.0,
    show_default=True,
    help="Seconds before a generation that could not "
    "be finished now (no key, provider down) is tried again.",
)
@click.option(
    "--outputs",
    "outputs_spec",
    metavar="FOLDER|s3://BUCKET/PREFIX",
    help="Copy completed outputs here, and retry failed copies (default: "
    "$MODELVAULT_OUTPUTS, else the user data folder).",
)
@click.option("--no-copy", is_flag=True, help="Do not copy outputs.")
@db_option
def worker(
    *,
    concurrency: int,
    providers: tuple[str, ...],
    models: tuple[str, ...],
    once: bool,
    fake: bool,
    base_urls: tuple[str, ...],
    lease_ttl: float | None,
    drain_timeout: float,
    idle: float,
    retry_after: float,
    outputs_spec: str | None,
    no_copy: bool,
    db: str | None,
) -> None:
    """Poll unfinished generations to their end, sharing them with every other
    worker on the same store. One JSON line per event on stdout.

    API keys come from each model's environment variable (KIE_API_KEY, FAL_KEY,
    RUNWARE_API_KEY, REPLICATE_API_TOKEN); models without one are not served.
    SIGTERM stops claiming and drains; a second SIGTERM stops at once.
    """
    urls = _pairs(base_urls)
    secrets = [
        os.environ.get(n, "")
        for n in ("KIE_API_KEY", "FAL_KEY", "RUNWARE_API_KEY", "REPLICATE_API_TOKEN")
    ]
    log = EventLog(sys.stdout, secrets)
    served = served_models(providers, models, fake, log)
    store = open_store(db)
    durable = None if no_copy else outputs_from(outputs_spec, allow_private=fake)
    with _fakes(fake, urls) as target:
        options = WorkerOptions(
            concurrency=concurrency,
            models=served,
            once=once,
            drain_s=drain_timeout,
            idle_s=idle,
            retry_after_s=retry_after,
            lease_ttl_s=lease_ttl,
            outputs=durable,
            **target,
        )
        log.secrets += [k for k in [target.get("api_key")] if k]
        running = Worker(store, options, log=log)
        with _signals(running):
            running.run()


@click.command(name="stats")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@db_option
def stats_command(as_json: bool, db: str | None) -> None:
    """Generations by status, model and age; leases and who holds them; the
    oldest unfinished generation."""
    summary = stats(open_store(db))
    click.echo(
        json.dumps(summary.to_dict(), indent=2) if as_json else stats_text(summary)
    )


def stats_text(summary: StoreStats) -> str:
    lines = [
        f"generations: {summary.total}"
        + ("" if summary.complete else " (unfinished only: this store lists no others)")
    ]
    lines.append(
        "by status: "
        + (
            " · ".join(
                f"{status} {count}" for status, count in summary.by_status.items()
            )
            or "-"
        )
    )
    if summary.by_model:
        lines.append("by model:")
        width = max(len(m) for m in summary.by_model)
        for model, counts in summary.by_model.items():
            text = " · ".join(f"{s} {n}" for s, n in counts.items())
            lines.append(f"  {model:<{width}}  {text}")
    lines.append(
        "unfinished by age: "
        + " · ".join(
            f"{label} {count}" for label, count in summary.unfinished_by_age.items()
        )
    )
    if summary.leases:
        lines.append("leases:")
        for holder in summary.leases:
            lines.append(
                f"  {holder.owner}  live {holder.live} · expired {holder.expired}"
            )
    else:
        lines.append("leases: none held")
    oldest = summary.oldest_unfinished
    if oldest is None:
        lines.append("oldest unfinished: none")
    else:
        held = oldest.lease_owner or "no one"
        lines.append(
            f"oldest unfinished: {oldest.id} ({oldest.model}, {oldest.status}) since "
            f"{oldest.created_at}, {_age(oldest.age_s)} ago; lease: {held}"
        )
    return "\n".join(lines)


def _age(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"
