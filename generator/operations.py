"""What each generator command changes, as a plan of file contents. Pure.

A plan is computed completely before anything is written, so a refused change
writes nothing. Locked files are never rewritten except by `lock`/`unlock`, which
touch only the header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from generator.catalog import Catalog
from generator.config import Settings
from generator.modelfile import ParsedModelFile, parse_model_file
from generator.render import render_model_file
from generator.spec import ModelSpec, SpecError, check_unique
from modelvault._modelfile import (
    body_sha256,
    render_header,
    validate_handle,
    validate_reason,
)


class OperationError(Exception):
    """A command was refused; nothing was written. The message says what to do."""


@dataclass
class Plan:
    writes: dict[str, bytes] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.writes)


def utc_stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_derived(
    catalog: Catalog,
    settings: Settings,
    plan: Plan,
    current: dict[str, str | None],
) -> Plan:
    """Add registry.py and CODEOWNERS as they must be once `plan` is written."""
    changed = {m.path for m in catalog.models} & set(plan.writes)
    models = [m for m in catalog.models if m.path not in changed]
    models += [parse_model_file(path, data) for path, data in plan.writes.items()]
    updated = Catalog(models=models)
    for path, text in updated.derived_files(settings).items():
        if current.get(path) != text:
            plan.writes[path] = text.encode("utf-8")
    return plan


def plan_new(
    catalog: Catalog,
    spec: ModelSpec,
    settings: Settings,
    current: dict[str, str | None],
) -> Plan:
    existing = [m for m in catalog.models if m.config["id"] == spec.id]
    if existing:
        raise OperationError(
            f"a model with id {spec.id!r} already exists ({existing[0].path}); "
            f"to change it run: python -m generator regenerate {spec.id} --spec FILE"
        )
    others = []
    for model in catalog.models:
        try:
            others.append(model.spec())
        except SpecError:
            continue
    problems = check_unique([*others, spec])
    if problems:
        raise SpecError(problems, spec.id)
    data = render_model_file(spec)
    plan = Plan(writes={spec.path: data}, summary=[f"created {spec.path}"])
    return _with_derived(catalog, settings, plan, current)


def plan_regenerate(
    catalog: Catalog,
    targets: list[tuple[ParsedModelFile, ModelSpec | None]],
    settings: Settings,
    current: dict[str, str | None],
) -> Plan:
    """Re-render unlocked models, each from the given spec or its own recovered one."""
    plan = Plan()
    for model, spec in targets:
        data = _regenerated(model, spec)
        if data != model.data:
            plan.writes[model.path] = data
            plan.summary.append(f"regenerated {model.path}")
    return _with_derived(catalog, settings, plan, current)


def _regenerated(model: ParsedModelFile, spec: ModelSpec | None) -> bytes:
    if model.header.locked:
        raise OperationError(
            f"{model.path} is locked (by {model.header.locked_by}, "
            f"{model.header.locked_at}); the generator never rewrites a locked file. "
            f"Unlock it first: python -m generator unlock {model.header.model_id} "
            "--by @you --reason '...'"
        )
    new_spec = spec or model.spec()
    if new_spec.id != model.config["id"]:
        raise OperationError(
            f"the spec's id {new_spec.id!r} differs from {model.config['id']!r}; "
            "ids never change: add a new model instead"
        )
    if str(new_spec.effective_record_id) != model.config["record_id"]:
        raise OperationError(
            f"the spec's record_id differs from the file's "
            f"({model.config['record_id']}); keep record_id as it is"
        )
    if new_spec.path != model.path:
        raise OperationError(
            f"the spec moves {model.config['id']!r} to group {new_spec.group.value!r}; "
            f"move the file with git mv to {new_spec.path} first, then regenerate"
        )
    return render_model_file(new_spec, model.header)


def plan_lock(
    catalog: Catalog,
    model: ParsedModelFile,
    *,
    handle: str,
    settings: Settings,
    current: dict[str, str | None],
    now: datetime | None = None,
) -> Plan:
    try:
        validate_handle(handle)
    except ValueError as exc:
        raise OperationError(f"--by: {exc}") from None
    if model.header.locked:
        raise OperationError(
            f"{model.path} is already locked (by {model.header.locked_by}, "
            f"{model.header.locked_at})"
        )
    header = model.header.locked_by_handle(
        handle, utc_stamp(now), body_sha256(model.body)
    )
    plan = Plan(
        writes={model.path: render_header(header).encode() + model.body},
        summary=[f"locked {model.path} (by {handle})"],
    )
    return _with_derived(catalog, settings, plan, current)


def plan_unlock(
    catalog: Catalog,
    model: ParsedModelFile,
    *,
    handle: str,
    reason: str,
    settings: Settings,
    current: dict[str, str | None],
    now: datetime | None = None,
) -> Plan:
    try:
        validate_handle(handle)
        reason = validate_reason(reason)
    except ValueError as exc:
        raise OperationError(str(exc)) from None
    if not model.header.locked:
        raise OperationError(f"{model.path} is not locked")
    header = model.header.unlocked_by_handle(handle, utc_stamp(now), reason)
    plan = Plan(
        writes={model.path: render_header(header).encode() + model.body},
        summary=[f"unlocked {model.path} (by {handle}: {reason})"],
    )
    return _with_derived(catalog, settings, plan, current)


def plan_sync(
    catalog: Catalog, settings: Settings, current: dict[str, str | None]
) -> Plan:
    plan = _with_derived(catalog, settings, Plan(), current)
    plan.summary += [f"rewrote {path}" for path in plan.writes]
    return plan
