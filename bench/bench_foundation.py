"""Foundation benchmark: a synthetic catalog of N models (default 1000).

    python bench/bench_foundation.py [--count 1000] [--repeat 7] [--profile]

Builds a throwaway repository (pyproject.toml + models/) in a temporary folder,
generates N models across all five provider families and all five groups through
the generator's library functions, then times:

  (a) generating them all: model files, registry.py and CODEOWNERS written;
  (b) `python -m generator check --root TMP` (must exit 0; target < 5 s);
  (c) listing: `python -c "import modelvault; modelvault.list_models()"` with
      MODELVAULT_CATALOG=TMP, against the baseline `python -c "import httpx,
      pydantic"` measured in the same run (target <= 1.5x baseline);
  (d) cold start of one model: `modelvault.get(ID)` against the same baseline;
  (e) `generator import` of a 100-input provider schema (fal OpenAPI layout, every
      input form), in process and as the command;
  (f) `generator drift --schema-dir` over 1,000 fal and Replicate models against
      their stored schemas (every 10th differs), in process and as the command.

Subprocess timings are repeated (median and min reported) with the measured and
baseline commands interleaved, so machine noise hits both alike. The script always
exits 0 (unless the benchmark itself breaks); it prints PASS/FAIL honestly.
With --profile (or when a target fails) it prints a short profile of where the
time goes: `python -X importtime` for the listing and cProfile for `check`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # the generator is repo tooling, not in the wheel
    sys.path.insert(0, str(REPO))

from click.testing import CliRunner  # noqa: E402

from generator.catalog import build_catalog  # noqa: E402
from generator.cli import main as generator_main  # noqa: E402
from generator.config import load_settings  # noqa: E402
from generator.operations import plan_sync  # noqa: E402
from generator.outputs import CODEOWNERS_PATH, REGISTRY_PATH  # noqa: E402
from generator.render import FAMILIES, render_model_file  # noqa: E402
from generator.repo import read_catalog, read_text_or_none, write_files  # noqa: E402
from generator.spec import Group, ModelSpec, ProviderFamily, parse_spec  # noqa: E402
from modelvault._modelfile import Header  # noqa: E402

CHECK_TARGET_S = 5.0
RATIO_TARGET = 1.5
LOCKED_BY = "@bench-reviewer"
LOCKED_AT = "2026-01-01T00:00:00Z"

# What each provider family needs to pass the spec's family rules.
_FAMILY_FIELDS: dict[ProviderFamily, Callable[[int], dict[str, Any]]] = {
    ProviderFamily.KIE_JOBS: lambda i: {
        "provider_model": f"bench/model-{i}",
        "endpoint": "https://api.kie.ai/api/v1/jobs/createTask",
        "api_key_env": "KIE_API_KEY",
    },
    ProviderFamily.KIE_VEO: lambda i: {
        "provider_model": "veo3_fast" if i % 2 else "veo3",
        "endpoint": "https://api.kie.ai/api/v1/veo/generate",
        "api_key_env": "KIE_API_KEY",
        "payload_constants": {"generationType": "TEXT_2_VIDEO"},
    },
    ProviderFamily.KIE_4O: lambda i: {
        "provider_model": "gpt4o-image",
        "endpoint": "https://api.kie.ai/api/v1/gpt4o-image/generate",
        "api_key_env": "KIE_API_KEY",
    },
    ProviderFamily.RUNWARE: lambda i: {
        "provider_model": f"runware:{i}@1",
        "endpoint": "https://api.runware.ai/v1",
        "api_key_env": "RUNWARE_API_KEY",
        "payload_constants": {
            "taskType": "imageInference",
            "outputType": "URL",
            "includeCost": True,
        },
    },
    ProviderFamily.FAL_QUEUE: lambda i: {
        "provider_model": f"fal-ai/bench/model-{i}",
        "endpoint": f"https://queue.fal.run/fal-ai/bench/model-{i}",
        "api_key_env": "FAL_KEY",
    },
    ProviderFamily.REPLICATE: lambda i: {
        "provider_model": f"bench-owner/model-{i}",
        "endpoint": (
            f"https://api.replicate.com/v1/models/bench-owner/model-{i}/predictions"
        ),
        "api_key_env": "REPLICATE_API_TOKEN",
    },
}
_IMAGE_GROUPS = (Group.IMAGE_EDITING, Group.IMAGE_TO_VIDEO)


def spec_data(index: int, *, richer: bool = True) -> dict[str, Any]:
    """Spec data for synthetic model `index`: family = index mod 5, group = the
    next digit, so every (family, group) pair occurs once in any 25 models."""
    families = list(ProviderFamily)
    groups = list(Group)
    family = families[index % len(families)]
    group = groups[(index // len(families)) % len(groups)]
    fields = _FAMILY_FIELDS[family](index)
    inputs: dict[str, Any] = {
        "prompt": {
            "type": "string",
            "title": "Prompt",
            "description": f"What model {index} should make.",
            "required": True,
            "max_length": 2000 + index,
            "renderer": "prompt",
        },
        "size": {
            "type": "string",
            "title": "Size",
            "default": "small",
            "enum": ["small", "medium", "large"],
            "enum_labels": {"small": "Small", "medium": "Medium", "large": "Large"},
        },
        "count": {
            "type": "integer",
            "title": "Count",
            "default": 1,
            "minimum": 1,
            "maximum": 4,
        },
        "fast": {"type": "boolean", "title": "Fast", "default": False},
        "seed": {
            "type": "integer",
            "title": "Seed",
            "minimum": 0,
            "advanced": True,
        },
    }
    if family is ProviderFamily.RUNWARE:
        inputs["prompt"]["provider_field"] = "positivePrompt"
        inputs["count"]["provider_field"] = "numberResults"
    data: dict[str, Any] = {
        "id": f"bench-{family.value.replace('_', '-')}-{group.value.replace('_', '-')}"
        f"-{index:05d}",
        "name": f"Bench model {index} ({family.value}, {group.value})",
        "group": group.value,
        "provider": family.value,
        **fields,
        "docs_url": f"https://example.com/docs/{index}",
        "estimated_seconds": 5 + index % 120,
        "cost": {
            "base": f"{index % 50}.{index % 100:02d}",
            "multipliers": {"size": {"small": 1, "medium": "1.5", "large": "2.25"}},
            "per_unit": ["count"],
        },
        "inputs": inputs,
        "notes": f"Synthetic benchmark model {index}.",
    }
    if richer:
        _richer_forms(index, data)
    if group in _IMAGE_GROUPS:
        inputs["image_url"] = {
            "type": "string",
            "title": "Image",
            "required": True,
            "renderer": "image",
            "order": 1,
        }
        data["image_input_field"] = "image_url"
    return data


def _richer_forms(index: int, data: dict[str, Any]) -> None:
    """Mix the richer price and input forms into three models in four: a price
    per second, an object input priced per megapixel with a size rule, a price
    table, and (every other model) an integer enum with an at-least-one rule."""
    inputs, cost = data["inputs"], data["cost"]
    form = index % 4
    if form == 1:
        inputs["duration"] = {
            "type": "string",
            "title": "Duration",
            "enum": ["5s", "10s"],
            "default": "5s",
        }
        cost["per_second"] = "duration"
    elif form == 2:
        side = {
            "type": "integer",
            "title": "Side",
            "minimum": 64,
            "maximum": 2048,
            "multiple_of": 16,
            "required": True,
        }
        inputs["image_size"] = {
            "type": "object",
            "title": "Image size",
            "presets": ["square", "landscape"],
            "default": "square",
            "fields": {"width": side, "height": side},
        }
        cost["per_megapixel"] = {
            "input": "image_size",
            "sizes": {"square": [1024, 1024], "landscape": [1024, 768]},
            "round": "up",
        }
        data["constraints"] = [
            {
                "rule": "max_product",
                "fields": ["image_size.width", "image_size.height"],
                "max": 2_097_152,
            }
        ]
    elif form == 3:
        cost["table"] = {
            "inputs": ["size", "fast"],
            "prices": {
                f"{size}|{fast}": f"{n + 1}.{index % 10}"
                for n, (size, fast) in enumerate(
                    (s, f)
                    for s in ("small", "medium", "large")
                    for f in ("false", "true")
                )
            },
        }
    if index % 2:
        inputs["variants"] = {
            "type": "integer",
            "title": "Variants",
            "enum": [1, 2, 4],
            "default": 1,
        }
        inputs["reference"] = {"type": "string", "title": "Reference"}
        inputs["prompt"]["required"] = False
        data["constraints"] = [
            *data.get("constraints", []),
            {"rule": "at_least_one", "fields": ["prompt", "reference"]},
        ]


def locked_header(spec: ModelSpec) -> Header:
    """A previous header that makes render_model_file stamp the file as locked."""
    return Header(
        model_id=spec.id,
        record_id=str(spec.effective_record_id),
        locked=True,
        body_sha256="0" * 64,  # replaced by the rendered body's hash
        generated_by="generator 0, template kie_jobs v1",
        locked_by=LOCKED_BY,
        locked_at=LOCKED_AT,
    )


@dataclass
class GenerationResult:
    first_id: str
    seconds: dict[str, float]
    locked: int
    families: set[str]
    groups: set[str]


def generate(root: Path, count: int, locked_every: int) -> GenerationResult:
    """Specs -> model files -> registry.py + CODEOWNERS, through the generator."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    specs = [parse_spec(spec_data(i), f"bench spec {i}") for i in range(count)]
    seconds["parse specs"] = time.perf_counter() - start

    mark = time.perf_counter()
    files: dict[str, bytes] = {}
    locked = 0
    for i, spec in enumerate(specs):
        lock = locked_every > 0 and i % locked_every != 0
        locked += lock
        files[spec.path] = render_model_file(
            spec, locked_header(spec) if lock else None
        )
    seconds["render model files"] = time.perf_counter() - mark

    mark = time.perf_counter()
    write_files(root, files)
    seconds["write model files"] = time.perf_counter() - mark

    mark = time.perf_counter()
    catalog = build_catalog(read_catalog(root))
    if catalog.unreadable:
        raise SystemExit(f"bench: unreadable model files: {catalog.unreadable[:3]}")
    settings = load_settings(root)
    current = {
        path: read_text_or_none(root / path)
        for path in (REGISTRY_PATH, CODEOWNERS_PATH)
    }
    plan = plan_sync(catalog, settings, current)
    write_files(root, plan.writes)
    seconds["read catalog + sync (registry, CODEOWNERS)"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - start
    return GenerationResult(
        first_id=specs[0].id,
        seconds=seconds,
        locked=locked,
        families={s.provider.value for s in specs},
        groups={s.group.value for s in specs},
    )


@dataclass
class Timing:
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)


