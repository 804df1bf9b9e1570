"""`python -m generator drift`, the drift issues and `.github/workflows/drift.yml`.

Models are made the way a contributor makes them: imported from a provider's
real schema (tests/data/schemas/, see tests/test_import.py for their provenance),
gaps filled, `generator new`. Drift then reads the providers' documents from a
--schema-dir, or fetches them from a loopback fake (tests/schema_fake.py). The
issue sync runs against the loopback GitHub fake (tests/github_fake.py), in
process and under act.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from act_support import (
    REPOSITORY,
    Workspace,
    dispatch_event,
    fake_github,
    git,
    make_workspace,
    needs_act,
)
from click.testing import CliRunner, Result
from conftest import run_generator
from github_fake import FakeGitHub
from schema_fake import REPLICATE_TOKEN, SchemaServer

import modelvault
from generator.drift import (
    Difference,
    ModelDrift,
    compare_inputs,
    drift_report,
    schema_file_name,
)
from generator.drift_issues import LABEL, TITLE_PREFIX, IssueClient, plan, sync
from generator.github import GitHubError, GitHubSettings
from generator.importer import ProviderField, draft_spec, load_document, parse_target

DATA = Path(__file__).parent / "data" / "schemas"
SEEDREAM = "fal-ai/bytedance/seedream/v4/text-to-image"
SEEDREAM_ID = "bytedance-seedream-v4-text-to-image-fal"
AUDIO_LDM = "haoheliu/audio-ldm"
AUDIO_LDM_ID = "haoheliu-audio-ldm-replicate"
TESTING_SCHEMAS = Path(__file__).parents[1] / "modelvault" / "testing" / "schemas"


def _doc(name: str) -> Any:
    return json.loads((DATA / f"{name}.json").read_text("utf-8"))


def _add_model(root: Path, tmp: Path, target: str, doc_name: str) -> str:
    """import -> fill the gaps -> generator new, in `root`."""
    path = DATA / f"{doc_name}.json"
    draft = draft_spec(
        parse_target(target), load_document(path.read_bytes(), str(path)), str(path)
    )
    draft.update(name="Imported", cost={"base": "1"}, estimated_seconds=20, gaps=[])
    spec = tmp / f"{draft['id']}.json"
    spec.write_text(json.dumps(draft), "utf-8")
    result = run_generator(["new", "--spec", str(spec)], root)
    assert result.exit_code == 0, result.output
    return str(draft["id"])


def _store(folder: Path, family: str, model: str, doc: Any) -> Path:
    path = folder / schema_file_name(family, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), "utf-8")
    return path


@pytest.fixture
def catalog(tmp_repo: Path, tmp_path: Path) -> Path:
    """The catalog plus two imported models: seedream (fal) and audio-ldm
    (Replicate)."""
    assert (
        _add_model(
            tmp_repo, tmp_path, f"fal:{SEEDREAM}", "fal/seedream-v4-text-to-image"
        )
        == SEEDREAM_ID
    )
    assert (
        _add_model(tmp_repo, tmp_path, f"replicate:{AUDIO_LDM}", "replicate/audio-ldm")
        == AUDIO_LDM_ID
    )
    return tmp_repo


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    folder = tmp_path / "schemas"
    _store(folder, "fal_queue", SEEDREAM, _doc("fal/seedream-v4-text-to-image"))
    _store(folder, "replicate", AUDIO_LDM, _doc("replicate/audio-ldm"))
    return folder


def _drift(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    from generator.cli import main

    return CliRunner().invoke(
        main, ["drift", *args, "--root", str(root)], env=env, catch_exceptions=False
    )


def _mine(*extra: str) -> list[str]:
    return ["--model", SEEDREAM_ID, "--model", AUDIO_LDM_ID, *extra]


def _report(result: Result) -> dict[str, Any]:
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def _model(report: dict[str, Any], model_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in report["models"] if m["id"] == model_id)
    return found


# --- drift ----------------------------------------------------------------------------


def test_an_imported_model_has_no_drift_from_its_own_schema(
    catalog: Path, schemas: Path
) -> None:
    result = _drift(catalog, "--schema-dir", str(schemas), *_mine())
    assert result.exit_code == 0, result.output
    assert "2 model(s) compared" in result.stdout
    assert "0 drifted, 0 could not be checked" in result.stdout


def _changed_seedream() -> dict[str, Any]:
    """seedream's real document, as if fal had changed it since the import."""
    doc: dict[str, Any] = copy.deepcopy(_doc("fal/seedream-v4-text-to-image"))
    schema = doc["components"]["schemas"]["BytedanceSeedreamV4TextToImageInput"]
    props = schema["properties"]
    del props["max_images"]  # removed
    props["guidance_scale"] = {"type": "number", "minimum": 1, "maximum": 20}  # added
    props["style"] = {"type": "string", "enum": ["photo", "art"]}  # added, required
    schema["required"].append("style")
    props["num_images"]["maximum"] = 4  # changed: narrower than the model's 6
    props["num_images"]["default"] = 2  # changed: another default
    props["image_size"]["anyOf"][1]["enum"].remove("auto_4K")  # a preset gone
    doc["components"]["schemas"]["ImageSize"]["properties"]["width"]["maximum"] = 8192
    return doc


