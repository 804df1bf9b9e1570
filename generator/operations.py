"""What each generator command changes, as a plan of file contents. Pure.

A plan is computed completely before anything is written, so a refused change
writes nothing. Locked files are never rewritten except by `lock`/`unlock`, which
touch only the header.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    models: Sequence[ParsedModelFile],
    *,
    handle: str,
    settings: Settings,
    current: dict[str, str | None],
    now: datetime | None = None,
) -> Plan:
    """Lock every model in `models` (each a header-only change), in one plan."""
    try:
        validate_handle(handle)
    except ValueError as exc:
        raise OperationError(f"--by: {exc}") from None
    already = [m for m in models if m.header.locked]
    if already:
        raise OperationError(
            ("is already locked: " if len(already) == 1 else "are already locked: ")
            + ", ".join(
                f"{m.path} (by {m.header.locked_by}, {m.header.locked_at})"
                for m in already
            )
        )
    plan = Plan()
    for model in models:
        header = model.header.locked_by_handle(
            handle, utc_stamp(now), body_sha256(model.body)
        )
        plan.writes[model.path] = render_header(header).encode() + model.body
        plan.summary.append(f"locked {model.path} (by {handle})")
    return _with_derived(catalog, settings, plan, current)


def plan_unlock(
    catalog: Catalog,
    models: Sequence[ParsedModelFile],
    *,
    handle: str,
    reason: str,
    settings: Settings,
    current: dict[str, str | None],
    now: datetime | None = None,
) -> Plan:
    """Unlock every model in `models` (each a header-only change), in one plan."""
    try:
        validate_handle(handle)
        reason = validate_reason(reason)
    except ValueError as exc:
        raise OperationError(str(exc)) from None
    unlocked = [m.path for m in models if not m.header.locked]
    if unlocked:
        verb = "is" if len(unlocked) == 1 else "are"
        raise OperationError(f"{', '.join(unlocked)} {verb} not locked")
    plan = Plan()
    for model in models:
        header = model.header.unlocked_by_handle(handle, utc_stamp(now), reason)
        plan.writes[model.path] = render_header(header).encode() + model.body
        plan.summary.append(f"unlocked {model.path} (by {handle}: {reason})")
    return _with_derived(catalog, settings, plan, current)


def select_models(
    catalog: Catalog,
    refs: Sequence[str],
    *,
    template: str | None = None,
    locked: bool | None = None,
    once_locked: bool = False,
) -> list[ParsedModelFile]:
    """The models named by `refs`, plus every model of `template` (or every model,
    with `template="*"`) whose lock state is `locked` (None: either state) and,
    with `once_locked`, that carries an unlock stamp (it was locked before).
    KeyError names an unknown ref; OperationError an empty selection."""
    chosen = {m.path: m for m in (catalog.lookup(ref) for ref in refs)}
    if template is not None:
        for model in catalog.models:
            if template not in ("*", model.header.template):
                continue
            if once_locked and model.header.unlocked_by is None:
                continue
            if locked is None or model.header.locked == locked:
                chosen.setdefault(model.path, model)
    if not chosen:
        state = {True: "locked ", False: "unlocked ", None: ""}[locked]
        scope = "" if template in (None, "*") else f" of template {template!r}"
        raise OperationError(f"no {state}model{scope} selected; name one or more ids")
    return [chosen[path] for path in sorted(chosen)]


def plan_sync(
    catalog: Catalog, settings: Settings, current: dict[str, str | None]
) -> Plan:
    plan = _with_derived(catalog, settings, Plan(), current)
    plan.summary += [f"rewrote {path}" for path in plan.writes]
    return plan
