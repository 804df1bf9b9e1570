"""A process killed mid-poll loses nothing: `resume` finishes the same generation
with the task id it recorded, and the provider sees exactly one submit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from modelvault import Clock, GenerationStatus, SQLiteStore, resume
from modelvault.testing import FakeProviders

KEY = "sk-crash-test-0123456789"

CHILD = """
import sys
import modelvault
from modelvault import Clock, SQLiteStore
import time

modelvault.run(
    "seedance-v1-lite",
    {"prompt": "a fox"},
    api_key=sys.argv[3],
    store=SQLiteStore(sys.argv[1]),
    base_url=sys.argv[2],
    clock=Clock(time.monotonic, lambda s: time.sleep(0.05)),
)
"""


def test_kill_after_task_id_is_recorded_then_resume(tmp_path: Path) -> None:
    db = tmp_path / "generations.sqlite3"
    with FakeProviders(api_key=KEY, polls=40) as fakes:
        fake = fakes["kie_jobs"]
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db), fake.base_url, KEY],
            env={**os.environ},
        )
        try:
            deadline = time.monotonic() + 30
            record = None
            while time.monotonic() < deadline:
                if db.exists():
                    rows = SQLiteStore(db).unfinished_generations()
                    if rows and rows[0].provider_task_id:
                        record = rows[0]
                        break
                time.sleep(0.05)
            assert record is not None, "the child never recorded a task id"
            time.sleep(0.2)  # let it poll a few times (40 polls take ~2 s)
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
        assert fake.submit_count == 1
        store = SQLiteStore(db)
        assert store.get_generation(record.id) is not None
        [resumed] = resume(
            store=store,
            api_keys={"KIE_API_KEY": KEY},
            base_urls=fakes.base_urls(),
            clock=Clock(time.monotonic, lambda seconds: None),
        )
    assert resumed.id == record.id
    assert resumed.status is GenerationStatus.COMPLETED
    assert resumed.provider_task_id == record.provider_task_id
    assert resumed.outputs
    assert fake.submit_count == 1