def test_drift_finds_added_removed_and_changed_fields(
    catalog: Path, schemas: Path
) -> None:
    _store(schemas, "fal_queue", SEEDREAM, _changed_seedream())
    audio = copy.deepcopy(_doc("replicate/audio-ldm"))
    audio["components"]["schemas"]["Input"]["properties"]["n_candidates"]["type"] = (
        "string"
    )
    _store(schemas, "replicate", AUDIO_LDM, audio)

    text = _drift(catalog, "--schema-dir", str(schemas), *_mine())
    assert text.exit_code == 1, text.output
    assert f"{SEEDREAM_ID} (fal_queue {SEEDREAM}, unlocked): 7 difference(s)" in (
        text.stdout
    )
    lines = text.stdout.splitlines()
    assert any(
        re.fullmatch(r"  removed  max_images: the model has .*\[breaking\]", line)
        for line in lines
    )
    assert any(line.startswith("  added    guidance_scale: ") for line in lines)
    assert "  changed  num_images maximum: model 6, provider 4  [breaking]" in lines
    assert "  changed  num_images default: model 1, provider 2" in lines
    assert (
        '  changed  n_candidates type: model "integer", provider "string"  [breaking]'
        in lines
    )

    report = _report(_drift(catalog, "--schema-dir", str(schemas), "--json", *_mine()))
    assert report["exit_status"] == 1
    assert report["summary"]["drifted"] == [SEEDREAM_ID, AUDIO_LDM_ID]
    found = {
        (d["kind"], d["field"], d["aspect"]): d
        for d in _model(report, SEEDREAM_ID)["differences"]
    }
    assert set(found) == {
        ("removed", "max_images", None),
        ("added", "guidance_scale", None),
        ("added", "style", None),
        ("changed", "num_images", "maximum"),
        ("changed", "num_images", "default"),
        ("changed", "image_size", "presets"),
        ("changed", "image_size.width", "maximum"),
    }
    assert found[("removed", "max_images", None)]["breaking"] is True
    assert found[("removed", "max_images", None)]["input"] == "max_images"
    assert found[("added", "guidance_scale", None)]["breaking"] is False
    assert found[("added", "guidance_scale", None)]["provider"] == {
        "type": "number",
        "minimum": 1,
        "maximum": 20,
        "required": False,
    }
    assert found[("added", "style", None)]["breaking"] is True  # required, no default
    maximum = found[("changed", "num_images", "maximum")]
    assert (maximum["model"], maximum["provider"], maximum["breaking"]) == (6, 4, True)
    presets = found[("changed", "image_size", "presets")]
    assert "auto_4K" in presets["model"] and "auto_4K" not in presets["provider"]
    assert presets["breaking"] is True
    width = found[("changed", "image_size.width", "maximum")]
    assert (width["model"], width["provider"], width["breaking"]) == (14142, 8192, True)
    assert _model(report, SEEDREAM_ID)["locked"] is False
    assert re.fullmatch(r"[0-9a-f]{16}", _model(report, SEEDREAM_ID)["fingerprint"])


