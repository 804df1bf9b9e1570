"""The pull request's description: what a reviewer needs to act on it. Pure.

Every value that comes from a spec is data: escaped for Markdown in prose and
tables, put in code spans or fenced blocks whose fences are longer than any run of
backticks inside, so a hostile spec cannot break the layout or mention anyone.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from generator.pr_commit import (
    Change,
    Kind,
    ModelView,
    one_line,
    title,
    why,
)
from generator.schema import spec_data_from_literals
from modelvault._modelfile import Header

MAX_BODY = 60_000  # GitHub refuses bodies over 65,536 characters


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~{}])")


def text(value: object) -> str:
    """Spec text as inert Markdown: one line, specials escaped, no @-mentions."""
    flat = re.sub(r"[\r\n]+", " ", str(value))
    return _MD_SPECIAL.sub(r"\\\1", one_line(flat)).replace("@", "@\u200b")


def code(value: object) -> str:
    """A code span for a table cell; JSON for non-strings."""
    plain = isinstance(value, str) and value.strip() == value and value
    shown = value if plain else json.dumps(value, ensure_ascii=False)
    shown = one_line(str(shown)).replace("|", "\\|")
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", shown)), default=0) + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    return f"{ticks}{pad}{shown}{pad}{ticks}"


def fenced(body: str, lang: str = "") -> str:
    runs = [len(r) for r in re.findall(r"`{3,}", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{lang}\n{body.rstrip()}\n{fence}"


def _link(url: str) -> str:
    # Spec URLs are validated as https://<no whitespace>; angle brackets are escaped.
    return f"<{url}>" if re.fullmatch(r"https://[^\s<>]+", url) else code(url)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _inputs(model: ModelView) -> list[str]:
    props: Mapping[str, Any] = model.schema.get("properties", {})
    required = set(model.schema.get("required", []))
    rows = []
    for name in model.schema.get("x-order", list(props)):
        prop = props[name]
        limits = [
            f"{label} {prop[key]}"
            for key, label in (
                ("minimum", "min"),
                ("maximum", "max"),
                ("maxLength", "max length"),
                ("minItems", "min items"),
                ("maxItems", "max items"),
            )
            if key in prop
        ]
        rows.append(
            [
                code(name),
                text(prop.get("type", "")),
                "yes" if name in required else "no",
                code(prop["default"]) if prop.get("default") is not None else "",
                ", ".join(code(v) for v in prop.get("enum", [])),
                text(", ".join(limits)),
                text(
                    ": ".join(
                        p for p in (prop.get("title"), prop.get("description")) if p
                    )
                ),
            ]
        )
    head = [
        "input",
        "type",
        "required",
        "default",
        "allowed",
        "limits",
        "title: description",
    ]
    return ["#### Inputs", "", *_table(head, rows)]


def _credits(base: str, multiplier: str) -> str:
    try:
        return format((Decimal(base) * Decimal(multiplier)).normalize(), "f")
    except InvalidOperation:
        return "?"


def _cost(model: ModelView) -> list[str]:
    cost: Mapping[str, Any] = model.config.get("cost", {})
    base = str(cost.get("base", "?"))
    rows = [
        [code(param), code(value), code(mult), code(_credits(base, str(mult)))]
        for param, table in cost.get("multipliers", {}).items()
        for value, mult in table.items()
    ]
    lines = [
        "#### Cost (credits)",
        "",
        f"Base: {code(base)}; credits = base x the multiplier of each input below"
        + (
            " x " + " x ".join(code(u) for u in cost.get("per_unit", []))
            if cost.get("per_unit")
            else ""
        )
        + ".",
    ]
    if rows:
        lines += ["", *_table(["input", "value", "multiplier", "base x it"], rows)]
    return lines


def _lock_state(header: Header) -> str:
    if header.locked:
        return (
            f"locked by {header.locked_by} at {header.locked_at}; "
            f"body sha256 {code(header.body_sha256)}"
        )
    if header.unlocked_by:
        return (
            f"unlocked by {header.unlocked_by} at {header.unlocked_at}; "
            f"reason: {text(header.unlock_reason or '')}"
        )
    return "unlocked (never locked)"


def _spec_yaml(config: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    data = spec_data_from_literals(dict(config), dict(schema))
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=False, width=88)


def _model_section(model: ModelView, kind: Kind) -> list[str]:
    config = model.config
    polling = config.get("polling", {})
    facts = [
        ["file", code(model.path)],
        ["group", code(config["group"])],
        [
            "provider",
            f"{code(config['provider'])} model {code(config['provider_model'])}",
        ],
        ["endpoint", code(config["endpoint"])],
        ["docs", _link(str(config["docs_url"]))],
        ["API key env", code(config["api_key_env"])],
        [
            "time",
            f"about {config['estimated_seconds']} s; "
            f"timeout {polling.get('timeout_s', '?')} s",
        ],
        ["fixed payload", code(config.get("payload_constants") or {})],
        ["lock state", _lock_state(model.header)],
    ]
    lines = [f"### {code(config['id'])}: {text(config['name'])}", ""]
    lines += [*_table(["", "value"], facts), "", *_inputs(model), "", *_cost(model), ""]
    if config.get("notes"):
        lines += [f"Notes: {text(config['notes'])}", ""]
    new_spec = _spec_yaml(config, model.schema)
    if kind == "regenerate" and model.before_config and model.before_schema:
        old_spec = _spec_yaml(model.before_config, model.before_schema)
        diff = "".join(
            difflib.unified_diff(
                old_spec.splitlines(keepends=True),
                new_spec.splitlines(keepends=True),
                "base",
                "this PR",
            )
        )
        lines += ["#### Spec changes", "", fenced(diff or "(none)", "diff"), ""]
    lines += [
        "<details><summary>Full spec</summary>",
        "",
        fenced(new_spec, "yaml"),
        "",
        "</details>",
        "",
    ]
    return lines


_CHECKS: dict[Kind, list[str]] = {
    "add": [
        "endpoint, provider model and docs link match the provider's documentation",
        "inputs, defaults, enums and limits match the documented parameters",
        "cost base and multipliers match the provider's price list",
    ],
    "regenerate": [
        "each spec change above is intended and matches the provider's docs",
        "cost changes (if any) match the provider's price list",
    ],
    "lock": [
        "the model works as it is: after merge its body changes only "
        "through a reviewed unlock (CODEOWNERS requires the reviewers)"
    ],
    "unlock": [
        "the reason justifies reopening the file; the change that follows "
        "comes as its own PR"
    ],
}


def body(change: Change) -> str:
    """The PR description: what and why, files, each model, checks, commands."""
    head = [
        f"<!-- modelvault: change={change.kind} scope={change.scope} -->",
        f"## {text(title(change))}",
        "",
        "**Why:** " + " ".join(text(line) for line in why(change)),
        "",
        f"Generated by `python -m generator` against `{change.base}`; "
        "every file below is generated, never edited by hand.",
        "",
        *_table(["file", "change"], [[code(f), _file_role(f)] for f in change.files]),
        "",
    ]
    models = [line for m in change.models for line in _model_section(m, change.kind)]
    head += _reasons(change)
    tail = [
        "### Review checklist",
        "",
        *[f"- [ ] {item}" for item in _CHECKS[change.kind]],
        "- [ ] the `ci` check passed (generator check and lock verification)",
        "",
        "### Commands that made this PR",
        "",
        fenced(change.command, "sh"),
        "",
        "Re-run the same command to update this PR. To inspect locally: "
        "`python -m generator spec ID` prints a model's spec from its file; "
        "`python -m generator check` confirms the generated files agree.",
    ]
    full = "\n".join([*head, *models, *tail]) + "\n"
    if len(full) > MAX_BODY:  # keep what a reviewer needs; drop the long specs
        models = [f"### {code(m.config['id'])}: see the diff" for m in change.models]
        full = "\n".join([*head, *models, "", *tail]) + "\n"
    return full


def _reasons(change: Change) -> list[str]:
    """An unlock's reason exactly as each header stores it (plain text, no
    escapes), so reviewers read the very bytes that land."""
    if change.kind != "unlock":
        return []
    reasons = sorted({m.header.unlock_reason or "" for m in change.models} - {""})
    return [
        "#### Unlock reason, verbatim as stored in the header",
        "",
        *(line for reason in reasons for line in (fenced(reason, "text"), "")),
    ]


def _file_role(path: str) -> str:
    if path in ("registry.py", "CODEOWNERS"):
        return "regenerated (derived from the model files)"
    return "model file"
