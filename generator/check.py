"""`python -m generator check`: every way the catalog can disagree with itself. Pure."""

from __future__ import annotations

from generator.catalog import Catalog, Finding
from generator.config import Settings
from generator.isolation import isolation_problems
from generator.modelfile import ParsedModelFile
from generator.render import FAMILIES, render_body
from generator.spec import ModelSpec, SpecError, check_unique


def _model_findings(model: ParsedModelFile) -> tuple[list[Finding], ModelSpec | None]:
    path, header = model.path, model.header
    regenerate = f"python -m generator regenerate {header.model_id}"
    findings: list[Finding] = []
    if model.actual_body_sha256 != header.body_sha256:
        if header.locked:
            message = (
                f"locked (by {header.locked_by}, {header.locked_at}) but its body no "
                "longer matches body-sha256; restore the file with `git checkout` "
                "or unlock it first: python -m generator unlock "
                f"{header.model_id} --by @you --reason '...'"
            )
        else:
            message = (
                f"body does not match body-sha256 (edited by hand?); change the spec "
                f"and run {regenerate}"
            )
        findings.append(Finding(path, "body-hash", message))
    findings += [
        Finding(path, "isolation", problem) for problem in isolation_problems(model)
    ]
    try:
        spec = model.spec()
    except SpecError as exc:
        problems = "; ".join(f"{where}: {what}" for where, what in exc.problems)
        findings.append(
            Finding(path, "spec", f"MODEL_CONFIG/SCHEMA invalid: {problems}")
        )
        return findings, None
    if spec.id != header.model_id or str(spec.effective_record_id) != header.record_id:
        findings.append(
            Finding(
                path,
                "identity",
                "header id/record-id differ from MODEL_CONFIG; regenerate the file",
            )
        )
    if spec.path != path:
        findings.append(
            Finding(
                path,
                "location",
                f"a model with id {spec.id!r} and group {spec.group.value!r} lives at "
                f"{spec.path}; move it there with git mv",
            )
        )
    if not header.locked:
        findings += _drift(model, spec, regenerate)
    return findings, spec


def _drift(model: ParsedModelFile, spec: ModelSpec, regenerate: str) -> list[Finding]:
    family = FAMILIES[spec.provider]
    header = model.header
    if header.template != family.template:
        return [
            Finding(
                model.path,
                "drift",
                f"made from template {header.template} but provider "
                f"{spec.provider.value} uses {family.template}; run {regenerate}",
            )
        ]
    if header.template_version != family.version:
        return [
            Finding(
                model.path,
                "drift",
                f"unlocked and made from {header.template} v{header.template_version}"
                f", current is v{family.version}; run {regenerate}",
            )
        ]
    if model.actual_body_sha256 == header.body_sha256 and render_body(spec) != (
        model.body
    ):
        return [
            Finding(
                model.path,
                "drift",
                f"differs from what the generator makes from its own spec; run "
                f"{regenerate}",
            )
        ]
    return []


def check_catalog(
    catalog: Catalog, current_files: dict[str, str | None], settings: Settings
) -> list[Finding]:
    """All findings; `current_files` maps registry.py/CODEOWNERS to their text."""
    findings = list(catalog.unreadable)
    specs: list[ModelSpec] = []
    for model in catalog.models:
        model_findings, spec = _model_findings(model)
        findings += model_findings
        if spec is not None:
            specs.append(spec)
    findings += [
        Finding("models/", "unique", message) for _, message in check_unique(specs)
    ]
    for path, expected in catalog.derived_files(settings).items():
        actual = current_files.get(path)
        if actual != expected:
            state = "is missing" if actual is None else "is out of date"
            findings.append(
                Finding(
                    path,
                    "derived-file",
                    f"{state}; it is generated from the model files: run "
                    "python -m generator sync",
                )
            )
    return findings
