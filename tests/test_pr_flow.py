"""`--pr` end to end with real git: a local bare repository is the remote, a clone
is the work repository, and the loopback FakeGitHub answers the REST calls."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import REPO_FILES, REPO_ROOT, import_file, minimal_spec_dict, write_spec
from github_fake import FakeGitHub

from generator.cli import main as generator_main
from generator.pr_commit import trailers

LOCKED_ID = "recraft-crisp-upscale"
LOCKED = "models/image_editing/recraft_crisp_upscale.py"
UNLOCKED_ID = "flux-1-schnell-fal"
UNLOCKED = "models/prompt_to_image/flux_1_schnell_fal.py"
NEW_ID = "brand-new-model"
NEW = "models/prompt_to_image/brand_new_model.py"
TOKEN = f"ghs_SECRET{uuid.uuid4().hex}"
_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=Tester", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **_GIT_ENV},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@dataclass
class World:
    work: Path
    bare: Path
    fake: FakeGitHub
    tmp: Path

    def env(self, **extra: str | None) -> dict[str, str | None]:
        return {
            **_GIT_ENV,
            "GITHUB_API_URL": self.fake.base_url,
            "GITHUB_REPOSITORY": "acme/catalog",
            "GITHUB_TOKEN": TOKEN,
            "GIT_AUTHOR_NAME": None,
            "GIT_AUTHOR_EMAIL": None,
            "GIT_COMMITTER_NAME": None,
            "GIT_COMMITTER_EMAIL": None,
            **extra,
        }

    def run(self, *args: str, **env: str | None) -> Result:
        return CliRunner().invoke(
            generator_main,
            [*args, "--root", str(self.work)],
            env=self.env(**env),
            catch_exceptions=False,
        )

    def branch_file(self, branch: str, path: str) -> bytes:
        return subprocess.run(
            ["git", "--git-dir", str(self.bare), "show", f"{branch}:{path}"],
            capture_output=True,
            check=True,
        ).stdout

    def branches(self) -> set[str]:
        out = git(self.bare, "for-each-ref", "--format=%(refname:short)", "refs/heads")
        return set(out.split())

    def spec_file(self, data: dict[str, Any], name: str = "spec.yaml") -> Path:
        return write_spec(self.tmp / name, data)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalog committed on main in a work clone and pushed to a bare remote;
    built once, copied for each test."""
    root = tmp_path_factory.mktemp("pr-template")
    bare, work = root / "remote.git", root / "work"
    git(root, "init", "-q", "--bare", "-b", "main", str(bare))
    git(root, "init", "-q", "-b", "main", str(work))
    shutil.copytree(
        REPO_ROOT / "models", work / "models", ignore=shutil.ignore_patterns("__pyc*")
    )
    for name in REPO_FILES:
        shutil.copy2(REPO_ROOT / name, work / name)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "catalog")
    git(work, "remote", "add", "origin", str(bare))
    git(work, "push", "-q", "-u", "origin", "main")
    return root


@pytest.fixture
def world(template: Path, tmp_path: Path) -> Iterator[World]:
    bare, work = tmp_path / "remote.git", tmp_path / "work"
    shutil.copytree(template / "remote.git", bare, symlinks=True)
    shutil.copytree(template / "work", work, symlinks=True)
    git(work, "remote", "set-url", "origin", str(bare))

    def exists(ref: str) -> bool:
        return bool(git(bare, "for-each-ref", f"refs/heads/{ref}"))

    with FakeGitHub(token=TOKEN, branch_exists=exists) as fake:
        yield World(work, bare, fake, tmp_path)


