"""generator.wheel_check: the released wheel is the repository (pure compare on
real catalog files; release.yml runs it on the built wheel, under act in
tests/test_workflows.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from generator.wheel_check import compare, main, read_wheel, repository_path
from modelvault._modelfile import read_header

REPO = Path(__file__).resolve().parents[1]
LOCKED = "models/prompt_to_video/google_veo_3_1_fast.py"
UNLOCKED = "models/prompt_to_image/flux_1_schnell_fal.py"


def _tracked() -> dict[str, bytes]:
    paths = [LOCKED, UNLOCKED, "registry.py", "modelvault/__init__.py"]
    return {p: (REPO / p).read_bytes() for p in paths}


def _wheel(tracked: dict[str, bytes]) -> dict[str, bytes]:
    names = {
        "registry.py": "modelvault/registry.py",
        LOCKED: "modelvault/" + LOCKED,
        UNLOCKED: "modelvault/" + UNLOCKED,
        "modelvault/__init__.py": "modelvault/__init__.py",
    }
    return {names[p]: data for p, data in tracked.items()}


def test_where_wheel_files_come_from() -> None:
    assert repository_path("modelvault/models/a/b.py") == "models/a/b.py"
    assert repository_path("modelvault/registry.py") == "registry.py"
    assert repository_path("modelvault/_catalog.py") == "modelvault/_catalog.py"
    assert repository_path("evil.pth") is None


def test_a_faithful_wheel_passes() -> None:
    tracked = _tracked()
    assert compare(_wheel(tracked), tracked) == []


@pytest.mark.parametrize(
    "tamper",
    ["rewrite-registry", "drop-model", "extra-file", "outside-package", "forge-lock"],
)
def test_a_wheel_that_is_not_the_commit_is_refused(tamper: str) -> None:
    tracked = _tracked()
    wheel = _wheel(tracked)
    if tamper == "rewrite-registry":
        wheel["modelvault/registry.py"] += b"\n# changed by a build hook\n"
        expected = "modelvault/registry.py: differs from registry.py"
    elif tamper == "drop-model":
        del wheel["modelvault/" + UNLOCKED]
        expected = f"{UNLOCKED}: in the commit, missing from the wheel"
    elif tamper == "extra-file":
        wheel["modelvault/models/prompt_to_image/extra.py"] = b"x = 1\n"
        expected = "is not in the commit"
    elif tamper == "outside-package":
        wheel["sitecustomize.py"] = b"import os\n"
        expected = "sitecustomize.py: in the wheel, but outside modelvault/"
    else:  # a locked body edited in both the wheel and the "commit"
        data = tracked[LOCKED] + b"\nX = 1\n"
        tracked[LOCKED] = data
        wheel["modelvault/" + LOCKED] = data
        assert read_header(data)[0].locked
        expected = "locked, but its body does not match its body-sha256"
    problems = compare(wheel, tracked)
    assert any(expected in p for p in problems), problems


def test_the_command_reads_a_real_wheel_and_a_commit(tmp_path: Path) -> None:
    """Against this repository's HEAD: a wheel holding HEAD's registry.py and
    models, bytes as committed, passes; one byte off fails."""
    from generator import git

    head = git.resolve(REPO, "HEAD")
    assert head is not None
    listing = git.git(REPO, "ls-tree", "-r", "--name-only", head, "--", "models")
    paths = [*listing.decode().split(), "registry.py"]
    blobs = git.read_objects(REPO, [f"{head}:{p}" for p in paths])
    good = tmp_path / "good.whl"
    with zipfile.ZipFile(good, "w") as archive:
        for path in paths:
            name = repository_path_inverse(path)
            archive.writestr(name, blobs[f"{head}:{path}"] or b"")
        archive.writestr("modelvault-0.1.0.dist-info/RECORD", "")
    assert set(read_wheel(good)) == {repository_path_inverse(p) for p in paths}
    assert main([str(good), "--ref", head, "--repo", str(REPO)]) == 0
    bad = tmp_path / "bad.whl"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "modelvault/registry.py":
                data = data.replace(b"\n", b"\r\n")
            dst.writestr(info, data)
    assert main([str(bad), "--ref", head, "--repo", str(REPO)]) == 1


def repository_path_inverse(path: str) -> str:
    return "modelvault/" + ("registry.py" if path == "registry.py" else path)
