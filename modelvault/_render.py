"""Plain-text rendering for the CLI: tables and a generation. Pure.

The model sheet of `show` is in modelvault._render_model."""

from __future__ import annotations

import json
from collections.abc import Sequence

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
    lines += copy_lines(record)
    if record.error:
        lines.append(f"  error     {record.error.get('message')}")
    return "\n".join(lines)


def copy_lines(record: Generation) -> list[str]:
    """Where the durable copy of the outputs stands, and where they went."""
    if record.output_state is None:
        return []
    copy = record.output_copy or {}
    state = record.output_state.value
    where = f" in {copy['store']}" if copy.get("store") else ""
    lines = [f"  copy      {state}{where}"]
    for item in copy.get("stored") or []:
        size = item.get("bytes")
        kind = item.get("content_type") or "unknown type"
        lines.append(
            f"  saved     {item.get('location')} ({kind}, {size} bytes, "
            f"sha256 {str(item.get('sha256'))[:12]}...)"
        )
    error = copy.get("error")
    if isinstance(error, dict) and error.get("message"):
        lines.append(f"  copy error {error['message']}")
    if state in ("failed", "gave_up", "pending", "copying"):
        lines.append(
            f"  copy again: modelvault fetch {record.id}"
            + (" (a worker retries failed copies)" if state == "failed" else "")
        )
    return lines


def generation_json(record: Generation) -> str:
    data = record.to_dict()
    data["status"] = record.status.value
    return json.dumps(data, indent=2, ensure_ascii=False)
