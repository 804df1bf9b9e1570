"""File-system access for the generator: read the catalog, write files safely."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MODELS_DIR = "models"


@dataclass
class CatalogFiles:
    """Every path under models/ with its bytes; symlinks and odd entries apart."""

    model_files: dict[str, bytes] = field(default_factory=dict)
    symlinks: list[str] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder holding pyproject.toml and models/."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file() and (
            candidate / MODELS_DIR
        ).is_dir():
            return candidate
    raise FileNotFoundError(
        f"no modelvault repository at or above {here} (looked for pyproject.toml "
        "beside a models/ folder); run from the repository or pass --root"
    )


def read_catalog(root: Path) -> CatalogFiles:
    files = CatalogFiles()
    models = root / MODELS_DIR
    for dirpath, dirnames, filenames in os.walk(models):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                files.symlinks.append(rel)
            elif name.endswith(".py"):
                files.model_files[rel] = full.read_bytes()
            else:
                files.other_files.append(rel)
        for name in dirnames:
            if (Path(dirpath) / name).is_symlink():
                files.symlinks.append(
                    (Path(dirpath) / name).relative_to(root).as_posix()
                )
    return files


def read_text_or_none(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        return None


def write_files(root: Path, contents: dict[str, bytes]) -> None:
    """Write every file atomically (temp file + rename), creating folders."""
    for rel, data in contents.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; git records 100644
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