def test_a_missing_or_malformed_schema_names_the_model_and_the_rest_are_checked(
    catalog: Path, schemas: Path
) -> None:
    (schemas / schema_file_name("replicate", AUDIO_LDM)).write_text("{oops", "utf-8")
    # The catalog's own seedream-4-fal shares seedream's stored schema and
    # differs from it on purpose (see generator/drift_accepted.json): leave it out.
    others = [m.id for m in modelvault.list_models() if m.id != "seedream-4-fal"]
    chosen = [arg for model in others for arg in ("--model", model)]
    result = _drift(catalog, "--schema-dir", str(schemas), *_mine(*chosen))
    assert result.exit_code == 2, result.output  # no drift among those checked
    assert (
        f"error: {AUDIO_LDM_ID}: {schemas / 'replicate' / 'haoheliu__audio-ldm.json'}: "
        "not JSON (line 1, column 2" in result.stderr
    )
    missing = schemas / "fal_queue" / "fal-ai__flux__schnell.json"
    assert f"error: flux-1-schnell-fal: no schema file {missing}" in result.stderr
    assert "1 model(s) compared" in result.stdout  # seedream, still checked
    assert "skipped (kie_4o, kie_jobs, kie_veo, runware: no published schema)" in (
        result.stdout
    )
    _store(schemas, "fal_queue", SEEDREAM, _changed_seedream())
    both = _drift(catalog, "--schema-dir", str(schemas), "--json", *_mine(*chosen))
    assert both.exit_code == 3
    report = _report(both)
    assert report["exit_status"] == 3
    assert AUDIO_LDM_ID in report["summary"]["unchecked"]
    assert _model(report, AUDIO_LDM_ID)["status"] == "error"
    assert _model(report, "seedance-v1-lite")["status"] == "skipped"
    assert "drift: 1 model(s) compared" in both.stderr  # the summary, for people


def test_a_broken_model_file_is_reported_and_the_rest_checked(
    catalog: Path, schemas: Path
) -> None:
    (catalog / "models" / "prompt_to_image" / "broken_one.py").write_text(
        "not a model file\n", "utf-8"
    )
    report = _report(_drift(catalog, "--schema-dir", str(schemas), "--json"))
    broken = _model(report, "broken-one")
    assert broken["status"] == "error"
    assert "no valid model header" in broken["error"]
    assert _model(report, SEEDREAM_ID)["status"] == "ok"


def test_accepted_differences_are_not_drift_until_either_side_changes(
    catalog: Path, schemas: Path
) -> None:
    _store(schemas, "fal_queue", SEEDREAM, _changed_seedream())
    no_reason = _drift(catalog, "--schema-dir", str(schemas), "--accept", SEEDREAM_ID)
    assert no_reason.exit_code == 2  # usage: --reason is required
    accepted = _drift(
        catalog,
        "--schema-dir",
        str(schemas),
        "--accept",
        SEEDREAM_ID,
        "--reason",
        "left out on purpose",
    )
    assert accepted.exit_code == 0, accepted.output
    assert f"{SEEDREAM_ID}: 7 difference(s) recorded as accepted" in accepted.stdout
    stored = json.loads((catalog / "generator" / "drift_accepted.json").read_text())
    assert {e["reason"] for e in stored["accepted"]} == {"left out on purpose"}
    assert len(stored["accepted"]) == 7

    quiet = _drift(catalog, "--schema-dir", str(schemas), *_mine())
    assert quiet.exit_code == 0, quiet.output
    assert "7 accepted difference(s) not counted" in quiet.stdout

    doc = _changed_seedream()
    schema = doc["components"]["schemas"]["BytedanceSeedreamV4TextToImageInput"]
    schema["properties"]["num_images"]["maximum"] = 3  # the provider moved again
    _store(schemas, "fal_queue", SEEDREAM, doc)
    again = _drift(catalog, "--schema-dir", str(schemas), "--json", *_mine())
    assert again.exit_code == 1
    model = _model(_report(again), SEEDREAM_ID)
    open_diffs = [d for d in model["differences"] if not d["accepted"]]
    assert [(d["field"], d["aspect"], d["provider"]) for d in open_diffs] == [
        ("num_images", "maximum", 3)
    ]
    assert model["stale_accepted"] == 1  # the entry for maximum 4


