"""The released wheel is the repository: compare a built wheel with a commit.

    python -m generator.wheel_check dist/modelvault-X-py3-none-any.whl [--ref REF]

Every file in the wheel (outside *.dist-info/) must be byte-identical to the file
it comes from at REF (modelvault/models/* <- models/*, modelvault/registry.py <-
registry.py, modelvault/* <- modelvault/*); every model file and registry.py at
REF must be in it; every locked model file's body must match its body-sha256.
A build configuration that adds, drops or rewrites a file (a hatch.toml, a build
hook) fails here, before anything is published. Standard library only: release.yml
runs it before installing anything.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from generator import git
from modelvault._modelfile import HeaderError, body_sha256, read_header

PACKAGE = "modelvault/"
_MOVED = {"modelvault/models/": "models/", "modelvault/registry.py": "registry.py"}


def repository_path(wheel_path: str) -> str | None:
    """Where a wheel file comes from in the repository (None: from nowhere)."""
    for prefix, source in _MOVED.items():
        if wheel_path.startswith(prefix):
            return source + wheel_path[len(prefix) :]
    return wheel_path if wheel_path.startswith(PACKAGE) else None


def compare(wheel: dict[str, bytes], tracked: dict[str, bytes]) -> list[str]:
    """Problems, each naming a file (empty: the wheel is the repository). Pure."""
    problems: list[str] = []
    shipped: set[str] = set()
    for name, data in sorted(wheel.items()):
        source = repository_path(name)
        if source is None:
            problems.append(f"{name}: in the wheel, but outside {PACKAGE}")
            continue
        shipped.add(source)
        if source not in tracked:
            problems.append(f"{name}: in the wheel, but {source} is not in the commit")
        elif tracked[source] != data:
            problems.append(f"{name}: differs from {source} in the commit")
        if source.startswith("models/") and source.endswith(".py"):
            problems += _hash_problems(name, data)
    for source in sorted(tracked):
        if (source.startswith("models/") or source == "registry.py") and (
            source not in shipped
        ):
            problems.append(f"{source}: in the commit, missing from the wheel")
    return problems


def _hash_problems(name: str, data: bytes) -> list[str]:
    try:
        header, body = read_header(data)
    except HeaderError as exc:
        return [f"{name}: not a model file ({exc})"]
    if header.locked and body_sha256(body) != header.body_sha256:
        return [f"{name}: locked, but its body does not match its body-sha256"]
    return []


def read_wheel(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {
            info.filename: archive.read(info)
            for info in archive.infolist()
            if not info.is_dir() and ".dist-info/" not in info.filename
        }


def read_commit(repo: Path, ref: str) -> dict[str, bytes]:
    """Every tracked file under modelvault/ and models/, and registry.py, at ref."""
    listing = git.git(
        repo,
        *("ls-tree", "-r", "-z", "--full-tree", ref, "--"),
        *("modelvault", "models", "registry.py"),
    )
    entries = [line.split("\t", 1) for line in listing.decode().split("\0") if line]
    blobs = {path: meta.split()[2] for meta, path in entries if " blob " in meta}
    contents = git.read_objects(repo, sorted(set(blobs.values())))
    return {path: contents[oid] or b"" for path, oid in blobs.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--ref", default="HEAD", help="The commit it was built from.")
    parser.add_argument("--repo", type=Path, default=Path.cwd())
    options = parser.parse_args(argv)
    try:
        wheel = read_wheel(options.wheel)
        tracked = read_commit(options.repo, options.ref)
    except (OSError, zipfile.BadZipFile, git.GitError) as exc:
        print(f"wheel check: {exc}", file=sys.stderr)
        return 1
    problems = compare(wheel, tracked)
    for problem in problems:
        print(f"::error::wheel check: {problem}")
    if problems:
        print(
            f"{len(problems)} problem(s): {options.wheel.name} is not {options.ref}; "
            "do not publish it (look for build configuration that adds or rewrites "
            "files, e.g. a hatch.toml)",
            file=sys.stderr,
        )
        return 1
    models = sum(1 for p in tracked if p.startswith("models/"))
    print(
        f"wheel matches {options.ref}: {len(wheel)} files byte-identical, "
        f"{models} model files and registry.py included, locked hashes verified"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
