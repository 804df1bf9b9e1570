"""The lock rules end to end, in real git repositories (no mocking).

A module-scoped template repository holds a small catalog (three locked and two
unlocked model files, with registry.py and CODEOWNERS made by `python -m
generator sync`) and a minimal .pre-commit-config.yaml holding only the
`modelvault-locks` local hook, installed with `pre-commit install`. Each test
works on a copy, on a branch `pr` off `main`.

Every change goes through both checks:
(a) the real hook: `git commit` (refused or accepted; a refusal names the file,
    the rule and the next step);
(b) `python -m generator verify --base main --head BRANCH` on a branch carrying
    the same staged change (made with write-tree/commit-tree, so it runs while
    the hook does), in `--format json` (the findings) and `--format github`
    (one `::error file=...` annotation per finding).
Cases that touch different files share one commit where they can: that also
checks that every violation is reported at once.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import minimal_spec_dict, spec_path_for, write_spec
from lock_support import (
    LOCKED,
    LOCKED_A,
    LOCKED_A_ID,
    LOCKED_B,
    LOCKED_C,
    UNLOCKED_A,
    UNLOCKED_A_ID,
    LockRepo,
    assert_accepted,
    assert_no_crash,
    assert_refused,
    body_edit,
    copy_catalog,
    init_repo,
    lines_for,
    make_env,
    make_repo,
    make_template,
    model_bytes,
    run_all,
    set_lock_states,
)

from modelvault._modelfile import body_sha256, read_header


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return make_env(tmp_path_factory)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    return make_template(tmp_path_factory, env)


@pytest.fixture
def repo(template: Path, tmp_path: Path, env: dict[str, str]) -> LockRepo:
    return make_repo(template, tmp_path, env)


# --- the template itself ------------------------------------------------------


def test_template_is_consistent(repo: LockRepo) -> None:
    check = repo.generator("check", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert (repo.root / ".git" / "hooks" / "pre-commit").is_file()
    codeowners = repo.read("CODEOWNERS").decode()
    for rel in LOCKED:
        assert f"/{rel} @modelvault/model-reviewers\n" in codeowners
    assert f"/{UNLOCKED_A} " not in codeowners
    text = repo.verify("HEAD", fmt="text")
    assert text.returncode == 0 and "respects the locks" in text.stderr


# --- locked bodies ------------------------------------------------------------


def test_body_edit_of_locked_file_is_refused(repo: LockRepo) -> None:
    repo.write(LOCKED_A, body_edit(repo.read(LOCKED_A)))
    repo.stage()
    outcome = repo.attempt("edit a locked body")
    # locked-body alone: its advice covers the hash too (no "lock it", which
    # would answer "already locked")
    assert_refused(outcome, {(LOCKED_A, "locked-body")}, exact=True)
    (line,) = lines_for(outcome.hook_output, LOCKED_A, "locked-body")
    assert f"python -m generator unlock {LOCKED_A_ID} --by @you" in line


def test_whitespace_and_line_ending_only_changes_are_refused(repo: LockRepo) -> None:
    # A: trailing spaces on one body line; B: its body in CRLF; C: the whole
    # file in CRLF (what a Windows editor makes of it: the header breaks too)
    header_a, body_a = read_header(repo.read(LOCKED_A))
    line_end = body_a.index(b"\n", 1)
    repo.write(
        LOCKED_A, model_bytes(header_a, body_a[:line_end] + b"   " + body_a[line_end:])
    )
    header_b, body_b = read_header(repo.read(LOCKED_B))
    repo.write(LOCKED_B, model_bytes(header_b, body_b.replace(b"\n", b"\r\n")))
    repo.write(LOCKED_C, repo.read(LOCKED_C).replace(b"\n", b"\r\n"))
    repo.stage()
    outcome = repo.attempt("whitespace only")
    assert_refused(
        outcome,
        {
            (LOCKED_A, "locked-body"),
            (LOCKED_B, "locked-body"),
            (LOCKED_C, "locked-header"),
            (LOCKED_C, "not-a-model-file"),
        },
    )


def test_forged_hash_matching_an_edited_body_is_refused(repo: LockRepo) -> None:
    header, body = read_header(repo.read(LOCKED_A))
    edited = body + b"\nFORGED = True\n"
    forged = replace(header, body_sha256=body_sha256(edited))
    repo.write(LOCKED_A, model_bytes(forged, edited))
    repo.generator("sync")  # registry.py records the (forged) hash
    repo.stage()
    outcome = repo.attempt("forge the hash")
    assert_refused(outcome, {(LOCKED_A, "locked-body")}, exact=True)


def test_no_verify_commit_is_caught_by_verify(repo: LockRepo) -> None:
    repo.write(LOCKED_A, body_edit(repo.read(LOCKED_A)))
    repo.stage()
    repo.git("commit", "-q", "--no-verify", "-m", "sneak it in")
    text, github = run_all(
        [
            [sys.executable, "-m", "generator", "verify", "--base", "main"],
            repo.verify_command("pr", "github"),
        ],
        repo.root,
        repo.env,
    )
    assert text.returncode == 1
    assert text.stdout.startswith(f"{LOCKED_A}: [locked-body] ")
    assert f"python -m generator unlock {LOCKED_A_ID} " in text.stdout
    assert "[lock-hash]" not in text.stdout  # locked-body's advice covers it
    assert "1 lock violation(s) in main...HEAD" in text.stderr
    assert github.returncode == 1
    assert f"::error file={LOCKED_A},title=modelvault locked-body::" in github.stdout


def test_merge_bringing_a_locked_body_change_is_refused(repo: LockRepo) -> None:
    repo.git("checkout", "-q", "-b", "a", "main")
    repo.write(LOCKED_A, body_edit(repo.read(LOCKED_A)))
    repo.stage()
    repo.git("commit", "-q", "--no-verify", "-m", "A edits a locked body")
    repo.git("checkout", "-q", "-b", "b", "main")
    repo.write("NOTES.md", b"unrelated\n")
    repo.stage()
    repo.commit("B: harmless")
    # a merge commit runs no pre-commit hook
    repo.git("merge", "-q", "--no-ff", "-m", "merge A into B", "a")
    assert len(repo.git("rev-list", "--parents", "-n1", "b").split()) == 3
    as_json, github = run_all(
        [repo.verify_command("b", "json"), repo.verify_command("b", "github")],
        repo.root,
        repo.env,
    )
    assert as_json.returncode == 1
    findings = {(r["path"], r["rule"]) for r in json.loads(as_json.stdout)}
    assert findings == {(LOCKED_A, "locked-body")}
    assert f"::error file={LOCKED_A},title=modelvault locked-body::" in github.stdout


# --- unlock and relock --------------------------------------------------------


def test_header_only_unlock_is_allowed(repo: LockRepo) -> None:
    repo.generator(
        "unlock", LOCKED_A_ID, "--by", "@bob", "--reason", "the endpoint moved"
    )
    header, _ = read_header(repo.read(LOCKED_A))
    assert not header.locked and header.unlocked_by == "@bob"
    assert header.unlock_reason == "the endpoint moved"
    assert f"/{LOCKED_A} " not in repo.read("CODEOWNERS").decode()
    repo.stage()
    assert_accepted(repo.attempt("unlock A"))


def test_unlock_and_body_edit_in_one_commit_is_refused(repo: LockRepo) -> None:
    repo.generator("unlock", LOCKED_A_ID, "--by", "@bob", "--reason", "edit it")
    repo.write(LOCKED_A, body_edit(repo.read(LOCKED_A)))
    repo.stage()
    outcome = repo.attempt("unlock and edit")
    assert_refused(outcome, {(LOCKED_A, "locked-body")}, exact=True)
    assert "An unlock is a change of its own" in outcome.hook_output


def test_unlock_then_edit_in_one_pr_is_refused_by_verify(
    repo: LockRepo, tmp_path: Path
) -> None:
    repo.generator("unlock", LOCKED_A_ID, "--by", "@bob", "--reason", "edit it")
    repo.stage()
    repo.commit("unlock A")
    spec = repo.changed_spec(LOCKED_A, tmp_path)
    repo.generator("regenerate", LOCKED_A_ID, "--spec", str(spec))
    repo.stage()
    outcome = repo.attempt("edit A in the same PR")
    assert_no_crash(outcome)
    # the hook sees HEAD (unlocked): the second commit is fine on its own ...
    assert outcome.commit.returncode == 0, outcome.hook_output
    assert "Passed" in outcome.hook_output
    assert outcome.head_after != outcome.head_before
    # ... but the PR as a whole edits a file locked at its base
    assert outcome.verify_json.returncode == 1
    # (regenerate also restamped body-sha256, which an unlock may not change)
    assert outcome.findings == {
        (LOCKED_A, "locked-body"),
        (LOCKED_A, "unlock-fields"),
    }, outcome.rows
    body_row = next(row for row in outcome.rows if row["rule"] == "locked-body")
    assert "land the header-only unlock first" in body_row["message"]
    assert f"::error file={LOCKED_A},title=modelvault locked-body::" in (
        outcome.verify_github.stdout
    )


def test_relock_with_new_hash_after_unlock_landed(
    repo: LockRepo, tmp_path: Path
) -> None:
    old_header, _ = read_header(repo.read(LOCKED_A))
    repo.git("checkout", "-q", "main")
    repo.generator("unlock", LOCKED_A_ID, "--by", "@bob", "--reason", "edit it")
    repo.stage()
    repo.commit("unlock PR, merged")
    spec = repo.changed_spec(LOCKED_A, tmp_path)
    repo.generator("regenerate", LOCKED_A_ID, "--spec", str(spec))
    repo.stage()
    repo.commit("edit PR, merged")
    repo.git("checkout", "-q", "-b", "relock")
    repo.generator("lock", LOCKED_A_ID, "--by", "@alice")
    header, body = read_header(repo.read(LOCKED_A))
    assert header.locked and header.locked_by == "@alice"
    assert header.body_sha256 == body_sha256(body) != old_header.body_sha256
    assert (
        f"/{LOCKED_A} @modelvault/model-reviewers\n" in repo.read("CODEOWNERS").decode()
    )
    repo.stage()
    assert_accepted(repo.attempt("relock A"))


def test_lock_an_unlocked_model(repo: LockRepo) -> None:
    repo.generator("lock", UNLOCKED_A_ID, "--by", "@alice")
    repo.stage()
    assert_accepted(repo.attempt("lock"))
    codeowners = repo.git("show", "HEAD:CODEOWNERS")
    assert f"/{UNLOCKED_A} @modelvault/model-reviewers" in codeowners
    header, body = read_header(repo.read(UNLOCKED_A))
    assert header.locked and header.locked_by == "@alice" and header.locked_at
    assert header.body_sha256 == body_sha256(body)


def test_header_edits_other_than_a_stamped_unlock_are_refused(repo: LockRepo) -> None:
    # A: `locked: false` by hand, without who/when/why
    repo.write(
        LOCKED_A, repo.read(LOCKED_A).replace(b"# locked: true\n", b"# locked: false\n")
    )
    # B: stays locked, with another locker
    header_b, body_b = read_header(repo.read(LOCKED_B))
    repo.write(LOCKED_B, model_bytes(replace(header_b, locked_by="@mallory"), body_b))
    # C: a stamped unlock that also changes generated-by
    header_c, body_c = read_header(repo.read(LOCKED_C))
    unlocked = header_c.unlocked_by_handle("@bob", "2999-01-01T00:00:00Z", "why")
    forged = replace(unlocked, generated_by="generator 9.9.9, template kie_jobs v9")
    repo.write(LOCKED_C, model_bytes(forged, body_c))
    repo.generator("sync")  # CODEOWNERS follows: only the headers are at fault
    repo.stage()
    outcome = repo.attempt("header edits")
    assert_refused(
        outcome,
        {
            (LOCKED_A, "unlock-fields"),
            (LOCKED_B, "locked-header"),
            (LOCKED_C, "unlock-fields"),
        },
        exact=True,
    )
    (line,) = lines_for(outcome.hook_output, LOCKED_A, "unlock-fields")
    assert f"python -m generator unlock {LOCKED_A_ID} " in line
    (line,) = lines_for(outcome.hook_output, LOCKED_C, "unlock-fields")
    assert "restore the other header fields" in line


def test_locked_header_removed_or_malformed_is_refused(repo: LockRepo) -> None:
    _, body = read_header(repo.read(LOCKED_A))
    repo.write(LOCKED_A, body)  # header removed
    malformed = repo.read(LOCKED_B).replace(b"# locked: true\n", b"# locked: yes\n")
    repo.write(LOCKED_B, malformed)
    repo.stage()
    outcome = repo.attempt("headers")
    assert_refused(
        outcome,
        {
            (LOCKED_A, "locked-header"),
            (LOCKED_A, "not-a-model-file"),
            (LOCKED_B, "locked-header"),
            (LOCKED_B, "not-a-model-file"),
        },
    )
    (line,) = lines_for(outcome.hook_output, LOCKED_B, "not-a-model-file")
    assert "locked must be true or false" in line


# --- paths and modes ----------------------------------------------------------


def test_delete_locked_file_is_refused(repo: LockRepo) -> None:
    repo.git("rm", "-q", LOCKED_A)
    (repo.root / "attic").mkdir()
    repo.git("mv", LOCKED_B, "attic/seedance.py")  # out of models/: a delete
    repo.generator("sync")
    repo.stage()
    outcome = repo.attempt("delete")
    assert_refused(
        outcome, {(LOCKED_A, "locked-delete"), (LOCKED_B, "locked-delete")}, exact=True
    )
    (line,) = lines_for(outcome.hook_output, LOCKED_A, "locked-delete")
    assert f"python -m generator unlock {LOCKED_A_ID} " in line


def test_rename_or_move_locked_file_is_refused(repo: LockRepo) -> None:
    renamed = "models/prompt_to_image/flux_schnell_runware_renamed.py"
    moved = "models/prompt_to_video/recraft_crisp_upscale.py"  # another group
    repo.git("mv", LOCKED_A, renamed)
    repo.git("mv", LOCKED_C, moved)
    repo.generator("sync")
    repo.stage()
    outcome = repo.attempt("git mv")
    assert_refused(
        outcome, {(LOCKED_A, "locked-rename"), (LOCKED_C, "locked-rename")}, exact=True
    )
    for source, target in ((LOCKED_A, renamed), (LOCKED_C, moved)):
        (line,) = lines_for(outcome.hook_output, source, "locked-rename")
        assert "renaming or moving it" in line and f"(to {target})" in line


def test_rename_of_unlocked_file_is_allowed(repo: LockRepo) -> None:
    repo.git("mv", UNLOCKED_A, "models/prompt_to_image/flux_fal_renamed.py")
    repo.generator("sync")
    repo.stage()
    assert_accepted(repo.attempt("rename an unlocked file"))


def test_symlink_and_chmod_of_locked_files_are_refused(repo: LockRepo) -> None:
    (repo.root / LOCKED_A).unlink()
    os.symlink(Path(UNLOCKED_A).name, repo.root / LOCKED_A)
    os.chmod(repo.root / LOCKED_B, 0o755)
    repo.stage()
    assert repo.git("ls-files", "-s", LOCKED_A).startswith("120000 ")
    assert repo.git("ls-files", "-s", LOCKED_B).startswith("100755 ")
    outcome = repo.attempt("symlink and chmod +x")
    assert_refused(
        outcome,
        {
            (LOCKED_A, "symlink"),
            (LOCKED_A, "locked-mode"),
            (LOCKED_A, "locked-header"),
            (LOCKED_B, "mode"),
            (LOCKED_B, "locked-mode"),
        },
    )
    assert f"chmod -x {LOCKED_B}" in outcome.hook_output


# --- what may live under models/ ----------------------------------------------


def test_files_that_are_not_model_files_are_refused(repo: LockRepo) -> None:
    stray = "models/prompt_to_image/NOTES.md"
    repo.write(stray, b"# notes\n")
    garbage = "models/prompt_to_image/garbage.py"  # UTF-16, no header
    repo.write(garbage, "garbage\n".encode("utf-16"))
    gitlink = "models/prompt_to_image/vendored"
    repo.stage()
    commit = repo.git("rev-parse", "main")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{commit},{gitlink}")
    # and non-UTF-8 bytes in a locked body
    header, body = read_header(repo.read(LOCKED_A))
    repo.write(LOCKED_A, model_bytes(header, body + b"# caf\xe9 \xff\xfe\n"))
    repo.git("add", LOCKED_A)
    outcome = repo.attempt("not model files")
    assert_refused(
        outcome,
        {
            (stray, "not-a-model-file"),
            (garbage, "not-a-model-file"),
            (gitlink, "not-a-file"),
            (LOCKED_A, "locked-body"),
        },
    )
    (line,) = lines_for(outcome.hook_output, garbage, "not-a-model-file")
    assert "the first line must be" in line


def test_oversized_file_is_refused_quickly(repo: LockRepo) -> None:
    big = "models/prompt_to_image/huge.py"
    header, _ = read_header(repo.read(UNLOCKED_A))
    header = replace(
        header, model_id="huge", record_id="00000000-0000-4000-8000-000000000001"
    )
    repo.write(big, model_bytes(header, b"\n" + b"x = 0\n" * (5 * 1024 * 1024 // 6)))
    repo.stage()
    started = time.monotonic()
    # both checks run side by side: ~1-2 s normally; 15 s is a bug (a 5 MB
    # file must be refused on its size, not parsed as Python first)
    outcome = repo.attempt("5 MB", deadline_s=15)
    assert time.monotonic() - started < 15
    assert_refused(outcome, {(big, "size")})
    assert "bytes; a model file is at most 1,000,000" in outcome.hook_output


def test_non_utf8_new_model_file_with_valid_header_is_refused(repo: LockRepo) -> None:
    """A valid header on a body that is not UTF-8 (so no model file the generator
    can read) must not pass. Today each check leaves the file out of the expected
    registry.py and CODEOWNERS and accepts it; the `locked: true` one then sits
    in the catalog locked but absent from CODEOWNERS."""
    header, body = read_header(repo.read(UNLOCKED_A))
    bad_body = body + b"# \xff\xfe not UTF-8\n"
    header = replace(header, body_sha256=body_sha256(bad_body))
    plain = "models/prompt_to_image/latin_plain.py"
    repo.write(
        plain,
        model_bytes(
            replace(
                header,
                model_id="latin-plain",
                record_id="00000000-0000-4000-8000-000000000002",
            ),
            bad_body,
        ),
    )
    locked = "models/prompt_to_image/latin_locked.py"
    repo.write(
        locked,
        model_bytes(
            replace(
                header,
                model_id="latin-locked",
                record_id="00000000-0000-4000-8000-000000000003",
                locked=True,
                locked_by="@eve",
                locked_at="2026-01-01T00:00:00Z",
            ),
            bad_body,
        ),
    )
    repo.stage()
    outcome = repo.attempt("model files that are not UTF-8")
    assert_no_crash(outcome)
    assert outcome.commit.returncode != 0, outcome.hook_output
    assert outcome.verify_json.returncode == 1, outcome.verify_json.stdout
    reported = {path for path, _ in outcome.findings}
    assert {plain, locked} <= reported, outcome.rows


def test_github_annotations_escape_the_file_name(repo: LockRepo) -> None:
    """A PR controls file names: `,` `:` and newlines in the file= property must
    be escaped (%2C %3A %0A), or the annotation lands on another file and a
    newline starts a workflow command of the PR author's choosing."""
    comma = "models/prompt_to_image/a,b:c.txt"
    injected = "models/prompt_to_image/x\n::warning::injected.txt"
    repo.write(comma, b"x\n")
    repo.write(injected, b"x\n")
    repo.stage()
    repo.git("commit", "-q", "--no-verify", "-m", "odd names")
    github = repo.verify("pr", fmt="github")
    assert github.returncode == 1
    assert "Traceback" not in github.stderr
    lines = github.stdout.splitlines()
    assert all(line.startswith("::error file=") for line in lines), github.stdout
    assert len(lines) == 2, github.stdout
    assert "file=models/prompt_to_image/a%2Cb%3Ac.txt," in github.stdout
    assert "file=models/prompt_to_image/x%0A%3A%3Awarning%3A%3Ainjected.txt," in (
        github.stdout
    )