def test_the_fingerprint_is_the_same_for_the_same_drift(
    catalog: Path, schemas: Path
) -> None:
    _store(schemas, "fal_queue", SEEDREAM, _changed_seedream())
    runs = [
        _model(
            _report(_drift(catalog, "--schema-dir", str(schemas), "--json", *_mine())),
            SEEDREAM_ID,
        )["fingerprint"]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    doc = _changed_seedream()
    del doc["components"]["schemas"]["BytedanceSeedreamV4TextToImageInput"][
        "properties"
    ]["guidance_scale"]
    _store(schemas, "fal_queue", SEEDREAM, doc)
    other = _report(_drift(catalog, "--schema-dir", str(schemas), "--json", *_mine()))
    assert _model(other, SEEDREAM_ID)["fingerprint"] != runs[0]


def test_drift_fetches_from_the_providers_when_no_dir_is_given(
    catalog: Path,
) -> None:
    with SchemaServer() as server:
        server.fal[SEEDREAM] = (
            DATA / "fal" / "seedream-v4-text-to-image.json"
        ).read_bytes()
        server.replicate[AUDIO_LDM] = _doc("replicate/audio-ldm")
        bases = ["--fal-api-base", server.base_url]
        env = {"MODELVAULT_REPLICATE_API_BASE": server.base_url}
        ok = _drift(
            catalog,
            *bases,
            *_mine(),
            env={**env, "REPLICATE_API_TOKEN": REPLICATE_TOKEN},
        )
        assert ok.exit_code == 0, ok.output
        paths = sorted(p for p, _auth in server.requests)
        assert paths == [
            f"/api/openapi/queue/openapi.json?endpoint_id={SEEDREAM}",
            f"/v1/models/{AUDIO_LDM}",
        ]
        no_token = _drift(
            catalog, *bases, *_mine(), "--json", env={**env, "REPLICATE_API_TOKEN": ""}
        )
        assert no_token.exit_code == 2
        report = _report(no_token)
        assert "REPLICATE_API_TOKEN is not set" in _model(report, AUDIO_LDM_ID)["error"]
        assert _model(report, SEEDREAM_ID)["status"] == "ok"
        assert _model(report, SEEDREAM_ID)["source"] == (
            f"{server.base_url}/api/openapi/queue/openapi.json?endpoint_id={SEEDREAM}"
        )


def test_unknown_model_and_usage_errors(catalog: Path) -> None:
    result = _drift(catalog, "--model", "no-such-model", "--schema-dir", "x")
    assert result.exit_code == 1
    assert "no model no-such-model in models/" in result.stderr


def test_help_documents_exit_codes_and_naming() -> None:
    from generator.cli import main

    text = CliRunner().invoke(main, ["drift", "--help"]).output
    assert "DIR/<family>/<provider model with" in text
    assert "DIR/fal_queue/fal-ai__flux__schnell.json" in text
    for line in (
        "0  every model compared",
        "1  drift",
        "2  some models could not",
        "3  both",
    ):
        assert line in text


# --- comparing fields (pure) ----------------------------------------------------------


def _provider(**fields: dict[str, Any]) -> dict[str, ProviderField]:
    return {k: ProviderField(k, k, v) for k, v in fields.items()}


def _kinds(diffs: list[Difference]) -> list[tuple[str, str, str | None, bool]]:
    return [(d.kind, d.field, d.aspect, d.breaking) for d in diffs]


def test_compare_breaking_and_compatible_changes() -> None:
    model: dict[str, dict[str, Any]] = {
        "steps": {"type": "integer", "minimum": 1, "maximum": 8, "default": 4},
        "scale": {"type": "integer", "title": "Scale"},
        "size": {"type": "string", "enum": ["a", "b"], "default": "a"},
        "mode": {"type": "string", "enum": ["x", "y"], "default": "x"},
        "prompt": {"type": "string", "required": True},
    }
    provider = _provider(
        steps={"type": "integer", "minimum": 1, "maximum": 50, "default": 28},
        scale={"type": "number"},
        size={"type": "string", "enum": ["a", "b", "c"]},
        mode={"type": "string", "enum": ["x"]},
        prompt={"type": "string", "required": True, "max_length": 100},
        seed={"type": "integer", "required": False},
    )
    assert _kinds(compare_inputs(model, {}, provider)) == [
        ("changed", "mode", "enum", True),  # "y" no longer taken
        ("changed", "prompt", "max_length", True),
        ("changed", "scale", "type", False),  # integers are numbers
        ("changed", "size", "enum", False),  # the provider offers more
        ("changed", "steps", "default", False),
        ("changed", "steps", "maximum", False),  # the provider allows more
        ("added", "seed", None, False),
    ]


def test_compare_string_enum_against_object_presets_and_constants() -> None:
    """The catalog's fal models keep image_size as a string enum of presets."""
    model: dict[str, dict[str, Any]] = {
        "image_size": {
            "type": "string",
            "enum": ["square", "landscape_4_3"],
            "default": "landscape_4_3",
        }
    }
    provider = _provider(
        image_size={
            "type": "object",
            "fields": {"width": {"type": "integer"}, "height": {"type": "integer"}},
            "presets": ["square", "landscape_4_3"],
            "default": "landscape_4_3",
        },
        sync_mode={"type": "boolean"},
        out={"type": "string", "enum": ["url"]},
    )
    assert compare_inputs(model, {"sync_mode": False, "out": "url"}, provider) == []
    changed = compare_inputs(model, {"out": "bytes", "gone": 1}, provider)
    assert _kinds(changed) == [
        ("removed", "gone", None, True),
        ("changed", "out", "value", True),
        ("added", "sync_mode", None, False),
    ]


def test_compare_required_and_unreadable_fields() -> None:
    model = {"a": {"type": "string"}, "b": {"type": "string", "default": "x"}}
    provider = {
        "a": ProviderField("a", "a", {"type": "string", "required": True}),
        "b": ProviderField("b", "b", {"type": "string", "required": True}),
        "c": ProviderField("c", "c", None, "an array of objects"),
    }
    assert _kinds(compare_inputs(model, {}, provider)) == [
        ("changed", "a", "required", True),
        ("changed", "b", "required", False),  # the model always sends its default
        ("added", "c", None, False),
    ]
    added = compare_inputs(model, {}, provider)[-1]
    assert added.provider == {"unreadable": "an array of objects"}


# --- the issues (against the loopback GitHub fake) ------------------------------------


def _result(
    model_id: str, status: str, diffs: list[Difference] | None = None
) -> ModelDrift:
    return ModelDrift(
        id=model_id,
        path=f"models/prompt_to_image/{model_id.replace('-', '_')}.py",
        provider="fal_queue",
        provider_model=f"fal-ai/{model_id}",
        locked=True,
        status=status,  # type: ignore[arg-type]
        source="https://fal.ai/api/openapi/queue/openapi.json",
        error="provider down" if status == "error" else None,
        differences=diffs or [],
    )


def _diff(maximum: int) -> list[Difference]:
    return [
        Difference("changed", "num_images", "num_images", "maximum", 4, maximum, True)
    ]


def _client(fake: FakeGitHub) -> IssueClient:
    return IssueClient(GitHubSettings(fake.base_url, fake.repository, fake.token))


def _sync(fake: FakeGitHub, *results: ModelDrift) -> list[str]:
    lines: list[str] = []
    with _client(fake) as client:
        sync(drift_report(list(results), "test"), client, echo=lines.append)
    return lines


def _writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests if r.method in ("POST", "PATCH")]


