"""Read a model file without importing it: header, body, literals and imports. Pure.

The file is parsed once with `ast`; MODEL_CONFIG and SCHEMA are recovered with
`ast.literal_eval`, so a locked or hostile file is never executed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelvault._modelfile import Header, HeaderError, body_sha256, read_header

if TYPE_CHECKING:
    from generator.spec import ModelSpec


class ModelFileError(ValueError):
    """A model file cannot be read as one; the message says why."""


@dataclass(frozen=True)
class ImportedName:
    module: str
    line: int
    level: int = 0  # > 0 for relative imports


@dataclass(frozen=True)
class ParsedModelFile:
    path: str
    data: bytes
    header: Header
    body: bytes
    config: dict[str, Any]
    schema: dict[str, Any]
    imports: list[ImportedName] = field(default_factory=list)
    dynamic_imports: list[int] = field(default_factory=list)
    fully_parsed: bool = False  # imports are only known after a full parse

    @property
    def actual_body_sha256(self) -> str:
        return body_sha256(self.body)

    def spec(self) -> ModelSpec:
        # pydantic loads only when a spec is needed: the lock checks never do.
        from generator.schema import spec_from_literals  # noqa: PLC0415

        return spec_from_literals(self.config, self.schema, self.path)


def _frozen_literal(node: ast.expr, name: str, path: str) -> dict[str, Any]:
    # MODEL_CONFIG = _freeze({...}): the literal is the call's only argument.
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        node = node.args[0]
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError) as exc:
        raise ModelFileError(f"{path}: {name} is not a plain literal ({exc})") from None
    if not isinstance(value, dict):
        raise ModelFileError(f"{path}: {name} is not a mapping")
    return value


def _collect_imports(tree: ast.Module) -> tuple[list[ImportedName], list[int]]:
    imports: list[ImportedName] = []
    dynamic: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports += [ImportedName(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imports.append(ImportedName(node.module or "", node.lineno, node.level))
        elif isinstance(node, ast.Call):
            func = node.func
            called = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if called in ("__import__", "import_module", "exec", "eval"):
                dynamic.append(node.lineno)
    return imports, dynamic


def _fast_literal(text: str, name: str, path: str) -> dict[str, Any] | None:
    """The literal of `NAME: Mapping[str, Any] = _freeze(...)` as the templates lay
    it out, parsed alone (a whole-file parse costs ~30 ms on these long files).
    None when the layout differs; callers then parse the whole file."""
    marker = f"\n{name}: Mapping[str, Any] = _freeze(\n"
    start = text.find(marker)
    end = text.find("\n)\n", start)
    if start == -1 or end == -1:
        return None
    segment = text[start + len(marker) - len("_freeze(\n") : end + 2]
    try:
        node = ast.parse(segment, mode="eval").body
    except SyntaxError:
        return None
    return _frozen_literal(node, name, path)


def parse_model_file(
    path: str, data: bytes, *, full: bool = False, with_schema: bool = True
) -> ParsedModelFile:
    """Header, body and literals; `full=True` parses the whole body (imports too).

    The fast path trusts the template's layout; `check` confirms it by comparing the
    body with a fresh render and re-reads any file that differs with full=True.
    """
    try:
        header, body = read_header(data)
    except HeaderError as exc:
        raise ModelFileError(f"{path}: no valid model header: {exc}") from None
    if not full:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModelFileError(f"{path}: not UTF-8 ({exc.reason})") from None
        config = _fast_literal(text, "MODEL_CONFIG", path)
        # with_schema=False: callers that need only MODEL_CONFIG (the registry).
        schema = _fast_literal(text, "SCHEMA", path) if with_schema else {}
        if config is not None and schema is not None:
            return ParsedModelFile(path, data, header, body, config, schema)
    try:
        tree = ast.parse(body, filename=path)
    except (SyntaxError, ValueError) as exc:
        raise ModelFileError(f"{path}: not valid Python: {exc}") from None
    literals: dict[str, dict[str, Any]] = {}
    for node in tree.body:
        target = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id in ("MODEL_CONFIG", "SCHEMA"):
            literals[target.id] = _frozen_literal(value, target.id, path)
    missing = [name for name in ("MODEL_CONFIG", "SCHEMA") if name not in literals]
    if missing:
        raise ModelFileError(f"{path}: defines no {' or '.join(missing)}")
    imports, dynamic = _collect_imports(tree)
    return ParsedModelFile(
        path=path,
        data=data,
        header=header,
        body=body,
        config=literals["MODEL_CONFIG"],
        schema=literals["SCHEMA"],
        imports=imports,
        dynamic_imports=dynamic,
        fully_parsed=True,
    )
