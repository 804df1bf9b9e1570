"""`--pr`: one generator change on its own branch, pushed, and one pull request.

The change is computed against the base branch as the remote has it (fetched
first), never against the work tree: the same plan function the plain command uses
runs on the base's files (generator.pr_git). One branch per change; the same change
again updates that branch and its PR; a person's commit on it is never overwritten.
The PR goes through generator.github; its words come from pr_commit and pr_body.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
import git

from generator import pr_git
from generator.github import GitHubClient, GitHubError, Pull, PullExistsError, redact
from generator.github import settings_from_env as github_settings
from generator.modelfile import ModelFileError, parse_model_file
from generator.operations import Plan
from generator.pr_body import body
from generator.pr_commit import (
    Change,
    Kind,
    ModelView,
    branch_name,
    commit_message,
    label_name,
    title,
)
from generator.pr_git import PrError

__all__ = ["PrError", "PrRequest", "pr_options", "pr_request", "run_pr"]
_F = TypeVar("_F", bound=Callable[..., Any])


def pr_options(command: _F) -> _F:
    """--pr, --base and --remote for a command that computes a Plan."""
    command = click.option(
        "--remote", default="origin", show_default=True, help="With --pr: git remote."
    )(command)
    command = click.option(
        "--base", default="main", show_default=True, help="With --pr: the PR's base."
    )(command)
    return click.option(
        "--pr",
        is_flag=True,
        help="Commit the change on its own branch (models/<change>/<id>) built from "
        "the remote base, push it and open or update its pull request (needs "
        "GITHUB_REPOSITORY and GITHUB_TOKEN; GITHUB_API_URL optional).",
    )(command)


@dataclass(frozen=True)
class PrRequest:
    kind: Kind
    argv: Sequence[str]  # the command's own arguments, e.g. ("unlock", "x", ...)
    scope: str | None = None  # "all" for regenerate --all; else the changed model
    remote: str = "origin"
    base: str = "main"
    dry_run: bool = False
    requested_for: str | None = None  # who asked (lock/unlock), for the PR body


def pr_request(
    pr: bool,
    kind: Kind,
    argv: Sequence[str],
    base: str,
    remote: str,
    *,
    requested_for: str | None = None,
) -> PrRequest | None:
    """The request for --pr, None without it."""
    scope = "all" if "--all" in argv else None
    if not pr:
        return None
    return PrRequest(kind, tuple(argv), scope, remote, base, False, requested_for)


def run_pr(
    root: Path | None,
    request: PrRequest,
    make_plan: Callable[[Path], Plan],
    echo: Callable[[str], None],
    env: Mapping[str, str] | None = None,
) -> None:
    env = os.environ if env is None else env
    token = env.get("GITHUB_TOKEN", "")
    try:
        _run(root, request, make_plan, echo, env)
    except git.GitCommandError as exc:
        raise PrError(redact(pr_git.git_failure(exc), token)) from None
    except GitHubError as exc:
        raise PrError(redact(str(exc), token)) from None


def _run(
    root: Path | None,
    request: PrRequest,
    make_plan: Callable[[Path], Plan],
    echo: Callable[[str], None],
    env: Mapping[str, str],
) -> None:
    settings = None if request.dry_run else github_settings(env)
    repo, prefix = pr_git.open_repo(root)
    pr_git.require_clean(repo)
    remote, base = request.remote, request.base
    base_commit = pr_git.fetch(repo, remote, base)
    with tempfile.TemporaryDirectory(prefix="modelvault-pr-") as tmp:
        snapshot = Path(tmp)
        pr_git.materialize(pr_git.subtree(base_commit.tree, prefix), snapshot)
        plan = make_plan(snapshot)
        models = _model_views(plan, snapshot)
    if not plan.changed:
        echo(
            f"no change against {remote}/{base}: it already has these files; "
            "no branch pushed, no pull request opened"
        )
        return
    scope = request.scope or _single_id(models)
    argv = [*request.argv, "--pr", "--base", base, "--remote", remote]
    change = Change(
        kind=request.kind,
        scope=scope,
        base=base,
        command=shlex.join(["python", "-m", "generator", *argv]),
        files=sorted(plan.writes),
        models=models,
        requested_for=request.requested_for,
    )
    branch = branch_name(request.kind, scope)
    for line in plan.summary:
        echo(line)
    if settings is None:
        echo(f"dry run: would push {branch} and open or update {title(change)!r}")
        return
    head = pr_git.remote_branch(repo, remote, branch)
    if head is not None:
        pr_git.refuse_foreign_commits(repo, base_commit, head, remote, branch)
    tree = pr_git.build_tree(repo, base_commit, plan, prefix)
    with GitHubClient(settings) as github:
        pull = github.find_open_pull(branch)  # fails early on a bad token or repo
        if head is not None and head.parents == (base_commit,) and head.tree == tree:
            echo(f"{remote}/{branch} already holds this change")
        else:
            message = commit_message(change, tree.hexsha)
            commit = pr_git.commit(repo, tree, message, base_commit, env)
            pr_git.push(repo, remote, commit, branch, head.hexsha if head else "")
            echo(f"pushed {commit.hexsha[:12]} to {remote}/{branch}")
        try:
            _open_or_update(github, pull, change, branch, echo)
        except GitHubError as exc:
            raise GitHubError(
                f"{exc}\nThe branch {branch} is pushed; run the same command again "
                "to open or update its pull request."
            ) from None


def _open_or_update(
    github: GitHubClient,
    found: Pull | None,
    change: Change,
    branch: str,
    echo: Callable[[str], None],
) -> None:
    text, description = title(change), body(change)
    if found is None:
        try:
            pull = github.create_pull(
                title=text, body=description, head=branch, base=change.base
            )
            action = "opened"
        except PullExistsError:  # listed moments ago, but GitHub has one: update it
            found = github.find_open_pull(branch)
            if found is None:
                raise
    if found is not None:
        pull = github.update_pull(
            found.number, title=text, body=description, base=change.base
        )
        action = "updated"
    github.add_labels(pull.number, [label_name(change.kind)])
    echo(f"{action} pull request #{pull.number}: {pull.html_url}")


def _model_views(plan: Plan, snapshot: Path) -> list[ModelView]:
    views = []
    for path, data in sorted(plan.writes.items()):
        if not path.startswith("models/"):
            continue
        try:
            new = parse_model_file(path, data)
            before_path = snapshot / path
            old = (
                parse_model_file(path, before_path.read_bytes())
                if before_path.is_file()
                else None
            )
        except ModelFileError as exc:
            raise PrError(str(exc)) from None
        views.append(
            ModelView(
                path=path,
                config=new.config,
                schema=new.schema,
                header=new.header,
                before_config=old.config if old else None,
                before_schema=old.schema if old else None,
            )
        )
    return views


def _single_id(models: list[ModelView]) -> str:
    ids = sorted({str(m.config["id"]) for m in models})
    if len(ids) != 1:
        raise PrError(f"this change touches {len(ids)} models; one PR per model")
    return ids[0]
