"""The lock gate (.github/workflows/lock-gate.yml): the base branch's tooling, the
PR head read as git data. Static rules, then real runs under act
(tests/act_support.py): the work tree act copies is left at the BASE commit, the PR
head exists only in the bare `origin` (refs/pull/7/head), as on GitHub, and the
gate has to fetch it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from act_support import (
    REPOSITORY,
    WORKFLOWS,
    Workspace,
    a_locked_model,
    dispatch_event,
    fake_github,
    git,
    make_workspace,
    needs_act,
    only_pull,
)

GATE = WORKFLOWS / "lock-gate.yml"


def _yaml(path: Path) -> dict[Any, Any]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


# --- static rules ------------------------------------------------------------------


def test_gate_triggers_on_pr_target_merge_queue_and_push() -> None:
    data = _yaml(GATE)
    assert set(data[True]) == {"pull_request_target", "merge_group", "push"}
    assert "edited" in data[True]["pull_request_target"]["types"]  # base changes
    assert data[True]["push"]["branches"] == ["main"]


def test_gate_checks_out_only_trusted_commits_with_a_read_only_token() -> None:
    data = _yaml(GATE)
    assert data["permissions"] == {}
    (job,) = data["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    checkouts = [s for s in job["steps"] if "actions/checkout@" in str(s.get("uses"))]
    assert len(checkouts) == 1  # the base, nothing else
    options = checkouts[0]["with"]
    assert options["persist-credentials"] is False
    assert options["fetch-depth"] == 0
    ref = options["ref"]
    assert "merge_group.base_sha" in ref and "github.sha" in ref
    assert "head" not in ref and "pull_request" not in ref
    for step in job["steps"]:
        assert "${{" not in step.get("run", ""), step  # PR values only via env:
        assert "secrets." not in str(step)


def test_gate_fetches_the_head_as_data_and_verifies_it_with_base_tooling() -> None:
    text = GATE.read_text("utf-8")
    (job,) = _yaml(GATE)["jobs"].values()
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert 'fetch --no-tags --no-recurse-submodules origin "$HEAD_SHA"' in runs
    commands = [line for line in runs.splitlines() if not line.strip().startswith("#")]
    assert not any(
        re.search(r"\bgit\b.*\b(checkout|switch|worktree|reset)\b", c) for c in commands
    )  # no work tree of the PR, ever
    assert re.search(r"python -m generator verify --base \"\$base\" --head", runs)
    assert "--format github" in runs
    assert "pip install" in runs  # the base's tooling, from the base's work tree
    # the zizmor suppression carries its justification in place
    ignore = text.index("zizmor: ignore[dangerous-triggers]")
    assert "base tooling only" in text[ignore : ignore + 200]


# --- act runs ------------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path)


def _target_event(base: str, head: str, branch: str) -> dict[str, Any]:
    repo = {"full_name": REPOSITORY, "default_branch": "main"}
    return {
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"sha": base, "ref": "main", "repo": repo},
            "head": {"sha": head, "ref": branch, "repo": repo},
        },
        "repository": repo,
    }


def _contributor(workspace: Workspace) -> Path:
    """A contributor's own clone of origin (the PR is made there, not in the base
    clone the gate runs in)."""
    clone = workspace.root.parent / "contributor"
    if not clone.exists():
        git(workspace.root.parent, "clone", "-q", str(workspace.remote), str(clone))
        git(clone, "config", "user.name", "Contributor")
        git(clone, "config", "user.email", "contributor@example.com")
        git(clone, "config", "commit.gpgsign", "false")
    return clone


def _open_pr(workspace: Workspace, branch: str, edit: Any) -> tuple[str, str]:
    """In the contributor's clone: branch off main, `edit(root)`, commit, and
    publish the head as refs/pull/7/head on origin. The base clone (the work tree
    act copies) stays at main and does not hold the head."""
    clone = _contributor(workspace)
    base = git(workspace.root, "rev-parse", "main")
    git(clone, "checkout", "-q", "-b", branch, base)
    edit(clone)
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", f"PR {branch}")
    head = git(clone, "rev-parse", "HEAD")
    git(clone, "push", "-q", "origin", f"{branch}:refs/pull/7/head")
    missing = subprocess.run(
        ["git", "cat-file", "-e", f"{head}^{{commit}}"],
        cwd=workspace.root,
        capture_output=True,
        check=False,
    )
    assert missing.returncode != 0, "the base clone must not hold the head yet"
    return base, head


def _gate(
    workspace: Workspace, base: str, head: str
) -> subprocess.CompletedProcess[str]:
    event = workspace.event("target", _target_event(base, head, "pr"))
    return workspace.act("pull_request_target", "lock-gate.yml", "gate", event)


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)


@pytest.mark.act
@needs_act
def test_act_gate_passes_a_clean_pr(workspace: Workspace) -> None:
    base, head = _open_pr(
        workspace, "docs", lambda root: _append(root / "README.md", "\nA line.\n")
    )
    done = _gate(workspace, base, head)
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"fetched head {head} (objects only)" in done.stdout
    assert f"verifying {base}...{head}" in done.stdout
    assert "respects the locks" in done.stdout


@pytest.mark.act
@needs_act
def test_act_gate_refuses_a_pr_that_edits_the_checker_and_a_locked_body(
    workspace: Workspace,
) -> None:
    """Case 1: the PR neuters generator/verify.py and edits a locked body. Its own
    code passes its own change (what ci.yml's lock job did); the gate, running the
    base's verify on the head read as data, refuses it."""
    model_id, path = a_locked_model(workspace.root)
    rel = path.relative_to(workspace.root).as_posix()

    def edit(root: Path) -> None:  # the contributor's clone
        _append(root / "generator" / "verify.py", "\n\ndef verify_range(*a, **k):\n")
        _append(root / "generator" / "verify.py", "    return []\n")
        _append(root / rel, "\nSNEAKY = 1\n")

    base, head = _open_pr(workspace, "sneaky", edit)
    # the PR's own code, run on its own checkout, waves it through ...
    own = _contributor(workspace)
    today = subprocess.run(
        [sys.executable, "-m", "generator", "verify", "--base", base, "--head", head],
        cwd=own,
        capture_output=True,
        text=True,
        check=False,
    )
    assert today.returncode == 0, today.stdout + today.stderr
    # ... the gate does not
    done = _gate(workspace, base, head)
    assert done.returncode != 0
    annotation = rf"::error file={re.escape(rel)},title=modelvault locked-body::"
    assert re.search(annotation, done.stdout), done.stdout[-3000:]
    assert model_id in done.stdout
    assert "Job failed" in done.stdout


@pytest.mark.act
@needs_act
def test_act_gate_on_the_merge_queue_refuses_a_stale_green_pr(
    workspace: Workspace,
) -> None:
    """Case 6: a PR edits an unlocked model, green against its base; main then
    locks that model. The merge queue's commit (main + the PR) is what would land:
    the gate checks it with main's tooling and refuses."""
    root = workspace.root
    model_id, path = a_locked_model(root, locked=False)
    rel = path.relative_to(root).as_posix()
    old_main = git(root, "rev-parse", "main")
    git(root, "checkout", "-q", "-b", "pr", "main")
    _append(root / rel, "\nTWEAK = 1  # an edit while it is unlocked\n")
    pr_head = workspace.commit("PR: tweak an unlocked model")
    git(root, "checkout", "-q", "main")
    lock = subprocess.run(
        [sys.executable, "-m", "generator", "lock", model_id, "--by", "@alice"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lock.returncode == 0, lock.stdout + lock.stderr
    new_main = workspace.commit("lock the model (reviewed)")
    # green on its own base (what a PR check saw) ...
    git(root, "checkout", "-q", "pr")
    stale = subprocess.run(
        [sys.executable, "-m", "generator", "verify", "--base", old_main],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert stale.returncode == 0, stale.stdout + stale.stderr
    # ... but the merge queue's commit is main + the PR
    git(root, "checkout", "-q", "-b", "queue", new_main)
    git(root, "merge", "-q", "--no-ff", "-m", "Merge PR 7 (queue)", "pr")
    group = git(root, "rev-parse", "HEAD")
    queue_ref = f"refs/heads/gh-readonly-queue/main/pr-7-{new_main}"
    git(root, "push", "-q", "origin", f"HEAD:{queue_ref}")
    git(root, "checkout", "-q", "main")
    git(root, "branch", "-q", "-D", "queue", "pr")
    payload = {
        "action": "checks_requested",
        "merge_group": {
            "head_sha": group,
            "head_ref": queue_ref,
            "base_sha": new_main,
            "base_ref": "refs/heads/main",
        },
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }
    event = workspace.event("merge-group", payload)
    done = workspace.act("merge_group", "lock-gate.yml", "gate", event)
    assert done.returncode != 0, done.stdout[-3000:]
    assert f"verifying {new_main}...{group}" in done.stdout
    annotation = rf"::error file={re.escape(rel)},title=modelvault locked-body::"
    assert re.search(annotation, done.stdout), done.stdout[-3000:]
    assert pr_head != group


@pytest.mark.act
@needs_act
@pytest.mark.parametrize("before", ["base", "zeros"])
def test_act_gate_on_push_compares_with_the_commit_before(
    workspace: Workspace, before: str
) -> None:
    """push: github.event.before is the base; a new branch (all zeros) falls back
    to the previous commit. Either way a locked body edit fails."""
    base = git(workspace.root, "rev-parse", "HEAD")
    model_id, path = a_locked_model(workspace.root)
    _append(path, "\nSNEAKY = 1\n")
    head = workspace.commit("pushed straight to main")
    payload = {
        "ref": "refs/heads/main",
        "before": base if before == "base" else "0" * 40,
        "after": head,
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }
    done = workspace.act(
        "push", "lock-gate.yml", "gate", workspace.event("push", payload)
    )
    assert done.returncode != 0
    assert f"verifying {base}...{head}" in done.stdout
    assert f"unlock {model_id}" in done.stdout


@pytest.mark.act
@needs_act
def test_act_unlock_stamps_the_actor_and_passes_the_gate(
    workspace: Workspace,
) -> None:
    """Case 7: the header stamps who ran the workflow (github.actor), not the
    free-text handle, which the PR body records as "requested for"; the reason is
    stored and shown verbatim. The unlock PR then passes the gate."""
    model_id, path = a_locked_model(workspace.root)
    rel = path.relative_to(workspace.root).as_posix()
    reason = "fix the 'cost' table (see $(docs) `x`)"
    inputs = {"model": model_id, "handle": "@mallory", "reason": reason}
    event = workspace.event("unlock", dispatch_event(inputs))
    with fake_github(workspace) as fake:
        done = workspace.act(
            "workflow_dispatch", "unlock.yml", "pull-request", event, fake=fake
        )
        assert done.returncode == 0, done.stdout[-4000:]
        pull = only_pull(fake)
    branch = f"models/unlock/{model_id}"
    assert pull["head"]["ref"] == branch
    header = workspace.remote_file(branch, rel).split("\n\n", 1)[0]
    assert "# locked: false" in header
    assert "# unlocked-by: @octocat" in header  # the actor, not @mallory
    assert f'# unlock-reason: "{reason}"' in header  # verbatim, no escapes
    assert "Requested for @\u200bmallory" in pull["body"]
    assert f"```text\n{reason}\n```" in pull["body"]  # shown verbatim
    # the unlock PR (header-only) passes the gate
    base = git(workspace.root, "rev-parse", "main")
    head = git(workspace.root, "ls-remote", "origin", f"refs/heads/{branch}").split()[0]
    git(workspace.remote, "update-ref", "refs/pull/7/head", head)  # GitHub's PR ref
    checked = _gate(workspace, base, head)
    assert checked.returncode == 0, checked.stdout[-3000:]


@pytest.mark.act
@needs_act
def test_act_lock_stamps_the_actor(workspace: Workspace) -> None:
    model_id, path = a_locked_model(workspace.root, locked=False)
    rel = path.relative_to(workspace.root).as_posix()
    inputs = {"model": model_id, "handle": "@mallory"}
    event = workspace.event("lock", dispatch_event(inputs))
    with fake_github(workspace) as fake:
        done = workspace.act(
            "workflow_dispatch", "lock.yml", "pull-request", event, fake=fake
        )
        assert done.returncode == 0, done.stdout[-4000:]
        pull = only_pull(fake)
    header = workspace.remote_file(f"models/lock/{model_id}", rel).split("\n\n")[0]
    assert "# locked: true" in header
    assert "# locked-by: @octocat" in header  # the actor, whatever the handle says
    assert "Requested for @\u200bmallory" in pull["body"]
