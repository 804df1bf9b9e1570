"""The repository's own pre-commit hooks (.pre-commit-config.yaml) work when
git runs them without the dev venv on PATH, as from an IDE or a fresh shell:
.ci/dev-tool finds the Python that has the tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
BARE_PATH = "/usr/local/bin:/usr/bin:/bin"  # no venv on it


def _git_env(home: Path) -> dict[str, str]:
    """What git and pre-commit see from a shell that never activated the venv."""
    return {
        "HOME": str(home),
        "PATH": BARE_PATH,
        "PRE_COMMIT_HOME": str(home / "pre-commit"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Hook Tester",
        "GIT_AUTHOR_EMAIL": "hooks@example.com",
        "GIT_COMMITTER_NAME": "Hook Tester",
        "GIT_COMMITTER_EMAIL": "hooks@example.com",
        "LANG": "C.UTF-8",
    }


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("hooks") / "repo"
    root.mkdir()
    for name in ("pyproject.toml", ".pre-commit-config.yaml", "registry.py"):
        shutil.copy2(REPO_ROOT / name, root / name)
    shutil.copy2(REPO_ROOT / "CODEOWNERS", root / "CODEOWNERS")
    (root / ".ci").mkdir()
    shutil.copy2(REPO_ROOT / ".ci" / "dev-tool", root / ".ci" / "dev-tool")
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("generator", "models"):
        shutil.copytree(REPO_ROOT / folder, root / folder, ignore=ignore)
    env = _git_env(tmp_path_factory.mktemp("home"))
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "catalog"],
        [sys.executable, "-m", "pre_commit", "install"],  # from the dev venv
    ):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    return root, env


def _commit(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
    return subprocess.run(
        ["git", "commit", "-q", "-m", "change"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_commit_runs_every_hook_without_the_venv(
    repo: tuple[Path, dict[str, str]],
) -> None:
    root, env = repo
    assert shutil.which("ruff", path=BARE_PATH) is None  # else this proves nothing
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "sample.py").write_text('"""A sample."""\n\nVALUE = 1\n', "utf-8")
    done = _commit(root, env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "not found" not in output and "No module named" not in output
    assert "ruff check" in output and "modelvault locks" in output


def test_the_hooks_still_refuse_what_they_should(
    repo: tuple[Path, dict[str, str]],
) -> None:
    root, env = repo
    ugly_file = root / "tests" / "ugly.py"
    ugly_file.parent.mkdir(exist_ok=True)
    ugly_file.write_text("x=[1,\n2]\n", "utf-8")
    ugly = _commit(root, env)
    assert ugly.returncode == 1
    assert "1 file would be reformatted" in ugly.stdout + ugly.stderr
    ugly_file.unlink()
    model = root / "models" / "prompt_to_video" / "seedance_v1_lite.py"
    model.write_bytes(model.read_bytes() + b"# an edit\n")
    edited = _commit(root, env)
    assert edited.returncode == 1
    assert "[locked-body]" in edited.stdout + edited.stderr
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=root, env=env, check=True)
    subprocess.run(["git", "reset", "-q"], cwd=root, env=env, check=True)


def test_no_python_with_the_tools_is_one_clear_error(tmp_path: Path) -> None:
    for python in ("python3", "python"):
        found = shutil.which(python, path=BARE_PATH)
        if found and _has_ruff(found):
            pytest.skip(f"{found} has the dev tools: nothing can be missing here")
    result = subprocess.run(
        ["/bin/sh", "-c", f"'{REPO_ROOT / '.ci' / 'dev-tool'}' ruff --version"],
        cwd=tmp_path,  # no git hook, no .venv here; the parent is a shell
        env={"HOME": str(tmp_path), "PATH": BARE_PATH},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: no Python here has modelvault's dev tools")
    assert "pre-commit install" in result.stderr


def _has_ruff(python: str) -> bool:
    probe = [python, "-c", "import ruff, git, jinja2, yaml, pydantic, click"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0
