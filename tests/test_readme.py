"""README's examples, executed, so they cannot drift from what the code does.

- Every ```python block runs in a fresh process, with MODELVAULT_DB in a temp
  dir. A block that sets up the fakes itself runs exactly as written (and must
  be quick: the fakes are meant for test suites). Any other block runs against
  the bundled fakes: `run`, `run_async` and `resume` get the fakes' key and
  origin, and a clock that does not wait, unless the block passes its own.
- Every command of every ```bash block runs, in order, in a temp copy of the
  catalog: `modelvault ...` and `python -m generator ...` (placeholders filled:
  ID is a model the block's own `new` creates from README's YAML spec, "…"
  a reason).
  A command that cannot run offline is listed in SKIPPED with the reason;
  anything else is a failure, so a new README command needs a decision here.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# What README's placeholders stand for: ID, and "…" (a reason).
PLACEHOLDERS = {"ID": "readme-example", "…": "a reason"}
EXAMPLE_ID = PLACEHOLDERS["ID"]
SKIPPED = {
    "pip": "installs from the network; it is how this environment was made",
    "pytest": "the test suite itself",
}
FAST_S = 10.0  # the fakes example, whole process included (it once took 27 s)

ROUTED = """
import ast, asyncio, inspect, sys, time
import modelvault
from modelvault.testing import FakeProviders

fakes = FakeProviders().start()


async def _no_wait(seconds):
    return None


clock = modelvault.Clock(time.monotonic, lambda seconds: None, _no_wait)
real = {name: getattr(modelvault, name) for name in ("run", "run_async", "resume")}


def _to_fakes(model_id):
    family = modelvault.describe(model_id).provider
    origin = fakes.base_url(family)
    return {"api_key": fakes.api_key, "base_url": origin, "clock": clock}


def run(model_id, inputs, **kw):
    return real["run"](model_id, inputs, **{**_to_fakes(model_id), **kw})


async def run_async(model_id, inputs, **kw):
    return await real["run_async"](model_id, inputs, **{**_to_fakes(model_id), **kw})


def resume(*args, **kw):
    routed = {"api_key": fakes.api_key, "base_urls": fakes.base_urls(), "clock": clock}
    return real["resume"](*args, **{**routed, **kw})


