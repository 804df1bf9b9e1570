"""The GitHub Actions workflows: static rules, the form -> spec step, and real runs
with act (tests/act_support.py says how). The lock gate has its own module,
tests/test_lock_gate.py."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from act_support import (
    REPO,
    REPOSITORY,
    WORKFLOWS,
    Workspace,
    a_locked_model,
    copy_work_tree,
    dispatch_event,
    fake_github,
    git,
    make_workspace,
    needs_act,
    only_pull,
)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path)


def _yaml(path: Path) -> dict[Any, Any]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def _workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


# --- static rules ------------------------------------------------------------------


def test_the_pipeline_workflows_exist() -> None:
    names = {p.name for p in _workflow_files()}
    assert {
        "ci.yml",
        "lock-gate.yml",
        "add-model.yml",
        "lock.yml",
        "unlock.yml",
        "release.yml",
        "drift.yml",
    } <= names


@pytest.mark.parametrize("path", _workflow_files(), ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_sha_with_a_version_comment(path: Path) -> None:
    for line in path.read_text("utf-8").splitlines():
        match = re.search(r"uses:\s*(\S+)", line)
        if not match or match.group(1).startswith("./"):
            continue
        ref = match.group(1)
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), line
        assert re.search(r"#\s*v\d", line), f"no version comment: {line}"


@pytest.mark.parametrize("path", _workflow_files(), ids=lambda p: p.name)
def test_least_privilege_and_concurrency(path: Path) -> None:
    data = _yaml(path)
    assert data.get("permissions") == {}, "workflow-level permissions: {} (none)"
    assert "concurrency" in data
    for name, job in data["jobs"].items():
        assert "permissions" in job, f"job {name} states its permissions"
        perms = job["permissions"]
        writes = {k for k, v in perms.items() if v == "write"}
        if path.name in ("add-model.yml", "lock.yml", "unlock.yml"):
            assert writes == {"contents", "pull-requests"}, name
        elif path.name == "drift.yml":
            assert writes == {"issues"}, name  # issues only: never a PR or a file
        elif name == "publish":
            assert writes == {"id-token"}, name
            assert job["environment"]
        else:
            assert not writes, f"{path.name} job {name} writes {writes}"


@pytest.mark.parametrize("path", _workflow_files(), ids=lambda p: p.name)
def test_no_expression_in_run_lines_and_checkout_credentials(path: Path) -> None:
    data = _yaml(path)
    for name, job in data["jobs"].items():
        opens_pr = path.name in ("add-model.yml", "lock.yml", "unlock.yml")
        for step in job["steps"]:
            if "run" in step:
                # Inputs, event fields, everything: through env:, never spliced.
                assert "${{" not in step["run"], f"{name}: {step['run']}"
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                persist = step.get("with", {}).get("persist-credentials")
                assert persist is opens_pr, (path.name, name)


def test_ci_runs_on_merge_group_and_leaves_the_locks_to_the_gate() -> None:
    """ci.yml runs the PR's own code: it is no place for the lock rules (the lock
    gate runs them with the base's tooling); it runs on the merge queue too."""
    data = _yaml(WORKFLOWS / "ci.yml")
    assert set(data[True]) == {"pull_request", "merge_group", "push"}  # `on` -> True
    runs = [str(s.get("run")) for job in data["jobs"].values() for s in job["steps"]]
    assert any("python -m generator check" in run for run in runs)
    assert not any("generator verify" in run for run in runs)


def test_add_model_passes_every_input_through_env() -> None:
    data = _yaml(WORKFLOWS / "add-model.yml")
    inputs = data[True]["workflow_dispatch"]["inputs"]
    form = next(
        s
        for s in data["jobs"]["pull-request"]["steps"]
        if "form-spec" in s.get("run", "")
    )
    passed = {
        m.group(1)
        for v in form["env"].values()
        for m in [re.fullmatch(r"\$\{\{ inputs\.(\w+) \}\}", v)]
        if m
    }
    assert passed == set(inputs)
    assert all(k.startswith("FORM_") for k in form["env"])


# --- the form -> spec step (pure) ----------------------------------------------------

HOSTILE = {
    "name": "Evil \"$(touch {mark}-1)\" `id` 'q'\nline 2",
    "description": (
        "'''\"\"\" \\ ${{{{ github.token }}}} `touch {mark}-2` $(touch {mark}-3);#"
    ),
}


