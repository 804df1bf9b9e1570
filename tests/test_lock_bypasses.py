"""The eleven ways past the locks of issue 9, each in a real repository: the
pre-commit hook installed, `verify` run the way the trusted gate runs it (this
checkout's tooling, the repository read as git data: tests/lock_support.py), and
the runtime asked to load the model where the case changes what runs.

The gate's own workflow runs (pull_request_target, merge_group) are in
tests/test_lock_gate.py; the wheel check in tests/test_wheel_check.py.
"""

from __future__ import annotations

import importlib.util
import py_compile
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, minimal_spec_dict, spec_path_for
from lock_support import (
    LOCKED_A,
    LOCKED_A_ID,
    LOCKED_B,
    LOCKED_B_ID,
    UNLOCKED_A,
    UNLOCKED_A_ID,
    LockRepo,
    assert_refused,
    body_edit,
    make_env,
    make_repo,
    make_template,
    model_bytes,
)

from generator import codeowners
from generator.render import render_model_file
from generator.spec import parse_spec
from modelvault._catalog import Catalog
from modelvault._modelfile import read_header
from modelvault.errors import CatalogError

REVIEWERS = "@modelvault/model-reviewers"
MAINTAINERS = "@modelvault/maintainers"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return make_env(tmp_path_factory)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    return make_template(tmp_path_factory, env)


@pytest.fixture
def repo(template: Path, tmp_path: Path, env: dict[str, str]) -> LockRepo:
    return make_repo(template, tmp_path, env)


def _move_header_line(data: bytes, key: str, to: int) -> bytes:
    """The same header values, one line moved (line numbers from 1)."""
    lines = data.split(b"\n")
    at = next(
        i for i, line in enumerate(lines) if line.startswith(f"# {key}: ".encode())
    )
    line = lines.pop(at)
    lines.insert(to - 1, line)
    return b"\n".join(lines)


def _on_main(repo: LockRepo, *steps: tuple[str, ...]) -> None:
    """Land generator commands on main, one commit each (through the hook), and
    start branch `pr` from there."""
    repo.git("checkout", "-q", "main")
    for number, args in enumerate(steps):
        repo.generator(*args)
        repo.stage()
        repo.commit(f"main, step {number}: {' '.join(args[:2])}")
    repo.git("checkout", "-q", "-B", "pr", "main")


# --- 1. the gate ran the PR's own code -------------------------------------------


def test_case01_code_in_the_pr_cannot_answer_for_the_check(repo: LockRepo) -> None:
    """A locked body edit, with a root tomllib.py (the checker imports tomllib)
    that ends the process with success, a sitecustomize.py and a .pyc beside the
    checker. The PR's own code waves it through (as ci.yml's lock job did, and as
    the hook, which runs in the contributor's work tree, still does); the gate
    runs its own tooling and reads the change as data."""
    repo.write(LOCKED_A, body_edit(repo.read(LOCKED_A)))
    liar = (
        b"import os, sys\nsys.stderr.write('ok: respects the locks\\n')\nos._exit(0)\n"
    )
    repo.write("tomllib.py", liar)
    repo.write("sitecustomize.py", liar)
    pyc = "generator/__pycache__/verify.cpython-311.pyc"
    repo.write(pyc, b"\xa7\r\r\n" + b"\0" * 12 + b"not the reviewed source")
    repo.stage()
    outcome = repo.attempt("a locked edit, and the checker told to agree")
    assert outcome.commit.returncode == 0  # the hook ran the PR's tomllib.py
    today = repo.run(
        [sys.executable, "-m", "generator", "verify", "--base", "main"], check=False
    )
    assert today.returncode == 0 and "respects the locks" in today.stderr
    assert outcome.verify_json.returncode == 1, outcome.all_output()
    assert outcome.findings == {
        (LOCKED_A, "locked-body"),
        ("tomllib.py", "shadow-module"),
        ("sitecustomize.py", "shadow-module"),
        (pyc, "bytecode"),
    }, outcome.rows
    assert f"::error file={LOCKED_A},title=modelvault locked-body::" in (
        outcome.verify_github.stdout
    )


# --- 2. unowned paths change what runs -------------------------------------------


