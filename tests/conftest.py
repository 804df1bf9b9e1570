"""Shared fixtures for the generator tests: the repository root, a tmp copy of the
catalog (pyproject.toml, models/, registry.py, CODEOWNERS), small specs and a
CliRunner helper for `python -m generator`.

Nothing of the generator (nor yaml/jinja2) is imported at module level: the runtime
tests share this conftest and must be collectable where only the runtime is
installed (the built wheel in a clean venv)."""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO_FILES = ("pyproject.toml", "registry.py", "CODEOWNERS")

# One small, valid spec per provider family: what the family's validator accepts.
_FAMILY_FIELDS: dict[str, dict[str, Any]] = {
    "kie_jobs": {
        "provider_model": "recraft/crisp-upscale",
        "endpoint": "https://api.kie.ai/api/v1/jobs/createTask",
        "api_key_env": "KIE_API_KEY",
    },
    "kie_veo": {
        "provider_model": "veo3_fast",
        "endpoint": "https://api.kie.ai/api/v1/veo/generate",
        "api_key_env": "KIE_API_KEY",
    },
    "kie_4o": {
        "provider_model": "gpt4o-image",
        "endpoint": "https://api.kie.ai/api/v1/gpt4o-image/generate",
        "api_key_env": "KIE_API_KEY",
    },
    "runware": {
        "provider_model": "runware:100@1",
        "endpoint": "https://api.runware.ai/v1",
        "api_key_env": "RUNWARE_API_KEY",
    },
    "fal_queue": {
        "provider_model": "fal-ai/flux/schnell",
        "endpoint": "https://queue.fal.run/fal-ai/flux/schnell",
        "api_key_env": "FAL_KEY",
    },
    "replicate": {
        "provider_model": "black-forest-labs/flux-schnell",
        "endpoint": (
            "https://api.replicate.com/v1/models/black-forest-labs/flux-schnell"
            "/predictions"
        ),
        "api_key_env": "REPLICATE_API_TOKEN",
    },
}
FAMILIES = tuple(_FAMILY_FIELDS)


def minimal_spec_dict(
    provider: str = "kie_jobs", model_id: str = "test-model"
) -> dict[str, Any]:
    """A small valid spec (fresh copy): a prompt, an enum with cost multipliers and
    labels, a bounded integer counted per unit, and a boolean."""
    return copy.deepcopy(
        {
            "id": model_id,
            "name": "Test Model",
            "group": "prompt_to_image",
            "provider": provider,
            **_FAMILY_FIELDS[provider],
            "docs_url": "https://example.com/docs",
            "estimated_seconds": 10,
            "cost": {
                "base": "1.5",
                "multipliers": {"size": {"small": 1, "large": 2}},
                "per_unit": ["count"],
            },
            "inputs": {
                "prompt": {
                    "type": "string",
                    "title": "Prompt",
                    "description": "What to make.",
                    "required": True,
                    "renderer": "prompt",
                },
                "size": {
                    "type": "string",
                    "title": "Size",
                    "default": "small",
                    "enum": ["small", "large"],
                    "enum_labels": {"small": "Small", "large": "Large"},
                },
                "count": {
                    "type": "integer",
                    "title": "Count",
                    "default": 1,
                    "minimum": 1,
                    "maximum": 4,
                },
                "fast": {"type": "boolean", "title": "Fast", "default": False},
            },
            "payload_constants": {"mode": "standard"},
            "notes": "A test model.",
        }
    )


def spec_path_for(spec: dict[str, Any]) -> str:
    """Where the generator puts the file for `spec` (relative, POSIX)."""
    return f"models/{spec['group']}/{str(spec['id']).replace('-', '_')}.py"


def write_spec(path: Path, data: dict[str, Any]) -> Path:
    import yaml  # generator extra: imported lazily, like the generator itself

    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def run_generator(args: Sequence[str], root: Path) -> Result:
    """`python -m generator ARGS --root ROOT` in-process (click's CliRunner)."""
    # Lazy: the runtime tests share this conftest and must run where only the
    # runtime is installed (the built wheel in a clean venv), without jinja2/yaml.
    from generator.cli import main as generator_main

    runner = CliRunner()
    return runner.invoke(
        generator_main, [*args, "--root", str(root)], catch_exceptions=False
    )


def run_generator_subprocess(
    args: Sequence[str], root: Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """A real `python -m generator ARGS --root ROOT` process."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args, "--root", str(root)],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd or root,
        env=env,
        timeout=60,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (symlinks as their target text) -> bytes."""
    out: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                out[rel] = b"symlink->" + os.readlink(full).encode()
            else:
                out[rel] = full.read_bytes()
    return out


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for rel, data in sorted(snapshot(root).items()):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def import_file(path: Path) -> ModuleType:
    """Import a model file from its path under a unique module name."""
    name = f"_mv_test_{path.stem}_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def ruff(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    """Run ruff with the project's configuration (cwd = the repository)."""
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def tmp_repo(tmp_path: Path) -> Path:
    """A copy of the repository's catalog: pyproject.toml, models/, registry.py and
    CODEOWNERS."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(
        REPO_ROOT / "models",
        root / "models",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name in REPO_FILES:
        shutil.copy2(REPO_ROOT / name, root / name)
    return root


@pytest.fixture(autouse=True)
def _outputs_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs copy completed outputs to $MODELVAULT_OUTPUTS (default: the user
    data folder): keep every test's copies in its own tmp folder."""
    if "MODELVAULT_OUTPUTS" not in os.environ:
        monkeypatch.setenv("MODELVAULT_OUTPUTS", str(tmp_path / "outputs"))