def run(
    args: Sequence[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def timed(args: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    result = run(args, env, cwd)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"bench: {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return elapsed


def interleaved(
    commands: dict[str, list[str]], env: dict[str, str], cwd: Path, repeat: int
) -> dict[str, Timing]:
    """Time each command `repeat` times, round-robin."""
    timings = {name: Timing([]) for name in commands}
    for _ in range(repeat):
        for name, args in commands.items():
            timings[name].samples.append(timed(args, env, cwd))
    return timings


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms" if seconds < 1 else f"{seconds:8.2f} s "


def profile_check(root: Path) -> str:
    """cProfile of the check command, in process (top functions)."""
    profiler = cProfile.Profile()
    profiler.enable()
    CliRunner().invoke(generator_main, ["check", "--root", str(root)])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(18)
    stats.sort_stats("tottime").print_stats(10)
    return out.getvalue()


def import_time(code: str, env: dict[str, str], cwd: Path, top: int = 15) -> str:
    """`python -X importtime -c CODE`: the slowest imports (cumulative)."""
    result = run([sys.executable, "-X", "importtime", "-c", code], env, cwd)
    rows: list[tuple[int, str]] = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative_us), name.rstrip()))
    rows.sort(reverse=True)
    return "\n".join(f"  {us / 1000:8.1f} ms  {name}" for us, name in rows[:top])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="models to generate")
    parser.add_argument("--repeat", type=int, default=7, help="runs per timing")
    parser.add_argument(
        "--locked-every",
        type=int,
        default=4,
        help="lock all but every Nth model (4: 3 of 4 locked, like the catalog's "
        "13 of 17; 0: none locked, the slowest case for check)",
    )
    parser.add_argument(
        "--check-budget",
        type=float,
        default=40.0,
        help="seconds allowed for all check timings together (default 40)",
    )
    parser.add_argument(
        "--profile-count",
        type=int,
        default=100,
        help="models in the catalog profiled in process (default 100)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="always print the profiles"
    )
    parser.add_argument(
        "--schemas-only",
        action="store_true",
        help="only (e) import and (f) drift, without the synthetic catalog's timings",
    )
    return parser.parse_args(argv)