def test_case02_nothing_is_unowned_and_no_shadow_or_bytecode_lands(
    repo: LockRepo,
) -> None:
    rules = codeowners.parse(repo.read("CODEOWNERS").decode())
    for path in (
        "hatch.toml",
        "setup.cfg",
        "modelvault/_catalog.py",
        "modelvault/_run.py",
        "tests/test_anything.py",
        "uuid.py",
        "email/__init__.py",
        "__pycache__/registry.cpython-311.pyc",
    ):
        assert codeowners.owners(rules, path) == (MAINTAINERS,), path
    for path in ("generator/verify.py", ".github/workflows/lock-gate.yml"):
        assert codeowners.owners(rules, path) == (MAINTAINERS,), path
    for path in (LOCKED_A, UNLOCKED_A, "models/prompt_to_image/brand_new.py"):
        assert codeowners.owners(rules, path) == (REVIEWERS,), path

    repo.write("uuid.py", b"def uuid4():\n    return 'not random'\n")
    repo.write("email/__init__.py", b"")
    registry_pyc = importlib.util.cache_from_source("registry.py")
    repo.write(registry_pyc, b"\0" * 16)
    repo.stage()
    outcome = repo.attempt("shadows and bytecode")
    # the hook never gets to say why: pre-commit itself imports `email` from the
    # work tree and dies; the commit is refused all the same
    assert outcome.commit.returncode != 0
    assert outcome.head_after == outcome.head_before
    assert outcome.findings == {
        ("uuid.py", "shadow-module"),
        ("email/__init__.py", "shadow-module"),
        (registry_pyc, "bytecode"),
    }, outcome.rows
    assert "the standard library's 'uuid' included" in outcome.verify_json.stdout


def test_case02_the_runtime_never_runs_a_stray_registry_pyc(tmp_path: Path) -> None:
    """An unchecked-hash .pyc beside registry.py is what an import would run; the
    runtime parses registry.py's bytes instead."""
    root = tmp_path / "catalog"
    shutil.copytree(REPO_ROOT / "models", root / "models")
    shutil.copy2(REPO_ROOT / "registry.py", root / "registry.py")
    text = (root / "registry.py").read_text("utf-8")
    entry = text.index(f'    "{LOCKED_A_ID}": {{')
    forged = text[:entry] + re.sub(
        r'"base_cost": "[^"]*"', '"base_cost": "0"', text[entry:], count=1
    )
    source = tmp_path / "forged" / "registry.py"
    source.parent.mkdir()
    source.write_text(forged, "utf-8")
    py_compile.compile(
        str(source),
        cfile=importlib.util.cache_from_source(str(root / "registry.py")),
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    info = Catalog(root).resolve(LOCKED_A_ID)
    original = Catalog(REPO_ROOT).resolve(LOCKED_A_ID)
    assert info.base_cost == original.base_cost != 0  # not the .pyc's 0


# --- 3. one file's bytes, two meanings -------------------------------------------

GBK_NOTE = 'NOTE = "中\\"; PWNED = True  # "\n'.encode()  # UTF-8: a string


def test_case03_an_encoding_declaration_cannot_reach_a_locked_file(
    repo: LockRepo,
) -> None:
    """A reason stamped at an unlock mentions an encoding, a body line edited while
    unlocked reads as a string in UTF-8 and as code in GBK, the model is locked
    again. Then a PR only reorders the header so that line 2 is the reason: the
    body hash holds, the parsed header is the same, Python would read GBK."""
    repo.git("checkout", "-q", "main")
    repo.generator(
        *("unlock", LOCKED_B_ID, "--by", "@bob"),
        *("--reason", "-*- coding: gbk -*- (the provider's charset)"),
    )
    repo.stage()
    repo.commit("main: unlock (reviewed)")
    repo.write(LOCKED_B, repo.read(LOCKED_B) + GBK_NOTE)
    repo.stage()
    repo.commit("main: a note, while unlocked (reviewed)")
    _on_main(repo, ("lock", LOCKED_B_ID, "--by", "@alice"))
    attack = _move_header_line(repo.read(LOCKED_B), "unlock-reason", to=2)
    assert read_header(attack)[0] == read_header(repo.read(LOCKED_B))[0]
    exec_ns: dict[str, object] = {}
    exec(compile(attack, "model.py", "exec"), exec_ns)  # what Python would run
    assert exec_ns.get("PWNED") is True
    repo.write(LOCKED_B, attack)
    repo.stage()
    assert_refused(
        repo.attempt("reorder the header"),
        {(LOCKED_B, "header-canonical"), (LOCKED_B, "encoding")},
        exact=True,
    )
    # the runtime refuses the file, and would compile its UTF-8 text if not
    with pytest.raises(CatalogError, match="encoding declaration"):
        Catalog(repo.root).load_model(LOCKED_B_ID)


# --- 4. ids and record ids in one namespace --------------------------------------


def test_case04_a_new_id_equal_to_a_record_id_is_refused(repo: LockRepo) -> None:
    record_id = read_header(repo.read(LOCKED_B))[0].record_id
    spec = parse_spec(minimal_spec_dict("kie_jobs", record_id))
    newcomer = spec_path_for(minimal_spec_dict("kie_jobs", record_id))
    repo.write(newcomer, render_model_file(spec))
    repo.generator("sync")
    repo.stage()
    outcome = repo.attempt("a model named like a record id")
    assert_refused(outcome, {(newcomer, "namespace")}, exact=True)
    assert f"its id {record_id!r} is the record id of {LOCKED_B_ID!r}" in (
        outcome.hook_output
    )
    check = repo.generator("check", check=False)
    assert check.returncode == 1 and "record id of" in check.stdout
    with pytest.raises(CatalogError, match="names 2 models"):
        Catalog(repo.root).resolve(record_id)


# --- 5. another CODEOWNERS wins ----------------------------------------------------


def test_case05_a_codeowners_outside_the_root_is_refused(repo: LockRepo) -> None:
    repo.write(".github/CODEOWNERS", b"* @mallory\n")
    repo.write("docs/CODEOWNERS", b"* @mallory\n")
    present = {".github/CODEOWNERS": 1, "CODEOWNERS": 1, "docs/CODEOWNERS": 1}
    assert codeowners.effective_location(present) == ".github/CODEOWNERS"
    repo.stage()
    assert_refused(
        repo.attempt("another CODEOWNERS"),
        {
            (".github/CODEOWNERS", "codeowners-location"),
            ("docs/CODEOWNERS", "codeowners-location"),
        },
        exact=True,
    )


# --- 6. stale green ------------------------------------------------------------------


def test_case06_what_lands_is_checked_on_the_merge_queue(repo: LockRepo) -> None:
    """Green against its own base, refused on main + the PR: so the gate (and ci)
    run on merge_group, and README asks for the merge queue or up-to-date
    branches. The workflow run itself: tests/test_lock_gate.py."""
    yaml = pytest.importorskip("yaml")
    for name in ("lock-gate.yml", "ci.yml"):
        data = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / name).read_text())
        assert "merge_group" in data[True], name
    old_main = repo.git("rev-parse", "main")
    repo.write(UNLOCKED_A, body_edit(repo.read(UNLOCKED_A)))
    repo.generator("sync")
    repo.stage()
    repo.commit("PR: edit an unlocked model")
    assert repo.verify("pr", base=old_main).returncode == 0  # green on its base
    _on_main(repo, ("lock", UNLOCKED_A_ID, "--by", "@alice"))  # main moves on
    repo.git("checkout", "-q", "-b", "queue", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "merge queue", "pr@{1}")
    merged = repo.verify("queue", base="main")
    assert merged.returncode == 1, merged.stdout
    assert '"rule": "locked-body"' in merged.stdout


