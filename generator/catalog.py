"""The catalog as the generator sees it: parsed model files plus the files derived
from them. Pure: built from bytes that generator.repo read."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from generator.config import Settings
from generator.modelfile import ModelFileError, ParsedModelFile, parse_model_file
from generator.outputs import (
    CODEOWNERS_PATH,
    REGISTRY_PATH,
    render_codeowners,
    render_registry,
)
from generator.repo import CatalogFiles


@dataclass(frozen=True)
class Finding:
    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: [{self.rule}] {self.message}"


@dataclass
class Catalog:
    models: list[ParsedModelFile] = field(default_factory=list)
    unreadable: list[Finding] = field(default_factory=list)

    def lookup(self, ref: str) -> ParsedModelFile:
        """A model by id, record id or path; KeyError names the closest ids."""
        for model in self.models:
            if ref in (model.config["id"], model.config["record_id"], model.path):
                return model
        ids = [m.config["id"] for m in self.models]
        close = difflib.get_close_matches(ref, ids, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no model {ref!r} in models/{hint}")

    def derived_files(self, settings: Settings) -> dict[str, str]:
        return {
            REGISTRY_PATH: render_registry(self.models),
            CODEOWNERS_PATH: render_codeowners(self.models, settings),
        }


def build_catalog(files: CatalogFiles) -> Catalog:
    catalog = Catalog()
    for path, data in sorted(files.model_files.items()):
        try:
            catalog.models.append(parse_model_file(path, data))
        except ModelFileError as exc:
            catalog.unreadable.append(Finding(path, "model-file", str(exc)))
    catalog.unreadable += [
        Finding(path, "symlink", "a symlink under models/; commit the file itself")
        for path in files.symlinks
    ]
    catalog.unreadable += [
        Finding(
            path,
            "stray-file",
            "only model files (.py, made by the generator) belong under models/",
        )
        for path in files.other_files
    ]
    return catalog