def _form_env(mark: Path, **extra: str) -> dict[str, str]:
    env = {
        "FORM_ID": "hostile-model",
        "FORM_NAME": HOSTILE["name"].format(mark=mark),
        "FORM_GROUP": "prompt_to_image",
        "FORM_PROVIDER": "fal_queue",
        "FORM_PROVIDER_MODEL": "fal-ai/hostile",
        "FORM_DOCS_URL": "https://fal.ai/models/fal-ai/hostile",
        "FORM_ESTIMATED_SECONDS": "20",
        "FORM_BASE_COST": "2.5",
        "FORM_PROMPT_TITLE": "Prompt",
        "FORM_PROMPT_DESCRIPTION": HOSTILE["description"].format(mark=mark),
    }
    env.update(extra)
    return env


def test_form_fields_make_a_valid_spec_with_provider_defaults(tmp_path: Path) -> None:
    from generator.form import spec_from_form

    spec = spec_from_form(_form_env(tmp_path / "mark"))
    assert spec.id == "hostile-model"
    assert spec.endpoint == "https://queue.fal.run/fal-ai/hostile"
    assert spec.api_key_env == "FAL_KEY"
    assert str(spec.cost.base) == "2.5"
    assert list(spec.inputs) == ["prompt"]
    assert spec.name == HOSTILE["name"].format(mark=tmp_path / "mark")


def test_form_image_groups_get_an_image_input(tmp_path: Path) -> None:
    from generator.form import spec_from_form

    spec = spec_from_form(_form_env(tmp_path, FORM_GROUP="image_to_video"))
    assert spec.image_input_field == "image_url"
    assert spec.inputs["image_url"].renderer == "image"


def test_form_spec_json_wins_and_bad_values_list_every_problem() -> None:
    from generator.form import FormError, spec_data_from_form
    from generator.spec import SpecError, parse_spec

    data = spec_data_from_form({"FORM_SPEC_JSON": '{"id": "x", "cost": {"base": 1.5}}'})
    assert data == {"id": "x", "cost": {"base": __import__("decimal").Decimal("1.5")}}
    with pytest.raises(FormError, match="spec_json"):
        spec_data_from_form({"FORM_SPEC_JSON": "[1, 2]"})
    with pytest.raises(FormError) as info:
        spec_data_from_form({"FORM_ESTIMATED_SECONDS": "ten", "FORM_BASE_COST": "$(x)"})
    assert {p for p, _ in info.value.problems} == {"estimated_seconds", "base_cost"}
    with pytest.raises(SpecError) as refused:
        parse_spec(spec_data_from_form({"FORM_ID": "../etc", "FORM_PROVIDER": "x"}))
    paths = {p for p, _ in refused.value.problems}
    assert {"id", "provider", "name", "docs_url"} <= paths


