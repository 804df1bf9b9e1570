"""A real PostgreSQL for the tests: one throwaway cluster per test session
(modelvault.testing's PostgresCluster: initdb in a temp folder, a free loopback
port, the server run as the `postgres` user when the tests run as root), started
on first use and destroyed at exit.

Without PostgreSQL (or psycopg) a developer's run skips these tests naming the
install command; in CI (CI=true) it fails instead: no test is skipped there.
"""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Callable

import pytest

from modelvault.testing._postgres import (
    INSTALL_HINT,
    PostgresCluster,
    PostgresUnavailableError,
)

_cluster: PostgresCluster | None = None
_broken: str | None = None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI needs PostgreSQL for this test: {reason}", pytrace=False)
    pytest.skip(reason)


def cluster() -> PostgresCluster:
    """The session's cluster (started on first use)."""
    global _cluster, _broken  # noqa: PLW0603 - one cluster per test process
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        _unavailable('psycopg is not installed: pip install -e ".[postgres]"')
    if _broken is not None:
        _unavailable(_broken)
    if _cluster is None:
        try:
            made = PostgresCluster()
        except PostgresUnavailableError as exc:
            _broken = str(exc)
            _unavailable(_broken)
            raise
        atexit.register(made.destroy)
        try:
            made.start()
        except Exception as exc:
            _broken = f"could not start a throwaway PostgreSQL ({exc}); {INSTALL_HINT}"
            _unavailable(_broken)
        _cluster = made
    if not _cluster.running:
        _cluster.start()  # a test that stopped it left it down
    return _cluster


def fresh_schema() -> str:
    """A schema name no other test uses: a fresh, empty store."""
    return f"t_{uuid.uuid4().hex[:16]}"


def postgres_store_factory() -> Callable[..., object]:
    from modelvault._store_pg import PostgresStore

    return PostgresStore
