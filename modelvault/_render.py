"""Plain-text rendering for the CLI: tables, a model sheet, a generation. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from modelvault._catalog import ModelInfo
from modelvault.store import Generation


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns; the last column is not padded."""
    all_rows = [list(headers), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(headers))]
    lines = []
    for row in all_rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _allowed(prop: Mapping[str, Any]) -> str:
    if "enum" in prop:
        labels = prop.get("enumLabels") or {}
        return ", ".join(
            f"{_show(v)} ({labels[_show(v)]})" if _show(v) in labels else _show(v)
            for v in prop["enum"]
        )
    parts = []
    if "minimum" in prop or "maximum" in prop:
        parts.append(f"{prop.get('minimum', '')}..{prop.get('maximum', '')}")
    if "maxLength" in prop:
        parts.append(f"<= {prop['maxLength']} chars")
    if "minItems" in prop or "maxItems" in prop:
        parts.append(f"{prop.get('minItems', 0)}..{prop.get('maxItems', '')} items")
    return ", ".join(parts) or "-"


def model_sheet(info: ModelInfo, config: Mapping[str, Any], schema: Any) -> str:
    lock = (
        f"locked (body-sha256 {info.body_sha256[:12]}…)" if info.locked else "unlocked"
    )
    lines = [
        f"{info.name} ({info.id})",
        f"  group      {info.group} ({info.content_type})",
        f"  provider   {info.provider}: {info.provider_model}",
        f"  endpoint   {config['endpoint']}",
        f"  api key    ${info.api_key_env}",
        f"  docs       {config['docs_url']}",
        f"  estimated  ~{info.estimated_seconds} s; gives up after "
        f"{config['polling']['timeout_s']} s",
        f"  lock       {lock}",
        f"  record id  {info.record_id}",
        "",
        "Inputs",
    ]
    rows = []
    for name in schema["x-order"]:
        prop = schema["properties"][name]
        rows.append(
            [
                name,
                prop["type"],
                "yes" if name in schema["required"] else "",
                _show(prop["default"]) if "default" in prop else "",
                _allowed(prop),
                prop["title"] + (" (advanced)" if prop.get("isAdvanced") else ""),
            ]
        )
    lines.append(
        table(["NAME", "TYPE", "REQUIRED", "DEFAULT", "ALLOWED", "TITLE"], rows)
    )
    cost = config["cost"]
    lines += ["", f"Cost: {cost['base']} credits"]
    for param, multipliers in cost["multipliers"].items():
        steps = ", ".join(f"{value} -> x{m}" for value, m in multipliers.items())
        lines.append(f"  x {param}: {steps}")
    for param in cost["per_unit"]:
        lines.append(f"  x {param} (per unit)")
    if config.get("notes"):
        lines += ["", "Notes"]
        lines += [f"  {line}" for line in str(config["notes"]).splitlines()]
    return "\n".join(lines)


def generation_sheet(record: Generation) -> str:
    lines = [
        f"generation {record.id}",
        f"  model     {record.model_id}",
        f"  status    {record.status.value}",
        f"  cost      {record.cost} credits",
        f"  task id   {record.provider_task_id or '-'}",
        f"  created   {record.created_at}",
        f"  updated   {record.updated_at}",
    ]
    lines += [f"  output    {url}" for url in record.outputs]
    if record.error:
        lines.append(f"  error     {record.error.get('message')}")
    return "\n".join(lines)


def generation_json(record: Generation) -> str:
    data = record.to_dict()
    data["status"] = record.status.value
    return json.dumps(data, indent=2, ensure_ascii=False)
