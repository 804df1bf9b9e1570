"""The rules every generation store shares, free of any database.

A store (MemoryStore, SQLiteStore, a later PostgresStore) only keeps rows; what a
row may hold and which writes are allowed is decided here, once:

- a new record is validated and completed by `new_row`;
- `check_changes` validates what `update_generation` may write;
- `write_sources` says from which statuses a write may start (the `status IN`
  of a conditional UPDATE) and `refuse_update` names the conflict when a
  compare-and-set finds nothing to update;
- `may_claim` / `lease_is_free` are the lease rules a store mirrors in SQL.

The state machine: pending -> processing -> completed | failed | cancelled.
A status never moves backwards, and terminal states are final: once a record is
completed, failed or cancelled no write changes it. `version` counts content
writes (every successful `update_generation` bumps it); leases are bookkeeping
about who polls the record and change neither `version` nor `updated_at`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from modelvault._store_model import (
    CALLBACK_FIELDS,
    CONTENT_FIELDS,
    COPY_CLAIMABLE,
    FIELDS,
    JSON_FIELDS,
    LEASE_FIELDS,
    TERMINAL,
    UNFINISHED,
    GenerationStatus,
    OutputState,
    now_iso,
    parse_status,
)
from modelvault.errors import GenerationConflictError, StoreError

_RANK = {GenerationStatus.PENDING: 0, GenerationStatus.PROCESSING: 1}
_FIXED = frozenset(
    {"id", "model_id", "model_record_id", "created_at", "callback_token_sha256"}
)
UPDATABLE = (
    (frozenset(CONTENT_FIELDS) | frozenset(CALLBACK_FIELDS)) - _FIXED - {"updated_at"}
)
_CREATABLE = (
    frozenset(CONTENT_FIELDS) | frozenset(LEASE_FIELDS) | frozenset(CALLBACK_FIELDS)
)
_HEX = frozenset("0123456789abcdef")


# --- Records and changes ----------------------------------------------------------


def new_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The full row for `create_generation(record)`, validated like
    `check_changes`; raises StoreError."""
    missing = {"id", "model_id", "model_record_id", "inputs", "cost"} - set(record)
    if missing:
        raise StoreError(
            f"a new generation needs {sorted(missing)}: add them to the record"
        )
    unknown = set(record) - _CREATABLE
    if unknown:
        raise StoreError(
            f"unknown generation fields {sorted(unknown)}: a new record may hold "
            f"only {sorted(_CREATABLE - {'created_at', 'updated_at'})}"
        )
    for name in ("id", "model_id", "model_record_id"):
        if not isinstance(record[name], str) or not record[name]:
            raise StoreError(
                f"a generation's {name} must be a non-empty string, "
                f"not {record[name]!r}"
            )
    stamp = now_iso()
    row: dict[str, Any] = dict.fromkeys(FIELDS)
    row.update({"status": GenerationStatus.PENDING, "outputs": []})
    row.update({k: v for k, v in record.items() if k not in LEASE_FIELDS})
    row.update(_checked_values(row, row["id"]))
    row.update({"created_at": stamp, "updated_at": stamp, "version": 1})
    owner: Any = record.get("lease_owner")
    expires: Any = record.get("lease_expires_at")
    if (owner is None) != (expires is None):
        raise StoreError(
            f"generation {row['id']}: give lease_owner and lease_expires_at "
            "together (or neither)"
        )
    if owner is not None:
        check_owner(owner)
        if not _is_number(expires) or not math.isfinite(expires):
            raise StoreError(
                f"generation {row['id']}: lease_expires_at must be epoch seconds "
                f"(a finite number), not {expires!r}"
            )
        if row["status"] not in TERMINAL:  # a finished record holds no lease
            row.update({"lease_owner": owner, "lease_expires_at": float(expires)})
    return row