def new_repo(tmp: str) -> Path:
    root = Path(tmp)
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "models").mkdir()
    return root


def print_generation(gen: GenerationResult, root: Path, count: int) -> None:
    print("(a) generation, in process:")
    for step, seconds in gen.seconds.items():
        print(f"    {step:<45} {fmt_s(seconds)}")
    print(
        f"    {count} models ({gen.locked} locked), "
        f"{len(gen.families)} families {sorted(gen.families)}, "
        f"{len(gen.groups)} groups; registry.py "
        f"{(root / REGISTRY_PATH).stat().st_size // 1024} KiB\n"
    )
    if len(gen.families) != len(FAMILIES) or len(gen.groups) != len(Group):
        print("    WARNING: not every family and group is covered (count < 25?)")


def subprocess_env(root: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "MODELVAULT_CATALOG": str(root),
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    # An ordinary interpreter caches bytecode; this sandbox disables it globally.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass
class Measured:
    check: Timing
    timings: dict[str, Timing]
    profiles: list[tuple[str, str]]


def time_check(
    root: Path, env: dict[str, str], repeat: int, budget_s: float
) -> Timing | None:
    """Run check (must exit 0); the first run is a sample, more while in budget."""
    args = [sys.executable, "-m", "generator", "check", "--root", str(root)]
    start = time.perf_counter()
    first = run(args, env, root)
    check = Timing([time.perf_counter() - start])
    print(f"check exit {first.returncode} in {check.samples[0]:.2f} s: ", end="")
    print((first.stdout or first.stderr).strip().splitlines()[-1])
    if first.returncode != 0:
        print(first.stdout[-3000:], first.stderr[-3000:])
        return None
    extra = max(0, min(repeat - 1, int(budget_s / check.samples[0]) - 1))
    if extra < repeat - 1:
        print(
            f"    check is slow: timed {extra + 1}x, not {repeat}x, to keep within "
            f"--check-budget {budget_s:.0f} s"
        )
    if extra:
        check.samples += interleaved({"check": args}, env, root, extra)["check"].samples
    return check


def measure(
    root: Path, first_id: str, count: int, options: argparse.Namespace
) -> Measured | None:
    env = subprocess_env(root)
    py, repeat = sys.executable, max(1, options.repeat)
    check = time_check(root, env, repeat, options.check_budget)
    if check is None:
        return None
    # Correctness before speed: listing sees every model, get loads one. This run
    # also writes registry.py's .pyc, so the timed listings below start warm.
    warm = run(
        [
            py,
            "-c",
            "import modelvault; print(len(modelvault.list_models()), "
            f"modelvault.get({first_id!r}).MODEL_CONFIG['id'])",
        ],
        env,
        root,
    )
    listed, _, loaded = warm.stdout.strip().partition(" ")
    cached = any((root / "__pycache__").glob("registry*.pyc"))
    print(
        f"warm-up run (untimed): list_models() -> {listed} models, get() -> "
        f"{loaded}; registry.py .pyc now cached: {cached}"
    )
    if warm.returncode != 0 or listed != str(count) or loaded != first_id:
        print(warm.stderr[-3000:])
        return None
    list_code = "import modelvault; modelvault.list_models()"
    get_code = f"import modelvault; modelvault.get({first_id!r})"
    print(f"timing listing, get and baseline x{repeat}, interleaved ...")
    timings = interleaved(
        {
            "baseline": [py, "-c", "import httpx, pydantic"],
            "listing": [py, "-c", list_code],
            "get": [py, "-c", get_code],
        },
        env,
        root,
        repeat,
    )
    # For information: the listing when no .pyc can be used or written (e.g. an
    # image run with PYTHONDONTWRITEBYTECODE and a catalog outside site-packages).
    cold_env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    shutil.rmtree(root / "__pycache__", ignore_errors=True)
    timings["listing, no .pyc"] = interleaved(
        {"x": [py, "-c", list_code]}, cold_env, root, repeat
    )["x"]
    profiles = [
        ("python -X importtime, listing", import_time(list_code, env, root)),
        ("python -X importtime, get", import_time(get_code, env, root)),
    ]
    return Measured(check, timings, profiles)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ratio_rows(
    label: str, what: Timing, baseline: Timing, target: str
) -> list[tuple[str, ...]]:
    ok = what.median <= RATIO_TARGET * baseline.median
    return [
        (
            f"{label}  [median]",
            fmt_s(what.median),
            fmt_s(baseline.median),
            f"{what.median / baseline.median:5.2f}x",
            target,
            verdict(ok) if target else "",
        ),
        (
            "    (same, min)",
            fmt_s(what.min),
            fmt_s(baseline.min),
            f"{what.min / baseline.min:5.2f}x",
            "",
            "",
        ),
    ]


def print_table(gen: GenerationResult, m: Measured, count: int) -> bool:
    """Print the result table; True when a target failed."""
    t = m.timings
    target = f"<= {RATIO_TARGET}x"
    rows: list[tuple[str, ...]] = [
        (
            f"(a) generate {count} models + registry + CODEOWNERS",
            fmt_s(gen.seconds["total"]),
            "",
            "",
            "(info)",
            "",
        ),
        (
            f"(b) python -m generator check  [median / min of {len(m.check.samples)}]",
            f"{fmt_s(m.check.median)} / {fmt_s(m.check.min).strip()}",
            "",
            "",
            f"< {CHECK_TARGET_S:.0f} s",
            verdict(m.check.median < CHECK_TARGET_S),
        ),
        *ratio_rows("(c) listing, warm .pyc", t["listing"], t["baseline"], target),
        *ratio_rows("(d) get(one id), cold start", t["get"], t["baseline"], target),
        *ratio_rows(
            "(info) listing, no .pyc", t["listing, no .pyc"], t["baseline"], ""
        ),
    ]
    header = ("what", "measured", "baseline", "ratio", "target", "result")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(rule)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(rule)
    print(
        "baseline: python -c 'import httpx, pydantic', same env, interleaved with the "
        "measured commands. listing: python -c 'import modelvault; "
        "modelvault.list_models()' with MODELVAULT_CATALOG=TMP, after one untimed "
        "run that cached registry.py's .pyc."
    )
    print("samples (s):")
    for name, timing in [("check", m.check), *t.items()]:
        print(f"    {name:<17} {[round(s, 3) for s in timing.samples]}")
    return any(row[5] == "FAIL" for row in rows)


# --- (e) import and (f) drift: provider schemas ------------------------------------

IMPORT_INPUTS = 100
DRIFT_MODELS = 1000
DRIFT_EVERY = 10  # every 10th stored schema differs from its model


def hundred_input_schema(count: int = IMPORT_INPUTS) -> dict[str, Any]:
    """A fal-style OpenAPI document whose input object has `count` fields, mixing
    every form import reads: strings, string and integer enums, bounded integers
    and numbers, booleans, nullable (anyOf null) integers, string arrays with
    min/max items, and image_size-style objects with presets ($ref + anyOf)."""
    props: dict[str, Any] = {"prompt": {"type": "string", "title": "Prompt"}}
    for i in range(1, count - 1):  # with prompt and image_urls: `count` fields
        kind = i % 8
        name = f"field_{i:03d}"
        if kind == 0:
            prop: dict[str, Any] = {"type": "string", "maxLength": 1000 + i}
        elif kind == 1:
            prop = {
                "type": "string",
                "enum": [f"v{j}" for j in range(6)],
                "default": "v0",
            }
        elif kind == 2:
            prop = {"type": "integer", "minimum": 1, "maximum": 8 + i, "default": 1}
        elif kind == 3:
            prop = {"type": "integer", "enum": [5, 10, 15], "default": 5}
        elif kind == 4:
            prop = {"type": "number", "minimum": 0, "maximum": 20, "default": 3.5}
        elif kind == 5:
            prop = {"type": "boolean", "default": i % 2 == 0}
        elif kind == 6:
            prop = {"anyOf": [{"type": "integer"}, {"type": "null"}]}
        else:
            prop = {
                "anyOf": [
                    {"$ref": "#/components/schemas/ImageSize"},
                    {
                        "type": "string",
                        "enum": ["square", "portrait_4_3", "landscape_16_9"],
                    },
                ],
                "default": "square",
            }
        prop.update(title=f"Field {i}", description=f"What field {i} does.")
        props[name] = prop
    props["image_urls"] = {
        "type": "array",
        "items": {"type": "string"},
        "minItems": 1,
        "maxItems": 4,
        "title": "Image Urls",
    }
    endpoint = "fal-ai/bench/hundred"
    size = {"type": "integer", "exclusiveMinimum": 0, "maximum": 14142, "default": 512}
    return {
        "openapi": "3.0.4",
        "info": {
            "title": f"Queue OpenAPI for {endpoint}",
            "x-fal-metadata": {"endpointId": endpoint, "category": "text-to-image"},
        },
        "components": {
            "schemas": {
                "HundredInput": {
                    "type": "object",
                    "required": ["prompt"],
                    "x-fal-order-properties": list(props),
                    "properties": props,
                },
                "ImageSize": {
                    "type": "object",
                    "properties": {"width": dict(size), "height": dict(size)},
                },
            }
        },
        "paths": {
            f"/{endpoint}": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/HundredInput"}
                            }
                        }
                    }
                }
            }
        },
    }