def test_sync_opens_one_issue_per_drifted_model_and_is_idempotent() -> None:
    with FakeGitHub() as fake:
        fake.seed_pull("feature/x", title="Provider schema drift: flux-a")  # a PR
        fake.seed_issue("an unrelated bug", "text")
        lines = _sync(
            fake, _result("flux-a", "drift", _diff(2)), _result("flux-b", "ok")
        )
        opened = [
            i for i in fake.issues.values() if i["title"].startswith(TITLE_PREFIX)
        ]
        assert len(opened) == 1 and lines[0].startswith("opened #3 flux-a: https://")
        issue = opened[0]
        assert issue["title"] == "Provider schema drift: flux-a"
        assert issue["body"].startswith("<!-- modelvault-drift model=flux-a -->")
        assert [label["name"] for label in issue["labels"]] == [LABEL]
        assert "| changed | `num_images` | maximum | `4` | `2` | yes |" in issue["body"]
        assert "python -m generator unlock flux-a" in issue["body"]  # locked
        assert "drift --accept flux-a" in issue["body"]

        before = len(_writes(fake))
        again = _sync(
            fake, _result("flux-a", "drift", _diff(2)), _result("flux-b", "ok")
        )
        assert len(_writes(fake)) == before  # same drift: nothing written
        assert again == ["keep   #3 flux-a: same drift"]

        _sync(fake, _result("flux-a", "drift", _diff(1)))
        assert _writes(fake)[-1] == ("PATCH", f"/repos/{fake.repository}/issues/3")
        assert "| `4` | `1` |" in fake.issues[3]["body"]
        assert len(fake.issues) == 2  # still one drift issue

        _sync(fake, _result("flux-a", "ok"))
        closed = fake.issues[3]
        assert (closed["state"], closed["state_reason"]) == ("closed", "completed")
        assert closed["body"].endswith(
            "**Closed by the drift workflow:** its inputs match the provider's "
            "schema again."
        )
        assert fake.pulls[1]["state"] == "open"  # the PR was never touched
        assert fake.issues[2]["state"] == "open"

        _sync(fake, _result("flux-a", "drift", _diff(2)))  # back again: a new issue
        assert fake.issues[4]["state"] == "open"
        assert not fake.calls("POST", r"/pulls$")


