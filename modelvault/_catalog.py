"""The checked-in registry: where the catalog lives and what it says.

Reading the catalog never imports a model file, nor registry.py itself: its literals
are parsed from its bytes (modelvault._registry), so no stray .pyc stands in for it.
`load_model` imports exactly one model file: it checks the bytes (hash, UTF-8, no
encoding declaration), decodes them itself and compiles that text.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from modelvault._modelfile import (
    HeaderError,
    SourceError,
    body_sha256,
    decode_source,
    read_header,
)
from modelvault._registry import RegistryError, parse_registry
from modelvault.errors import CatalogError, UnknownModelError

if TYPE_CHECKING:
    from decimal import Decimal


def _closest(ref: str, ids: Iterable[str]) -> list[str]:
    import difflib  # noqa: PLC0415  (only for an error message)

    return difflib.get_close_matches(ref, list(ids), n=3, cutoff=0.5)


CATALOG_ENV = "MODELVAULT_CATALOG"


@dataclass(frozen=True)
class ModelInfo:
    """One registry entry: what is known about a model without importing it."""

    id: str
    record_id: str
    name: str
    group: str
    path: str
    provider: str
    provider_model: str
    content_type: str
    base_cost: Decimal
    api_key_env: str
    estimated_seconds: int
    locked: bool
    body_sha256: str


def default_root() -> Path:
    """The folder holding registry.py and models/: $MODELVAULT_CATALOG, else the
    installed package (wheel), else the source checkout above the package."""
    override = os.environ.get(CATALOG_ENV)
    if override:
        return Path(override)
    return _packaged_root()


@cache
def _packaged_root() -> Path:
    package = Path(__file__).resolve().parent
    if (package / "registry.py").is_file():
        return package
    return package.parent


class Catalog:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._models = _read_registry(root)
        self._by_record_id: dict[str, list[ModelInfo]] = {}
        for info in self._models.values():
            self._by_record_id.setdefault(info.record_id, []).append(info)
        self._loaded: dict[str, ModuleType] = {}

    def models(self) -> list[ModelInfo]:
        return list(self._models.values())

    def resolve(self, ref: str) -> ModelInfo:
        """The model whose id or record id is `ref`. Ids and record ids are one
        namespace: a ref that names two models is an error, never a choice."""
        found = {info.id: info for info in self._by_record_id.get(ref, [])}
        if ref in self._models:
            found[ref] = self._models[ref]
        if len(found) > 1:
            named = "; ".join(
                f"{'id' if info.id == ref else 'record id'} of {info.id!r} "
                f"({info.path})"
                for info in sorted(found.values(), key=lambda i: i.id)
            )
            raise CatalogError(
                f"{ref!r} names {len(found)} models in {self.root / 'registry.py'}: "
                f"{named}. Ids and record ids must be unique across both; "
                "python -m generator check names the clash"
            )
        if not found:
            closest = _closest(ref, self._models)
            raise UnknownModelError(ref, closest)
        return next(iter(found.values()))

    def load_model(self, ref: str) -> ModuleType:
        info = self.resolve(ref)
        loaded = self._loaded.get(info.id)
        if loaded is not None:
            return loaded
        name = f"modelvault.models.{info.group}.{Path(info.path).stem}"
        source = self._verified_source(info)
        module = ModuleType(name)
        module.__file__ = str(self.root / info.path)
        sys.modules[name] = module
        try:
            # A str, not bytes: compile() then ignores any encoding declaration.
            exec(compile(source, module.__file__, "exec"), module.__dict__)
        except BaseException:
            del sys.modules[name]
            raise
        self._loaded[info.id] = module
        return module

    def _verified_source(self, info: ModelInfo) -> str:
        path = self.root / info.path
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            closest = _closest(info.id, self._models)
            others = [c for c in closest if c != info.id]
            hint = f"; other models: {', '.join(others)}" if others else ""
            raise CatalogError(
                f"model {info.id!r} is in the registry but its file {path} is missing"
                f"{hint}. Restore it (git checkout) or reinstall modelvault"
            ) from None
        try:
            header, body = read_header(data)
        except HeaderError as exc:
            raise CatalogError(f"{path} is not a valid model file: {exc}") from None
        if header.model_id != info.id:
            raise CatalogError(
                f"{path} holds model {header.model_id!r}, not {info.id!r}; "
                "regenerate registry.py (python -m generator sync)"
            )
        if info.locked or header.locked:
            actual = body_sha256(body)
            if not (actual == header.body_sha256 == info.body_sha256):
                raise CatalogError(
                    f"{path} is locked but its body does not match the registry's "
                    "body-sha256; the file was changed outside review. Restore it "
                    "with git checkout or reinstall modelvault"
                )
        try:
            return decode_source(data)
        except SourceError as exc:
            raise CatalogError(
                f"{path} is refused: {exc}. Model files are UTF-8 with no encoding "
                "declaration; restore it with git checkout or reinstall modelvault"
            ) from None


def _read_registry(root: Path) -> dict[str, ModelInfo]:
    path = root / "registry.py"
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise CatalogError(
            f"no registry at {path}; set {CATALOG_ENV} to a folder holding "
            "registry.py and models/, or reinstall modelvault"
        ) from None
    from decimal import Decimal  # noqa: PLC0415  (listing needs it; verify does not)

    try:
        entries, _ = parse_registry(data)
        return {
            model_id: ModelInfo(
                id=model_id,
                record_id=entry["record_id"],
                name=entry["name"],
                group=entry["group"],
                path=entry["path"],
                provider=entry["provider"],
                provider_model=entry["provider_model"],
                content_type=entry["content_type"],
                base_cost=Decimal(entry["base_cost"]),
                api_key_env=entry["api_key_env"],
                estimated_seconds=entry["estimated_seconds"],
                locked=entry["locked"],
                body_sha256=entry["body_sha256"],
            )
            for model_id, entry in entries.items()
        }
    except (RegistryError, KeyError, TypeError, ArithmeticError) as exc:
        raise CatalogError(
            f"{path} is not a valid registry ({type(exc).__name__}: {exc}); "
            "regenerate it with python -m generator sync"
        ) from None


@cache
def catalog_at(root: Path) -> Catalog:
    return Catalog(root)


def default_catalog() -> Catalog:
    return catalog_at(default_root())