def check_changes(generation_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """What `update_generation` will write, validated (JSON fields are checked
    when a store encodes or `detach`es them); raises StoreError, never a
    conflict."""
    names = set(changes)
    if names & set(LEASE_FIELDS):
        raise StoreError(
            f"generation {generation_id}: lease fields cannot be written by "
            "update_generation; use claim_generation, renew_lease or release_lease"
        )
    if "version" in names:
        raise StoreError(
            f"generation {generation_id}: the store bumps version itself; pass "
            "expected_version=... to make the write conditional"
        )
    fixed = names & (_FIXED | {"updated_at"})
    if fixed:
        raise StoreError(
            f"generation {generation_id}: {sorted(fixed)} cannot be changed "
            "after creation; create a new generation instead"
        )
    unknown = names - UPDATABLE
    if unknown:
        raise StoreError(
            f"generation {generation_id}: cannot update unknown fields "
            f"{sorted(unknown)}; updatable fields are {sorted(UPDATABLE)}"
        )
    return _checked_values(changes, generation_id)


def _checked_values(values: Mapping[str, Any], generation_id: str) -> dict[str, Any]:
    out = dict(values)
    nulled = sorted(
        n for n in ("inputs", "cost", "status") if n in out and out[n] is None
    )
    if nulled:
        raise StoreError(
            f"generation {generation_id}: {nulled} cannot be None; leave them out "
            "of the write to keep the stored values"
        )
    if "status" in out:
        out["status"] = parse_status(out["status"])
    for name in ("id", "model_id", "model_record_id", "provider_task_id", "cost"):
        value = out.get(name)
        if isinstance(value, str) and not _is_utf8(value):
            raise StoreError(
                f"generation {generation_id!r}: {name} holds a character that "
                "is not valid text (a lone surrogate); pass valid Unicode"
            )
    if "cost" in out:
        if not isinstance(out["cost"], str | int | float) or isinstance(
            out["cost"], bool
        ):
            raise StoreError(
                f"generation {generation_id}: cost must be a decimal string such "
                f"as '0.0030', not {out['cost']!r}"
            )
        out["cost"] = str(out["cost"])
    task_id = out.get("provider_task_id")
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        out["provider_task_id"] = str(task_id)  # keep the id whatever its JSON type
    elif task_id is not None and not isinstance(task_id, str):
        raise StoreError(
            f"generation {generation_id}: provider_task_id must be a string, "
            f"not {task_id!r}"
        )
    if "inputs" in out and not isinstance(out["inputs"], Mapping):
        raise StoreError(
            f"generation {generation_id}: inputs must be a mapping of input "
            f"names to values, not {type(out['inputs']).__name__}"
        )
    if out.get("error") is not None and not isinstance(out["error"], Mapping):
        raise StoreError(
            f"generation {generation_id}: error must be a mapping such as "
            f"{{'message': ...}} or None, not {type(out['error']).__name__}"
        )
    token_hash = out.get("callback_token_sha256")
    if token_hash is not None and not (
        isinstance(token_hash, str)
        and len(token_hash) == 64
        and set(token_hash) <= _HEX
    ):
        raise StoreError(
            f"generation {generation_id}: callback_token_sha256 must be the "
            "lowercase hex sha256 of the callback token (64 characters), never "
            "the token itself"
        )
    if out.get("output_state") is not None:
        out["output_state"] = parse_output_state(out["output_state"], generation_id)
    if out.get("output_copy") is not None and not isinstance(
        out["output_copy"], Mapping
    ):
        raise StoreError(
            f"generation {generation_id}: output_copy must be a mapping such as "
            f"{{'stored': [...], 'error': None, 'attempts': 1}} or None, not "
            f"{type(out['output_copy']).__name__}"
        )
    if "outputs" in out:
        outputs = [] if out["outputs"] is None else out["outputs"]
        if not isinstance(outputs, list | tuple) or not all(
            isinstance(url, str) for url in outputs
        ):
            raise StoreError(
                f"generation {generation_id}: outputs must be a list of URL "
                f"strings, not {out['outputs']!r}"[:300]
            )
        out["outputs"] = list(outputs)
    return out


def parse_output_state(value: Any, generation_id: str) -> OutputState:
    try:
        return OutputState(value)
    except ValueError:
        allowed = [state.value for state in OutputState]
        raise StoreError(
            f"generation {generation_id}: unknown output_state {value!r}: use one "
            f"of {allowed}"
        ) from None


def check_copy_write(
    generation_id: str, output_state: Any, output_copy: Any
) -> dict[str, Any]:
    """The values `record_output_copy` writes, validated."""
    return _checked_values(
        {"output_state": output_state, "output_copy": output_copy}, generation_id
    )


def refuse_copy_write(
    generation_id: str,
    current_status: GenerationStatus,
    current_version: int,
    expected_version: int | None,
) -> GenerationConflictError:
    """The conflict for a copy write on a record that is not completed, or not at
    the expected version."""
    where = (
        f"generation {generation_id} is {current_status.value} "
        f"(version {current_version})"
    )
    if current_status != GenerationStatus.COMPLETED:
        reason = (
            f"{where}: only a completed generation's outputs are copied; the "
            "record is unchanged"
        )
    else:
        reason = (
            f"{where}, not at the expected version {expected_version}: another "
            "copier got there first; the record is unchanged: re-read it"
        )
    return GenerationConflictError(
        reason,
        generation_id=generation_id,
        current_status=current_status,
        current_version=current_version,
    )


def copy_is_claimable(row: Mapping[str, Any], stale_before: str) -> bool:
    """Whether a copier may take this record's output copy: completed, and
    pending, or failed / copying since before `stale_before` (an ISO stamp)."""
    state = row.get("output_state")
    if row["status"] != GenerationStatus.COMPLETED or state not in COPY_CLAIMABLE:
        return False
    return state == OutputState.PENDING or str(row["updated_at"]) < stale_before


def stamp_before(seconds: float) -> str:
    """The ISO stamp `seconds` ago, comparable with updated_at."""
    then = datetime.now(UTC) - timedelta(seconds=max(0.0, float(seconds)))
    return then.isoformat(timespec="microseconds").replace("+00:00", "Z")


def check_copy_claim(limit: Any, stale_after_s: Any) -> None:
    check_claim_filter(limit, None)
    if not _is_number(stale_after_s) or not math.isfinite(stale_after_s):
        raise StoreError(
            f"stale_after_s must be a finite number of seconds, not {stale_after_s!r}"
        )


def detach(values: Mapping[str, Any], generation_id: str) -> dict[str, Any]:
    """A deep copy sharing nothing with the caller, holding only JSON data (what
    every store can keep); raises StoreError for anything else."""
    out = dict(values)
    for name in JSON_FIELDS:
        if name in out:
            out[name] = decode_json(encode_json(out[name], name, generation_id))
    return out


def encode_json(value: Any, name: str, generation_id: str) -> str:
    try:
        return json.dumps(value)  # ASCII: a lone surrogate is kept escaped
    except (TypeError, ValueError, RecursionError) as exc:
        raise StoreError(
            f"generation {generation_id}: {name} cannot be stored as JSON "
            f"({type(exc).__name__}: {str(exc)[:200]}); pass plain dicts, lists, "
            "strings, numbers, booleans and None"
        ) from None


def decode_json(text: str) -> Any:
    return json.loads(text)


# --- The state machine ------------------------------------------------------------


def write_sources(new_status: GenerationStatus | None) -> tuple[GenerationStatus, ...]:
    """The stored statuses from which a write (to `new_status`, or keeping the
    status when None) is allowed: unfinished, and not ahead of the new status."""
    if new_status is None or new_status in TERMINAL:
        return UNFINISHED
    return tuple(s for s in UNFINISHED if _RANK[s] <= _RANK[new_status])


def is_allowed(
    current_status: GenerationStatus,
    current_version: int,
    new_status: GenerationStatus | None,
    expected_version: int | None,
) -> bool:
    return current_status in write_sources(new_status) and (
        expected_version is None or expected_version == current_version
    )


def refuse_update(
    generation_id: str,
    current_status: GenerationStatus,
    current_version: int,
    new_status: GenerationStatus | None,
    expected_version: int | None,
) -> GenerationConflictError:
    """The conflict for a write that `is_allowed` refuses, naming the reason."""
    where = (
        f"generation {generation_id} is {current_status.value} "
        f"(version {current_version})"
    )
    if current_status in TERMINAL:
        reason = (
            f"{where}: finished records are final, so this write was refused and "
            "the record is unchanged; re-read it with get_generation "
            f"(`modelvault status {generation_id}`)"
        )
    elif new_status is not None and current_status not in write_sources(new_status):
        reason = (
            f"{where} and cannot go back to {new_status.value}; the record is "
            f"unchanged: re-read it and continue from {current_status.value}"
        )
    else:
        reason = (
            f"{where}, not at the expected version {expected_version}: another "
            "writer got there first; the record is unchanged: re-read it and "
            "decide again"
        )
    return GenerationConflictError(
        reason,
        generation_id=generation_id,
        current_status=current_status,
        current_version=current_version,
    )


def missing(generation_id: str, where: str) -> StoreError:
    return StoreError(
        f"no generation {generation_id} in {where}: check the id, and that "
        "MODELVAULT_DB (or store=) points at the store it was created in"
    )


def duplicate(generation_id: str, where: str) -> StoreError:
    return StoreError(
        f"generation {generation_id} already exists in {where}: give the new "
        "generation another id (ids are unique per store)"
    )


def check_expected_version(expected_version: int | None) -> None:
    if expected_version is not None and (
        not isinstance(expected_version, int) or isinstance(expected_version, bool)
    ):
        raise StoreError(
            f"expected_version must be an int (a record's version), "
            f"not {expected_version!r}"
        )


# --- Leases -----------------------------------------------------------------------


def lease_is_free(
    lease_owner: str | None, lease_expires_at: float | None, now: float
) -> bool:
    """No lease, or an expired one (a lease is held while now < expires_at)."""
    return lease_owner is None or lease_expires_at is None or lease_expires_at <= now


def may_claim(
    row: Mapping[str, Any], owner: str, now: float, take_over_from: str | None
) -> bool:
    """Whether `owner` may take (or keep) the lease on `row` at time `now`."""
    held_by = row["lease_owner"]
    return row["status"] in UNFINISHED and (
        lease_is_free(held_by, row["lease_expires_at"], now)
        or held_by == owner
        or (take_over_from is not None and held_by == take_over_from)
    )


def check_owner(owner: Any) -> None:
    if not isinstance(owner, str) or not owner or not _is_utf8(owner):
        raise StoreError(
            f"a lease owner must be a non-empty string (e.g. host:pid), not {owner!r}"
        )


def check_lease(owner: Any, ttl_s: Any) -> None:
    check_owner(owner)
    if not _is_number(ttl_s) or not math.isfinite(ttl_s) or ttl_s <= 0:
        raise StoreError(
            f"a lease needs a positive, finite ttl_s in seconds, not {ttl_s!r}"
        )


def check_claim_filter(limit: Any, model_ids: Collection[str] | None) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise StoreError(f"limit must be an int >= 0, not {limit!r}")
    if isinstance(model_ids, str):
        raise StoreError(
            f"model_ids must be a collection of model ids, not the string "
            f"{model_ids!r}: pass [{model_ids!r}]"
        )
    if model_ids is not None and not all(isinstance(m, str) for m in model_ids):
        raise StoreError(f"model_ids must hold strings, not {list(model_ids)!r}")


def checked_claim(
    owner: Any, ttl_s: Any, limit: Any, model_ids: Collection[str] | None
) -> list[str] | None:
    """Check a claim_unfinished request; the model ids it asks for, sorted and
    unique (None: any model)."""
    check_lease(owner, ttl_s)
    check_claim_filter(limit, model_ids)
    return None if model_ids is None else sorted(set(model_ids))


def nothing_to_claim(limit: int, models: list[str] | None) -> bool:
    return limit == 0 or models == []


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
