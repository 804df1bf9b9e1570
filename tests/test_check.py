"""`python -m generator check` on a copy of the repository: clean is exit 0; every
corruption is exit 1 with a finding naming the file and the rule; all findings are
reported at once; check never writes."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO_ROOT, run_generator, tree_digest

from generator.catalog import build_catalog
from generator.config import load_settings
from generator.repo import read_catalog
from modelvault._modelfile import body_sha256, read_header, render_header

LOCKED = "models/image_editing/recraft_crisp_upscale.py"
LOCKED_ID = "recraft-crisp-upscale"
LOCKED_2 = "models/prompt_to_video/google_veo_3_1_fast.py"
UNLOCKED = "models/prompt_to_image/flux_1_schnell_fal.py"
UNLOCKED_ID = "flux-1-schnell-fal"
UNLOCKED_2 = "models/prompt_to_audio/minimax_speech_02_turbo_replicate.py"

Finding = tuple[str, str]  # (path, rule)


def _check(root: Path) -> tuple[int, list[dict[str, str]]]:
    before = tree_digest(root)
    result = run_generator(["check", "--format", "json"], root)
    assert tree_digest(root) == before, "check modified the repository"
    return result.exit_code, json.loads(result.stdout)


def _resync(root: Path) -> None:
    """Rewrite registry.py and CODEOWNERS as the generator makes them."""
    catalog = build_catalog(read_catalog(root))
    for name, text in catalog.derived_files(load_settings(root)).items():
        (root / name).write_text(text, "utf-8")


def _replace_body(root: Path, rel: str, old: bytes, new: bytes) -> None:
    path = root / rel
    data = path.read_bytes()
    assert data.count(old) == 1, (rel, old)
    path.write_bytes(data.replace(old, new))


def _append_with_valid_header(root: Path, rel: str, code: str) -> None:
    """Append `code` to a model file's body and re-hash its header properly, then
    resync registry.py/CODEOWNERS: only what `code` itself breaks may fire."""
    path = root / rel
    header, body = read_header(path.read_bytes())
    new_body = body + b"\n" + code.encode() + b"\n"
    new_header = render_header(
        type(header)(**{**header.__dict__, "body_sha256": body_sha256(new_body)})
    )
    path.write_bytes(new_header.encode() + new_body)
    _resync(root)


def _edit_header(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    data = path.read_bytes()
    header_end = data.index(b"\n\n")
    header = data[:header_end].decode()
    assert header.count(old) == 1, (rel, old)
    path.write_bytes(header.replace(old, new).encode() + data[header_end:])


@dataclass(frozen=True)
class Corruption:
    apply: Callable[[Path], None]
    path: str
    rule: str
    fragment: str  # part of the message: the way forward


def _locked_body_edit(root: Path) -> None:
    _replace_body(root, LOCKED, b"HTTP_TIMEOUT_S = 30.0", b"HTTP_TIMEOUT_S = 300.0")


def _unlocked_hand_edit(root: Path) -> None:
    _replace_body(root, UNLOCKED, b"POLL_FAILURE_LIMIT = 5", b"POLL_FAILURE_LIMIT = 50")


def _registry_edit(root: Path) -> None:
    path = root / "registry.py"
    text = path.read_text("utf-8")
    path.write_text(text.replace('"locked": True', '"locked": False', 1), "utf-8")


def _codeowners_edit(root: Path) -> None:
    path = root / "CODEOWNERS"
    path.write_text(
        path.read_text("utf-8").replace(f"/{LOCKED} ", f"# /{LOCKED} "), "utf-8"
    )


def _codeowners_delete(root: Path) -> None:
    (root / "CODEOWNERS").unlink()


def _stray_file(root: Path) -> None:
    (root / "models/prompt_to_image/notes.md").write_text("hello\n", "utf-8")


def _stray_pyc(root: Path) -> None:
    (root / "models/prompt_to_image/flux.pyc").write_bytes(b"\x00")


def _symlink(root: Path) -> None:
    os.symlink("flux_1_schnell_fal.py", root / "models/prompt_to_image/alias.py")


def _symlinked_dir(root: Path) -> None:
    os.symlink("prompt_to_image", root / "models/more_images")


def _malformed_missing_keys(root: Path) -> None:
    (root / "models/prompt_to_image/broken.py").write_text(
        "# modelvault model file v1\n# id: broken\n# locked: false\n\nX = 1\n",
        "utf-8",
    )


def _malformed_no_magic(root: Path) -> None:
    source = (root / UNLOCKED).read_text("utf-8")
    (root / "models/prompt_to_image/no_magic.py").write_text(
        source.replace("# modelvault model file v1\n", "# a model file\n", 1), "utf-8"
    )


def _malformed_locked_without_who(root: Path) -> None:
    _edit_header(root, UNLOCKED, "# locked: false", "# locked: true")


def _old_template(root: Path) -> None:
    _edit_header(root, UNLOCKED_2, "template replicate v5", "template replicate v4")


def _wrong_template(root: Path) -> None:
    _edit_header(root, UNLOCKED_2, "template replicate v5", "template runware v5")


def _isolation(code: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        _append_with_valid_header(root, LOCKED_2, code)

    return apply


CORRUPTIONS: dict[str, Corruption] = {
    "locked-body-edit": Corruption(
        _locked_body_edit,
        LOCKED,
        "body-hash",
        f"python -m generator unlock {LOCKED_ID} --by @you",
    ),
    "unlocked-hand-edit": Corruption(
        _unlocked_hand_edit,
        UNLOCKED,
        "body-hash",
        f"python -m generator regenerate {UNLOCKED_ID}",
    ),
    "imports-modelvault": Corruption(
        _isolation("import modelvault"), LOCKED_2, "isolation", "'modelvault'"
    ),
    "imports-requests": Corruption(
        _isolation("import requests"), LOCKED_2, "isolation", "'requests'"
    ),
    "imports-generator-from": Corruption(
        _isolation("from generator.spec import ModelSpec"),
        LOCKED_2,
        "isolation",
        "'generator.spec'",
    ),
    "imports-another-model": Corruption(
        _isolation("from models.prompt_to_image import flux_1_schnell_fal"),
        LOCKED_2,
        "isolation",
        "'models.prompt_to_image'",
    ),
    "relative-import": Corruption(
        _isolation("from . import sibling"), LOCKED_2, "isolation", "relative import"
    ),
    "relative-import-module": Corruption(
        _isolation("from ..prompt_to_image.flux_1_schnell_fal import validate"),
        LOCKED_2,
        "isolation",
        "relative import",
    ),
    "dunder-import": Corruption(
        _isolation("_os = __import__('os')"), LOCKED_2, "isolation", "dynamic import"
    ),
    "import-module": Corruption(
        _isolation("_m = importlib.import_module('os')"),
        LOCKED_2,
        "isolation",
        "dynamic import",
    ),
    "exec": Corruption(_isolation("exec('x = 1')"), LOCKED_2, "isolation", "exec/eval"),
    "registry-hand-edit": Corruption(
        _registry_edit, "registry.py", "derived-file", "python -m generator sync"
    ),
    "codeowners-hand-edit": Corruption(
        _codeowners_edit, "CODEOWNERS", "derived-file", "python -m generator sync"
    ),
    "codeowners-deleted": Corruption(
        _codeowners_delete, "CODEOWNERS", "derived-file", "is missing"
    ),
    "stray-file": Corruption(
        _stray_file, "models/prompt_to_image/notes.md", "stray-file", "only model"
    ),
    "stray-pyc": Corruption(
        _stray_pyc, "models/prompt_to_image/flux.pyc", "stray-file", "only model"
    ),
    "symlink": Corruption(
        _symlink, "models/prompt_to_image/alias.py", "symlink", "commit the file"
    ),
    "symlinked-dir": Corruption(
        _symlinked_dir, "models/more_images", "symlink", "commit the file"
    ),
    "malformed-header": Corruption(
        _malformed_missing_keys,
        "models/prompt_to_image/broken.py",
        "model-file",
        "header lacks record-id",
    ),
    "no-magic-line": Corruption(
        _malformed_no_magic,
        "models/prompt_to_image/no_magic.py",
        "model-file",
        "the first line must be",
    ),
    "locked-without-who": Corruption(
        _malformed_locked_without_who,
        UNLOCKED,
        "model-file",
        "a locked header needs locked-by and locked-at",
    ),
    "older-template-unlocked": Corruption(
        _old_template, UNLOCKED_2, "drift", "current is v5"
    ),
    "wrong-template-unlocked": Corruption(
        _wrong_template, UNLOCKED_2, "drift", "uses replicate"
    ),
}


@pytest.fixture(scope="session")
def small_repo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository copy trimmed to the four models these tests corrupt, with
    registry.py and CODEOWNERS regenerated: the same checks, a quarter of the work
    (check parses and re-renders every model). Built once; never modified."""
    root = tmp_path_factory.mktemp("small-template")
    for rel in ("pyproject.toml", LOCKED, LOCKED_2, UNLOCKED, UNLOCKED_2):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, root / rel)
    _resync(root)
    return root


