"""The generator's hints lead somewhere: an unknown id gets the close ids, and
the lock hook's advice is a command that works in that situation."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCKED_MODEL = "models/prompt_to_video/seedance_v1_lite.py"
UNLOCKED_MODEL = "models/prompt_to_image/flux_1_schnell_fal.py"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_"))}
    return {
        **env,
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Hint Tester",
        "GIT_AUTHOR_EMAIL": "hints@example.com",
        "GIT_COMMITTER_NAME": "Hint Tester",
        "GIT_COMMITTER_EMAIL": "hints@example.com",
        "PYTHONPATH": str(REPO_ROOT),
    }


def _generator(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["spec", "veo"], "did you mean google-veo-3-1-fast, "),
        (["lock", "fluxx", "--by", "@you", "--dry-run"], "flux-1-schnell-fal"),
        (["regenerate", "seedanse", "--dry-run"], "seedance-v1-lite"),
        (
            ["unlock", "recraft upscale", "--by", "@you", "--reason", "r"],
            "recraft-crisp-upscale",
        ),
        (["spec", "zzz"], "registry.py has every id"),
    ],
)
def test_unknown_ids_get_close_ids(args: list[str], expected: str) -> None:
    result = _generator(*args, cwd=REPO_ROOT)
    assert result.returncode == 1
    assert f"no model {args[1]!r} in models/" in result.stderr
    assert expected in result.stderr, result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("pyproject.toml", "registry.py", "CODEOWNERS"):
        shutil.copy2(REPO_ROOT / name, root / name)
    shutil.copytree(
        REPO_ROOT / "models", root / "models", ignore=shutil.ignore_patterns("__py*")
    )
    env = _env(tmp_path)
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "catalog"],
    ):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    return root, env


def _stage(root: Path, env: dict[str, str]) -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)


def test_hook_never_suggests_locking_a_locked_file(
    repo: tuple[Path, dict[str, str]],
) -> None:
    root, env = repo
    path = root / LOCKED_MODEL
    path.write_bytes(path.read_bytes() + b"# an edit\n")
    _stage(root, env)
    hook = _generator("hook", cwd=root, env=env)
    assert hook.returncode == 1
    for model_id in re.findall(r"python -m generator lock (\S+)", hook.stdout):
        tried = _generator("lock", model_id, "--by", "@you", "--dry-run", cwd=root)
        assert "already locked" not in tried.stdout + tried.stderr, hook.stdout


def test_hook_does_not_blame_the_user_for_a_registry_it_did_not_edit(
    repo: tuple[Path, dict[str, str]],
) -> None:
    root, env = repo
    path = root / UNLOCKED_MODEL
    text = path.read_text("utf-8")
    path.write_text(text.replace('"estimated_seconds": 5,', '"estimated_seconds": 6,'))
    _stage(root, env)
    hook = _generator("hook", cwd=root, env=env)
    assert hook.returncode == 1
    assert "registry.py" in hook.stdout
    assert "do not edit it by hand" not in hook.stdout
    assert "python -m generator sync" in hook.stdout