# --- 7. audit stamps are free text -------------------------------------------------


def test_case07_an_unlock_reason_with_escapes_is_refused(repo: LockRepo) -> None:
    """What reviewers read must be what the header says: `"\\u0074ypo"` decoded
    to `typo`. (The workflows stamp github.actor: tests/test_lock_gate.py.)"""
    header, body = read_header(repo.read(LOCKED_A))
    unlocked = header.unlocked_by_handle("@bob", "2999-01-01T00:00:00Z", "typo")
    data = model_bytes(unlocked, body).replace(
        b'# unlock-reason: "typo"', b'# unlock-reason: "\\u0074ypo"'
    )
    repo.write(LOCKED_A, data)
    repo.generator("sync")
    repo.stage()
    assert_refused(
        repo.attempt("an unlock whose reason is escaped"),
        {(LOCKED_A, "locked-header"), (LOCKED_A, "not-a-model-file")},
        exact=True,
    )


# --- 8. a Windows checkout breaks every locked model --------------------------------


def test_case08_model_files_stay_byte_exact_with_autocrlf(
    repo: LockRepo, tmp_path: Path
) -> None:
    clone = tmp_path / "windows-like"
    repo.run(
        ["git", "-c", "core.autocrlf=true", "clone", "-q", str(repo.root), str(clone)]
    )
    assert (clone / LOCKED_A).read_bytes() == repo.read(LOCKED_A)
    assert (clone / "registry.py").read_bytes() == repo.read("registry.py")
    module = Catalog(clone).load_model(LOCKED_A_ID)
    assert module.MODEL_CONFIG["id"] == LOCKED_A_ID
    # and the attributes that keep them so cannot be loosened
    attributes = repo.read(".gitattributes").replace(b"/registry.py -text", b"/x -text")
    repo.write(".gitattributes", attributes + b"*.py text eol=crlf\n")
    repo.stage()
    outcome = repo.attempt("loosen .gitattributes")
    assert_refused(outcome, {(".gitattributes", "gitattributes")}, exact=True)
    rows = [r["message"] for r in outcome.rows]
    assert any("lacks '/registry.py" in m for m in rows), rows
    assert any("*.py text eol=crlf" in m for m in rows), rows


