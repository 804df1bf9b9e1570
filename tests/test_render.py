"""Spec -> model file: every family renders an importable, lint-clean file; spec
strings cannot inject code; output is deterministic and self-hashing."""

from __future__ import annotations

import ast
import hashlib
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    FAMILIES,
    import_file,
    minimal_spec_dict,
    ruff,
    run_generator,
    spec_path_for,
    write_spec,
)

from generator.modelfile import parse_model_file
from generator.render import FAMILIES as RENDER_FAMILIES
from generator.render import generated_by, render_body, render_model_file
from generator.schema import to_config, to_schema
from generator.spec import ModelSpec, ProviderFamily, parse_spec
from modelvault._modelfile import read_header, split_model_file

NASTY = (
    'it\'s "quoted" \'\'\' """ \\ back\\slash \\n\n'
    "new line\r\n\t# hash {{ config_literal }} {% if x %}{% endif %} {# c #}"
    ' """; import os; os.system("x") #'
    " '''; import os; os.system('x') #"
    " \x00\x01\x1b\x7f\x85 U+2028:\u2028 U+2029:\u2029 \ufeff"
    " emoji 🎉👩‍👩‍👧 é 中文 ∑"
)
ENUM_A = '"""; import os; os.system("x") #'
ENUM_B = "{{ x }}\n{% raw %}\\\u2028🎉"


def _nasty_spec_dict(provider: str) -> dict[str, Any]:
    data = minimal_spec_dict(provider, "nasty-model")
    data["name"] = NASTY[:120]
    data["notes"] = NASTY
    prompt = data["inputs"]["prompt"]
    prompt["title"] = NASTY[:200]
    prompt["description"] = NASTY
    size = data["inputs"]["size"]
    size["enum"] = [ENUM_A, ENUM_B]
    size["default"] = ENUM_B
    size["enum_labels"] = {ENUM_A: NASTY, ENUM_B: "'\"\\"}
    size["description"] = "\x00" + NASTY
    data["cost"]["multipliers"] = {"size": {ENUM_A: 1, ENUM_B: 3}}
    data["payload_constants"] = {
        "mode": NASTY,
        "nested": {"list": [NASTY, 1, 2.5, None, True, {"x": ENUM_A}]},
        "sig": ENUM_B,
    }
    return data


