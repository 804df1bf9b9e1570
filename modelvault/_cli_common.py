"""What the `modelvault` commands share: options, the store, reading `--set`
inputs, asking for a key, and turning runtime errors into `error:` lines."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import click

import modelvault
from modelvault._cli_text import Invocation, error_text
from modelvault._inputs import parse_what_can_be_read
from modelvault._store_open import StoreLocation, open_store
from modelvault.errors import InvalidInputsError, ModelVaultError

FAKE_ENV = "MODELVAULT_FAKE"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells expect


def invocation(ctx: click.Context, fake: bool, db: Path | None) -> Invocation:
    from_command_line = (
        ctx.get_parameter_source("db") is click.core.ParameterSource.COMMANDLINE
    )
    return Invocation(
        fake=fake,
        db_arg=db if from_command_line else None,
        db_path=db_path(db),
    )


def db_path(db: Path | None) -> Path:
    from modelvault.store import default_db_path  # noqa: PLC0415

    return db if db is not None else default_db_path()


def fail(exc: BaseException, how: Invocation | None = None) -> NoReturn:
    click.echo(f"error: {error_text(exc, how or Invocation())}", err=True)
    sys.exit(1)


class Group(click.Group):
    """Runtime errors become one `error:` report and exit 1 (never a traceback);
    Ctrl-C outside a run exits 130 with one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ModelVaultError as exc:
            fail(exc)
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)


db_option = click.option(
    "--db",
    type=click.Path(path_type=StoreLocation),  # a file path or a PostgreSQL URL
    envvar="MODELVAULT_DB",
    help="Generation store (SQLite file). Default: $MODELVAULT_DB, else the user "
    "data folder (`modelvault info` shows where).",
)
fake_option = click.option(
    "--fake",
    is_flag=True,
    envvar=FAKE_ENV,
    help="Use the bundled loopback provider fakes: no API key, no cost, waits "
    "fast-forwarded ($MODELVAULT_FAKE=1 does the same).",
)
set_option = click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="An input value; repeat for each input. A list: NAME=a,b or a JSON list "
    '\'NAME=["a", "b"]\'. `modelvault show MODEL` lists the inputs.',
)
ask_key_option = click.option(
    "--ask-key",
    is_flag=True,
    help="Type the API key at a hidden prompt instead of setting its environment "
    "variable (never echoed, never stored).",
)


def store(db: Path | None) -> modelvault.GenerationStore:
    return open_store(db)


def read_inputs(
    model_id: str, module: ModuleType, assignments: tuple[str, ...]
) -> dict[str, Any]:
    """The `--set` values, typed and validated; every problem reported at once
    (values that cannot be read, and what the model refuses of the rest)."""
    from modelvault._run import validated  # noqa: PLC0415 - imports httpx

    inputs, problems = parse_what_can_be_read(assignments, module.SCHEMA)
    try:
        validated(module, inputs)
    except InvalidInputsError as exc:
        raise InvalidInputsError(model_id, {**exc.errors, **problems}) from None
    if problems:
        raise InvalidInputsError(model_id, problems)
    return inputs


def ask_key(env_name: str) -> str:
    """A key typed at a hidden prompt, or one line of piped stdin."""
    if sys.stdin.isatty():
        key = str(click.prompt(env_name, hide_input=True, err=True)).strip()
    else:
        key = sys.stdin.readline().strip()
    if not key:
        raise ModelVaultError(
            f"--ask-key got no key for {env_name}: type it at the prompt or pipe "
            f"it in (one line), or set {env_name} instead"
        )
    return key


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def keys_in_environment(names: list[str]) -> list[tuple[str, bool]]:
    return [(name, bool(os.environ.get(name))) for name in names]
