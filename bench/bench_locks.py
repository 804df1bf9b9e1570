"""Lock-check benchmark: `verify` on PR ranges and the pre-commit hook, at scale.

    python bench/bench_locks.py [--repeat 5] [--budget 270] [--models 5000]

Builds a throwaway git repository in a temporary folder: pyproject.toml,
.pre-commit-config.yaml, 5,000 model files (4,000 locked), registry.py and
CODEOWNERS, committed on `main`. The model files come from the generator: each of
the 25 (provider family, group) pairs is rendered once with
generator.render.render_model_file (bench_foundation's spec_data), then copied
per model with its own id and record id, a fresh header (body-sha256 recomputed;
locked ones stamped with Header.locked_by_handle) and path. registry.py and
CODEOWNERS are derived from every parsed file with the generator's own
Catalog.derived_files, independently of the incremental code verify uses.

Branches off main (each commit also carries the re-derived registry.py):
  one       1 unlocked model regenerated from a changed spec (legit);
  many      all 1,000 unlocked models regenerated from changed specs (legit);
  many-bad  900 unlocked + 100 locked models regenerated (100 violations; info).

Then it times, interleaved round-robin with baselines from the same run:
  `python -m generator verify --base main --head one|many|many-bad` against
  `git diff --name-only main...one|many|many-bad`;
  the trusted gate (.github/workflows/lock-gate.yml) on `one`, beside today's
  verify: in a clone of main only (the base), the head fetched as objects
  (`git fetch origin <sha>`; a fresh clone before each run, untimed) and
  verified with this checkout's tooling (`python -P`: nothing of the repository
  under test is on sys.path), and the same verify once the head is there;
  the floor under verify of `one`: the interpreter (`python -c pass`), the
  imports of the verify command, and the three git calls it makes (rev-parse,
  diff-tree, cat-file --batch) run from a shell;
  with a 1-file and a 1,000-file change staged (not committed):
  `pre-commit run modelvault-locks` against `pre-commit run noop` (a local hook
  whose entry is `true`), and `python -m generator hook` against
  `git diff --cached --name-only`.
Target everywhere: median <= 2 x baseline median + 100 ms. Each timing runs
--repeat times, or at least 3 times when the --budget (wall-clock seconds for the
whole script) would otherwise be exceeded on a slow or busy machine; the table
shows how many runs each row got. Every run's exit code
is checked (0 for legit changes, 1 for many-bad). The script exits 0 whether
targets pass or fail; 1 only when the synthetic repository is broken.

Finally a cProfile of verify_range(main, one) and (main, many) in process, and
the slowest imports of `python -m generator verify` (what a subprocess adds).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import os
import pstats
import shlex
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # the generator is repo tooling, not in the wheel
    sys.path.insert(0, str(REPO))


def _load_foundation() -> ModuleType:
    """bench_foundation.py, imported from its path (spec_data, Timing, ...)."""
    path = REPO / "bench" / "bench_foundation.py"
    spec = importlib.util.spec_from_file_location("bench_foundation", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"bench: cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


foundation = _load_foundation()

from generator.catalog import Catalog  # noqa: E402
from generator.config import load_settings  # noqa: E402
from generator.git import git  # noqa: E402
from generator.modelfile import ParsedModelFile, parse_model_file  # noqa: E402
from generator.render import render_model_file  # noqa: E402
from generator.repo import write_files  # noqa: E402
from generator.spec import RECORD_ID_NAMESPACE, parse_spec  # noqa: E402
from generator.verify import verify_range  # noqa: E402
from modelvault._modelfile import (  # noqa: E402
    Header,
    body_sha256,
    read_header,
    render_header,
)

TEMPLATES = 25  # spec_data(i) covers every (family, group) pair in any 25 models
RATIO = 2.0
SLACK_S = 0.100
TARGET = f"<= {RATIO:.0f}x base + {SLACK_S * 1000:.0f} ms"
SPEC_CHANGE_S = 1000  # regenerated specs: estimated_seconds += this
BAD_LOCKED = 100  # locked models regenerated on many-bad

PRE_COMMIT_CONFIG = """\
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
      - id: noop
        name: no-op
        entry: "true"
        language: system
        always_run: true
        pass_filenames: false