def _provider_property(field: dict[str, Any]) -> dict[str, Any]:
    keys = {
        "type": "type",
        "title": "title",
        "default": "default",
        "enum": "enum",
        "minimum": "minimum",
        "maximum": "maximum",
        "max_length": "maxLength",
    }
    return {out: field[key] for key, out in keys.items() if key in field}


def provider_document(data: dict[str, Any], drifted: bool) -> dict[str, Any]:
    """The provider's schema for a synthetic spec: fal's OpenAPI layout, or
    Replicate's openapi_schema with allOf enums (the newer Cog layout). `drifted`
    makes it differ: a field more, `count`'s maximum lower, `fast` gone."""
    props: dict[str, Any] = {}
    components: dict[str, Any] = {}
    replicate = data["provider"] == "replicate"
    for order, (name, field) in enumerate(data["inputs"].items()):
        prop = _provider_property(field)
        if replicate:
            prop["x-order"] = order
            if "enum" in prop:
                components[name] = {"type": prop.pop("type"), "enum": prop.pop("enum")}
                prop["allOf"] = [{"$ref": f"#/components/schemas/{name}"}]
        props[field.get("provider_field") or name] = prop
    required = [n for n, f in data["inputs"].items() if f.get("required")]
    if drifted:
        props["new_option"] = {"type": "string", "enum": ["a", "b"]}
        props["count"]["maximum"] = 2
        props.pop("fast")
    schema = {"type": "object", "required": required, "properties": props}
    if replicate:
        return {
            "openapi": "3.0.2",
            "info": {"title": "Cog", "version": "0.1.0"},
            "components": {"schemas": {"Input": schema, **components}},
        }
    endpoint = data["provider_model"]
    return {
        "openapi": "3.0.4",
        "info": {"x-fal-metadata": {"endpointId": endpoint}},
        "components": {"schemas": {"Input": schema}},
        "paths": {
            f"/{endpoint}": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Input"}
                            }
                        }
                    }
                }
            }
        },
    }


