"""Spec -> model file bytes, through the provider family's jinja2 template. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import jinja2

from generator import __version__
from generator.literals import literal
from generator.schema import to_config, to_schema
from generator.spec import ModelSpec, ProviderFamily
from modelvault._modelfile import Header, body_sha256, render_header


@dataclass(frozen=True)
class Family:
    template: str
    version: int
    label: str
    two_step_result: bool = False


FAMILIES: dict[ProviderFamily, Family] = {
    ProviderFamily.KIE_JOBS: Family("kie_jobs", 5, "kie.ai"),
    ProviderFamily.KIE_VEO: Family("kie_veo", 5, "kie.ai"),
    ProviderFamily.KIE_4O: Family("kie_4o", 5, "kie.ai"),
    ProviderFamily.RUNWARE: Family("runware", 5, "Runware"),
    ProviderFamily.FAL_QUEUE: Family("fal_queue", 5, "fal.ai", two_step_result=True),
    ProviderFamily.REPLICATE: Family("replicate", 5, "Replicate"),
}


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["py"] = literal
    return env


def generated_by(family: Family) -> str:
    return f"generator {__version__}, template {family.template} v{family.version}"


def render_body(spec: ModelSpec) -> bytes:
    """The model file's body (everything after the header) for `spec`."""
    family = FAMILIES[spec.provider]
    template = _environment().get_template(f"{family.template}.py.j2")
    context: dict[str, Any] = {
        "template_name": family.template,
        "template_version": family.version,
        "provider_label": family.label,
        "two_step_result": family.two_step_result,
        "config_literal": literal(to_config(spec), depth=1),
        "schema_literal": literal(to_schema(spec), depth=1),
    }
    return ("\n" + template.render(context)).encode("utf-8")


def render_model_file(spec: ModelSpec, previous: Header | None = None) -> bytes:
    """Header + body. Lock fields carry over from `previous` (a regeneration)."""
    body = render_body(spec)
    family = FAMILIES[spec.provider]
    fresh = Header(
        model_id=spec.id,
        record_id=str(spec.effective_record_id),
        locked=False,
        body_sha256=body_sha256(body),
        generated_by=generated_by(family),
    )
    header = fresh
    if previous is not None:  # lock and unlock stamps carry over
        header = replace(
            previous,
            model_id=fresh.model_id,
            record_id=fresh.record_id,
            body_sha256=fresh.body_sha256,
            generated_by=fresh.generated_by,
        )
    return render_header(header).encode("utf-8") + body