# --- 9. lock and edit in one PR -------------------------------------------------------


def test_case09_a_lock_is_reviewed_on_a_body_that_landed(repo: LockRepo) -> None:
    rules = codeowners.parse(repo.read("CODEOWNERS").decode())
    assert codeowners.owners(rules, UNLOCKED_A) == (REVIEWERS,)  # locks need them
    data = repo.read(UNLOCKED_A)
    assert b'"https://queue.fal.run/' in data
    repo.write(
        UNLOCKED_A, data.replace(b'"https://queue.fal.run/', b'"https://evil.example/')
    )
    repo.generator("lock", UNLOCKED_A_ID, "--by", REVIEWERS)  # stamps the new hash
    spec = parse_spec(minimal_spec_dict("kie_jobs", "born-locked"))
    header, body = read_header(render_model_file(spec))
    born = spec_path_for(minimal_spec_dict("kie_jobs", "born-locked"))
    stamped = header.locked_by_handle(
        REVIEWERS, "2030-01-01T00:00:00Z", header.body_sha256
    )
    repo.write(born, model_bytes(stamped, body))
    repo.generator("sync")
    repo.stage()
    assert_refused(
        repo.attempt("edit and lock in one go"),
        {(UNLOCKED_A, "lock-with-edit"), (born, "lock-new")},
        exact=True,
    )


# --- 10. headers compared parsed, not as bytes ------------------------------------


def test_case10_header_bytes_are_compared_with_their_canonical_form(
    repo: LockRepo,
) -> None:
    repo.write(LOCKED_A, _move_header_line(repo.read(LOCKED_A), "locked-at", to=3))
    repo.write(UNLOCKED_A, _move_header_line(repo.read(UNLOCKED_A), "locked", to=2))
    repo.stage()
    outcome = repo.attempt("reordered headers")
    assert_refused(
        outcome,
        {(LOCKED_A, "header-canonical"), (UNLOCKED_A, "header-canonical")},
        exact=True,
    )
    assert f"git checkout HEAD -- {LOCKED_A}" in outcome.hook_output
    assert f"python -m generator regenerate {UNLOCKED_A_ID}" in outcome.hook_output
    check = repo.generator("check", check=False)
    assert check.returncode == 1
    assert f"{LOCKED_A}: [header-canonical]" in check.stdout


# --- 11. case-variant paths ------------------------------------------------------


def test_case11_paths_that_case_fold_onto_protected_ones_are_refused(
    repo: LockRepo,
) -> None:
    twin = "Models/" + LOCKED_A.removeprefix("models/")
    repo.write(twin, body_edit(repo.read(LOCKED_A)))
    repo.write("Registry.py", repo.read("registry.py").replace(b'"0.3"', b'"0"'))
    workflow = ".GitHub/workflows/lock-gate.yml"
    repo.write(workflow, b"name: nothing\n")
    repo.stage()
    outcome = repo.attempt("case variants")
    assert_refused(
        outcome,
        {
            (twin, "case-collision"),
            ("Registry.py", "case-collision"),
            ("Registry.py", "shadow-module"),
            (workflow, "case-collision"),
        },
        exact=True,
    )
    assert re.search(r"case-folds onto the protected models/", outcome.hook_output)


def test_case_folding_follows_case_insensitive_file_systems() -> None:
    from generator.paths import fold

    assert fold("Models/x.py") == "models/x.py"
    assert fold("REGISTRY.PY") == "registry.py"
    assert fold("registry.py. ") == "registry.py"  # Windows drops these
    assert fold("mode\u200cls/x.py") == "models/x.py"  # HFS+ ignores U+200C
    assert fold("\ufb01le") == "file"  # NFKC: the ligature is two letters
    # the shipped .gitattributes, as git reads it
    listed = subprocess.run(
        ["git", "check-attr", "-a", "--", LOCKED_A, "registry.py"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (
        f"{LOCKED_A}: text: unset" in listed and "registry.py: filter: unset" in listed
    )