modelvault.run, modelvault.run_async, modelvault.resume = run, run_async, resume
source = open(sys.argv[1], encoding="utf-8").read()
code = compile(source, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
namespace = {"__name__": "__main__"}
outcome = eval(code, namespace)
if inspect.iscoroutine(outcome):
    asyncio.run(outcome)
record = namespace.get("record")
assert record is None or record.status == "completed", record
results = namespace.get("results")
assert results is None or not results.failures, results.failures
fakes.stop()
print("README block ok")
"""


def _blocks(language: str) -> list[tuple[int, str]]:
    text = README.read_text("utf-8")
    return [
        (text.count("\n", 0, match.start()) + 2, match.group(2))
        for match in FENCE.finditer(text)
        if match.group(1) == language
    ]


def _commands(code: str) -> list[list[str]]:
    joined = code.replace("\\\n", " ")
    return [words for line in joined.splitlines() if (words := _split(line))]


def _split(line: str) -> list[str]:
    return shlex.split(line, comments=True)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in ("KIE_API_KEY", "RUNWARE_API_KEY", "FAL_KEY", "REPLICATE_API_TOKEN")
        and not key.startswith("MODELVAULT_")
    }
    python_path = env.get("PYTHONPATH")
    env["MODELVAULT_DB"] = str(tmp_path / "generations.sqlite3")
    env["PYTHONPATH"] = str(REPO_ROOT) + (
        os.pathsep + python_path if python_path else ""
    )
    return env


def _catalog_copy(tmp_path: Path) -> Path:
    """A catalog to change: registry, models, CODEOWNERS, settings; and the
    spec files README's commands name, made from README's YAML spec."""
    root = tmp_path / "catalog"
    root.mkdir()
    for name in ("pyproject.toml", "registry.py", "CODEOWNERS"):
        shutil.copy2(REPO_ROOT / name, root / name)
    shutil.copytree(
        REPO_ROOT / "models", root / "models", ignore=shutil.ignore_patterns("__py*")
    )
    # the stored provider schemas and accepted drift README's import/drift use
    shutil.copytree(REPO_ROOT / "tests" / "data", root / "tests" / "data")
    (root / "generator").mkdir()
    shutil.copy2(REPO_ROOT / "generator" / "drift_accepted.json", root / "generator")
    spec = _blocks("yaml")[0][1]  # the first YAML block is the spec `new` takes
    spec = re.sub(r"^id: \S+", f"id: {EXAMPLE_ID}", spec, count=1, flags=re.M)
    (root / "my-model.yaml").write_text(spec, "utf-8")
    (root / "changed.yaml").write_text(
        re.sub(r"^name: (.*)$", r"name: \1 (changed)", spec, count=1, flags=re.M),
        "utf-8",
    )
    return root


def _argv(words: list[str]) -> list[str] | None:
    """The command to run for README's words, or None when SKIPPED."""
    if words[0] in SKIPPED:
        return None
    filled = [PLACEHOLDERS.get(word, word) for word in words]
    if filled[0] == "modelvault":
        return [sys.executable, "-m", "modelvault", *filled[1:]]
    if filled[:3] == ["python", "-m", "generator"]:
        assert "--pr" not in filled, "opens a GitHub PR: add it to SKIPPED with why"
        return [sys.executable, *filled[1:]]
    raise AssertionError(
        f"README command {shlex.join(words)!r} is neither run nor skipped by "
        "tests/test_readme.py: run it here, or add it to SKIPPED with the reason"
    )


def test_readme_has_examples_to_run() -> None:
    assert len(_blocks("python")) >= 2
    assert len(_blocks("bash")) >= 3


@pytest.mark.parametrize(
    ("line", "code"),
    _blocks("python"),
    ids=[f"line-{line}" for line, _ in _blocks("python")],
)
def test_python_block_runs(line: int, code: str, tmp_path: Path) -> None:
    script = tmp_path / "block.py"
    script.write_text(code, "utf-8")
    as_written = "fake_providers" in code
    argv = (
        [sys.executable, str(script)]
        if as_written
        else [sys.executable, "-c", ROUTED, str(script)]
    )
    started = time.monotonic()
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    took = time.monotonic() - started
    assert result.returncode == 0, f"README.md line {line}:\n{result.stderr}"
    if as_written:
        assert took < FAST_S, f"README.md line {line} took {took:.1f} s"
    else:
        assert "README block ok" in result.stdout  # the checks after it ran


@pytest.mark.parametrize(
    ("line", "code"),
    _blocks("bash"),
    ids=[f"line-{line}" for line, _ in _blocks("bash")],
)
def test_bash_block_runs(line: int, code: str, tmp_path: Path) -> None:
    root = _catalog_copy(tmp_path)
    env = _env(tmp_path)
    for words in _commands(code):
        argv = _argv(words)
        if argv is None:
            continue
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, (
            f"README.md block at line {line}: {shlex.join(words)}\n"
            f"{result.stdout}\n{result.stderr}"
        )


def test_every_other_yaml_block_is_a_valid_spec_fragment() -> None:
    """README's further YAML examples (the richer price and input forms) are
    real specs: each, merged over the first example, passes the generator."""
    import yaml

    from generator.spec import parse_spec

    blocks = _blocks("yaml")
    assert len(blocks) >= 2
    base = yaml.safe_load(blocks[0][1])
    for line, text in blocks[1:]:
        fragment = yaml.safe_load(text)
        spec = parse_spec({**base, **fragment}, f"README.md line {line}")
        assert spec.cost is not None
