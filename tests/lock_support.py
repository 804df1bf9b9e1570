"""Real git repositories for the lock tests (tests/test_locks.py,
tests/test_lock_bypasses.py): a catalog template with the pre-commit hook installed,
a driver that puts one change through the hook and through `verify` at once, and
the assertions on what both say.

`verify` runs the way the trusted gate runs it: the tooling is this checkout's (on
PYTHONPATH), never the repository under test, which is read as git data only:
`python -P` keeps the repository's folder off sys.path, so a `tomllib.py`,
`generator/` or `sitecustomize.py` committed there is never imported. The hook,
like pre-commit, runs in the repository (it is a convenience, not the rule).
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
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from generator.modelfile import parse_model_file
from generator.schema import spec_data_from_literals
from modelvault._modelfile import Header, read_header, render_header

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
    "lock-new": ("python -m generator lock ",),
    "lock-with-edit": ("python -m generator lock ",),
    "lock-fields": ("python -m generator lock ",),
    "header-canonical": ("git checkout ", "python -m generator regenerate "),
    "encoding": ("git checkout ", "python -m generator regenerate "),
    "namespace": ("python -m generator new --spec",),
    "bytecode": ("git rm -r --cached -- ",),
    "shadow-module": ("top-level-python in pyproject.toml",),
    "codeowners-location": ("git rm -r --cached -- ",),
    "case-collision": ("git rm -r --cached -- ",),
    "gitattributes": ("git checkout ", "remove the line"),
}

# One check (hook or verify) of a small change takes about a second; anything
# far beyond that is a performance bug, so runs are killed past this many seconds.
DEADLINE_S = 60.0

Finding = tuple[str, str]  # (path, rule)


def clean_env(pre_commit_home: Path) -> dict[str, str]:
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
        """`verify` as the trusted gate runs it: this checkout's tooling, the
        repository under test read as git data (-P: its folder is not on sys.path,
        so nothing committed there is imported)."""
        return [
            *(sys.executable, "-P", "-m", "generator", "verify"),
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


def model_bytes(header: Header, body: bytes) -> bytes:
    return render_header(header).encode("utf-8") + body


def body_edit(data: bytes) -> bytes:
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


def lines_for(output: str, path: str, rule: str) -> list[str]:
    return [
        line for line in output.splitlines() if line.startswith(f"{path}: [{rule}]")
    ]


# --- what the fixtures make (each test module wraps these in its own fixtures) ---


def make_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return clean_env(tmp_path_factory.mktemp("pre-commit-home"))


def init_repo(repo: LockRepo) -> None:
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.name", "Lock Tester")
    repo.git("config", "user.email", "locks@example.com")
    repo.git("config", "core.autocrlf", "false")
    repo.git("config", "commit.gpgsign", "false")


def copy_catalog(root: Path) -> None:
    shutil.copy2(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copy2(REPO_ROOT / ".gitattributes", root / ".gitattributes")
    for rel in MODEL_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, root / rel)
    (root / ".pre-commit-config.yaml").write_text(HOOK_CONFIG, "utf-8")


def set_lock_states(repo: LockRepo) -> None:
    """The catalog's lock states as the tests expect them (LOCKED locked, the
    others not), whatever the checkout holds: a template fix unlocks every locked
    model for a while."""
    states = {rel: read_header(repo.read(rel))[0] for rel in MODEL_FILES}
    to_lock = [h.model_id for r, h in states.items() if r in LOCKED and not h.locked]
    to_unlock = [h.model_id for r, h in states.items() if r not in LOCKED and h.locked]
    if to_lock:
        repo.generator("lock", *to_lock, "--by", "@modelvault/maintainers")
    if to_unlock:
        repo.generator("unlock", *to_unlock, "--by", "@bob", "--reason", "tests")


def make_template(
    tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]
) -> Path:
    """The catalog committed on main (through the hook), branch `pr` = main."""
    root = tmp_path_factory.mktemp("template") / "repo"
    root.mkdir()
    copy_catalog(root)
    repo = LockRepo(root, env)
    set_lock_states(repo)
    repo.generator("sync")
    for rel in MODEL_FILES:
        header, _ = read_header(repo.read(rel))
        assert header.locked == (rel in LOCKED), rel
    init_repo(repo)
    repo.run([sys.executable, "-m", "pre_commit", "install"])
    repo.stage()
    repo.commit("catalog")
    repo.git("branch", "pr")
    return root


def make_repo(template: Path, tmp_path: Path, env: dict[str, str]) -> LockRepo:
    """A copy of the template, on branch `pr` (= main)."""
    root = tmp_path / "repo"
    shutil.copytree(template, root, symlinks=True)
    lock_repo = LockRepo(root, env)
    lock_repo.git("checkout", "-q", "pr")
    return lock_repo