"""


# -- synthetic catalog ----------------------------------------------------------------
@dataclass(frozen=True)
class Template:
    model_id: str
    record_id: str
    group: str
    header: Header
    body: bytes


def render_templates(variant: int) -> list[Template]:
    """The 25 (family, group) model files, rendered once; `variant` > 0 changes
    the spec (estimated_seconds) the way a legit regeneration would."""
    out = []
    for index in range(TEMPLATES):
        data: dict[str, Any] = foundation.spec_data(index)
        data["estimated_seconds"] += SPEC_CHANGE_S * variant
        spec = parse_spec(data, f"bench spec {index}")
        header, body = read_header(render_model_file(spec))
        out.append(Template(spec.id, header.record_id, spec.group.value, header, body))
    return out


def model_file(template: Template, index: int, locked: bool) -> tuple[str, bytes]:
    """Model `index` from its template: own id, record id, path and header."""
    model_id = f"{template.model_id[:-5]}{index:05d}"
    record_id = str(uuid.uuid5(RECORD_ID_NAMESPACE, model_id))
    body = template.body.replace(
        f'"{template.model_id}"'.encode(), f'"{model_id}"'.encode()
    ).replace(f'"{template.record_id}"'.encode(), f'"{record_id}"'.encode())
    digest = body_sha256(body)
    header = replace(
        template.header, model_id=model_id, record_id=record_id, body_sha256=digest
    )
    if locked:
        header = header.locked_by_handle(
            foundation.LOCKED_BY, foundation.LOCKED_AT, digest
        )
    path = f"models/{template.group}/{model_id.replace('-', '_')}.py"
    return path, render_header(header).encode() + body


@dataclass
class Catalogue:
    """Every model file of a branch, parsed once, and the derived files."""

    files: dict[str, bytes] = field(default_factory=dict)
    parsed: dict[str, ParsedModelFile] = field(default_factory=dict)

    def put(self, path: str, data: bytes) -> None:
        self.files[path] = data
        self.parsed[path] = parse_model_file(path, data)

    def copy(self) -> Catalogue:
        return Catalogue(dict(self.files), dict(self.parsed))

    def derived(self, root: Path) -> dict[str, bytes]:
        """registry.py and CODEOWNERS from every model (full derivation)."""
        models = [self.parsed[p] for p in sorted(self.parsed)]
        derived = Catalog(models=models).derived_files(load_settings(root))
        return {path: text.encode() for path, text in derived.items()}


@dataclass
class Synthetic:
    root: Path
    unlocked: list[int]
    locked: list[int]
    branches: dict[str, dict[str, bytes]]  # branch -> files it writes over main
    seconds: dict[str, float]
    count: int


def is_unlocked(index: int, every: int) -> bool:
    """1 in `every` unlocked, spread over every family and group: within each
    block of 25 the unlocked family shifts (index // 25)."""
    return (index % 5 + index // TEMPLATES) % every == 0


def sanity_check(catalogue: Catalogue, sample: list[str]) -> None:
    """Each copied file is exactly what the generator renders from its own
    (recovered) spec and header, so it is a genuine generator output."""
    for path in sample:
        model = catalogue.parsed[path]
        again = render_model_file(model.spec(), model.header)
        if again != catalogue.files[path]:
            raise SystemExit(f"bench: {path} is not what the generator renders")
        if model.header.locked and model.actual_body_sha256 != (
            model.header.body_sha256
        ):
            raise SystemExit(f"bench: {path} is locked with a wrong body-sha256")


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", message)


def build(root: Path, count: int, unlocked_every: int) -> Synthetic:
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    base_t, edit_t = render_templates(0), render_templates(1)
    seconds["render 2 x 25 templates"] = time.perf_counter() - start

    mark = time.perf_counter()
    main = Catalogue()
    unlocked: list[int] = []
    locked: list[int] = []
    paths: dict[int, str] = {}
    for i in range(count):
        free = is_unlocked(i, unlocked_every)
        (unlocked if free else locked).append(i)
        path, data = model_file(base_t[i % TEMPLATES], i, not free)
        paths[i] = path
        main.put(path, data)
    seconds[f"copy + parse {count} model files"] = time.perf_counter() - mark
    sanity_check(main, [paths[i] for i in range(min(count, 2 * TEMPLATES))])

    mark = time.perf_counter()
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / ".pre-commit-config.yaml").write_text(PRE_COMMIT_CONFIG)
    write_files(root, {**main.files, **main.derived(root)})
    seconds["derive registry + CODEOWNERS, write files"] = time.perf_counter() - mark

    mark = time.perf_counter()
    git(root, "init", "-q", "-b", "main")
    for key, value in (
        ("user.name", "bench"),
        ("user.email", "bench@example.com"),
        ("commit.gpgsign", "false"),
    ):
        git(root, "config", key, value)
    commit_all(root, f"{count} synthetic models")
    seconds["git add + commit main"] = time.perf_counter() - mark

    mark = time.perf_counter()
    plans = {
        "one": [(i, False) for i in unlocked[:1]],
        "many": [(i, False) for i in unlocked[:1000]],
        "many-bad": [(i, False) for i in unlocked[: 1000 - BAD_LOCKED]]
        + [(i, True) for i in locked[:BAD_LOCKED]],
    }
    branches: dict[str, dict[str, bytes]] = {}
    for name, edits in plans.items():
        cat = main.copy()
        writes: dict[str, bytes] = {}
        for i, lock in edits:
            path, data = model_file(edit_t[i % TEMPLATES], i, lock)
            cat.put(path, data)
            writes[path] = data
        writes.update(
            (p, d) for p, d in cat.derived(root).items() if (root / p).read_bytes() != d
        )
        branches[name] = writes
        git(root, "checkout", "-q", "-b", name, "main")
        write_files(root, writes)
        commit_all(root, name)
        git(root, "checkout", "-q", "main")
    seconds["branches one, many, many-bad"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - start
    return Synthetic(root, unlocked, locked, branches, seconds, count)


# -- timing ---------------------------------------------------------------------------
MIN_RUNS = 3
PROFILE_RESERVE_S = 30.0


@dataclass
class Budget:
    """Wall-clock budget: each timing phase gets a share of what is left."""

    repeat: int
    deadline: float  # perf_counter() value; profiling time already set aside

    def phase(self, share: float) -> float:
        now = time.perf_counter()
        return now + max(0.0, self.deadline - now) * share


@dataclass
class Command:
    args: list[str]
    exit_code: int = 0  # what a correct run returns
    cwd: Path | None = None  # default: the synthetic repository
    prepare: Callable[[], None] | None = None  # before each run, untimed


def timed(cmd: Command, env: dict[str, str], cwd: Path) -> tuple[float, str]:
    if cmd.prepare is not None:
        cmd.prepare()
    start = time.perf_counter()
    result = foundation.run(cmd.args, env, cmd.cwd or cwd)
    elapsed = time.perf_counter() - start
    if result.returncode != cmd.exit_code:
        raise SystemExit(
            f"bench: {' '.join(cmd.args)} exited {result.returncode}, expected "
            f"{cmd.exit_code}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return elapsed, f"{result.stdout}{result.stderr}"


def interleaved(
    commands: dict[str, Command],
    env: dict[str, str],
    cwd: Path,
    repeat: int,
    deadline: float,
) -> dict[str, Any]:
    """Each command `repeat` times, round-robin (fewer, but at least MIN_RUNS,
    when another round would pass `deadline`); name -> foundation.Timing."""
    timings: dict[str, Any] = {name: foundation.Timing([]) for name in commands}
    last_round = 0.0
    for done in range(repeat):
        if done >= MIN_RUNS and time.perf_counter() + last_round > deadline:
            print(f"    (budget: stopped after {done} of {repeat} rounds)")
            break
        start = time.perf_counter()
        for name, cmd in commands.items():
            timings[name].samples.append(timed(cmd, env, cwd)[0])
        last_round = time.perf_counter() - start
    return timings


def bench_env(root: Path, pre_commit_home: Path) -> dict[str, str]:
    env: dict[str, str] = foundation.subprocess_env(root)  # PYTHONPATH=repo
    # `python` (the hook's entry) and pre-commit resolve to this interpreter's
    # bin directly, not through a version-manager shim.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    return env


@dataclass
class Row:
    what: str
    measured: Any  # foundation.Timing
    baseline: Any | None
    target: bool = True


def verify_commands(py: str) -> dict[str, Command]:
    commands: dict[str, Command] = {}
    for head, code in (("one", 0), ("many", 0), ("many-bad", 1)):
        commands[f"verify {head}"] = Command(
            [py, "-m", "generator", "verify", "--base", "main", "--head", head], code
        )
        commands[f"git diff {head}"] = Command(
            ["git", "diff", "--name-only", f"main...{head}"]
        )
    commands["generator --help"] = Command([py, "-m", "generator", "--help"])
    commands["python -c pass"] = Command([py, "-c", "pass"])
    return commands


def gate_commands(syn: Synthetic, py: str) -> dict[str, Command]:
    """The trusted gate on `one`: a clone holding main only (the base), the head
    fetched as objects, verified with this checkout's tooling (-P)."""
    head = git(syn.root, "rev-parse", "one").decode().strip()
    gate = syn.root.parent / "gate"
    fetch_head = ["git", "fetch", "-q", "--no-tags", "origin", head]
    verify = [py, "-P", "-m", "generator", "verify", "--base", "main"]
    verify += ["--head", head, "--root", str(gate)]

    def clone_base() -> None:
        shutil.rmtree(gate, ignore_errors=True)
        git(
            syn.root.parent,
            *("clone", "-q", "--no-checkout", "--single-branch", "--branch", "main"),
            *(str(syn.root), str(gate)),
        )

    clone_base()
    git(gate, *fetch_head[1:])  # for the verify-only row
    script = " && ".join(
        [" ".join(fetch_head), " ".join(shlex.quote(a) for a in verify)]
    )
    return {
        "gate fetch + verify one": Command(
            ["sh", "-c", script], cwd=gate, prepare=clone_base
        ),
        "gate verify one": Command(verify, cwd=gate),
    }


def floor_commands(syn: Synthetic, py: str) -> dict[str, Command]:
    """What verify of `one` cannot go below: the imports of its command, and the
    git calls it makes, run from a shell."""
    head = git(syn.root, "rev-parse", "one").decode().strip()
    base = git(syn.root, "merge-base", "main", head).decode().strip()
    names = " ".join(
        f"{side}:{path}"
        for side in (base, head)
        for path in ("registry.py", "CODEOWNERS", "pyproject.toml")
    )
    calls = [
        f"git rev-parse --is-shallow-repository {head} main {head}...main",
        f"git diff-tree -r -z --raw --no-renames --full-index {base} {head}",
        f"printf '%s\\n' {names} | git cat-file --batch",
    ]
    return {
        "imports": Command(
            [
                py,
                "-c",
                "import generator.cli_fast, generator.verify, generator.lock_report",
            ]
        ),
        "git calls": Command(
            ["sh", "-c", " >/dev/null && ".join(calls) + " >/dev/null"]
        ),
    }


def time_gate(syn: Synthetic, env: dict[str, str], budget: Budget) -> list[Row]:
    py = sys.executable
    commands = {
        "today verify one": Command(
            [py, "-m", "generator", "verify", "--base", "main", "--head", "one"]
        ),
        **gate_commands(syn, py),
        **floor_commands(syn, py),
        "python -c pass": Command([py, "-c", "pass"]),
        "git diff one": Command(["git", "diff", "--name-only", "main...one"]),
    }
    for name in ("gate fetch + verify one", "gate verify one"):
        _, out = timed(commands[name], env, syn.root)
        print(f"  {name} (untimed check): {out.strip().splitlines()[-1]}")
    print(f"  timing the gate beside today's verify x{budget.repeat}, interleaved ...")
    t = interleaved(commands, env, syn.root, budget.repeat, budget.phase(0.3))
    today = t["today verify one"]
    return [
        Row(
            "(info) gate: fetch head + verify main...one, base tooling "
            "(baseline: today's verify)",
            t["gate fetch + verify one"],
            today,
            target=False,
        ),
        Row(
            "(info) gate: verify main...one, head already fetched "
            "(baseline: today's verify)",
            t["gate verify one"],
            today,
            target=False,
        ),
        Row("(info) floor: python -c pass", t["python -c pass"], None),
        Row(
            "(info) floor: imports of python -m generator verify",
            t["imports"],
            None,
        ),
        Row(
            "(info) floor: verify's 3 git calls on one, from a shell",
            t["git calls"],
            t["git diff one"],
            target=False,
        ),
    ]


def time_verify(syn: Synthetic, env: dict[str, str], budget: Budget) -> list[Row]:
    commands = verify_commands(sys.executable)
    for head in ("one", "many", "many-bad"):
        _, out = timed(commands[f"verify {head}"], env, syn.root)
        lines = out.strip().splitlines()
        found = sum("[locked-body]" in line for line in lines)
        print(f"  verify main...{head} (untimed check): {lines[-1]}", end="")
        print(f"; locked-body findings: {found}" if head == "many-bad" else "")
        if head == "many-bad" and found != BAD_LOCKED:
            raise SystemExit(f"bench: expected {BAD_LOCKED} findings:\n{out[-3000:]}")
    print(f"  timing verify and git diff x{budget.repeat}, interleaved ...")
    t = interleaved(commands, env, syn.root, budget.repeat, budget.phase(0.55))
    n = len(syn.branches["many"])
    return [
        Row(
            f"verify main...one  ({len(syn.branches['one'])} files)",
            t["verify one"],
            t["git diff one"],
        ),
        Row(f"verify main...many  ({n} files)", t["verify many"], t["git diff many"]),
        Row(
            f"(info) verify main...many-bad ({BAD_LOCKED} violations, exit 1)",
            t["verify many-bad"],
            t["git diff many-bad"],
            target=False,
        ),
        Row("(info) python -m generator --help (startup)", t["generator --help"], None),
        Row("(info) python -c pass (interpreter floor)", t["python -c pass"], None),
    ]


def stage(root: Path, writes: dict[str, bytes]) -> None:
    git(root, "reset", "-q", "--hard", "main")
    write_files(root, writes)
    git(root, "add", "--", *sorted(writes))


def time_hooks(syn: Synthetic, env: dict[str, str], budget: Budget) -> list[Row]:
    root, py = syn.root, sys.executable
    pre_commit = shutil.which("pre-commit", path=env["PATH"]) or "pre-commit"
    commands = {
        "pre-commit locks": Command([pre_commit, "run", "modelvault-locks"]),
        "pre-commit noop": Command([pre_commit, "run", "noop"]),
        "hook": Command([py, "-m", "generator", "hook"]),
        "git diff --cached": Command(["git", "diff", "--cached", "--name-only"]),
    }
    # pre-commit's one-time setup (its store under PRE_COMMIT_HOME) is excluded.
    for name in ("pre-commit noop", "pre-commit locks"):
        elapsed, _ = timed(commands[name], env, root)
        print(f"  untimed first `{name}` (pre-commit setup): {elapsed:.2f} s")
    rows: list[Row] = []
    for label, branch, share in (
        ("1 staged file", "one", 0.25),
        ("1,000 staged files", "many", 1.0),
    ):
        writes = {
            p: d for p, d in syn.branches[branch].items() if p.startswith("models/")
        }
        stage(root, syn.branches[branch])
        staged = git(root, "diff", "--cached", "--name-only").decode().split()
        _, out = timed(commands["hook"], env, root)
        print(
            f"  {label}: {len(writes)} model file(s) + {len(staged) - len(writes)} "
            f"derived staged; hook (untimed check): {out.strip().splitlines()[-1]}"
        )
        for name in ("pre-commit locks", "pre-commit noop"):
            _, out = timed(commands[name], env, root)
            result = out.strip().splitlines()[-1] if out.strip() else ""
            print(f"    `{name}` (untimed check): {result}")
            if not result.endswith("Passed"):
                raise SystemExit(f"bench: {name} did not run its hook:\n{out}")
        print(f"  timing pre-commit and hook x{budget.repeat}, interleaved ...")
        t = interleaved(commands, env, root, budget.repeat, budget.phase(share))
        rows += [
            Row(
                f"pre-commit run modelvault-locks ({label})",
                t["pre-commit locks"],
                t["pre-commit noop"],
            ),
            Row(
                f"python -m generator hook ({label})",
                t["hook"],
                t["git diff --cached"],
            ),
        ]
    git(root, "reset", "-q", "--hard", "main")
    return rows


# -- report ---------------------------------------------------------------------------
def cell(timing: Any) -> str:
    median: str = foundation.fmt_s(timing.median).strip()
    low: str = foundation.fmt_s(timing.min).strip()
    return f"{median} / {low}"


def print_table(rows: list[Row]) -> None:
    header = (
        "what",
        "runs",
        "measured median / min",
        "baseline median / min",
        "ratio",
        "target",
        "result",
    )
    table: list[tuple[str, ...]] = []
    for row in rows:
        base = row.baseline
        ok = base is None or row.measured.median <= RATIO * base.median + SLACK_S
        table.append(
            (
                row.what,
                str(len(row.measured.samples)),
                cell(row.measured),
                "" if base is None else cell(base),
                "" if base is None else f"{row.measured.median / base.median:.1f}x",
                TARGET if row.target and base is not None else "(info)",
                ("PASS" if ok else "FAIL") if row.target and base is not None else "",
            )
        )
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(rule)
    for line in table:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
    print(rule)


def profile_verify(root: Path, head: str, top: int) -> str:
    start = time.perf_counter()
    verify_range(root, "main", head)  # also warms lazy imports and OS caches
    plain = time.perf_counter() - start
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    violations = verify_range(root, "main", head)
    profiler.disable()
    wall = time.perf_counter() - start
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(12)
    return (
        f"verify_range(main, {head}) in process: {plain * 1000:.0f} ms without a "
        f"profiler, {wall * 1000:.0f} ms under cProfile; {len(violations)} "
        f"violation(s)\n{out.getvalue()}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing")
    parser.add_argument(
        "--budget",
        type=float,
        default=270.0,
        help="wall-clock seconds for the whole script (default 270); timings "
        f"drop to no fewer than {MIN_RUNS} runs to keep within it",
    )
    parser.add_argument("--models", type=int, default=5000, help="models on main")
    parser.add_argument(
        "--unlocked-every",
        type=int,
        default=5,
        help="1 in N models unlocked (5: 1,000 of 5,000); many edits up to 1,000",
    )
    parser.add_argument("--profile-top", type=int, default=25, help="cProfile rows")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    repeat = max(1, options.repeat)
    started = time.perf_counter()
    print(f"modelvault locks bench: {options.models} models, {repeat} runs each")
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPU(s); ", end="")
    print(git(REPO, "--version").decode().strip())
    print(f"load average at start: {os.getloadavg()[0]:.2f}\n")
    with tempfile.TemporaryDirectory(prefix="modelvault-bench-locks-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        syn = build(root, options.models, options.unlocked_every)
        print(
            f"synthetic repo: {options.models} models ({len(syn.locked)} locked, "
            f"{len(syn.unlocked)} unlocked); files changed per branch: "
            + ", ".join(f"{b} {len(w)}" for b, w in syn.branches.items())
        )
        for step, seconds in syn.seconds.items():
            print(f"    {step:<45} {foundation.fmt_s(seconds)}")
        env = bench_env(root, Path(tmp) / "pre-commit-home")
        print("\nverify (PR ranges):")
        # ~30 s set aside for the profile and the import times at the end.
        budget = Budget(repeat, started + options.budget - PROFILE_RESERVE_S)
        rows = time_verify(syn, env, budget)
        print("\ntrusted gate and the floor under verify (one):")
        rows += time_gate(syn, env, budget)
        print("\npre-commit hook (staged, not committed):")
        rows += time_hooks(syn, env, budget)
        print()
        print_table(rows)
        print(
            "baselines: `git diff --name-only main...HEAD` for verify; `pre-commit "
            "run noop` (entry `true`, always_run, pass_filenames false) for\n"
            "pre-commit run modelvault-locks; `git diff --cached --name-only` for "
            "the hook run directly. Each measured command and its baseline\n"
            "are interleaved round-robin in the same run. pre-commit ran once, "
            "untimed, before timing (its setup is excluded). `python` is\n"
            f"{sys.executable}; PYTHONDONTWRITEBYTECODE unset so .pyc caches work."
        )
        print("samples (s):")
        width = max(len(row.what) for row in rows) + len(" baseline")
        for row in rows:
            for label, timing in (("", row.measured), (" baseline", row.baseline)):
                if timing is not None:
                    samples = [round(s, 3) for s in timing.samples]
                    print(f"    {row.what + label:<{width}} {samples}")
        print(f"load average at end: {os.getloadavg()[0]:.2f}")

        print("\n--- where verify's time goes (main...one: the 2-file PR) ---")
        print(profile_verify(root, "one", options.profile_top))
        print("\n--- where verify's time goes (main...many) ---")
        print(profile_verify(root, "many", options.profile_top))
        print("python -X importtime, the verify command (slowest cumulative):")
        verify_imports = (
            "import generator.cli_fast, generator.verify, generator.lock_report"
        )
        print(foundation.import_time(verify_imports, env, root))
    print(f"\nbench total: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