def test_form_spec_command_writes_json_and_renders_an_inert_file(
    tmp_path: Path, repo_copy: Path
) -> None:
    mark = tmp_path / "pwned"
    env = {**os.environ, **_form_env(mark)}
    out = tmp_path / "spec.json"
    done = subprocess.run(
        [sys.executable, "-m", "generator", "form-spec", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    subprocess.run(
        [sys.executable, "-m", "generator", "new", "--spec", str(out), "--root", "."],
        cwd=repo_copy,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
        capture_output=True,
    )
    generated = repo_copy / "models" / "prompt_to_image" / "hostile_model.py"
    _assert_inert(generated, mark)


def _assert_inert(path: Path, mark: Path) -> None:
    """The file holds the hostile strings as data, and importing it runs none."""
    text = path.read_text("utf-8")
    ast.parse(text)
    module_spec = importlib.util.spec_from_file_location("hostile_probe", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    assert module.MODEL_CONFIG["name"] == HOSTILE["name"].format(mark=mark)
    prompt = module.SCHEMA["properties"]["prompt"]
    assert prompt["description"] == HOSTILE["description"].format(mark=mark)
    assert not list(mark.parent.glob(mark.name + "*")), "a hostile string ran"


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    copy_work_tree(dest)
    return dest


# --- act runs ------------------------------------------------------------------------


@pytest.mark.act
@needs_act
def test_act_add_model_opens_a_pr_whose_branch_holds_the_file(
    workspace: Workspace,
) -> None:
    inputs = {
        "spec_json": "",
        "id": "flux-test-pro",
        "name": "FLUX Test Pro",
        "group": "prompt_to_image",
        "provider": "fal_queue",
        "provider_model": "fal-ai/flux-test/pro",
        "endpoint": "",
        "api_key_env": "",
        "docs_url": "https://fal.ai/models/fal-ai/flux-test/pro",
        "estimated_seconds": "15",
        "base_cost": "3",
        "prompt_title": "Prompt",
        "prompt_description": "What to draw.",
    }
    event = workspace.event("dispatch", dispatch_event(inputs))
    with fake_github(workspace) as fake:
        done = workspace.act(
            "workflow_dispatch", "add-model.yml", "pull-request", event, fake=fake
        )
        assert done.returncode == 0, done.stdout[-4000:]
        pull = only_pull(fake)
    branch = "models/add/flux-test-pro"
    assert pull["head"]["ref"] == branch
    assert pull["base"]["ref"] == "main"
    assert "flux-test-pro" in pull["title"] + pull["body"]
    text = workspace.remote_file(branch, "models/prompt_to_image/flux_test_pro.py")
    assert "# id: flux-test-pro" in text
    assert "'FLUX Test Pro'" in text or '"FLUX Test Pro"' in text
    assert "flux-test-pro" in workspace.remote_file(branch, "registry.py")
    assert fake.token not in done.stdout + done.stderr


@pytest.mark.act
@needs_act
def test_act_add_model_with_hostile_inputs_yields_an_inert_file(
    workspace: Workspace, tmp_path: Path
) -> None:
    mark = tmp_path / "pwned"
    env = _form_env(mark)
    inputs = {k.removeprefix("FORM_").lower(): v for k, v in env.items()}
    event = workspace.event("hostile", dispatch_event(inputs))
    with fake_github(workspace) as fake:
        done = workspace.act(
            "workflow_dispatch", "add-model.yml", "pull-request", event, fake=fake
        )
        assert done.returncode == 0, done.stdout[-4000:]
        pull = only_pull(fake)
    branch = "models/add/hostile-model"
    assert pull["head"]["ref"] == branch
    probe = tmp_path / "probe" / "hostile_model.py"
    probe.parent.mkdir()
    probe.write_text(
        workspace.remote_file(branch, "models/prompt_to_image/hostile_model.py"),
        "utf-8",
    )
    _assert_inert(probe, mark)


def _tag_event(tag: str, sha: str) -> dict[str, Any]:
    return {
        "ref": f"refs/tags/{tag}",
        "after": sha,
        "before": "0" * 40,
        "created": True,
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }


def _project_version(root: Path) -> str:
    text = (root / "pyproject.toml").read_text("utf-8")
    found = re.search(r'^version = "([^"]+)"$', text, re.M)
    assert found
    return found.group(1)


@pytest.mark.act
@needs_act
def test_act_release_refuses_a_tag_that_is_not_the_version(
    workspace: Workspace,
) -> None:
    sha = git(workspace.root, "rev-parse", "HEAD")
    event = workspace.event("tag", _tag_event("v999.0.0", sha))
    done = workspace.act("push", "release.yml", "build", event)
    assert done.returncode != 0
    assert "does not match pyproject.toml version" in done.stdout


@pytest.mark.act
@needs_act
def test_act_release_builds_and_tests_the_wheel(workspace: Workspace) -> None:
    """release.yml's build job: sdist + wheel, a clean venv, the runtime tests
    against the installed wheel (.ci/test-wheel), the dist/ ready to upload. The
    publish job (OIDC token, PyPI) cannot run offline."""
    sha = git(workspace.root, "rev-parse", "HEAD")
    tag = "v" + _project_version(workspace.root)
    event = workspace.event("tag", _tag_event(tag, sha))
    done = workspace.act("push", "release.yml", "build", event)
    assert done.returncode == 0, done.stdout[-4000:]
    assert re.search(r"\d+ passed", done.stdout)
    assert "wheel tested: modelvault-" in done.stdout
    # the wheel is the tagged commit: byte-identical files, locked hashes
    matches = r"wheel matches [0-9a-f]{40}: \d+ files byte-identical"
    assert re.search(matches, done.stdout)
    assert "act stub upload-artifact: dist would hold:" in done.stdout
    assert ".tar.gz" in done.stdout


@pytest.mark.act
@needs_act
def test_act_lock_opens_a_lock_pr(workspace: Workspace) -> None:
    model_id, path = a_locked_model(workspace.root, locked=False)
    rel = path.relative_to(workspace.root).as_posix()
    event = workspace.event("lock", dispatch_event({"model": model_id, "handle": ""}))
    with fake_github(workspace) as fake:
        done = workspace.act(
            "workflow_dispatch", "lock.yml", "pull-request", event, fake=fake
        )
        assert done.returncode == 0, done.stdout[-4000:]
        pull = only_pull(fake)
    branch = f"models/lock/{model_id}"
    assert pull["head"]["ref"] == branch
    header = workspace.remote_file(branch, rel).split("\n\n", 1)[0]
    assert "# locked: true" in header
    assert "# locked-by: @octocat" in header  # empty handle: the actor