# --- allowed changes ----------------------------------------------------------


def test_new_model_and_regenerated_unlocked_model_are_allowed(
    repo: LockRepo, tmp_path: Path
) -> None:
    spec = minimal_spec_dict("kie_jobs", "lock-test-model")
    repo.generator("new", "--spec", str(write_spec(tmp_path / "spec.yaml", spec)))
    assert (repo.root / spec_path_for(spec)).is_file()
    before = repo.read(UNLOCKED_A)
    changed = repo.changed_spec(UNLOCKED_A, tmp_path)
    repo.generator("regenerate", UNLOCKED_A_ID, "--spec", str(changed))
    assert repo.read(UNLOCKED_A) != before
    repo.stage()
    changed_paths = repo.git("diff", "--cached", "--name-only").splitlines()
    assert set(changed_paths) == {spec_path_for(spec), UNLOCKED_A, "registry.py"}
    assert_accepted(repo.attempt("new model, regenerated model"))


def test_regenerate_refuses_a_locked_model(repo: LockRepo, tmp_path: Path) -> None:
    spec = repo.changed_spec(LOCKED_A, tmp_path)
    result = repo.generator("regenerate", LOCKED_A_ID, "--spec", str(spec), check=False)
    assert result.returncode != 0
    assert repo.git("status", "--porcelain") == ""