@pytest.fixture
def small_repo(small_repo_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "small"
    shutil.copytree(small_repo_template, root, symlinks=True)
    return root


def test_clean_copy_passes(tmp_repo: Path) -> None:
    before = tree_digest(tmp_repo)
    result = run_generator(["check"], tmp_repo)
    assert result.exit_code == 0, result.output
    count = len(list((tmp_repo / "models").glob("*/*.py")))
    assert f"ok: {count} model file(s)" in result.stdout
    assert tree_digest(tmp_repo) == before


def test_the_fixture_files_have_the_expected_lock_states(tmp_repo: Path) -> None:
    for rel, locked in (
        (LOCKED, True),
        (LOCKED_2, True),
        (UNLOCKED, False),
        (UNLOCKED_2, False),
    ):
        assert read_header((tmp_repo / rel).read_bytes())[0].locked is locked, rel


def test_trimmed_copy_passes(small_repo: Path) -> None:
    exit_code, findings = _check(small_repo)
    assert (exit_code, findings) == (0, [])


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corruption_is_found(case: str, small_repo: Path) -> None:
    corruption = CORRUPTIONS[case]
    corruption.apply(small_repo)
    exit_code, findings = _check(small_repo)
    assert exit_code == 1
    matching = [
        f
        for f in findings
        if f["path"] == corruption.path and f["rule"] == corruption.rule
    ]
    assert matching, findings
    assert any(corruption.fragment in f["message"] for f in matching), matching
    if corruption.rule in ("isolation", "body-hash"):
        # The file is otherwise valid (hashed properly, registry in sync): exactly
        # one finding, so the message is about the real problem.
        assert len(findings) == 1, findings


def test_locked_file_with_an_older_template_is_not_drift(small_repo: Path) -> None:
    # A locked file never drifts: the generator must not touch it anyway.
    _edit_header(small_repo, LOCKED, "template kie_jobs v5", "template kie_jobs v4")
    exit_code, findings = _check(small_repo)
    assert (exit_code, findings) == (0, [])


def test_duplicate_model_file_is_found(small_repo: Path) -> None:
    copy = "models/prompt_to_image/flux_copy.py"
    (small_repo / copy).write_bytes((small_repo / UNLOCKED).read_bytes())
    exit_code, findings = _check(small_repo)
    assert exit_code == 1
    found = {(f["path"], f["rule"]) for f in findings}
    assert (copy, "location") in found
    assert ("models/", "unique") in found


def test_all_findings_are_reported_at_once(tmp_repo: Path) -> None:
    # Isolation first: it resyncs registry.py, which the registry edit then breaks.
    names = [
        "imports-requests",
        "locked-body-edit",
        "unlocked-hand-edit",
        "older-template-unlocked",
        "registry-hand-edit",
        "codeowners-deleted",
        "stray-file",
        "symlink",
        "malformed-header",
    ]
    for name in names:
        CORRUPTIONS[name].apply(tmp_repo)
    exit_code, findings = _check(tmp_repo)
    assert exit_code == 1
    found = sorted((f["path"], f["rule"]) for f in findings)
    expected = sorted((CORRUPTIONS[n].path, CORRUPTIONS[n].rule) for n in names)
    assert found == expected

    # The text report names each file and rule on its own line, plus a count.
    result = run_generator(["check"], tmp_repo)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    for path, rule in expected:
        assert any(line.startswith(f"{path}: [{rule}] ") for line in lines), (
            path,
            rule,
        )
    assert f"{len(expected)} finding(s)" in result.stderr
