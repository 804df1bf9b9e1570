"""`modelvault fetch`: copy a completed generation's outputs again, on demand,
from the fake's real output files over loopback."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import modelvault
from modelvault.cli import main
from modelvault.store import OutputState, SQLiteStore
from modelvault.testing import FakeProviders

MODEL = "flux-schnell-replicate"


@pytest.fixture
def done(tmp_path: Path) -> Iterator[tuple[Path, str, FakeProviders]]:
    """A completed generation whose outputs were not copied, and the fake that
    still serves them."""
    db = tmp_path / "g.sqlite3"
    with FakeProviders() as fakes:
        fake = fakes["replicate"]
        fake.configure(serve_outputs=True)
        record = modelvault.run(
            MODEL,
            {"prompt": "a fox"},
            api_key=fakes.api_key,
            base_url=fake.base_url,
            store=SQLiteStore(db),
            outputs=False,
            clock=modelvault.Clock(time.monotonic, lambda seconds: None),
        )
        assert record.outputs and record.output_state is None
        yield db, record.id, fakes


def _fetch(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["fetch", *args, "--db", str(db)])
    return result.exit_code, result.stdout, result.stderr


def test_fetch_copies_into_a_folder(
    done: tuple[Path, str, FakeProviders], tmp_path: Path
) -> None:
    db, generation_id, fakes = done
    folder = tmp_path / "copies"
    code, out, err = _fetch(db, generation_id, "--to", str(folder), "--allow-private")
    assert code == 0, err
    assert "copy      stored in folder" in out
    record = SQLiteStore(db).get_generation(generation_id)
    assert record is not None and record.output_state == OutputState.STORED
    (item,) = (record.output_copy or {})["stored"]
    data = Path(item["location"]).read_bytes()
    assert Path(item["location"]).parent == folder / generation_id
    assert data == fakes["replicate"].file_bytes(record.outputs[0])
    assert item["sha256"] == hashlib.sha256(data).hexdigest()


def test_fetch_refuses_loopback_unless_allowed_and_says_how(
    done: tuple[Path, str, FakeProviders], tmp_path: Path
) -> None:
    db, generation_id, _ = done
    code, out, err = _fetch(db, generation_id, "--to", str(tmp_path / "c"))
    assert code == 1
    assert "copy      gave_up" in out and "loopback address" in out
    assert "--allow-private" in err
    assert not (tmp_path / "c" / generation_id).exists() or not any(
        (tmp_path / "c" / generation_id).iterdir()
    )


def test_fetch_of_an_unknown_or_unfinished_generation_is_a_clear_error(
    done: tuple[Path, str, FakeProviders],
) -> None:
    db, _, _ = done
    code, _, err = _fetch(db, "no-such-id")
    assert code == 1 and "no generation 'no-such-id'" in err
    store = SQLiteStore(db)
    store.create_generation(
        {
            "id": "running",
            "model_id": MODEL,
            "model_record_id": "r",
            "inputs": {},
            "cost": "1",
            "status": "processing",
        }
    )
    code, _, err = _fetch(db, "running")
    assert code == 1 and "is processing: only a completed generation" in err
    assert "Traceback" not in err
