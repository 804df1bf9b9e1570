"""What a generation record is: its statuses, its fields and the `Generation`
every store returns. The rules about changing one are in `_store_logic`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from modelvault.errors import StoreError

SCHEMA_VERSION = 3  # 1: no version or lease columns; 2: no callback or output copy


class GenerationStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


UNFINISHED = (GenerationStatus.PENDING, GenerationStatus.PROCESSING)
TERMINAL = (
    GenerationStatus.COMPLETED,
    GenerationStatus.FAILED,
    GenerationStatus.CANCELLED,
)

JSON_FIELDS = (
    "inputs",
    "provider_request",
    "provider_response",
    "outputs",
    "error",
    "output_copy",
)
# The record's content, in the order of the version-1 table.
CONTENT_FIELDS = (
    "id",
    "model_id",
    "model_record_id",
    "inputs",
    "cost",
    "status",
    "provider_task_id",
    "provider_request",
    "provider_response",
    "outputs",
    "error",
    "created_at",
    "updated_at",
)
LEASE_FIELDS = ("lease_owner", "lease_expires_at")
# Version 3: the hash of the callback URL's token, and the durable copy of the
# outputs (output_state: pending -> copying -> stored | failed | gave_up).
CALLBACK_FIELDS = ("callback_token_sha256", "output_state", "output_copy")
FIELDS = (*CONTENT_FIELDS, "version", *LEASE_FIELDS, *CALLBACK_FIELDS)
V2_FIELDS = (*CONTENT_FIELDS, "version", *LEASE_FIELDS)


class OutputState(StrEnum):
    """Where the durable copy of a completed generation's outputs stands."""

    PENDING = "pending"  # to copy: nobody is at it
    COPYING = "copying"  # someone is (a stale one is taken over)
    STORED = "stored"  # every output is in the output store
    FAILED = "failed"  # the last attempt failed: retried later
    GAVE_UP = "gave_up"  # too many attempts: only `modelvault fetch` retries


COPY_CLAIMABLE = (OutputState.PENDING, OutputState.FAILED, OutputState.COPYING)


@dataclass(frozen=True)
class Generation:
    """One generation record, as stored."""

    id: str
    model_id: str
    model_record_id: str
    inputs: dict[str, Any]
    cost: str
    status: GenerationStatus
    created_at: str
    updated_at: str
    provider_task_id: str | None = None
    provider_request: Any = None
    provider_response: Any = None
    outputs: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    version: int = 1  # bumped by every successful update
    lease_owner: str | None = None
    lease_expires_at: float | None = None  # epoch seconds (the store's clock)
    callback_token_sha256: str | None = None  # of the callback URL's token
    output_state: OutputState | None = None  # None: no copy asked for
    output_copy: dict[str, Any] | None = None  # {"stored": [...], "error", "attempts"}

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_status(value: Any) -> GenerationStatus:
    try:
        return GenerationStatus(value)
    except ValueError:
        allowed = [status.value for status in GenerationStatus]
        raise StoreError(
            f"unknown generation status {value!r}: use one of {allowed}"
        ) from None


def to_generation(row: Mapping[str, Any]) -> Generation:
    expires = row["lease_expires_at"]
    return Generation(
        id=row["id"],
        model_id=row["model_id"],
        model_record_id=row["model_record_id"],
        inputs=row["inputs"],
        cost=str(row["cost"]),
        status=GenerationStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        provider_task_id=row["provider_task_id"],
        provider_request=row["provider_request"],
        provider_response=row["provider_response"],
        outputs=list(row["outputs"] or []),
        error=row["error"],
        version=int(row["version"]),
        lease_owner=row["lease_owner"],
        lease_expires_at=None if expires is None else float(expires),
        callback_token_sha256=row.get("callback_token_sha256"),
        output_state=(
            None
            if row.get("output_state") is None
            else OutputState(row["output_state"])
        ),
        output_copy=row.get("output_copy"),
    )
