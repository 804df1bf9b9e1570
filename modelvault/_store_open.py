"""`open_store`: the one place a store location becomes a store.

`MODELVAULT_DB` (or `--db`, or an explicit argument) holds either a SQLite file
path or a PostgreSQL URL (`postgresql://user:password@host:5432/dbname`). The
PostgreSQL driver is an optional extra, imported only when such a URL is used.
"""

from __future__ import annotations

import atexit
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from modelvault._store_sqlite import SQLiteStore
from modelvault._store_sqlite_db import DB_ENV
from modelvault.errors import StoreError
from modelvault.store import GenerationStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
EXTRA_HINT = 'pip install "modelvault[postgres]"'


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.lower().startswith(POSTGRES_SCHEMES)


def redact_dsn(dsn: str) -> str:
    """A DSN safe to print: the password of a URL (or key=value string) hidden."""
    if "://" in dsn:
        parts = urlsplit(dsn)
        netloc = parts.netloc
        if "@" in netloc:
            auth, host = netloc.rsplit("@", 1)
            user = auth.split(":", 1)[0]
            netloc = f"{user}:***@{host}" if ":" in auth else f"{user}@{host}"
        query = re.sub(r"(password=)[^&]*", r"\1***", parts.query)
        return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
    return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", dsn)


class PostgresLocation:
    """A PostgreSQL URL where the CLI handles a database path: it prints without
    its password, and it exists (the server holds it)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __str__(self) -> str:
        return redact_dsn(self.url)

    def __repr__(self) -> str:
        return f"PostgresLocation({str(self)!r})"

    def exists(self) -> bool:
        return True


class StoreLocation:
    """What `--db` / $MODELVAULT_DB holds, as click's `path_type` (a URL must not
    be normalised as a path): `StoreLocation(text)` is a `Path` for a SQLite
    file, a `PostgresLocation` for a PostgreSQL URL."""

    def __new__(cls, value: str) -> Any:  # a factory: returns another type
        return PostgresLocation(value) if is_postgres_url(value) else Path(value)


def open_store(
    location: str | os.PathLike[str] | PostgresLocation | None = None,
) -> GenerationStore:
    """The store at `location`: a PostgreSQL URL gives a PostgresStore, anything
    else a SQLiteStore file. None reads $MODELVAULT_DB, else the SQLite file in
    the user's data folder."""
    if location is None:
        location = os.environ.get(DB_ENV) or None
    if isinstance(location, PostgresLocation):
        location = location.url
    if isinstance(location, str) and is_postgres_url(location):
        try:
            from modelvault._store_pg import PostgresStore  # noqa: PLC0415
        except ImportError as exc:
            raise StoreError(
                f"{DB_ENV} is a PostgreSQL URL, but the PostgreSQL driver is not "
                f"installed ({exc.name or exc}): {EXTRA_HINT}"
            ) from None
        return _postgres(location, PostgresStore)
    return SQLiteStore(Path(location) if location is not None else None)


_pools: dict[str, GenerationStore] = {}


def _postgres(url: str, make: Any) -> GenerationStore:
    """One PostgresStore (one connection pool) per URL and process, closed at
    exit: the CLI and default_store open the store by URL more than once."""
    store = _pools.get(url)
    if store is None or getattr(store, "closed", False):
        store = _pools[url] = make(url)
        if len(_pools) == 1:
            atexit.register(_close_pools)
    return store


def _close_pools() -> None:
    for store in _pools.values():
        close = getattr(store, "close", None)
        if callable(close):
            close()
    _pools.clear()