# --- derived files ------------------------------------------------------------


def test_hand_edits_of_derived_files_are_refused(repo: LockRepo) -> None:
    codeowners = repo.read("CODEOWNERS")
    line = f"/{LOCKED_A} @modelvault/model-reviewers\n".encode()
    assert line in codeowners
    repo.write("CODEOWNERS", codeowners.replace(line, b""))
    registry = repo.read("registry.py")
    assert b'"base_cost": "0.3"' in registry
    repo.write(
        "registry.py", registry.replace(b'"base_cost": "0.3"', b'"base_cost": "0"', 1)
    )
    repo.stage()
    outcome = repo.attempt("edit derived files by hand")
    assert_refused(
        outcome,
        {("CODEOWNERS", "derived-file"), ("registry.py", "derived-file")},
        exact=True,
    )


# --- repository states --------------------------------------------------------


def test_first_commit_of_a_new_repository(tmp_path: Path, env: dict[str, str]) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    copy_catalog(root)
    repo = LockRepo(root, env)
    set_lock_states(repo)
    repo.generator("sync")
    init_repo(repo)
    repo.run([sys.executable, "-m", "pre_commit", "install"])
    # with no HEAD, a locked file whose body does not match its hash is refused
    good = repo.read(LOCKED_A)
    repo.write(LOCKED_A, body_edit(good))
    repo.stage()
    refused = repo.run(["git", "commit", "-m", "first"], check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert f"{LOCKED_A}: [lock-hash] " in output, output
    assert "Traceback" not in output
    assert repo.head() is None
    # and the consistent catalog goes in
    repo.write(LOCKED_A, good)
    repo.stage()
    repo.commit("first")
    assert repo.head() is not None


def test_shallow_clone_without_base_says_fetch_depth(
    repo: LockRepo, tmp_path: Path
) -> None:
    repo.generator("lock", UNLOCKED_A_ID, "--by", "@alice")
    repo.stage()
    repo.commit("lock")
    clone = tmp_path / "shallow"
    repo.run(
        [
            *("git", "clone", "-q", "--depth", "1", "--branch", "pr"),
            *(f"file://{repo.root}", str(clone)),
        ]
    )
    shallow = LockRepo(clone, repo.env)
    assert shallow.git("rev-parse", "--is-shallow-repository") == "true"
    results = run_all(
        [
            shallow.verify_command("HEAD", "text", base="main"),
            shallow.verify_command("HEAD", "github", base="origin/main"),
        ],
        clone,
        repo.env,
    )
    for result in results:
        assert result.returncode == 1, result.stdout
        assert "is not a commit here" in result.stderr
        assert "fetch-depth" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    # the base fetched, but the shallow history still holds no merge base
    shallow.git("fetch", "-q", "--depth", "1", "origin", "main:main")
    result = shallow.verify("HEAD", fmt="json", base="main")
    assert result.returncode == 1
    assert "share no history" in result.stderr
    assert "fetch-depth" in result.stderr and "Traceback" not in result.stderr
