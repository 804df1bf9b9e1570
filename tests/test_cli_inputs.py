"""`--set`: every bad value is reported at once, each with the form it expects;
lists are passed as a,b or as JSON, and `--help` says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modelvault._inputs import AssignmentError, expected_form, parse_assignments

SCHEMA: dict[str, dict[str, Any]] = {
    "properties": {
        "seed": {"type": "integer", "minimum": -1, "maximum": 99},
        "speed": {"type": "number"},
        "loop": {"type": "boolean"},
        "urls": {"type": "array", "items": {"type": "string"}},
        "size": {"type": "string", "enum": ["s", "m"]},
        "prompt": {"type": "string"},
    }
}


def _modelvault(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MODELVAULT_DB": str(tmp_path / "g.sqlite3")}
    return subprocess.run(
        [sys.executable, "-m", "modelvault", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_every_bad_set_is_reported_at_once_in_a_real_process(tmp_path: Path) -> None:
    result = _modelvault(
        "run",
        "seedance-v1-lite",
        "--set",
        "seed=abc",
        "--set",
        "resolution=4k",
        "--set",
        "camera_fixed=maybe",
        "--set",
        "nonsense",
        "--set",
        "colour=red",
        tmp_path=tmp_path,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "error: invalid inputs for seedance-v1-lite:"
    body = "\n".join(lines)
    assert "seed: 'abc' is not a whole number from -1 to 2147483647" in body
    assert "resolution: '4k' is not allowed; choose one of: 480p, 720p, 1080p" in body
    assert "camera_fixed: 'maybe' is not true or false" in body
    assert "nonsense: not NAME=VALUE" in body
    assert "colour: unknown field" in body
    assert "prompt: is required" in body
    assert "a integer" not in body
    # Inputs are checked before the key: no key is asked for yet.
    assert "API key" not in body
    assert lines[-1].strip() == "(`modelvault show seedance-v1-lite` lists every input)"


def test_lists_are_passed_as_comma_lists_or_json(tmp_path: Path) -> None:
    model = "google-veo-3-1-fast-image-to-video"
    comma = _modelvault(
        "cost",
        model,
        "--set",
        "prompt=a fox",
        "--set",
        "image_urls=https://a.test/1.png,https://a.test/2.png",
        tmp_path=tmp_path,
    )
    assert comma.returncode == 0, comma.stderr
    as_json = _modelvault(
        "cost",
        model,
        "--set",
        "prompt=a fox",
        "--set",
        'image_urls=["https://a.test/1.png"]',
        tmp_path=tmp_path,
    )
    assert as_json.returncode == 0, as_json.stderr
    broken = _modelvault(
        "cost", model, "--set", "prompt=x", "--set", "image_urls=[1", tmp_path=tmp_path
    )
    assert broken.returncode == 1
    assert "a comma-separated list (--set image_urls=a,b)" in broken.stderr
    assert "or a JSON list" in broken.stderr


def test_help_says_how_to_pass_a_list(tmp_path: Path) -> None:
    for command in ("run", "cost"):
        result = _modelvault(command, "--help", tmp_path=tmp_path)
        flat = " ".join(result.stdout.split())
        assert "A list: NAME=a,b or a JSON list" in flat, result.stdout


def test_parse_typed_values() -> None:
    assert parse_assignments(
        ["seed=5", "speed=1.5", "loop=yes", "urls=a, b", "size=m", "prompt=x=y"],
        SCHEMA,
    ) == {
        "seed": 5,
        "speed": 1.5,
        "loop": True,
        "urls": ["a", "b"],
        "size": "m",
        "prompt": "x=y",
    }
    assert parse_assignments(['urls=["a,b", "c"]'], SCHEMA) == {"urls": ["a,b", "c"]}


def test_parse_reports_every_problem_with_the_expected_form() -> None:
    with pytest.raises(AssignmentError) as caught:
        parse_assignments(["seed=1.5", "speed=fast", "loop=maybe", "=x", "ok"], SCHEMA)
    assert caught.value.problems == {
        "seed": "'1.5' is not a whole number from -1 to 99 (--set seed=1)",
        "speed": "'fast' is not a number (--set speed=0.5)",
        "loop": "'maybe' is not true or false (--set loop=true)",
        "=x": "not NAME=VALUE (--set prompt='a fox in the snow')",
        "ok": "not NAME=VALUE (--set prompt='a fox in the snow')",
    }


def test_expected_forms() -> None:
    props = SCHEMA["properties"]
    assert expected_form("size", props["size"]) == "one of s, m"
    assert expected_form("urls", props["urls"]).startswith(
        "a comma-separated list (--set urls=a,b) or a JSON list"
    )
    assert expected_form("prompt", props["prompt"]).startswith("text")
