"""Durable outputs for generation records: claim a completed record's copy,
copy its outputs (modelvault.outputs), and record where they went.

A completed record marked for copying has output_state "pending". A copier
moves it to "copying" (compare-and-set, or `claim_output_copies` for a batch),
then to "stored" with every copy's location, sha256, content type and size, or
to "failed" with the problem (claimed again after RETRY_AFTER_S) or "gave_up"
(the copy cannot succeed, or MAX_COPY_ATTEMPTS were spent; `modelvault fetch`
still tries on demand). A copier that dies leaves "copying", which goes stale
and is claimed again. The generation's status never changes: a failed copy
never turns a completed generation into a failed one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from modelvault._outputs_copy import copy_outputs
from modelvault._outputs_model import FetchPolicy, OutputStore
from modelvault._outputs_open import open_output_store
from modelvault.errors import (
    GenerationConflictError,
    ModelVaultError,
    OutputCopyError,
    StoreError,
)
from modelvault.store import Generation, GenerationStatus, GenerationStore, OutputState

MAX_COPY_ATTEMPTS = 8
RETRY_AFTER_S = 60.0  # a failed copy, or one whose copier went quiet, is retried
ALLOW_PRIVATE_ENV = "MODELVAULT_OUTPUTS_ALLOW_PRIVATE"


@dataclass(frozen=True)
class Outputs:
    """Where a run's outputs are copied, and the limits of each download."""

    store: OutputStore
    policy: FetchPolicy = field(default_factory=FetchPolicy)


OutputsSetting = Outputs | OutputStore | str | bool | None


def outputs_from(
    setting: OutputsSetting, *, allow_private: bool = False
) -> Outputs | None:
    """The output settings of a run: None means the default store
    ($MODELVAULT_OUTPUTS, else the user data folder), False no copy, a string
    an output store spec (a folder or s3://bucket/prefix). `allow_private`
    (or $MODELVAULT_OUTPUTS_ALLOW_PRIVATE=1) lets the default policy fetch from
    private and loopback addresses (the bundled fakes serve on loopback)."""
    if setting is False:
        return None
    if isinstance(setting, Outputs):
        return setting
    private = allow_private or os.environ.get(ALLOW_PRIVATE_ENV) == "1"
    policy = FetchPolicy(allow_private=private)
    if setting is None or setting is True:
        return Outputs(open_output_store(None), policy)
    if isinstance(setting, str):
        return Outputs(open_output_store(setting), policy)
    return Outputs(setting, policy)


def wants_copy(record: Generation) -> bool:
    return record.status == GenerationStatus.COMPLETED and record.output_state in (
        OutputState.PENDING,
        OutputState.FAILED,
    )


def copy_generation(
    store: GenerationStore,
    record: Generation,
    outputs: Outputs,
    *,
    client: httpx.Client | None = None,
    claimed: bool = False,
) -> Generation:
    """Copy one completed record's outputs and record the result; returns the
    record as written. Unless `claimed`, the copy is claimed first (as a
    compare-and-set: if another copier got there first, its record is
    returned untouched). Store errors propagate; a copy error is recorded."""
    if not claimed:
        try:
            record = store.record_output_copy(
                record.id,
                OutputState.COPYING.value,
                record.output_copy,
                expected_version=record.version,
            )
        except GenerationConflictError:
            again = store.get_generation(record.id)
            return again if again is not None else record
    attempts = int((record.output_copy or {}).get("attempts") or 0) + 1
    where = outputs.store.describe()
    try:
        stored = copy_outputs(
            record.id,
            record.outputs,
            outputs.store,
            client=client,
            policy=outputs.policy,
        )
    except OutputCopyError as exc:
        gave_up = not exc.retryable or attempts >= MAX_COPY_ATTEMPTS
        state = OutputState.GAVE_UP if gave_up else OutputState.FAILED
        result: dict[str, Any] = {
            "stored": [],
            "error": {
                "kind": exc.reason,
                "message": str(exc),
                "retryable": exc.retryable,
                "status_code": exc.status_code,
            },
            "attempts": attempts,
            "store": where,
        }
        return store.record_output_copy(
            record.id, state.value, result, expected_version=record.version
        )
    result = {
        "stored": [copy.to_dict() for copy in stored],
        "error": None,
        "attempts": attempts,
        "store": where,
    }
    return store.record_output_copy(
        record.id, OutputState.STORED.value, result, expected_version=record.version
    )


def copy_pending(
    store: GenerationStore,
    outputs: Outputs,
    *,
    limit: int = 10,
    stale_after_s: float = RETRY_AFTER_S,
    client: httpx.Client | None = None,
) -> list[Generation]:
    """One pass: claim up to `limit` copies that are due and do them."""
    done: list[Generation] = []
    for record in store.claim_output_copies(limit=limit, stale_after_s=stale_after_s):
        done.append(
            copy_generation(store, record, outputs, client=client, claimed=True)
        )
    return done


def copy_if_wanted(
    store: GenerationStore, record: Generation, outputs: Outputs | None
) -> Generation:
    """`record` after copying its outputs, if it asks for that. A store error
    while recording the copy leaves it "copying": it goes stale and a worker
    copies it again, so the caller still gets the completed record."""
    if outputs is None or not wants_copy(record):
        return record
    try:
        return copy_generation(store, record, outputs)
    except StoreError:
        return record


def copier(store: GenerationStore, outputs: Outputs) -> Callable[[Generation], None]:
    """An `on_finished` for modelvault.webhooks: copy a record a callback
    completed (claimed as a compare-and-set, so a worker doing the same copy
    is never doubled). Problems are recorded on the record or left to the
    workers' retry; nothing is raised."""

    def copy_finished(record: Generation) -> None:
        with contextlib.suppress(ModelVaultError):
            copy_if_wanted(store, record, outputs)

    return copy_finished