def drift_catalog(root: Path, schemas: Path, count: int) -> int:
    """`count` fal and Replicate models (alternating) with their stored schemas;
    returns how many schemas differ from their model."""
    from generator.drift import schema_file_name  # noqa: PLC0415

    wanted = (ProviderFamily.FAL_QUEUE, ProviderFamily.REPLICATE)
    families = list(ProviderFamily)
    indexes = [
        i for i in range(count * len(families)) if families[i % len(families)] in wanted
    ]
    files: dict[str, bytes] = {}
    drifted = 0
    for n, index in enumerate(indexes[:count]):
        # plain inputs: this provider document writer knows no objects or presets
        data = spec_data(index, richer=False)
        spec = parse_spec(data, f"drift bench spec {n}")
        files[spec.path] = render_model_file(spec)
        is_drifted = n % DRIFT_EVERY == 0
        drifted += is_drifted
        path = schemas / schema_file_name(data["provider"], data["provider_model"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(provider_document(data, is_drifted)), "utf-8")
    write_files(root, files)
    return drifted


@dataclass
class SchemaTimings:
    import_in_process: Timing
    import_cli: Timing
    drift_cli: Timing
    drift_in_process: Timing
    baseline: Timing
    drifted: int
    reported: int
    import_inputs: int


def _run_expecting(
    args: list[str], env: dict[str, str], cwd: Path, codes: set[int]
) -> float:
    start = time.perf_counter()
    result = run(args, env, cwd)
    elapsed = time.perf_counter() - start
    if result.returncode not in codes:
        raise SystemExit(
            f"bench: {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return elapsed


def measure_schemas(repeat: int, count: int = DRIFT_MODELS) -> SchemaTimings:
    """(e) import of a 100-input schema, (f) drift over `count` models against
    stored schemas: in process and as the command, beside the baseline."""
    from generator.catalog import build_catalog as catalog_of  # noqa: PLC0415
    from generator.drift import catalog_models, check_model  # noqa: PLC0415
    from generator.importer import draft_spec, load_document, parse_target  # noqa: PLC0415

    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="modelvault-bench-schemas-") as tmp:
        folder = Path(tmp)
        doc_path = folder / "hundred.json"
        doc_path.write_text(json.dumps(hundred_input_schema()), "utf-8")
        raw = doc_path.read_bytes()
        target = parse_target("fal:fal-ai/bench/hundred")
        spec = draft_spec(target, load_document(raw, "bench"), "bench")
        inputs = len(spec["inputs"])
        in_process: list[float] = []
        for _ in range(max(repeat, 20)):
            start = time.perf_counter()
            draft_spec(target, load_document(raw, "bench"), "bench")
            in_process.append(time.perf_counter() - start)

        (folder / "repo").mkdir()
        root = new_repo(str(folder / "repo"))
        schemas = folder / "schemas"
        drifted = drift_catalog(root, schemas, count)
        env = subprocess_env(root)
        args_import = [
            py,
            "-m",
            "generator",
            "import",
            "fal:fal-ai/bench/hundred",
            "--schema",
            str(doc_path),
            "--out",
            str(folder / "d.yaml"),
            "--force",
        ]
        args_drift = [
            py,
            "-m",
            "generator",
            "drift",
            "--schema-dir",
            str(schemas),
            "--root",
            str(root),
        ]
        timings = {"baseline": Timing([]), "import": Timing([]), "drift": Timing([])}
        for _ in range(repeat):
            timings["baseline"].samples.append(
                _run_expecting([py, "-c", "import httpx, pydantic"], env, root, {0})
            )
            timings["import"].samples.append(
                _run_expecting(args_import, env, root, {0})
            )
            timings["drift"].samples.append(_run_expecting(args_drift, env, root, {1}))
        report = run([*args_drift, "--json"], env, root)
        reported = len(json.loads(report.stdout)["summary"]["drifted"])

        drift_in_process: list[float] = []
        for _ in range(3):
            start = time.perf_counter()
            models, _broken = catalog_models(catalog_of(read_catalog(root)).models)

            def load(family: str, model: str) -> tuple[bytes, str]:
                from generator.drift import schema_file_name  # noqa: PLC0415

                path = schemas / schema_file_name(family, model)
                return path.read_bytes(), str(path)

            for model in models:
                check_model(model, load)
            drift_in_process.append(time.perf_counter() - start)
    return SchemaTimings(
        import_in_process=Timing(in_process),
        import_cli=timings["import"],
        drift_cli=timings["drift"],
        drift_in_process=Timing(drift_in_process),
        baseline=timings["baseline"],
        drifted=drifted,
        reported=reported,
        import_inputs=inputs,
    )


def print_schema_table(t: SchemaTimings, count: int = DRIFT_MODELS) -> None:
    rows = [
        (
            f"(e) import {t.import_inputs}-input schema -> draft, in process [median]",
            fmt_s(t.import_in_process.median),
            "",
            "",
        ),
        (
            f"(e) python -m generator import ({t.import_inputs} inputs) [median]",
            fmt_s(t.import_cli.median),
            fmt_s(t.baseline.median),
            f"{t.import_cli.median / t.baseline.median:5.2f}x",
        ),
        (
            f"(f) drift, {count} models, in process [median of 3]",
            fmt_s(t.drift_in_process.median),
            "",
            "",
        ),
        (
            f"(f) python -m generator drift --schema-dir ({count} models) [median]",
            fmt_s(t.drift_cli.median),
            fmt_s(t.baseline.median),
            f"{t.drift_cli.median / t.baseline.median:5.2f}x",
        ),
    ]
    header = ("what", "measured", "baseline", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(rule)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(rule)
    print(
        f"(f): {count} models (fal and Replicate, alternating), each with a stored "
        f"schema; every {DRIFT_EVERY}th differs (a field added, one removed, a "
        f"maximum lowered): {t.drifted} drifted, {t.reported} reported "
        f"({verdict(t.drifted == t.reported)}). Targets: info only."
    )
    print("samples (s):")
    for name, timing in (
        ("import, in process", t.import_in_process),
        ("import command", t.import_cli),
        ("drift, in process", t.drift_in_process),
        ("drift command", t.drift_cli),
        ("baseline", t.baseline),
    ):
        print(f"    {name:<19} {[round(s, 4) for s in timing.samples[:10]]}")


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    count = options.count
    print(f"modelvault foundation bench: {count} models, {options.repeat} runs each")
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPU(s)")
    print(f"load average at start: {os.getloadavg()[0]:.2f}\n")
    if options.schemas_only:
        print_schema_table(measure_schemas(max(1, options.repeat)))
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
        return 0
    with tempfile.TemporaryDirectory(prefix="modelvault-bench-") as tmp:
        root = new_repo(tmp)
        gen = generate(root, count, options.locked_every)
        print_generation(gen, root, count)
        measured = measure(root, gen.first_id, count, options)
    if measured is None:
        print("bench: the generated catalog is broken (see above); no timings")
        return 1
    failed = print_table(gen, measured, count)
    print(
        f"\ntiming import ({IMPORT_INPUTS} inputs), drift ({DRIFT_MODELS} models) ..."
    )
    print_schema_table(measure_schemas(max(1, options.repeat)))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if failed or options.profile:
        print("\n--- profile ---")
        for title, text in measured.profiles:
            print(f"{title} (slowest cumulative imports):\n{text}")
        sample = min(count, options.profile_count)
        with tempfile.TemporaryDirectory(prefix="modelvault-bench-prof-") as tmp:
            root = new_repo(tmp)
            generate(root, sample, options.locked_every)
            print(f"cProfile of `generator check` in process, {sample} models:")
            print(profile_check(root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
