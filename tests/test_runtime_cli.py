"""The `modelvault` command: output and exit codes (0 ok, 1 user/provider error,
2 usage), end to end against the bundled fakes with a real SQLite file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from modelvault.cli import main

REPO = Path(__file__).resolve().parents[1]


def invoke(*args: str, db: Path | None = None, **env: str) -> Result:
    full_env = {"MODELVAULT_DB": str(db)} if db is not None else {}
    full_env.update(env)
    return CliRunner().invoke(main, list(args), env=full_env)


def test_show_lists_inputs_cost_and_lock() -> None:
    result = invoke("show", "seedance-v1-lite")
    assert result.exit_code == 0, result.output
    assert "  prompt*  string  Prompt" in result.output  # * = a run needs it
    assert "one of: 480p, 720p, 1080p" in result.output
    assert "x resolution (480p x1, 720p x2.25, 1080p x5)" in result.output
    assert "locked" in result.output


def test_cost_coerces_typed_values() -> None:
    result = invoke(
        "cost",
        "seedance-v1-lite",
        "--set",
        "prompt=a fox",
        "--set",
        "duration=10",
        "--set",
        "resolution=1080p",
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "50.00 credits"
    assert "x 5 for resolution 1080p" in result.output  # the steps that led there


def test_cost_with_bad_value_exits_1_naming_the_field() -> None:
    result = invoke(
        "cost", "seedance-v1-lite", "--set", "prompt=x", "--set", "resolution=4k"
    )
    assert result.exit_code == 1
    assert "resolution" in result.output and "480p" in result.output


def test_malformed_assignment_and_unknown_model() -> None:
    bad = invoke("cost", "seedance-v1-lite", "--set", "prompt")
    assert bad.exit_code == 1
    assert "NAME=VALUE" in bad.output
    unknown = invoke("show", "seedance-lite")
    assert unknown.exit_code == 1
    assert "did you mean" in unknown.output


def test_usage_errors_exit_2() -> None:
    assert invoke("run").exit_code == 2
    assert invoke("frobnicate").exit_code == 2


def test_run_without_key_exits_1_and_names_the_env_var(tmp_path: Path) -> None:
    result = invoke(
        "run",
        "seedance-v1-lite",
        "--set",
        "prompt=a fox",
        db=tmp_path / "g.db",
        KIE_API_KEY="",
    )
    assert result.exit_code == 1
    assert "KIE_API_KEY" in result.output
    assert "--fake" in result.output


def test_run_fake_then_status(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    result = invoke(
        "run",
        "flux-1-schnell-runware",
        "--set",
        "prompt=a fox",
        "--fake",
        "--json",
        db=db,
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output[result.output.index("{") :])
    assert record["status"] == "completed"
    assert record["outputs"]
    shown = invoke("status", record["id"], db=db)
    assert shown.exit_code == 0
    assert "completed" in shown.output
    assert invoke("status", "no-such-id", db=db).exit_code == 1


def test_run_no_wait_then_resume_in_a_new_fake(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    started = invoke(
        "run",
        "seedance-v1-lite",
        "--set",
        "prompt=a fox",
        "--fake",
        "--no-wait",
        "--json",
        db=db,
    )
    assert started.exit_code == 0, started.output
    record = json.loads(started.output[started.output.index("{") :])
    assert record["status"] == "processing"
    resumed = invoke("resume", "--fake", db=db)
    assert resumed.exit_code == 0, resumed.output
    assert "completed" in resumed.output
    again = invoke("resume", "--fake", db=db)
    assert "nothing to resume" in again.output


def test_readme_main_command_runs_in_a_fresh_process(tmp_path: Path) -> None:
    env = {**os.environ, "MODELVAULT_DB": str(tmp_path / "g.db")}
    for name in ("KIE_API_KEY", "RUNWARE_API_KEY", "FAL_KEY", "REPLICATE_API_TOKEN"):
        env.pop(name, None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelvault",
            "run",
            "google-veo-3-1-fast",
            "--set",
            "prompt=a fox in the snow",
            "--fake",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "status    completed" in result.stdout
    assert "output    http://127.0.0.1:" in result.stdout  # the fake's own files
    assert "copy      stored in folder " in result.stdout
    assert re.search(r"saved     \S+/0\.mp4 \(video/mp4, \d+ bytes", result.stdout)