def _write(root: Path, spec: ModelSpec, data: bytes) -> Path:
    # Under <root>/models/<group>/ so ruff applies the project's models/** config.
    path = root / spec.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _top_level(source: bytes) -> list[tuple[str, tuple[str, ...]]]:
    """Each top-level statement: its node type and the names it binds."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.parse(source).body:
        names: tuple[str, ...] = ()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = (node.name,)
        elif isinstance(node, ast.Assign):
            names = tuple(ast.unparse(t) for t in node.targets)
        elif isinstance(node, ast.AnnAssign):
            names = (ast.unparse(node.target),)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
        out.append((type(node).__name__, names))
    return out


def _imports_and_calls(source: bytes) -> tuple[set[str], set[str]]:
    imports: set[str] = set()
    calls: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imports |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imports.add(f"{'.' * node.level}{node.module}")
        elif isinstance(node, ast.Call):
            calls.add(ast.unparse(node.func))
    return imports, calls


@pytest.mark.parametrize("provider", FAMILIES)
def test_family_renders_importable_lint_clean_file(
    provider: str, tmp_repo: Path
) -> None:
    data = minimal_spec_dict(provider, f"test-{provider.replace('_', '-')}")
    spec = parse_spec(data)
    rendered = render_model_file(spec)
    path = _write(tmp_repo, spec, rendered)
    assert path == tmp_repo / spec_path_for(data)

    module = import_file(path)
    config = module._thaw(module.MODEL_CONFIG)
    schema = module._thaw(module.SCHEMA)
    assert config == to_config(spec)
    assert schema == to_schema(spec)
    assert config["provider"] == provider
    family = RENDER_FAMILIES[ProviderFamily(provider)]
    assert family.template == module.TEMPLATE
    # The file works: validation fills defaults, cost is base x multipliers x units.
    inputs = {"prompt": "a cat", "size": "large", "count": 3}
    assert module.validate({"prompt": "a cat"})["size"] == "small"
    assert module.calculate_cost(inputs) == Decimal("1.5") * 2 * 3
    assert "a cat" in repr(module.prepare_payload(inputs))
    with pytest.raises(ValueError, match="count"):
        module.validate({"prompt": "a cat", "count": 99})

    fmt = ruff("format", "--no-cache", "--check", "--diff", spec.path, cwd=tmp_repo)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = ruff("check", "--no-cache", spec.path, cwd=tmp_repo)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("provider", FAMILIES)
def test_family_template_output_is_isolated(provider: str) -> None:
    # Read with ast here, not with the generator: the templates themselves must
    # import only the standard library, httpx and pydantic, and load no code.
    rendered = render_model_file(parse_spec(minimal_spec_dict(provider)))
    imports, calls = _imports_and_calls(split_model_file(rendered)[1])
    tops = {name.split(".")[0] for name in imports}
    assert not any(name.startswith(".") for name in imports)
    assert tops <= set(sys.stdlib_module_names) | {"httpx", "pydantic"}, tops
    assert "httpx" in tops
    dynamic = {"__import__", "importlib.import_module", "import_module", "exec"}
    assert not calls & (dynamic | {"eval", "compile"}), calls


@pytest.mark.parametrize("provider", FAMILIES)
def test_rendering_is_deterministic_and_self_hashing(provider: str) -> None:
    first = render_model_file(parse_spec(minimal_spec_dict(provider)))
    second = render_model_file(parse_spec(minimal_spec_dict(provider)))
    assert first == second
    header, body = read_header(first)
    assert header.body_sha256 == hashlib.sha256(body).hexdigest()
    assert body == render_body(parse_spec(minimal_spec_dict(provider)))
    assert split_model_file(first)[1] == body
    family = RENDER_FAMILIES[ProviderFamily(provider)]
    assert header.generated_by == generated_by(family)
    assert header.template == family.template
    assert header.template_version == family.version
    assert header.locked is False
    assert header.model_id == "test-model"


def test_record_id_defaults_to_a_stable_uuid_and_explicit_one_is_kept() -> None:
    default = read_header(render_model_file(parse_spec(minimal_spec_dict())))[0]
    again = read_header(render_model_file(parse_spec(minimal_spec_dict())))[0]
    assert default.record_id == again.record_id
    data = minimal_spec_dict()
    data["record_id"] = "0b0e7c1e-0000-4000-8000-000000000001"
    explicit = read_header(render_model_file(parse_spec(data)))[0]
    assert explicit.record_id == data["record_id"]


def test_a_spec_change_changes_only_what_it_should() -> None:
    data = minimal_spec_dict()
    base = render_model_file(parse_spec(data))
    data["name"] = "Renamed"
    renamed = render_model_file(parse_spec(data))
    assert base != renamed
    assert read_header(base)[0].record_id == read_header(renamed)[0].record_id
    assert read_header(base)[0].body_sha256 != read_header(renamed)[0].body_sha256


def test_previous_header_lock_fields_carry_over() -> None:
    spec = parse_spec(minimal_spec_dict())
    first = render_model_file(spec)
    header = read_header(first)[0]
    locked = header.locked_by_handle("@alice", "2026-01-02T03:04:05Z", "0" * 64)
    again = render_model_file(spec, previous=locked)
    new_header, body = read_header(again)
    assert new_header.locked is True
    assert new_header.locked_by == "@alice"
    assert new_header.locked_at == "2026-01-02T03:04:05Z"
    # The hash is always recomputed from the body, never copied.
    assert new_header.body_sha256 == hashlib.sha256(body).hexdigest()
    assert body == split_model_file(first)[1]


@pytest.mark.parametrize("provider", FAMILIES)
def test_spec_strings_cannot_inject_code(provider: str, tmp_repo: Path) -> None:
    data = _nasty_spec_dict(provider)
    spec = parse_spec(data)
    rendered = render_model_file(spec)
    benign = render_model_file(parse_spec(minimal_spec_dict(provider)))

    # Same statements, imports and calls as the benign file: nothing was added.
    assert _top_level(rendered) == _top_level(benign)
    assert _imports_and_calls(rendered) == _imports_and_calls(benign)
    assert read_header(rendered)[0].model_id == "nasty-model"

    path = _write(tmp_repo, spec, rendered)
    module = import_file(path)
    config = module._thaw(module.MODEL_CONFIG)
    schema = module._thaw(module.SCHEMA)
    # Values equal the spec's, byte for byte.
    assert config["name"] == data["name"]
    assert config["notes"] == data["notes"]
    assert config["payload_constants"] == data["payload_constants"]
    assert config["cost"]["multipliers"] == {"size": {ENUM_A: "1", ENUM_B: "3"}}
    prompt = schema["properties"]["prompt"]
    assert prompt["title"] == data["inputs"]["prompt"]["title"]
    assert prompt["description"] == NASTY
    size = schema["properties"]["size"]
    assert size["enum"] == [ENUM_A, ENUM_B]
    assert size["enumLabels"] == data["inputs"]["size"]["enum_labels"]
    assert size["default"] == ENUM_B
    assert size["description"] == "\x00" + NASTY
    assert config == to_config(spec)
    assert schema == to_schema(spec)
    # And the file behaves: the nasty enum value is accepted and priced.
    inputs = {"prompt": NASTY, "size": ENUM_B, "count": 2}
    assert module.calculate_cost(inputs) == Decimal("1.5") * 3 * 2
    assert module.prepare_payload(inputs) is not None

    # Its spec is recoverable without executing it, and re-renders identically.
    parsed = parse_model_file(spec.path, rendered)
    assert render_model_file(parsed.spec(), previous=parsed.header) == rendered

    fmt = ruff("format", "--no-cache", "--check", "--diff", spec.path, cwd=tmp_repo)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = ruff("check", "--no-cache", spec.path, cwd=tmp_repo)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_typographic_text_in_a_spec_keeps_generated_files_lint_clean(
    tmp_repo: Path, tmp_path: Path
) -> None:
    # Ordinary provider docs text (multiplication sign, en dash, curly apostrophe)
    # is valid in a spec; the files `new` writes (the model file and registry.py,
    # which carries the name) must still pass the project's `ruff check`, as CI
    # runs it on the whole tree: e.g. no RUF001 "ambiguous character".
    typographic = "1024\u00d71024 \u2013 it\u2019s fast"
    data = minimal_spec_dict("fal_queue", "typographic-model")
    data["name"] = f"Typographic ({typographic})"
    data["inputs"]["prompt"]["description"] = f"Up to {typographic}"
    spec_file = write_spec(tmp_path / "spec.yaml", data)
    result = run_generator(["new", "--spec", str(spec_file)], tmp_repo)
    assert result.exit_code == 0, result.output
    assert typographic in (tmp_repo / "registry.py").read_text("utf-8")
    for rel in (spec_path_for(data), "registry.py"):
        lint = ruff("check", "--no-cache", rel, cwd=tmp_repo)
        assert lint.returncode == 0, lint.stdout + lint.stderr


def test_large_float_in_a_spec_keeps_the_file_ruff_formatted(
    tmp_repo: Path,
) -> None:
    # A payload constant or bound like 1e20 is valid in a spec; the rendered file
    # must pass `ruff format --check` (ruff writes 1e20, not 1e+20).
    data = minimal_spec_dict("runware", "float-model")
    data["payload_constants"] = {"maxPixels": 1e20}
    data["inputs"]["strength"] = {
        "type": "number",
        "title": "Strength",
        "minimum": 0.0,
        "maximum": 1e16,
    }
    spec = parse_spec(data)
    _write(tmp_repo, spec, render_model_file(spec))
    fmt = ruff("format", "--no-cache", "--check", "--diff", spec.path, cwd=tmp_repo)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