def test_sync_keeps_unchecked_models_closes_gone_ones_and_duplicates() -> None:
    with FakeGitHub() as fake:
        body = "<!-- modelvault-drift model={} -->\nold text"
        down = fake.seed_issue(TITLE_PREFIX + "down", body.format("down"))
        gone = fake.seed_issue(TITLE_PREFIX + "gone", body.format("gone"))
        first = fake.seed_issue(TITLE_PREFIX + "dup", body.format("dup"))
        second = fake.seed_issue("renamed by a person", body.format("dup"))
        by_title = fake.seed_issue(TITLE_PREFIX + "titled", "marker edited away")
        lines = _sync(
            fake,
            _result("down", "error"),
            _result("dup", "drift", _diff(2)),
            _result("titled", "ok"),
        )
        assert fake.issues[down]["state"] == "open"  # not checked: kept as it is
        assert fake.issues[down]["body"] == body.format("down")
        assert fake.issues[gone]["state"] == "closed"
        assert "no longer in the catalog" in fake.issues[gone]["body"]
        assert fake.issues[first]["state"] == "open"  # the oldest tracks it
        assert fake.issues[second]["state_reason"] == "not_planned"
        assert f"Duplicate of #{first}" in fake.issues[second]["body"]
        assert fake.issues[by_title]["state"] == "closed"  # found by its title
        assert f"keep   #{down} down: not checked (error)" in lines


def test_sync_reads_every_page_of_open_issues() -> None:
    with FakeGitHub() as fake:
        for n in range(130):
            fake.seed_issue(f"issue {n}")
        late = fake.seed_issue(
            TITLE_PREFIX + "late", "<!-- modelvault-drift model=late -->"
        )
        _sync(fake, _result("late", "ok"))
        assert fake.issues[late]["state"] == "closed"
        pages = [r.query.get("page") for r in fake.calls("GET", r"/issues$")]
        assert pages == ["1", "2"]


