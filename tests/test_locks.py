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
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from conftest import REPO_ROOT, minimal_spec_dict, spec_path_for, write_spec

from generator.modelfile import parse_model_file
from generator.schema import spec_data_from_literals
from modelvault._modelfile import Header, body_sha256, read_header, render_header

LOCKED_A = "models/prompt_to_image/flux_1_schnell_runware.py"
LOCKED_A_ID = "flux-1-schnell-runware"
LOCKED_B = "models/prompt_to_video/seedance_v1_lite.py"
LOCKED_B_ID = "seedance-v1-lite"
LOCKED_C = "models/image_editing/recraft_crisp_upscale.py"
LOCKED_C_ID = "recraft-crisp-upscale"
UNLOCKED_A = "models/prompt_to_image/flux_1_schnell_fal.py"
UNLOCKED_A_ID = "flux-1-schnell-fal"
UNLOCKED_B = "models/prompt_to_video/seedance_1_0_pro_runware.py"
LOCKED = (LOCKED_A, LOCKED_B, LOCKED_C)
MODEL_FILES = (*LOCKED, UNLOCKED_A, UNLOCKED_B)

HOOK_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: modelvault-locks
        name: modelvault locks
        entry: python -m generator hook
        language: system
        always_run: true
        pass_filenames: false
        require_serial: true
"""

# What a refusal must tell the author to do next, per rule (any one of these).
NEXT_STEP: dict[str, tuple[str, ...]] = {
    "locked-body": (
        "python -m generator unlock ",
        "land the header-only unlock first",
    ),
    "locked-header": ("git checkout", "python -m generator unlock "),
    "locked-mode": ("restore it",),
    "locked-delete": ("python -m generator unlock ",),
    "locked-rename": ("python -m generator unlock ",),
    "unlock-fields": ("python -m generator unlock ", "restore the other header"),
    "lock-hash": ("python -m generator lock ",),
    "symlink": ("commit the model file itself",),
    "mode": ("chmod -x",),
    "size": ("it is generated, not hand-written",),
    "not-a-model-file": ("python -m generator new", "belong under models/"),
    "not-a-file": ("not a plain file",),
    "derived-file": ("python -m generator sync",),
}

# One check (hook or verify) of a small change takes about a second; anything
# far beyond that is a performance bug, so runs are killed past this many seconds.
DEADLINE_S = 60.0

Finding = tuple[str, str]  # (path, rule)


def _clean_env(pre_commit_home: Path) -> dict[str, str]:
    """The environment minus what an outer git or pre-commit set (GIT_DIR,
    GIT_INDEX_FILE, PRE_COMMIT_*, ...), no user/system git config, this
    interpreter first on PATH (the hook's `python`) and this checkout importable."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_", "PRE_COMMIT"))
    }
    python_path = env.get("PYTHONPATH")
    env.update(
        PRE_COMMIT_HOME=str(pre_commit_home),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
        PYTHONPATH=str(REPO_ROOT) + (os.pathsep + python_path if python_path else ""),
    )
    return env


def run_all(
    commands: Sequence[Sequence[str]],
    cwd: Path,
    env: dict[str, str],
    deadline_s: float = DEADLINE_S,
) -> list[subprocess.CompletedProcess[str]]:
    """Run commands side by side; past the deadline, kill their process groups
    (what they started too) and fail."""
    procs = [
        subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        for command in commands
    ]
    deadline = time.monotonic() + deadline_s
    results: list[subprocess.CompletedProcess[str]] = []
    late: list[str] = []
    for command, proc in zip(commands, procs, strict=True):
        try:
            out, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            late.append(" ".join(command))
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        results.append(
            subprocess.CompletedProcess(list(command), proc.returncode, out, err)
        )
    if late:
        pytest.fail(f"over {deadline_s:.0f} s: {late}")
    return results


@dataclass
class Outcome:
    """One change through both checks."""

    commit: subprocess.CompletedProcess[str]  # git commit, through the hook
    verify_json: subprocess.CompletedProcess[str]
    verify_github: subprocess.CompletedProcess[str]
    head_before: str | None
    head_after: str | None

    @property
    def hook_output(self) -> str:
        return self.commit.stdout + self.commit.stderr

    @property
    def rows(self) -> list[dict[str, str]]:
        rows = json.loads(self.verify_json.stdout)
        assert isinstance(rows, list)
        return rows

    @property
    def findings(self) -> set[Finding]:
        return {(row["path"], row["rule"]) for row in self.rows}

    def all_output(self) -> str:
        return "".join(
            run.stdout + run.stderr
            for run in (self.commit, self.verify_json, self.verify_github)
        )


