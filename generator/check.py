"""`python -m generator check`: every way the catalog can disagree with itself. Pure."""

from __future__ import annotations

from generator.catalog import Catalog, Finding
from generator.config import Settings
from generator.isolation import isolation_problems
from generator.modelfile import ModelFileError, ParsedModelFile, parse_model_file
from generator.render import FAMILIES, render_body
from generator.spec import ModelSpec, SpecError, check_unique
from modelvault._modelfile import header_is_canonical, source_problem


def _canonical_render(model: ParsedModelFile) -> bytes | None:
    """What the current template renders from the file's own spec, when the file
    claims that template and version; None otherwise (or when the spec is bad)."""
    try:
        spec = model.spec()
    except SpecError:
        return None
    family = FAMILIES[spec.provider]
    header = model.header
    if (header.template, header.template_version) != (family.template, family.version):
        return None
    return render_body(spec)


def _model_findings(model: ParsedModelFile) -> tuple[list[Finding], ModelSpec | None]:
    rendered = _canonical_render(model)
    if rendered != model.body:
        # Not byte-for-byte generator output: read everything from a full parse
        # rather than trusting the template layout.
        try:
            model = parse_model_file(model.path, model.data, full=True)
        except ModelFileError as exc:
            return [Finding(model.path, "model-file", str(exc))], None
    path, header = model.path, model.header
    regenerate = f"python -m generator regenerate {header.model_id}"
    findings = _byte_findings(model, regenerate)
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
    if model.fully_parsed:
        # Generator output imports what its template imports; templates are
        # checked for isolation by the test suite, each file needs no re-check.
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
    if not header.locked and rendered != model.body:
        findings += _drift(model, spec, regenerate)
    return findings, spec


def _byte_findings(model: ParsedModelFile, regenerate: str) -> list[Finding]:
    """The header in its canonical form, the bytes meaning one text."""
    step = (
        "restore it with git checkout (a locked header only changes by unlocking)"
        if model.header.locked
        else f"run {regenerate}"
    )
    findings: list[Finding] = []
    if not header_is_canonical(model.data):
        findings.append(
            Finding(
                model.path,
                "header-canonical",
                "its header bytes are not the canonical rendering of its values "
                f"(line order, spacing, quoting); {step}",
            )
        )
    problem = source_problem(model.data)
    if problem is not None:
        findings.append(
            Finding(model.path, "encoding", f"{problem}; model files are UTF-8; {step}")
        )
    return findings


def _drift(model: ParsedModelFile, spec: ModelSpec, regenerate: str) -> list[Finding]:
    family = FAMILIES[spec.provider]
    header = model.header
    if header.template != family.template:
        detail = (
            f"made from template {header.template} but provider "
            f"{spec.provider.value} uses {family.template}"
        )
    elif header.template_version != family.version:
        detail = (
            f"unlocked and made from {header.template} v{header.template_version}, "
            f"current is v{family.version}"
        )
    elif model.actual_body_sha256 == header.body_sha256:
        detail = "differs from what the generator makes from its own spec"
    else:
        return []  # already reported as a body-hash finding
    return [Finding(model.path, "drift", f"{detail}; run {regenerate}")]


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
