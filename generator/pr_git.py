"""The git side of `--pr`, through gitpython: no shell, no prompts, and nothing of
the user's work tree, index or current branch is ever touched.

The base is fetched from the remote; its catalog files are written to a temporary
folder for the plan; the commit is built in memory (an index made from the base
tree, the plan's blobs, a tree, a commit) and pushed with a lease.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path

import git
from git.index.typ import BaseIndexEntry
from git.objects import Blob, Commit, Tree
from gitdb import IStream  # type: ignore[import-untyped]

from generator.operations import Plan
from generator.pr_commit import BOT_EMAIL, BOT_NAME, is_generator_commit, one_line
from generator.repo import find_root

ROOT_FILES = ("pyproject.toml", "registry.py", "CODEOWNERS")
_SYMLINK = 0o120000


class PrError(Exception):
    """--pr stopped; the message says why and what to do (never the token)."""


def git_failure(exc: git.GitCommandError) -> str:
    said = str(exc.stderr or "").strip().removeprefix("stderr:").strip(" '\n")
    command = " ".join(str(part) for part in exc.command[:2])
    return f"{command} failed: {said or exc.status}"


def open_repo(root: Path | None) -> tuple[git.Repo, str]:
    try:
        catalog = root.resolve() if root else find_root()
        repo = git.Repo(catalog, search_parent_directories=True)
    except FileNotFoundError as exc:
        raise PrError(str(exc)) from None
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise PrError(
            f"{root or Path.cwd()} is not in a git repository: --pr needs a clone of "
            "the catalog's repository"
        ) from None
    if repo.working_tree_dir is None:
        raise PrError("--pr needs a repository with a work tree, not a bare one")
    repo.git.update_environment(GIT_TERMINAL_PROMPT="0")
    top = Path(repo.working_tree_dir).resolve()
    if not catalog.is_relative_to(top):
        raise PrError(f"{catalog} is not inside the git work tree {top}")
    prefix = catalog.relative_to(top).as_posix()
    return repo, "" if prefix == "." else prefix


def require_clean(repo: git.Repo) -> None:
    status = repo.git.status("--porcelain", "--untracked-files=no")
    if status.strip():
        paths = [line[3:] for line in status.splitlines()]
        shown = ", ".join(paths[:5]) + (" ..." if len(paths) > 5 else "")
        raise PrError(
            f"the work tree has uncommitted changes ({shown}); --pr builds the "
            "change from the remote base branch, not from your files: commit or "
            "stash them (git stash) and run again"
        )


def fetch(repo: git.Repo, remote: str, base: str) -> Commit:
    if remote not in [r.name for r in repo.remotes]:
        names = ", ".join(r.name for r in repo.remotes) or "none"
        raise PrError(f"no git remote named {remote!r} (remotes: {names}); --remote")
    found = str(repo.git.ls_remote("--heads", remote, f"refs/heads/{base}"))
    if not found.strip():
        raise PrError(f"{remote} has no branch {base!r}; pass the base with --base")
    repo.git.fetch(
        "--no-tags", remote, f"+refs/heads/{base}:refs/remotes/{remote}/{base}"
    )
    return repo.commit(f"refs/remotes/{remote}/{base}")


def remote_branch(repo: git.Repo, remote: str, branch: str) -> Commit | None:
    if not str(repo.git.ls_remote("--heads", remote, f"refs/heads/{branch}")).strip():
        return None
    tracking = f"refs/remotes/{remote}/{branch}"
    repo.git.fetch("--no-tags", remote, f"+refs/heads/{branch}:{tracking}")
    return repo.commit(tracking)


def refuse_foreign_commits(
    repo: git.Repo, base: Commit, head: Commit, remote: str, branch: str
) -> None:
    foreign = [
        c
        for c in repo.iter_commits(f"{base.hexsha}..{head.hexsha}")
        if not is_generator_commit(str(c.message), c.tree.hexsha)
    ]
    if not foreign:
        return
    newest = foreign[0]
    subject = one_line(str(newest.summary))
    raise PrError(
        f"{remote}/{branch} has {len(foreign)} commit(s) the generator did not make, "
        f"newest {newest.hexsha[:12]} {subject!r} by {one_line(str(newest.author))}; "
        "--pr never force-pushes over a person's work. Either finish that pull "
        "request by hand, or move the change into the spec, delete the branch "
        f"(git push {remote} --delete {branch}) and run the command again."
    )


def subtree(tree: Tree, prefix: str) -> Tree:
    return tree if not prefix else tree / prefix


def materialize(tree: Tree, dest: Path) -> None:
    """Write the catalog files of `tree` (root files and models/) under dest."""
    blobs: list[Blob] = []
    for name in ROOT_FILES:
        try:
            item = tree / name
        except KeyError:
            continue
        if isinstance(item, Blob):
            blobs.append(item)
    try:
        models = tree / "models"
    except KeyError:
        models = None
    if isinstance(models, Tree):
        blobs += [b for b in models.traverse() if isinstance(b, Blob)]
    for blob in blobs:
        target = dest / posixpath.relpath(blob.path, tree.path or ".")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = blob.data_stream.read()
        if blob.mode == _SYMLINK:
            target.symlink_to(data.decode("utf-8", "surrogateescape"))
        else:
            target.write_bytes(data)


def build_tree(repo: git.Repo, base: Commit, plan: Plan, prefix: str) -> Tree:
    """base's tree with the plan's files replaced: built in memory, no work tree."""
    index = git.IndexFile.new(repo, base.tree)
    entries = []
    for path, data in sorted(plan.writes.items()):
        stream = repo.odb.store(IStream(Blob.type, len(data), BytesIO(data)))
        full = posixpath.join(prefix, path) if prefix else path
        entries.append(BaseIndexEntry((0o100644, stream.binsha, 0, full)))
    index.add(entries, write=False)
    return index.write_tree()


def commit(
    repo: git.Repo, tree: Tree, message: str, parent: Commit, env: Mapping[str, str]
) -> Commit:
    """The commit, in the object database only (no ref, no HEAD, no index)."""
    return Commit.create_from_tree(
        repo,
        tree,
        message,
        parent_commits=[parent],
        author=actor(env, "AUTHOR"),
        committer=actor(env, "COMMITTER"),
    )


def actor(env: Mapping[str, str], role: str) -> git.Actor:
    """The bot, unless GIT_<role>_NAME/EMAIL say otherwise."""
    name, email = env.get(f"GIT_{role}_NAME"), env.get(f"GIT_{role}_EMAIL")
    if name or email:
        return git.Actor(name or BOT_NAME, email or BOT_EMAIL)
    return git.Actor(BOT_NAME, BOT_EMAIL)


def push(repo: git.Repo, remote: str, commit: Commit, branch: str, lease: str) -> None:
    """Push `commit` to the branch only if the remote still has `lease` there
    (empty: only if the branch does not exist)."""
    repo.git.push(
        remote,
        f"--force-with-lease=refs/heads/{branch}:{lease}",
        f"{commit.hexsha}:refs/heads/{branch}",
    )
