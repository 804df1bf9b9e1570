"""`modelvault worker` and `modelvault stats` as a person meets them: usage
errors name the fix, a worker without any key says which to set, stats reads
SQLite and PostgreSQL alike, and the other commands take a PostgreSQL URL in
--db / MODELVAULT_DB without ever printing its password."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pg_support import cluster

import modelvault
from modelvault.cli import main
from modelvault.testing import FakeProviders

KEYS = ("KIE_API_KEY", "FAL_KEY", "RUNWARE_API_KEY", "REPLICATE_API_TOKEN")


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in (*KEYS, "MODELVAULT_DB", "MODELVAULT_FAKE"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def test_stats_of_an_empty_and_a_used_store(cli: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "g.sqlite3")
    empty = cli.invoke(main, ["stats", "--db", db])
    assert empty.exit_code == 0, empty.output
    assert (
        "generations: 0" in empty.output and "oldest unfinished: none" in empty.output
    )
    with FakeProviders() as fakes:
        modelvault.run(
            "seedance-v1-lite",
            {"prompt": "a fox"},
            wait=False,
            store=modelvault.SQLiteStore(db),
            api_key=fakes.api_key,
            base_url=fakes.base_url("kie_jobs"),
        )
    used = cli.invoke(main, ["stats", "--db", db, "--json"])
    data = json.loads(used.output)
    assert data["by_status"] == {"processing": 1}
    assert data["oldest_unfinished"]["model"] == "seedance-v1-lite"


def test_worker_usage_errors(cli: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "g.sqlite3")
    bad = cli.invoke(main, ["worker", "--db", db, "--provider", "acme", "--fake"])
    assert bad.exit_code == 2 and "kie_jobs" in bad.output
    url = cli.invoke(main, ["worker", "--db", db, "--base-url", "kie_jobs"])
    assert url.exit_code == 2 and "FAMILY=URL" in url.output
    keyless = cli.invoke(main, ["worker", "--db", db, "--once"])
    assert keyless.exit_code == 1
    assert "no API key" in keyless.output and "KIE_API_KEY" in keyless.output


def test_worker_once_with_fakes(cli: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "g.sqlite3")
    with FakeProviders() as fakes:
        gid = modelvault.run(
            "flux-schnell-replicate",
            {"prompt": "a fox"},
            wait=False,
            store=modelvault.SQLiteStore(db),
            api_key=fakes.api_key,
            base_url=fakes.base_url("replicate"),
        ).id
    done = cli.invoke(
        main,
        [
            "worker",
            "--db",
            db,
            "--fake",
            "--once",
            "--idle",
            "0.05",
            "--provider",
            "replicate",
        ],
    )
    assert done.exit_code == 0, done.output
    events = [json.loads(line) for line in done.output.splitlines()]
    assert [e["generation_id"] for e in events if e["event"] == "finished"] == [gid]
    record = modelvault.SQLiteStore(db).get_generation(gid)
    assert record is not None and record.status.value == "completed"


def test_a_postgresql_url_in_db_never_prints_its_password(cli: CliRunner) -> None:
    pg = cluster()
    url = pg.dsn()
    stats = cli.invoke(main, ["stats", "--db", url])
    assert stats.exit_code == 0, stats.output
    status = cli.invoke(main, ["status"], env={"MODELVAULT_DB": url})
    assert status.exit_code == 0, status.output
    info = cli.invoke(main, ["info", "--db", url])
    assert info.exit_code == 0, info.output
    assert "modelvault:***@127.0.0.1" in info.output
    missing = cli.invoke(main, ["status", "no-such-id", "--db", url])
    assert missing.exit_code == 1
    for result in (stats, status, info, missing):
        assert "modelvault-test-password" not in result.output