def _changed_spec(world: World, model_id: str, notes: str) -> Path:
    result = world.run("spec", model_id, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    data["notes"] = notes
    data["cost"]["base"] = "7"
    return world.spec_file(data, f"{model_id}-{uuid.uuid4().hex[:6]}.yaml")


def _kind_args(world: World, kind: str) -> tuple[list[str], str, str]:
    """(arguments, model id, model path) for one change of each kind."""
    if kind == "add":
        spec = world.spec_file(minimal_spec_dict("replicate", NEW_ID))
        return ["new", "--spec", str(spec)], NEW_ID, NEW
    if kind == "regenerate":
        spec = _changed_spec(world, UNLOCKED_ID, "Price checked again.")
        return ["regenerate", UNLOCKED_ID, "--spec", str(spec)], UNLOCKED_ID, UNLOCKED
    if kind == "lock":
        return ["lock", UNLOCKED_ID, "--by", "@alice"], UNLOCKED_ID, UNLOCKED
    reason = "the provider moved the endpoint"
    return ["unlock", LOCKED_ID, "--by", "@bob", "--reason", reason], LOCKED_ID, LOCKED


@pytest.mark.parametrize("kind", ["add", "regenerate", "lock", "unlock"])
def test_each_change_kind_opens_a_labelled_pr(world: World, kind: str) -> None:
    git(world.work, "checkout", "-q", "-b", "my-feature")  # the user's own branch
    args, model_id, path = _kind_args(world, kind)
    result = world.run(*args, "--pr")
    assert result.exit_code == 0, result.output
    branch = f"models/{kind}/{model_id}"
    assert "opened pull request #1: https://github.com/acme/catalog/pull/1" in (
        result.output
    )
    (pull,) = world.fake.pulls.values()
    assert (pull["head"]["ref"], pull["base"]["ref"]) == (branch, "main")
    assert [label["name"] for label in pull["labels"]] == [f"model:{kind}"]
    body = pull["body"]
    for needle in ("#### Inputs", "#### Cost (credits)", "| endpoint |", "| docs |"):
        assert needle in body
    assert "lock state" in body
    assert f"python -m generator {args[0]} " in body
    assert "--pr --base main --remote origin" in body
    # The remote branch: base + one bot commit holding the generated files.
    assert git(world.bare, "rev-list", "--count", f"main..{branch}") == "1"
    assert git(world.bare, "rev-parse", f"{branch}^") == git(
        world.bare, "rev-parse", "main"
    )
    data = world.branch_file(branch, path)
    header = data.decode().split("\n\n")[0]
    assert ("# locked: true" in header) == (kind == "lock")
    message = git(world.bare, "log", "-1", "--format=%B", branch)
    found = trailers(message)
    assert found["Modelvault-Change"] == kind
    assert found["Modelvault-Model"] == model_id
    assert found["Modelvault-Command"].startswith(f"python -m generator {args[0]} ")
    author = git(world.bare, "log", "-1", "--format=%an <%ae>|%cn", branch)
    assert author == (
        "modelvault-bot <modelvault-bot@users.noreply.github.com>|modelvault-bot"
    )
    # The user's work tree, index and branch were never touched.
    assert git(world.work, "rev-parse", "--abbrev-ref", "HEAD") == "my-feature"
    assert git(world.work, "status", "--porcelain", "--untracked-files=no") == ""
    # The documented headers; the token itself is never recorded or printed.
    first = world.fake.requests[0]
    assert first.headers["authorization"] == "Bearer <redacted>"
    assert first.headers["accept"] == "application/vnd.github+json"
    assert first.headers["x-github-api-version"] == "2022-11-28"
    assert TOKEN not in result.output


def test_regenerate_body_shows_the_spec_diff(world: World) -> None:
    args, _, _ = _kind_args(world, "regenerate")
    assert world.run(*args, "--pr").exit_code == 0
    body = world.fake.pulls[1]["body"]
    assert "#### Spec changes" in body
    assert "+notes: Price checked again." in body
    assert "spec fields changed: cost, notes" in body


def test_same_change_twice_updates_one_pr_and_one_branch(world: World) -> None:
    args, _, _ = _kind_args(world, "add")
    first = world.run(*args, "--pr")
    assert first.exit_code == 0, first.output
    tip = git(world.bare, "rev-parse", f"models/add/{NEW_ID}")
    second = world.run(*args, "--pr")
    assert second.exit_code == 0, second.output
    assert "already holds this change" in second.output
    assert "updated pull request #1" in second.output
    assert git(world.bare, "rev-parse", f"models/add/{NEW_ID}") == tip
    assert len(world.fake.pulls) == 1
    assert len(world.fake.calls("POST", r"/pulls$")) == 1
    assert len(world.fake.calls("PATCH", r"/pulls/1$")) == 1
    # A changed spec for the same model: same branch, new commit, same PR.
    data = minimal_spec_dict("replicate", NEW_ID)
    data["notes"] = "Second thoughts."
    third = world.run("new", "--spec", str(world.spec_file(data)), "--pr")
    assert third.exit_code == 0, third.output
    assert "updated pull request #1" in third.output
    assert git(world.bare, "rev-list", "--count", f"main..models/add/{NEW_ID}") == "1"
    assert b"Second thoughts." in world.branch_file(f"models/add/{NEW_ID}", NEW)
    assert "Second thoughts." in world.fake.pulls[1]["body"]
    assert world.branches() == {"main", f"models/add/{NEW_ID}"}


def test_no_diff_opens_nothing(world: World) -> None:
    result = world.run("regenerate", UNLOCKED_ID, "--pr")
    assert result.exit_code == 0, result.output
    assert "no change against origin/main" in result.output
    assert "no pull request opened" in result.output
    assert world.fake.requests == []
    assert world.branches() == {"main"}


def test_a_persons_commit_on_the_branch_is_never_overwritten(world: World) -> None:
    args, _, _ = _kind_args(world, "add")
    assert world.run(*args, "--pr").exit_code == 0
    branch = f"models/add/{NEW_ID}"
    other = world.tmp / "other"
    git(world.tmp, "clone", "-q", "-b", branch, str(world.bare), str(other))
    (other / "NOTES.md").write_text("a reviewer's fix\n", "utf-8")
    git(other, "add", "NOTES.md")
    git(other, "commit", "-q", "-m", "Reviewer fix")
    git(other, "push", "-q", "origin", branch)
    human = git(world.bare, "rev-parse", branch)

    result = world.run(*args, "--pr")
    assert result.exit_code == 1
    assert human[:12] in result.output
    assert "Reviewer fix" in result.output
    assert "never force-pushes" in result.output
    assert f"git push origin --delete {branch}" in result.output
    assert git(world.bare, "rev-parse", branch) == human
    assert world.fake.calls("PATCH") == []


def test_dirty_work_tree_is_refused(world: World) -> None:
    (world.work / "registry.py").write_text("# edited\n", "utf-8")
    args, _, _ = _kind_args(world, "add")
    result = world.run(*args, "--pr")
    assert result.exit_code == 1
    assert "uncommitted changes (registry.py)" in result.output
    assert world.branches() == {"main"}


def test_dry_run_pushes_and_calls_nothing(world: World) -> None:
    args, _, _ = _kind_args(world, "lock")
    result = world.run(*args, "--pr", "--dry-run", GITHUB_TOKEN=None)
    assert result.exit_code == 0, result.output
    assert f"dry run: would push models/lock/{UNLOCKED_ID}" in result.output
    assert world.branches() == {"main"} and world.fake.requests == []


def _rate_limited(fake: FakeGitHub) -> None:
    reset = str(int(time.time()) + 600)
    message = "API rate limit exceeded for installation ID 1."
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    fake.inject("GET", r"/pulls$", 403, {"message": message}, headers)


def _secondary(fake: FakeGitHub) -> None:
    message = "You have exceeded a secondary rate limit."
    fake.inject("GET", r"/pulls$", 403, {"message": message}, {"retry-after": "60"})


@pytest.mark.parametrize(
    ("setup", "env", "expected"),
    [
        (None, {"GITHUB_TOKEN": f"{TOKEN}x"}, "GITHUB_TOKEN is invalid"),
        (_rate_limited, {}, "rate limit stopped"),
        (_secondary, {}, "(in 60 s)"),
        (None, {"GITHUB_REPOSITORY": "acme/missing"}, "does not exist or the token"),
        (
            lambda f: f.inject("GET", r"/pulls$", drop=True),
            {},
            "could not reach GitHub",
        ),
        (None, {"GITHUB_TOKEN": None}, "GITHUB_TOKEN not set"),
    ],
    ids=["401", "403-rate-limit", "403-retry-after", "404", "network", "no-token"],
)
def test_api_failures_stop_before_pushing(
    world: World, setup: Any, env: dict[str, str | None], expected: str
) -> None:
    if setup is not None:
        setup(world.fake)
    args, _, _ = _kind_args(world, "add")
    result = world.run(*args, "--pr", **env)
    assert result.exit_code == 1
    assert expected in result.output
    assert TOKEN not in result.output
    assert world.branches() == {"main"}  # checked before anything is pushed
    if "rate limit stopped" in expected:
        assert "retry after 20" in result.output


def test_422_already_exists_updates_that_pr(world: World) -> None:
    number = world.fake.seed_pull(f"models/add/{NEW_ID}")
    world.fake.inject("GET", r"/pulls$", 200, [])  # GitHub's list lags behind
    args, _, _ = _kind_args(world, "add")
    result = world.run(*args, "--pr")
    assert result.exit_code == 0, result.output
    assert f"updated pull request #{number}" in result.output
    assert len(world.fake.pulls) == 1
    assert world.fake.pulls[number]["title"] == f"Add model {NEW_ID}"
    statuses = [c.method for c in world.fake.requests]
    assert statuses == ["GET", "POST", "GET", "PATCH", "POST"]


def test_failure_after_push_says_how_to_finish(world: World) -> None:
    world.fake.inject("POST", r"/pulls$", 502, {"message": "Server Error"})
    args, _, _ = _kind_args(world, "add")
    result = world.run(*args, "--pr")
    assert result.exit_code == 1
    assert "server error" in result.output
    assert "is pushed; run the same command again" in result.output
    again = world.run(*args, "--pr")
    assert again.exit_code == 0, again.output
    assert "opened pull request #1" in again.output
    assert TOKEN not in result.output + again.output


def _outside_fences(markdown: str) -> str:
    """The Markdown outside fenced code blocks (which GitHub shows verbatim)."""
    kept, fence = [], ""
    for line in markdown.splitlines():
        ticks = line[: len(line) - len(line.lstrip("`"))]
        if fence and line.strip() == fence:
            fence = ""
        elif not fence and len(ticks) >= 3:
            fence = ticks
        elif not fence:
            kept.append(line)
    return "\n".join(kept)


def test_hostile_spec_is_inert(world: World) -> None:
    marker = Path(f"/tmp/pwned-{uuid.uuid4().hex}")
    evil = f'"; $(touch {marker}) `touch {marker}` \'\'\' """ ${{{{ github.token }}}}'
    data = minimal_spec_dict("replicate", "hostile-model")
    data["name"] = evil[:120]
    data["notes"] = f"line one\n```\n$(touch {marker})\nline ```` four\n" + evil
    data["inputs"]["prompt"]["description"] = f"{evil}\n| x | y |\n<script>"
    data["inputs"]["size"]["enum_labels"]["small"] = evil
    data["payload_constants"] = {"mode": evil}
    spec = world.spec_file(data, "hostile.yaml")
    reason_env = world.env()
    env = {k: v for k, v in {**os.environ, **reason_env}.items() if v is not None}
    env["PYTHONPATH"] = str(REPO_ROOT)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "new",
            "--spec",
            str(spec),
            "--pr",
            "--root",
            str(world.work),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=world.work,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    path = "models/prompt_to_image/hostile_model.py"
    data_bytes = world.branch_file("models/add/hostile-model", path)
    module = ast.parse(data_bytes)
    assert module.body  # valid Python whose values are literals
    target = world.tmp / "hostile_model.py"
    target.write_bytes(data_bytes)
    loaded = import_file(target)
    assert loaded.MODEL_CONFIG["name"] == evil[:120]
    assert loaded.MODEL_CONFIG["payload_constants"]["mode"] == evil
    body = world.fake.pulls[1]["body"]
    assert "\n```\n$(touch" not in body  # the notes cannot close the spec's fence
    prose = _outside_fences(body)
    assert "<script>" not in prose and "\\<script\\>" in prose
    # An unlock reason with the same strings goes through argv, never a shell (a
    # second line, which could forge a trailer, is refused: reasons are one line).
    multi = world.run(
        *("unlock", LOCKED_ID, "--by", "@bob", "--pr"),
        *("--reason", "x\nModelvault-Change: forged"),
    )
    assert multi.exit_code == 1 and "one line" in multi.output
    reason = f"$(touch {marker}) `touch {marker}` Modelvault-Change: forged"
    unlocked = world.run(
        "unlock", LOCKED_ID, "--by", "@bob", "--reason", reason, "--pr"
    )
    assert unlocked.exit_code == 0, unlocked.output
    message = git(world.bare, "log", "-1", "--format=%B", f"models/unlock/{LOCKED_ID}")
    assert trailers(message)["Modelvault-Change"] == "unlock"
    assert not marker.exists()
    assert TOKEN not in result.stdout + result.stderr + unlocked.output


def test_git_author_from_the_environment_is_still_the_generators(world: World) -> None:
    args, _, _ = _kind_args(world, "lock")
    who = {"GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@example.com"}
    result = world.run(*args, "--pr", **who)
    assert result.exit_code == 0, result.output
    branch = f"models/lock/{UNLOCKED_ID}"
    assert git(world.bare, "log", "-1", "--format=%an <%ae>|%cn", branch) == (
        "Alice <alice@example.com>|modelvault-bot"
    )
    again = world.run(*args, "--pr")  # a new lock stamp: the commit is replaced
    assert again.exit_code == 0, again.output
    assert "updated pull request #1" in again.output
    assert git(world.bare, "rev-list", "--count", f"main..{branch}") == "1"


def test_regenerate_all_refreshes_every_stale_unlocked_model(world: World) -> None:
    # A file made by an older template version, as after a template upgrade.
    stale = (world.work / UNLOCKED).read_bytes()
    current = stale.split(b"\n# generated-by: ")[1].split(b"\n")[0]
    older = current.rsplit(b" v", 1)[0] + b" v0"
    (world.work / UNLOCKED).write_bytes(stale.replace(current, older, 1))
    git(world.work, "commit", "-q", "-am", "an older template's output")
    git(world.work, "push", "-q", "origin", "main")

    result = world.run("regenerate", "--all", "--pr")
    assert result.exit_code == 0, result.output
    assert "models/regenerate/all" in world.branches()
    assert world.branch_file("models/regenerate/all", UNLOCKED) == stale
    [pull] = world.fake.pulls.values()
    assert pull["head"]["ref"] == "models/regenerate/all"
    assert "model:regenerate" in [label["name"] for label in pull["labels"]]
    # Locked files are never rewritten by --all.
    assert (
        world.branch_file("models/regenerate/all", LOCKED)
        == (world.work / LOCKED).read_bytes()
    )