def test_sync_refuses_a_bad_report_and_says_what_github_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.cli import main

    with FakeGitHub() as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.base_url)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.repository)
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        bad = tmp_path / "bad.json"
        bad.write_text('{"models": []}', "utf-8")
        result = CliRunner().invoke(main, ["drift-issues", str(bad)])
        assert result.exit_code == 1
        assert "not a drift report (version 1)" in result.stderr

        report = tmp_path / "drift.json"
        report.write_text(
            json.dumps(drift_report([_result("flux-a", "drift", _diff(2))], "t")),
            "utf-8",
        )
        dry = CliRunner().invoke(main, ["drift-issues", str(report), "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "would create flux-a (drift)" in dry.stdout
        assert not fake.issues

        fake.inject(
            "POST",
            r"/issues$",
            status=403,
            body={"message": "Resource not accessible by integration"},
        )
        refused = CliRunner().invoke(main, ["drift-issues", str(report)])
        assert refused.exit_code == 1
        assert "GitHub forbade opening the issue" in refused.stderr
        assert fake.token not in refused.output


def test_plan_is_pure_and_values_cannot_break_the_table() -> None:
    hostile = Difference(
        "changed", "mode", "mode", "enum", ["a|b", "`x`"], ["<script>"], True
    )
    report = drift_report([_result("m", "drift", [hostile])], "t")
    (action,) = plan(report, [])
    assert action.kind == "create"
    row = next(
        line for line in action.body.splitlines() if line.startswith("| changed")
    )
    assert row.count(" | ") == 5  # six cells: no pipe escaped the code spans
    assert "\\|" in row


def test_the_fake_lists_pull_requests_as_issues_and_searches(
    tmp_path: Path,
) -> None:
    import httpx

    with FakeGitHub() as fake:
        pull = fake.seed_pull("feature/a", title="a pull request")
        issue = fake.seed_issue("drift here", "body words", labels=("model-drift",))
        fake.seed_issue("closed one", state="closed")
        headers = {"Authorization": f"Bearer {fake.token}"}
        api = f"{fake.base_url}/repos/{fake.repository}"
        listed = httpx.get(f"{api}/issues", headers=headers, params={"per_page": "1"})
        assert listed.status_code == 200
        assert [i["number"] for i in listed.json()] == [issue]  # newest first
        assert 'rel="next"' in listed.headers["link"]
        both = httpx.get(f"{api}/issues", headers=headers).json()
        assert {i["number"]: "pull_request" in i for i in both} == {
            pull: True,
            issue: False,
        }
        labelled = httpx.get(
            f"{api}/issues", headers=headers, params={"labels": "model-drift"}
        )
        assert [i["number"] for i in labelled.json()] == [issue]
        found = httpx.get(
            f"{fake.base_url}/search/issues",
            headers=headers,
            params={"q": f'repo:{fake.repository} is:issue is:open in:title "drift"'},
        ).json()
        assert found["total_count"] == 1 and found["items"][0]["number"] == issue
        no_title = httpx.post(f"{api}/issues", headers=headers, json={"body": "x"})
        assert no_title.status_code == 422
        bad_state = httpx.patch(
            f"{api}/issues/{issue}", headers=headers, json={"state": "done"}
        )
        assert bad_state.status_code == 422
        reopened = httpx.patch(
            f"{api}/issues/3", headers=headers, json={"state": "open"}
        ).json()
        assert (reopened["state"], reopened["state_reason"]) == ("open", "reopened")
        assert httpx.get(f"{api}/issues/99", headers=headers).status_code == 404
        assert httpx.get(f"{api}/issues", headers={}).status_code == 401


def test_client_errors_name_the_call() -> None:
    with FakeGitHub() as fake, _client(fake) as client:
        fake.inject("GET", r"/issues$", status=500)
        with pytest.raises(
            GitHubError, match="server error on listing the open issues"
        ):
            client.open_issues()


# --- the workflow, under act ----------------------------------------------------------


def _serve_catalog_schemas(server: SchemaServer) -> None:
    """The providers' schemas for the catalog's fal and Replicate models: the
    copies the provider fakes validate against (modelvault/testing/schemas)."""
    for family in ("fal_queue", "replicate"):
        for path in sorted((TESTING_SCHEMAS / family).glob("*.json")):
            data = json.loads(path.read_text("utf-8"))
            if family == "fal_queue":
                server.fal[data["provider_model"]] = json.dumps(data["schema"]).encode()
            else:
                server.replicate[data["provider_model"]] = data["schema"]


def _drop_property(document: Any, name: str) -> None:
    """Remove input property `name` wherever the document defines properties."""
    if isinstance(document, dict):
        props = document.get("properties")
        if isinstance(props, dict):
            props.pop(name, None)
        for value in document.values():
            _drop_property(value, name)
    elif isinstance(document, list):
        for value in document:
            _drop_property(value, name)


def _drifted_locally(root: Path, server: SchemaServer, folder: Path) -> set[str]:
    """The models `generator drift` reports drifted over the schemas `server`
    serves (written as a --schema-dir)."""
    for model, raw in server.fal.items():
        path = folder / schema_file_name("fal_queue", model)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    for model, schema in server.replicate.items():
        path = folder / schema_file_name("replicate", model)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema), "utf-8")
    report = _report(_drift(root, "--schema-dir", str(folder), "--json"))
    return set(report["summary"]["drifted"])


