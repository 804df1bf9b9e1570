"""The generator's commands on a copy of the repository: new, regenerate, lock,
unlock, spec, sync and --dry-run; refusals write nothing."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import (
    minimal_spec_dict,
    run_generator,
    snapshot,
    spec_path_for,
    write_spec,
)

from generator.catalog import build_catalog
from generator.config import load_settings
from generator.render import render_model_file
from generator.repo import read_catalog
from generator.spec import parse_spec
from modelvault._modelfile import read_header, split_model_file

LOCKED = "models/image_editing/recraft_crisp_upscale.py"
LOCKED_ID = "recraft-crisp-upscale"
UNLOCKED = "models/prompt_to_image/flux_1_schnell_fal.py"
UNLOCKED_ID = "flux-1-schnell-fal"
REVIEWERS = "@modelvault/model-reviewers"


def _derived_match(root: Path) -> None:
    catalog = build_catalog(read_catalog(root))
    for name, text in catalog.derived_files(load_settings(root)).items():
        assert (root / name).read_text("utf-8") == text, name


def _check_clean(root: Path) -> None:
    result = run_generator(["check"], root)
    assert result.exit_code == 0, result.output


def _codeowners_paths(root: Path) -> set[str]:
    return {
        line.split()[0]
        for line in (root / "CODEOWNERS").read_text("utf-8").splitlines()
        if line.startswith("/models/")
    }


def _header_lines(data: bytes) -> list[str]:
    return split_model_file(data)[0].decode().splitlines()


def test_new_creates_the_file_and_updates_derived_files(
    tmp_repo: Path, tmp_path: Path
) -> None:
    data = minimal_spec_dict("replicate", "brand-new-model")
    data["group"] = "prompt_to_audio"
    spec_file = write_spec(tmp_path / "spec.yaml", data)
    registry_before = (tmp_repo / "registry.py").read_text("utf-8")
    before = snapshot(tmp_repo)

    result = run_generator(["new", "--spec", str(spec_file)], tmp_repo)
    assert result.exit_code == 0, result.output

    rel = "models/prompt_to_audio/brand_new_model.py"
    assert rel == spec_path_for(data)
    assert f"created {rel}" in result.stdout
    after = snapshot(tmp_repo)
    assert set(after) - set(before) == {rel}
    changed = {p for p in before if before[p] != after[p]}
    assert changed == {"registry.py"}  # an unlocked model adds no CODEOWNERS line
    assert after[rel] == render_model_file(parse_spec(data))
    registry = (tmp_repo / "registry.py").read_text("utf-8")
    assert registry != registry_before
    assert '"brand-new-model": {' in registry
    assert f'"path": "{rel}",' in registry
    _derived_match(tmp_repo)
    _check_clean(tmp_repo)

    # The same spec again is refused, and nothing is written.
    before = snapshot(tmp_repo)
    again = run_generator(["new", "--spec", str(spec_file)], tmp_repo)
    assert again.exit_code == 1
    assert "'brand-new-model' already exists" in again.stderr
    assert "python -m generator regenerate brand-new-model" in again.stderr
    assert snapshot(tmp_repo) == before


def test_new_in_json_with_dry_run_writes_nothing(
    tmp_repo: Path, tmp_path: Path
) -> None:
    data = minimal_spec_dict("kie_veo", "dry-model")
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(data), "utf-8")
    before = snapshot(tmp_repo)
    result = run_generator(["new", "--spec", str(spec_file), "--dry-run"], tmp_repo)
    assert result.exit_code == 0, result.output
    assert "dry run: would write" in result.stdout
    assert result.stdout.startswith("dry run (nothing written):")
    assert spec_path_for(data) in result.stdout
    assert snapshot(tmp_repo) == before


def test_new_with_a_missing_spec_file_is_refused(
    tmp_repo: Path, tmp_path: Path
) -> None:
    before = snapshot(tmp_repo)
    result = run_generator(["new", "--spec", str(tmp_path / "nope.yaml")], tmp_repo)
    assert result.exit_code == 1
    assert "cannot read spec" in result.stderr
    assert snapshot(tmp_repo) == before


def test_regenerate_unchanged_unlocked_model_changes_nothing(tmp_repo: Path) -> None:
    before = snapshot(tmp_repo)
    result = run_generator(["regenerate", UNLOCKED_ID], tmp_repo)
    assert result.exit_code == 0, result.output
    assert "nothing to change" in result.stdout
    every = run_generator(["regenerate", "--all"], tmp_repo)
    assert every.exit_code == 0, every.output
    assert "nothing to change" in every.stdout
    assert snapshot(tmp_repo) == before


def test_regenerate_with_a_changed_spec_rewrites_file_and_registry(
    tmp_repo: Path, tmp_path: Path
) -> None:
    shown = run_generator(["spec", UNLOCKED_ID, "--format", "json"], tmp_repo)
    data = json.loads(shown.stdout)
    data["name"] = "FLUX.1 schnell, renamed"
    spec_file = tmp_path / "changed.json"
    spec_file.write_text(json.dumps(data), "utf-8")
    before = snapshot(tmp_repo)
    result = run_generator(
        ["regenerate", UNLOCKED_ID, "--spec", str(spec_file)], tmp_repo
    )
    assert result.exit_code == 0, result.output
    after = snapshot(tmp_repo)
    assert {p for p in before if before[p] != after[p]} == {UNLOCKED, "registry.py"}
    assert '"name": "FLUX.1 schnell, renamed",' in after["registry.py"].decode()
    _check_clean(tmp_repo)


def test_regenerate_refuses_a_changed_id(tmp_repo: Path, tmp_path: Path) -> None:
    shown = run_generator(["spec", UNLOCKED_ID, "--format", "json"], tmp_repo)
    data = json.loads(shown.stdout)
    data["id"] = "another-id"
    spec_file = tmp_path / "changed.json"
    spec_file.write_text(json.dumps(data), "utf-8")
    before = snapshot(tmp_repo)
    result = run_generator(
        ["regenerate", UNLOCKED_ID, "--spec", str(spec_file)], tmp_repo
    )
    assert result.exit_code == 1
    assert "ids never change" in result.stderr
    assert snapshot(tmp_repo) == before


def test_regenerate_locked_model_is_refused(tmp_repo: Path) -> None:
    before = snapshot(tmp_repo)
    result = run_generator(["regenerate", LOCKED_ID], tmp_repo)
    assert result.exit_code == 1
    assert f"{LOCKED} is locked" in result.stderr
    assert f"python -m generator unlock {LOCKED_ID} --by @you" in result.stderr
    assert snapshot(tmp_repo) == before


def test_lock_stamps_header_only_and_adds_codeowners(tmp_repo: Path) -> None:
    old = (tmp_repo / UNLOCKED).read_bytes()
    old_header, old_body = read_header(old)
    assert not old_header.locked
    assert f"/{UNLOCKED}" not in _codeowners_paths(tmp_repo)
    start = datetime.now(UTC).replace(microsecond=0)

    result = run_generator(["lock", UNLOCKED_ID, "--by", "@alice"], tmp_repo)
    assert result.exit_code == 0, result.output

    new = (tmp_repo / UNLOCKED).read_bytes()
    header, body = read_header(new)
    assert body == old_body
    assert header.locked is True
    assert header.locked_by == "@alice"
    assert header.locked_at is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", header.locked_at)
    stamped = datetime.strptime(header.locked_at, "%Y-%m-%dT%H:%M:%SZ")
    assert start <= stamped.replace(tzinfo=UTC) <= datetime.now(UTC) + timedelta(1)
    assert header.body_sha256 == old_header.body_sha256
    assert (header.model_id, header.record_id) == (
        old_header.model_id,
        old_header.record_id,
    )
    assert f"/{UNLOCKED}" in _codeowners_paths(tmp_repo)
    assert f"/{UNLOCKED} {REVIEWERS}" in (tmp_repo / "CODEOWNERS").read_text()
    _derived_match(tmp_repo)
    _check_clean(tmp_repo)

    # Locked now: regenerate and a second lock are refused.
    before = snapshot(tmp_repo)
    assert run_generator(["regenerate", UNLOCKED_ID], tmp_repo).exit_code == 1
    again = run_generator(["lock", UNLOCKED_ID, "--by", "@alice"], tmp_repo)
    assert again.exit_code == 1
    assert "already locked" in again.stderr
    assert snapshot(tmp_repo) == before


def test_unlock_flips_header_only_and_drops_codeowners(tmp_repo: Path) -> None:
    old = (tmp_repo / LOCKED).read_bytes()
    old_header, old_body = read_header(old)
    assert old_header.locked
    assert f"/{LOCKED}" in _codeowners_paths(tmp_repo)
    before = snapshot(tmp_repo)

    result = run_generator(
        ["unlock", LOCKED_ID, "--by", "@bob", "--reason", "x"], tmp_repo
    )
    assert result.exit_code == 0, result.output

    new = (tmp_repo / LOCKED).read_bytes()
    header, body = read_header(new)
    assert body == old_body
    assert header.locked is False
    assert header.unlocked_by == "@bob"
    assert header.unlock_reason == "x"
    assert header.body_sha256 == old_header.body_sha256
    # Only the lock lines of the header differ.
    changed = {
        a.split(":")[0]
        for a, b in zip(_header_lines(old), _header_lines(new), strict=True)
        if a != b
    }
    assert changed == {"# locked", "# unlocked-by", "# unlocked-at", "# unlock-reason"}
    after = snapshot(tmp_repo)
    assert {p for p in before if before[p] != after[p]} == {
        LOCKED,
        "registry.py",
        "CODEOWNERS",
    }
    assert f"/{LOCKED}" not in _codeowners_paths(tmp_repo)
    _derived_match(tmp_repo)
    _check_clean(tmp_repo)

    # Unlocked, regenerate is allowed again (and has nothing to change).
    regen = run_generator(["regenerate", LOCKED_ID], tmp_repo)
    assert regen.exit_code == 0, regen.output
    assert "nothing to change" in regen.stdout


@pytest.mark.parametrize("handle", ["alice", "@", "@bad handle", "@-x", "", "@a/b c"])
def test_bad_handle_is_refused(handle: str, tmp_repo: Path) -> None:
    before = snapshot(tmp_repo)
    locked = run_generator(["lock", UNLOCKED_ID, "--by", handle], tmp_repo)
    assert locked.exit_code == 1
    assert "is not a GitHub handle" in locked.stderr
    unlocked = run_generator(
        ["unlock", LOCKED_ID, "--by", handle, "--reason", "why"], tmp_repo
    )
    assert unlocked.exit_code == 1
    assert "is not a GitHub handle" in unlocked.stderr
    assert snapshot(tmp_repo) == before


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", "x" * 501])
def test_empty_or_overlong_reason_is_refused(reason: str, tmp_repo: Path) -> None:
    before = snapshot(tmp_repo)
    result = run_generator(
        ["unlock", LOCKED_ID, "--by", "@bob", "--reason", reason], tmp_repo
    )
    assert result.exit_code == 1
    assert "reason" in result.stderr
    assert snapshot(tmp_repo) == before


def test_unlock_of_an_unlocked_model_is_refused(tmp_repo: Path) -> None:
    before = snapshot(tmp_repo)
    result = run_generator(
        ["unlock", UNLOCKED_ID, "--by", "@bob", "--reason", "x"], tmp_repo
    )
    assert result.exit_code == 1
    assert "is not locked" in result.stderr
    assert snapshot(tmp_repo) == before


def test_reason_is_stored_as_the_plain_text_reviewers_read(tmp_repo: Path) -> None:
    reason = "fix the 'cost' table #1 (see $(docs) `x`)"
    result = run_generator(
        ["unlock", LOCKED_ID, "--by", "@bob", "--reason", reason], tmp_repo
    )
    assert result.exit_code == 0, result.output
    data = (tmp_repo / LOCKED).read_bytes()
    header, _ = read_header(data)
    assert header.unlock_reason == reason
    assert f'\n# unlock-reason: "{reason}"\n'.encode() in data  # verbatim
    _check_clean(tmp_repo)


@pytest.mark.parametrize(
    "reason", ['fix "cost"', "fix \\u0074ypo", "two\nlines", "caf\u00e9", "tab\there"]
)
def test_reason_that_would_need_escapes_is_refused(tmp_repo: Path, reason: str) -> None:
    """Quotes, backslashes, control and non-ASCII characters would be stored
    escaped, so the header would show reviewers one text and mean another."""
    before = snapshot(tmp_repo)
    result = run_generator(
        ["unlock", LOCKED_ID, "--by", "@bob", "--reason", reason], tmp_repo
    )
    assert result.exit_code == 1
    assert "plain ASCII text without double quotes or backslashes" in result.stderr
    assert snapshot(tmp_repo) == before


@pytest.mark.parametrize(
    "args",
    [
        ["lock", UNLOCKED_ID, "--by", "@alice"],
        ["unlock", LOCKED_ID, "--by", "@bob", "--reason", "x"],
        ["sync"],
    ],
)
def test_dry_run_writes_nothing(args: list[str], tmp_repo: Path) -> None:
    if args == ["sync"]:
        (tmp_repo / "CODEOWNERS").unlink()
    before = snapshot(tmp_repo)
    result = run_generator([*args, "--dry-run"], tmp_repo)
    assert result.exit_code == 0, result.output
    assert "dry run: would write" in result.stdout
    assert snapshot(tmp_repo) == before


def test_sync_restores_derived_files(tmp_repo: Path) -> None:
    (tmp_repo / "CODEOWNERS").unlink()
    (tmp_repo / "registry.py").write_text("MODELS = {}\n", "utf-8")
    result = run_generator(["sync"], tmp_repo)
    assert result.exit_code == 0, result.output
    _derived_match(tmp_repo)
    _check_clean(tmp_repo)
    again = run_generator(["sync"], tmp_repo)
    assert "nothing to change" in again.stdout


def test_spec_json_round_trips(tmp_repo: Path) -> None:
    result = run_generator(["spec", LOCKED_ID, "--format", "json"], tmp_repo)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == LOCKED_ID
    spec = parse_spec(data)
    file_bytes = (tmp_repo / LOCKED).read_bytes()
    header, _ = read_header(file_bytes)
    assert render_model_file(spec, previous=header) == file_bytes
    # By record id too, with the same output.
    by_record = run_generator(["spec", header.record_id, "--format", "json"], tmp_repo)
    assert by_record.stdout == result.stdout


def test_unknown_id_names_close_ids(tmp_repo: Path) -> None:
    for args in (
        ["spec", "google-veo-3-1-fats"],
        ["regenerate", "google-veo-3-1-fats"],
        ["lock", "google-veo-3-1-fats", "--by", "@alice"],
    ):
        result = run_generator(args, tmp_repo)
        assert result.exit_code == 1, args
        assert "no model 'google-veo-3-1-fats'" in result.stderr
        assert "did you mean google-veo-3-1-fast" in result.stderr


def test_regenerate_needs_a_model_or_all(tmp_repo: Path) -> None:
    result = run_generator(["regenerate"], tmp_repo)
    assert result.exit_code == 2
    assert "give either MODEL or --all" in result.stderr


def _locked_paths(root: Path) -> set[str]:
    catalog = build_catalog(read_catalog(root))
    return {m.path for m in catalog.models if m.header.locked}


def test_unlock_by_template_then_relock_restores_the_same_set(tmp_repo: Path) -> None:
    locked_before = _locked_paths(tmp_repo)
    catalog = build_catalog(read_catalog(tmp_repo))
    kie_jobs = {
        m.path
        for m in catalog.models
        if m.header.template == "kie_jobs" and m.header.locked
    }
    assert len(kie_jobs) >= 2

    unlocked = run_generator(
        ["unlock", "--template", "kie_jobs", "--by", "@bob", "--reason", "fix"],
        tmp_repo,
    )
    assert unlocked.exit_code == 0, unlocked.output
    assert _locked_paths(tmp_repo) == locked_before - kie_jobs
    _derived_match(tmp_repo)

    relocked = run_generator(["lock", "--relock", "--by", "@carol"], tmp_repo)
    assert relocked.exit_code == 0, relocked.output
    # Only what was locked before comes back; never-locked models stay unlocked.
    assert _locked_paths(tmp_repo) == locked_before
    _derived_match(tmp_repo)
    _check_clean(tmp_repo)


def test_unlock_all_locked_and_nothing_left_to_unlock(tmp_repo: Path) -> None:
    result = run_generator(
        ["unlock", "--all-locked", "--by", "@bob", "--reason", "template fix"],
        tmp_repo,
    )
    assert result.exit_code == 0, result.output
    assert _locked_paths(tmp_repo) == set()
    before = snapshot(tmp_repo)
    again = run_generator(
        ["unlock", "--all-locked", "--by", "@bob", "--reason", "again"], tmp_repo
    )
    assert again.exit_code == 1
    assert "no locked model selected" in again.stderr
    assert snapshot(tmp_repo) == before


def test_lock_many_ids_refuses_the_whole_set_if_one_is_locked(tmp_repo: Path) -> None:
    before = snapshot(tmp_repo)
    result = run_generator(["lock", UNLOCKED_ID, LOCKED_ID, "--by", "@bob"], tmp_repo)
    assert result.exit_code == 1
    assert "already locked" in result.stderr and LOCKED in result.stderr
    assert snapshot(tmp_repo) == before
