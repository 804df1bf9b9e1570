"""Bad specs are refused by `python -m generator new`: exit 1, a message naming the
field path and the fix, every problem listed, and nothing written."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    minimal_spec_dict,
    run_generator,
    run_generator_subprocess,
    snapshot,
    write_spec,
)

from generator.modelfile import parse_model_file
from generator.spec import ID_PATTERN, SpecError, load_spec_text, parse_spec

Mutation = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class BadSpec:
    mutate: Mutation
    path: str  # the field path the message must name
    fix: str  # a fragment of the way forward the message must give


def _set(key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[key] = value

    return mutate


def _set_input(name: str, key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["inputs"][name][key] = value

    return mutate


def _set_cost(key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["cost"][key] = value

    return mutate


BAD_SPECS: dict[str, BadSpec] = {
    "unknown-group": BadSpec(_set("group", "text_to_3d"), "group", "'prompt_to_image'"),
    "unknown-provider": BadSpec(_set("provider", "openai"), "provider", "'fal_queue'"),
    "default-outside-enum": BadSpec(
        _set_input("size", "default", "huge"),
        "inputs.size",
        "default 'huge' is not one of ['small', 'large']",
    ),
    "default-above-maximum": BadSpec(
        _set_input("count", "default", 9),
        "inputs.count",
        "default 9 is above maximum 4",
    ),
    "default-below-minimum": BadSpec(
        _set_input("count", "default", 0),
        "inputs.count",
        "default 0 is below minimum 1",
    ),
    "multiplier-for-unknown-parameter": BadSpec(
        _set_cost("multipliers", {"colour": {"red": 2}}),
        "cost.multipliers.colour",
        "use one of ['count', 'fast', 'prompt', 'size']",
    ),
    "multiplier-for-unknown-value": BadSpec(
        _set_cost("multipliers", {"size": {"small": 1, "large": 2, "huge": 4}}),
        "cost.multipliers.size",
        "['huge'] are not values of 'size'; allowed: ['small', 'large']",
    ),
    "multiplier-table-missing-a-value": BadSpec(
        _set_cost("multipliers", {"size": {"small": 1}}),
        "cost.multipliers.size",
        "no multiplier for ['large']; give every value one",
    ),
    "per-unit-non-integer-input": BadSpec(
        _set_cost("per_unit", ["prompt"]),
        "cost.per_unit",
        "'prompt' must name an integer input",
    ),
    "per-unit-unknown-input": BadSpec(
        _set_cost("per_unit", ["images"]),
        "cost.per_unit",
        "'images' must name an integer input",
    ),
    "unknown-top-level-field": BadSpec(
        _set("colour_mode", "rgb"),
        "colour_mode",
        "unknown field; remove it or check its spelling",
    ),
}

BAD_IDS = ["../x", "a/b", "has space", "UpperCase", "-lead", "trail-", "a\\b", ""]


def _refused(tmp_path: Path, root: Path, data: dict[str, Any]) -> str:
    """Run `new --spec` on `data`; assert exit 1 and nothing written; the output."""
    spec_file = write_spec(tmp_path / "spec.yaml", data)
    before = snapshot(tmp_path)
    result = run_generator(["new", "--spec", str(spec_file)], root)
    assert result.exit_code == 1, result.output
    assert snapshot(tmp_path) == before, "a refused spec wrote files"
    return result.stdout + result.stderr


def test_the_minimal_spec_is_valid() -> None:
    # The baseline every bad spec below is one change away from.
    spec = parse_spec(minimal_spec_dict())
    assert spec.path == "models/prompt_to_image/test_model.py"


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_spec_refused_naming_path_and_fix(
    case: str, tmp_path: Path, tmp_repo: Path
) -> None:
    bad = BAD_SPECS[case]
    data = minimal_spec_dict()
    bad.mutate(data)
    output = _refused(tmp_path, tmp_repo, data)
    assert "nothing was written" in output
    assert bad.path in output
    assert bad.fix in output
    # The same problem through the library: SpecError carries it with a path.
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    assert any(
        bad.path in path or message.startswith(bad.path)
        for path, message in caught.value.problems
    ), caught.value.problems


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_id_with_path_characters_refused(
    bad_id: str, tmp_path: Path, tmp_repo: Path
) -> None:
    data = minimal_spec_dict()
    data["id"] = bad_id
    output = _refused(tmp_path, tmp_repo, data)
    assert "  - id: " in output
    assert ID_PATTERN in output  # the fix: what an id must look like
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    assert [path for path, _ in caught.value.problems] == ["id"]
    # Nothing escaped the repository either (e.g. "../x" next to it).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo", "spec.yaml"]


def test_duplicate_id_refused(tmp_path: Path, tmp_repo: Path) -> None:
    data = minimal_spec_dict("kie_veo", "google-veo-3-1-fast")
    data["group"] = "prompt_to_video"
    output = _refused(tmp_path, tmp_repo, data)
    assert "'google-veo-3-1-fast' already exists" in output
    assert "models/prompt_to_video/google_veo_3_1_fast.py" in output
    assert "python -m generator regenerate google-veo-3-1-fast --spec FILE" in output


def test_duplicate_id_in_another_group_refused(tmp_path: Path, tmp_repo: Path) -> None:
    # Same id, different group: it would be a different path, still refused.
    data = minimal_spec_dict("kie_veo", "google-veo-3-1-fast")
    data["group"] = "image_to_video"
    output = _refused(tmp_path, tmp_repo, data)
    assert "'google-veo-3-1-fast' already exists" in output


def test_duplicate_record_id_refused(tmp_path: Path, tmp_repo: Path) -> None:
    existing = tmp_repo / "models/prompt_to_video/google_veo_3_1_fast.py"
    record_id = parse_model_file("x.py", existing.read_bytes()).header.record_id
    data = minimal_spec_dict()
    data["record_id"] = record_id
    output = _refused(tmp_path, tmp_repo, data)
    assert "  - record_id: " in output
    assert record_id in output
    assert "'google-veo-3-1-fast'" in output
    assert "give 'test-model' its own record_id" in output


def test_several_problems_are_all_listed(tmp_path: Path, tmp_repo: Path) -> None:
    data = minimal_spec_dict()
    data["id"] = "../escape"
    data["group"] = "text_to_3d"
    data["provider"] = "openai"
    data["colour_mode"] = "rgb"
    data["inputs"]["size"]["default"] = "huge"
    data["inputs"]["count"]["default"] = 9
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    paths = [path for path, _ in caught.value.problems]
    expected = ["id", "group", "provider", "colour_mode", "inputs.size", "inputs.count"]
    assert sorted(paths) == sorted(expected)
    output = _refused(tmp_path, tmp_repo, data)
    assert "6 problem(s), nothing was written" in output
    for path in expected:
        assert f"  - {path}: " in output


def test_cross_field_problems_each_listed_with_their_own_path() -> None:
    # Three independent cost/field problems: each is its own entry with its path,
    # not one "(spec)" entry with the messages joined by "; ".
    data = minimal_spec_dict()
    data["cost"]["multipliers"] = {"colour": {"red": 2}}
    data["cost"]["per_unit"] = ["prompt"]
    data["image_input_field"] = "picture"
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    paths = [path for path, _ in caught.value.problems]
    assert len(caught.value.problems) == 3, caught.value.problems
    assert "cost.multipliers.colour" in paths
    assert "cost.per_unit" in paths
    assert "image_input_field" in paths


def test_field_and_cross_field_problems_listed_together() -> None:
    # "bad specs get every problem listed": an unknown group must not hide a
    # multiplier for an unknown parameter (the contributor would fix one, rerun,
    # and only then learn of the other).
    data = minimal_spec_dict()
    data["group"] = "text_to_3d"
    data["cost"]["multipliers"] = {"colour": {"red": 2}}
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    text = str(caught.value)
    assert "group" in [path for path, _ in caught.value.problems]
    assert "cost.multipliers.colour" in text, caught.value.problems


def test_not_a_mapping_and_not_yaml_refused() -> None:
    with pytest.raises(SpecError) as caught:
        load_spec_text("- just\n- a list\n", "list.yaml")
    assert caught.value.problems[0][0] == "(spec)"
    assert "list.yaml" in str(caught.value)
    with pytest.raises(SpecError) as caught:
        load_spec_text("id: [unclosed\n", "broken.yaml")
    assert caught.value.problems[0][0] == "(file)"
    assert "not valid YAML or JSON" in caught.value.problems[0][1]


def test_yaml_int_and_bool_keys_become_enum_keys() -> None:
    # YAML turns `5: 2` and `true: 3` into int/bool keys; they must still match.
    data = minimal_spec_dict()
    data["inputs"]["seconds"] = {
        "type": "integer",
        "title": "Seconds",
        "default": 5,
        "enum": [5, 10],
    }
    data["cost"]["multipliers"] = {
        "seconds": {5: 1, 10: 2},
        "fast": {True: 3, False: 1},
    }
    text = yaml.safe_dump(data, sort_keys=False)
    spec = load_spec_text(text)
    assert spec.cost.multipliers["seconds"].keys() == {"5", "10"}
    assert spec.cost.multipliers["fast"].keys() == {"true", "false"}


def test_bad_spec_refused_by_a_real_process(tmp_path: Path, tmp_repo: Path) -> None:
    data = minimal_spec_dict()
    data["id"] = "../../etc/passwd"
    data["cost"]["base"] = "-1"
    spec_file = write_spec(tmp_path / "spec.yaml", data)
    before = snapshot(tmp_path)
    proc = run_generator_subprocess(["new", "--spec", str(spec_file)], tmp_repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"2 problem\(s\), nothing was written", proc.stderr)
    assert "  - id: " in proc.stderr
    assert "  - cost.base: " in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(tmp_path) == before