def _act_drift(
    workspace: Workspace, fake: FakeGitHub, server: SchemaServer, *, token: bool
) -> Any:
    event = workspace.event("drift", dispatch_event({}))
    extra = [
        "--env",
        f"MODELVAULT_FAL_API_BASE={server.base_url}",
        "--env",
        f"MODELVAULT_REPLICATE_API_BASE={server.base_url}",
    ]
    if token:
        extra += ["-s", f"REPLICATE_API_TOKEN={server.token}"]
    return workspace.act(
        "workflow_dispatch", "drift.yml", "drift", event, fake=fake, extra=extra
    )


@pytest.mark.act
@needs_act
def test_act_drift_workflow_keeps_one_issue_per_drifted_model(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    head = git(workspace.root, "rev-parse", "HEAD")
    with fake_github(workspace) as fake, SchemaServer() as server:
        _serve_catalog_schemas(server)
        stale = fake.seed_issue(
            TITLE_PREFIX + "lyria-2-fal",
            "<!-- modelvault-drift model=lyria-2-fal -->\nold drift",
            labels=(LABEL,),
        )
        other = fake.seed_issue("a bug report", "unrelated")
        done = _act_drift(workspace, fake, server, token=True)
        assert done.returncode == 0, done.stdout[-4000:]
        assert "drift exit status 1" in done.stdout
        drift_issues = {
            i["title"].removeprefix(TITLE_PREFIX): i
            for i in fake.issues.values()
            if i["title"].startswith(TITLE_PREFIX) and i["state"] == "open"
        }
        # One issue per model the same drift check reports over the same
        # schemas (the catalog grows: the set is computed, with fixed anchors).
        # The copies list what the catalog leaves out (sync_mode, acceleration,
        # num_frames, subtitle_enable): those models drift.
        expected = _drifted_locally(workspace.root, server, tmp_path / "schemas")
        assert set(drift_issues) == expected
        assert {
            "minimax-speech-02-turbo-replicate",
            "recraft-crisp-upscale-fal",
            "seedance-v1-lite-image-to-video-fal",
        } <= expected
        assert (
            "| added | `sync_mode` |"
            in drift_issues["recraft-crisp-upscale-fal"]["body"]
        )
        assert fake.issues[stale]["state"] == "closed"  # lyria compares clean
        assert fake.issues[stale]["state_reason"] == "completed"
        assert fake.issues[other]["state"] == "open"
        assert not fake.pulls  # never a pull request
        assert fake.token not in done.stdout + done.stderr
        assert server.token not in done.stdout + done.stderr
        writes = len(_writes(fake))

        again = _act_drift(workspace, fake, server, token=True)
        assert again.returncode == 0, again.stdout[-4000:]
        assert len(_writes(fake)) == writes  # same drift: no issue written
        assert "drift issues: 0 change(s)" in again.stdout

        # fal's crisp upscale schema now lists what the model sends (no
        # sync_mode); no Replicate token
        crisp = json.loads(server.fal["fal-ai/recraft/upscale/crisp"])
        _drop_property(crisp, "sync_mode")
        server.fal["fal-ai/recraft/upscale/crisp"] = json.dumps(crisp).encode()
        third = _act_drift(workspace, fake, server, token=False)
        assert third.returncode == 0, third.stdout[-4000:]
        assert "drift exit status 3" in third.stdout
        assert drift_issues["recraft-crisp-upscale-fal"]["number"] in {
            i["number"] for i in fake.issues.values() if i["state"] == "closed"
        }
        replicate = fake.issues[
            drift_issues["minimax-speech-02-turbo-replicate"]["number"]
        ]
        assert replicate["state"] == "open"  # not checked this time: kept
    # nothing was committed, pushed or changed in the checkout
    assert git(workspace.root, "status", "--porcelain") == ""
    assert git(workspace.root, "rev-parse", "HEAD") == head
    branches = git(workspace.root, "ls-remote", "--heads", "origin")
    assert [line.split("refs/heads/")[1] for line in branches.splitlines()] == ["main"]
    assert fake.repository == REPOSITORY
