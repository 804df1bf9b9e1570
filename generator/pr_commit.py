"""What a generator change is, and its commit: branch, label, title, why, message
and trailers. Pure.

Values from a spec or the command line are data: trailers are folded onto one line
(control characters escaped), so no value can forge a trailer of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from generator.schema import spec_data_from_literals
from modelvault._modelfile import Header

Kind = Literal["add", "regenerate", "lock", "unlock"]
KINDS: tuple[Kind, ...] = ("add", "regenerate", "lock", "unlock")
BOT_NAME = "modelvault-bot"
BOT_EMAIL = "modelvault-bot@users.noreply.github.com"
CHANGE_TRAILER = "Modelvault-Change"
TREE_TRAILER = "Modelvault-Tree"
VERBS = {"add": "Add", "regenerate": "Regenerate", "lock": "Lock", "unlock": "Unlock"}


@dataclass(frozen=True)
class ModelView:
    """One model file of the change: as the PR leaves it, and as base had it."""

    path: str
    config: Mapping[str, Any]
    schema: Mapping[str, Any]
    header: Header
    before_config: Mapping[str, Any] | None = None
    before_schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Change:
    kind: Kind
    scope: str  # the model id, or "all" for `regenerate --all`
    base: str
    command: str  # the exact command line, shell-quoted
    files: Sequence[str]
    models: Sequence[ModelView]
    requested_for: str | None = None  # who asked; the header stamps who ran it


def branch_name(kind: Kind, scope: str) -> str:
    return f"models/{kind}/{scope}"


def label_name(kind: Kind) -> str:
    return f"model:{kind}"


def one_line(text: str) -> str:
    """Control characters escaped, so a value stays on its trailer's line."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def title(change: Change) -> str:
    what = f"model {change.scope}" if change.scope != "all" else "all unlocked models"
    return one_line(f"{VERBS[change.kind]} {what}")[:200]


def why(change: Change) -> list[str]:
    lines: list[str] = []
    for model in change.models:
        header, model_id = model.header, model.config["id"]
        if change.kind == "add":
            lines.append(
                f"New model {model_id} ({model.config['name']}) from a spec: "
                f"{model.config['provider']} {model.config['provider_model']}."
            )
        elif change.kind == "regenerate":
            changed = spec_changes(model)
            lines.append(
                f"{model_id} re-rendered; spec fields changed: {', '.join(changed)}."
                if changed
                else f"{model_id} re-rendered from its own spec (template change)."
            )
        elif change.kind == "lock":
            lines.append(
                f"{model_id} locked by {header.locked_by} at {header.locked_at}: "
                f"its body (sha256 {header.body_sha256}) now changes only through "
                "a reviewed unlock."
            )
        else:
            lines.append(
                f"{model_id} unlocked by {header.unlocked_by} at "
                f"{header.unlocked_at}. Reason: {header.unlock_reason}"
            )
    if change.requested_for:
        lines.append(
            f"Requested for {change.requested_for} (the header stamps the GitHub "
            "user who made the change)."
        )
    return lines or [f"{VERBS[change.kind]}: generated files brought up to date."]


def spec_changes(model: ModelView) -> list[str]:
    """Top-level spec fields (and inputs) that differ from base."""
    if model.before_config is None or model.before_schema is None:
        return []
    old = spec_data_from_literals(dict(model.before_config), dict(model.before_schema))
    new = spec_data_from_literals(dict(model.config), dict(model.schema))
    changed = [key for key in new if old.get(key) != new[key] and key != "inputs"]
    old_in, new_in = old.get("inputs", {}), new.get("inputs", {})
    changed += [
        f"inputs.{name}"
        for name in sorted(set(old_in) | set(new_in))
        if old_in.get(name) != new_in.get(name)
    ]
    return changed


def commit_message(change: Change, tree: str) -> str:
    """Subject, why, files, then trailers (the last paragraph)."""
    reasons = "\n".join(why(change))
    files = "\n".join(f"- {path}" for path in change.files)
    trailers = [
        (CHANGE_TRAILER, change.kind),
        ("Modelvault-Model", change.scope),
        ("Modelvault-Base", change.base),
        ("Modelvault-Command", change.command),
        (TREE_TRAILER, tree),
    ]
    block = "\n".join(f"{key}: {one_line(value)}" for key, value in trailers)
    return f"{title(change)}\n\n{reasons}\n\nFiles:\n{files}\n\n{block}\n"


def trailers(message: str) -> dict[str, str]:
    """The `Key: value` lines of a message's last paragraph."""
    last = message.strip().split("\n\n")[-1]
    found: dict[str, str] = {}
    for line in last.splitlines():
        key, sep, value = line.partition(": ")
        if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", key):
            found[key] = value
    return found


def is_generator_commit(message: str, tree: str) -> bool:
    """Made by the generator and untouched since: our trailer, and the tree we
    recorded is still the commit's tree (an amend or rebase changes it)."""
    found = trailers(message)
    return CHANGE_TRAILER in found and found.get(TREE_TRAILER) == tree