class LockRepo:
    """A catalog repository in a temporary folder, driven through real git."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self._attempts = 0

    def run(
        self, args: Sequence[str], *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(args),
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
            timeout=DEADLINE_S,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def git(self, *args: str, check: bool = True) -> str:
        return self.run(["git", *args], check=check).stdout.strip()

    def generator(
        self, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.run(
            [sys.executable, "-m", "generator", *args, "--root", str(self.root)],
            check=check,
        )

    def verify_command(self, head: str, fmt: str, base: str = "main") -> list[str]:
        return [
            *(sys.executable, "-m", "generator", "verify"),
            *("--base", base, "--head", head, "--format", fmt),
            *("--root", str(self.root)),
        ]

    def verify(
        self, head: str, fmt: str = "json", base: str = "main"
    ) -> subprocess.CompletedProcess[str]:
        return self.run(self.verify_command(head, fmt, base), check=False)

    def head(self) -> str | None:
        out = self.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], check=False)
        return out.stdout.strip() or None

    def read(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def stage(self) -> None:
        self.git("add", "-A")

    def commit(self, message: str) -> None:
        """A plain commit through the hook, which must accept it."""
        result = self.run(["git", "commit", "-m", message], check=False)
        assert result.returncode == 0, result.stdout + result.stderr

    def attempt(self, message: str, deadline_s: float = DEADLINE_S) -> Outcome:
        """Commit the staged change through the hook while `verify` checks a
        branch (verify/N) holding the very same tree on the same parent."""
        self._attempts += 1
        branch = f"verify/{self._attempts}"
        tree = self.git("write-tree")
        before = self.head()
        parents = ["-p", before] if before else []
        commit = self.git("commit-tree", tree, *parents, "-m", message)
        self.git("update-ref", f"refs/heads/{branch}", commit)
        committed, as_json, as_github = run_all(
            [
                ["git", "commit", "-m", message],
                self.verify_command(branch, "json"),
                self.verify_command(branch, "github"),
            ],
            self.root,
            self.env,
            deadline_s,
        )
        return Outcome(committed, as_json, as_github, before, self.head())

    def reset(self) -> None:
        """Drop the working tree and index changes (after a refused commit)."""
        self.git("reset", "-q", "--hard")
        self.git("clean", "-fdxq")

    def changed_spec(self, rel: str, folder: Path) -> Path:
        """The model's own spec (recovered from its file, as `generator spec`
        does) with another estimated_seconds."""
        model = parse_model_file(rel, self.read(rel))
        data = spec_data_from_literals(model.config, model.schema)
        data["estimated_seconds"] = int(data["estimated_seconds"]) + 7
        path = folder / f"{model.config['id']}.json"
        path.write_text(json.dumps(data), "utf-8")
        return path


def _file(header: Header, body: bytes) -> bytes:
    return render_header(header).encode("utf-8") + body


def _body_edit(data: bytes) -> bytes:
    return data + b"\nPATCHED = True  # an edit of the body\n"


def assert_no_crash(outcome: Outcome) -> None:
    assert "Traceback" not in outcome.all_output(), outcome.all_output()


def assert_refused(
    outcome: Outcome, expected: Iterable[Finding], *, exact: bool = False
) -> None:
    """Both checks refuse. For every path in `expected`, verify reports exactly
    the expected rules (with exact=True, nothing else either), and the hook's
    output names the file, the rule and the next step. HEAD did not move."""
    expected = set(expected)
    assert_no_crash(outcome)
    output = outcome.hook_output
    assert outcome.commit.returncode != 0, output
    assert outcome.head_after == outcome.head_before
    assert "Failed" in output, output
    lines = output.splitlines()
    for path, rule in expected:
        named = [line for line in lines if line.startswith(f"{path}: [{rule}] ")]
        assert named, f"hook output lacks {path}: [{rule}]:\n{output}"
        assert any(step in line for line in named for step in NEXT_STEP[rule]), (
            f"no next step for {path} [{rule}]:\n{output}"
        )
    # verify --format json
    assert outcome.verify_json.returncode == 1, outcome.verify_json.stderr
    found = outcome.findings
    paths = {path for path, _ in expected}
    assert {f for f in found if f[0] in paths} == expected, outcome.rows
    if exact:
        assert found == expected, outcome.rows
    assert all(row["message"] for row in outcome.rows)
    # the hook found the same violations
    for path, rule in found:
        assert f"{path}: [{rule}] " in output, output
    # verify --format github: one ::error annotation per finding, on its file
    github = outcome.verify_github
    assert github.returncode == 1, github.stderr
    annotations = [line for line in github.stdout.splitlines() if line]
    assert len(annotations) == len(outcome.rows), github.stdout
    assert all(line.startswith("::error file=") for line in annotations)
    for path, rule in expected:
        assert f"::error file={path},title=modelvault {rule}::" in github.stdout
    assert f"{len(outcome.rows)} lock violation(s)" in github.stderr


def assert_accepted(outcome: Outcome) -> None:
    assert_no_crash(outcome)
    output = outcome.hook_output
    assert outcome.commit.returncode == 0, output
    assert outcome.head_after != outcome.head_before
    assert "modelvault locks" in output and "Passed" in output, output
    assert outcome.verify_json.returncode == 0, outcome.all_output()
    assert outcome.rows == []
    assert outcome.verify_github.returncode == 0, outcome.verify_github.stdout
    assert "::error" not in outcome.verify_github.stdout
    assert "respects the locks" in outcome.verify_github.stderr


def _lines_for(output: str, path: str, rule: str) -> list[str]:
    return [
        line for line in output.splitlines() if line.startswith(f"{path}: [{rule}]")
    ]


# --- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _clean_env(tmp_path_factory.mktemp("pre-commit-home"))


def _init_repo(repo: LockRepo) -> None:
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.name", "Lock Tester")
    repo.git("config", "user.email", "locks@example.com")
    repo.git("config", "core.autocrlf", "false")
    repo.git("config", "commit.gpgsign", "false")


def _copy_catalog(root: Path) -> None:
    shutil.copy2(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    for rel in MODEL_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, root / rel)
    (root / ".pre-commit-config.yaml").write_text(HOOK_CONFIG, "utf-8")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    root = tmp_path_factory.mktemp("template") / "repo"
    root.mkdir()
    _copy_catalog(root)
    repo = LockRepo(root, env)
    repo.generator("sync")
    for rel in MODEL_FILES:
        header, _ = read_header(repo.read(rel))
        assert header.locked == (rel in LOCKED), rel
    _init_repo(repo)
    repo.run([sys.executable, "-m", "pre_commit", "install"])
    repo.stage()
    repo.commit("catalog")
    repo.git("branch", "pr")
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path, env: dict[str, str]) -> LockRepo:
    """A copy of the template, on branch `pr` (= main)."""
    root = tmp_path / "repo"
    shutil.copytree(template, root, symlinks=True)
    lock_repo = LockRepo(root, env)
    lock_repo.git("checkout", "-q", "pr")
    return lock_repo


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
    repo.write(LOCKED_A, _body_edit(repo.read(LOCKED_A)))
    repo.stage()
    outcome = repo.attempt("edit a locked body")
    assert_refused(
        outcome, {(LOCKED_A, "locked-body"), (LOCKED_A, "lock-hash")}, exact=True
    )
    (line,) = _lines_for(outcome.hook_output, LOCKED_A, "locked-body")
    assert f"python -m generator unlock {LOCKED_A_ID} --by @you" in line


def test_whitespace_and_line_ending_only_changes_are_refused(repo: LockRepo) -> None:
    # A: trailing spaces on one body line; B: its body in CRLF; C: the whole
    # file in CRLF (what a Windows editor makes of it: the header breaks too)
    header_a, body_a = read_header(repo.read(LOCKED_A))
    line_end = body_a.index(b"\n", 1)
    repo.write(
        LOCKED_A, _file(header_a, body_a[:line_end] + b"   " + body_a[line_end:])
    )
    header_b, body_b = read_header(repo.read(LOCKED_B))
    repo.write(LOCKED_B, _file(header_b, body_b.replace(b"\n", b"\r\n")))
    repo.write(LOCKED_C, repo.read(LOCKED_C).replace(b"\n", b"\r\n"))
    repo.stage()
    outcome = repo.attempt("whitespace only")
    assert_refused(
        outcome,
        {
            (LOCKED_A, "locked-body"),
            (LOCKED_A, "lock-hash"),
            (LOCKED_B, "locked-body"),
            (LOCKED_B, "lock-hash"),
            (LOCKED_C, "locked-header"),
            (LOCKED_C, "not-a-model-file"),
        },
    )


def test_forged_hash_matching_an_edited_body_is_refused(repo: LockRepo) -> None:
    header, body = read_header(repo.read(LOCKED_A))
    edited = body + b"\nFORGED = True\n"
    forged = replace(header, body_sha256=body_sha256(edited))
    repo.write(LOCKED_A, _file(forged, edited))
    repo.generator("sync")  # registry.py records the (forged) hash
    repo.stage()
    outcome = repo.attempt("forge the hash")
    assert_refused(outcome, {(LOCKED_A, "locked-body")}, exact=True)


def test_no_verify_commit_is_caught_by_verify(repo: LockRepo) -> None:
    repo.write(LOCKED_A, _body_edit(repo.read(LOCKED_A)))
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
    assert f"{LOCKED_A}: [lock-hash] " in text.stdout
    assert "2 lock violation(s) in main...HEAD" in text.stderr
    assert github.returncode == 1
    assert f"::error file={LOCKED_A},title=modelvault locked-body::" in github.stdout


def test_merge_bringing_a_locked_body_change_is_refused(repo: LockRepo) -> None:
    repo.git("checkout", "-q", "-b", "a", "main")
    repo.write(LOCKED_A, _body_edit(repo.read(LOCKED_A)))
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
    assert findings == {(LOCKED_A, "locked-body"), (LOCKED_A, "lock-hash")}
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
    repo.write(LOCKED_A, _body_edit(repo.read(LOCKED_A)))
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
    repo.write(LOCKED_B, _file(replace(header_b, locked_by="@mallory"), body_b))
    # C: a stamped unlock that also changes generated-by
    header_c, body_c = read_header(repo.read(LOCKED_C))
    unlocked = header_c.unlocked_by_handle("@bob", "2999-01-01T00:00:00Z", "why")
    forged = replace(unlocked, generated_by="generator 9.9.9, template kie_jobs v9")
    repo.write(LOCKED_C, _file(forged, body_c))
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
    (line,) = _lines_for(outcome.hook_output, LOCKED_A, "unlock-fields")
    assert f"python -m generator unlock {LOCKED_A_ID} " in line
    (line,) = _lines_for(outcome.hook_output, LOCKED_C, "unlock-fields")
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
    (line,) = _lines_for(outcome.hook_output, LOCKED_B, "not-a-model-file")
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
    (line,) = _lines_for(outcome.hook_output, LOCKED_A, "locked-delete")
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
        (line,) = _lines_for(outcome.hook_output, source, "locked-rename")
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
    repo.write(LOCKED_A, _file(header, body + b"# caf\xe9 \xff\xfe\n"))
    repo.git("add", LOCKED_A)
    outcome = repo.attempt("not model files")
    assert_refused(
        outcome,
        {
            (stray, "not-a-model-file"),
            (garbage, "not-a-model-file"),
            (gitlink, "not-a-file"),
            (LOCKED_A, "locked-body"),
            (LOCKED_A, "lock-hash"),
        },
    )
    (line,) = _lines_for(outcome.hook_output, garbage, "not-a-model-file")
    assert "the first line must be" in line


def test_oversized_file_is_refused_quickly(repo: LockRepo) -> None:
    big = "models/prompt_to_image/huge.py"
    header, _ = read_header(repo.read(UNLOCKED_A))
    header = replace(
        header, model_id="huge", record_id="00000000-0000-4000-8000-000000000001"
    )
    repo.write(big, _file(header, b"\n" + b"x = 0\n" * (5 * 1024 * 1024 // 6)))
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
        _file(
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
        _file(
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
    _copy_catalog(root)
    repo = LockRepo(root, env)
    repo.generator("sync")
    _init_repo(repo)
    repo.run([sys.executable, "-m", "pre_commit", "install"])
    # with no HEAD, a locked file whose body does not match its hash is refused
    good = repo.read(LOCKED_A)
    repo.write(LOCKED_A, _body_edit(good))
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
