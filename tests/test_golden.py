"""Golden output: the committed models/, registry.py and CODEOWNERS are exactly what
the generator makes, byte for byte."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, run_generator, run_generator_subprocess, snapshot

from generator.catalog import build_catalog
from generator.config import load_settings
from generator.modelfile import parse_model_file
from generator.render import FAMILIES, render_model_file
from generator.repo import read_catalog
from generator.schema import spec_data_from_literals
from generator.spec import ProviderFamily, load_spec_text
from modelvault._modelfile import Header, read_header

MODEL_FILES = sorted(
    path.relative_to(REPO_ROOT).as_posix()
    for path in (REPO_ROOT / "models").rglob("*.py")
    if "__pycache__" not in path.parts
)


@cache
def _header(rel: str) -> Header:
    return read_header((REPO_ROOT / rel).read_bytes())[0]


def _header_locked(rel: str) -> bool:
    return _header(rel).locked


UNLOCKED_IDS = sorted(
    _header(rel).model_id for rel in MODEL_FILES if not _header_locked(rel)
)


def test_the_catalog_is_not_empty() -> None:
    assert len(MODEL_FILES) >= 17
    assert UNLOCKED_IDS, "the golden regenerate test needs an unlocked model"
    assert len(UNLOCKED_IDS) < len(MODEL_FILES), "and some locked ones"


@pytest.mark.parametrize("rel", MODEL_FILES)
def test_committed_model_file_equals_generator_output(rel: str) -> None:
    data = (REPO_ROOT / rel).read_bytes()
    parsed = parse_model_file(rel, data)
    spec = parsed.spec()
    family = FAMILIES[ProviderFamily(spec.provider)]
    if parsed.header.template_version != family.version:
        pytest.skip(
            f"{rel} was made from template v{parsed.header.template_version}, "
            f"current is v{family.version}"
        )
    assert spec.path == rel
    regenerated = render_model_file(spec, previous=parsed.header)
    assert regenerated == data, f"{rel} differs from what the generator makes"


def test_registry_and_codeowners_equal_generator_output() -> None:
    catalog = build_catalog(read_catalog(REPO_ROOT))
    assert catalog.unreadable == []
    assert len(catalog.models) == len(MODEL_FILES)
    derived = catalog.derived_files(load_settings(REPO_ROOT))
    assert sorted(derived) == ["CODEOWNERS", "registry.py"]
    for name, text in derived.items():
        assert (REPO_ROOT / name).read_bytes() == text.encode("utf-8"), name


def test_codeowners_lists_exactly_the_locked_files() -> None:
    text = (REPO_ROOT / "CODEOWNERS").read_text("utf-8")
    listed = {
        line.split()[0].removeprefix("/")
        for line in text.splitlines()
        if line.startswith("/models/") and not line.startswith("/models/ ")
    }
    assert listed == {rel for rel in MODEL_FILES if _header_locked(rel)}
    # and every model file, locked or not, belongs to the reviewers team
    assert "\n/models/ @modelvault/model-reviewers\n" in text
    assert "\n* @modelvault/maintainers\n" in text  # nothing unowned


@pytest.mark.parametrize("rel", MODEL_FILES)
def test_recovered_spec_survives_yaml_and_json(rel: str) -> None:
    # What `python -m generator spec ID` prints (YAML or JSON) loads back into a
    # spec that renders the very same file.
    data = (REPO_ROOT / rel).read_bytes()
    parsed = parse_model_file(rel, data)
    spec_data = spec_data_from_literals(parsed.config, parsed.schema)
    as_yaml = yaml.safe_dump(spec_data, sort_keys=False, allow_unicode=True, width=88)
    as_json = json.dumps(spec_data, indent=2, ensure_ascii=False)
    for text in (as_yaml, as_json):
        spec = load_spec_text(text, rel)
        assert render_model_file(spec, previous=parsed.header) == data


def test_spec_yaml_fed_back_regenerates_nothing(tmp_repo: Path) -> None:
    model_id = UNLOCKED_IDS[-1]
    result = run_generator(["spec", model_id], tmp_repo)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"id: {model_id}\n")
    spec_file = tmp_repo.parent / f"{model_id}.yaml"
    spec_file.write_text(result.stdout, "utf-8")
    before = snapshot(tmp_repo)
    again = run_generator(["regenerate", model_id, "--spec", str(spec_file)], tmp_repo)
    assert again.exit_code == 0, again.output
    assert "nothing to change" in again.stdout
    assert snapshot(tmp_repo) == before


def test_spec_round_trip_through_real_processes(tmp_repo: Path) -> None:
    model_id = UNLOCKED_IDS[0]
    shown = run_generator_subprocess(["spec", model_id, "--format", "json"], tmp_repo)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == model_id
    spec_file = tmp_repo.parent / "spec.json"
    spec_file.write_text(shown.stdout, "utf-8")
    before = snapshot(tmp_repo)
    regen = run_generator_subprocess(
        ["regenerate", model_id, "--spec", str(spec_file)], tmp_repo
    )
    assert regen.returncode == 0, regen.stderr
    assert "nothing to change" in regen.stdout
    assert snapshot(tmp_repo) == before
