"""MemoryStore: records in a dict, guarded by one lock; the rules are
`modelvault._store_logic`'s, so it behaves exactly like the database stores."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from modelvault import _store_logic as logic
from modelvault import _store_model as model
from modelvault._store_model import Generation, GenerationStatus


class MemoryStore:
    """Records in a dict, guarded by a lock. For tests and throwaway runs.

    `clock` gives lease time in epoch seconds (tests pass one they can move)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._rows: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def create_generation(self, record: Mapping[str, Any]) -> None:
        row = logic.new_row(record)
        row = logic.detach(row, row["id"])  # share nothing with the caller
        with self._lock:
            if row["id"] in self._rows:
                raise logic.duplicate(row["id"], "this MemoryStore")
            self._rows[row["id"]] = row

    def update_generation(
        self,
        generation_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> None:
        logic.check_expected_version(expected_version)
        checked = logic.detach(
            logic.check_changes(generation_id, changes), generation_id
        )
        new_status: GenerationStatus | None = checked.get("status")
        with self._lock:
            row = self._rows.get(generation_id)
            if row is None:
                raise logic.missing(generation_id, "this MemoryStore")
            status, version = GenerationStatus(row["status"]), row["version"]
            if not logic.is_allowed(status, version, new_status, expected_version):
                raise logic.refuse_update(
                    generation_id, status, version, new_status, expected_version
                )
            row.update(checked)
            row["version"] = version + 1
            row["updated_at"] = model.now_iso()
            if row["status"] in model.TERMINAL:
                row.update(lease_owner=None, lease_expires_at=None)

    def get_generation(self, generation_id: str) -> Generation | None:
        with self._lock:
            row = self._rows.get(generation_id)
            return None if row is None else _detached(row)

    def unfinished_generations(self) -> list[Generation]:
        with self._lock:
            return [_detached(row) for row in self._oldest_first(model.UNFINISHED)]

    def all_generations(self) -> list[Generation]:
        with self._lock:
            return [
                _detached(row) for row in self._oldest_first(tuple(GenerationStatus))
            ]

    def claim_generation(
        self,
        generation_id: str,
        owner: str,
        ttl_s: float,
        *,
        take_over_from: str | None = None,
    ) -> Generation | None:
        logic.check_lease(owner, ttl_s)
        with self._lock:
            now = self._clock()
            row = self._rows.get(generation_id)
            if row is None or not logic.may_claim(row, owner, now, take_over_from):
                return None
            row.update(lease_owner=owner, lease_expires_at=now + ttl_s)
            return _detached(row)

    def claim_unfinished(
        self,
        owner: str,
        ttl_s: float,
        *,
        limit: int,
        model_ids: Collection[str] | None = None,
    ) -> list[Generation]:
        models = logic.checked_claim(owner, ttl_s, limit, model_ids)
        wanted = None if models is None else frozenset(models)
        claimed: list[Generation] = []
        with self._lock:
            now = self._clock()
            for row in self._oldest_first(model.UNFINISHED):
                if len(claimed) >= limit:
                    break
                if wanted is not None and row["model_id"] not in wanted:
                    continue
                if logic.lease_is_free(
                    row["lease_owner"], row["lease_expires_at"], now
                ):
                    row.update(lease_owner=owner, lease_expires_at=now + ttl_s)
                    claimed.append(_detached(row))
        return claimed

    def renew_lease(self, generation_id: str, owner: str, ttl_s: float) -> bool:
        logic.check_lease(owner, ttl_s)
        with self._lock:
            row = self._rows.get(generation_id)
            if (
                row is None
                or row["lease_owner"] != owner
                or row["status"] not in model.UNFINISHED
            ):
                return False
            row["lease_expires_at"] = self._clock() + ttl_s
            return True

    def release_lease(self, generation_id: str, owner: str) -> None:
        logic.check_owner(owner)
        with self._lock:
            row = self._rows.get(generation_id)
            if row is not None and row["lease_owner"] == owner:
                row.update(lease_owner=None, lease_expires_at=None)

    def record_output_copy(
        self,
        generation_id: str,
        output_state: str,
        output_copy: Mapping[str, Any] | None,
        *,
        expected_version: int | None = None,
    ) -> Generation:
        logic.check_expected_version(expected_version)
        checked = logic.detach(
            logic.check_copy_write(generation_id, output_state, output_copy),
            generation_id,
        )
        with self._lock:
            row = self._rows.get(generation_id)
            if row is None:
                raise logic.missing(generation_id, "this MemoryStore")
            status, version = GenerationStatus(row["status"]), row["version"]
            if status != GenerationStatus.COMPLETED or (
                expected_version is not None and expected_version != version
            ):
                raise logic.refuse_copy_write(
                    generation_id, status, version, expected_version
                )
            row.update(checked)
            row["version"] = version + 1
            row["updated_at"] = model.now_iso()
            return _detached(row)

    def claim_output_copies(
        self, *, limit: int, stale_after_s: float
    ) -> list[Generation]:
        logic.check_copy_claim(limit, stale_after_s)
        stale_before = logic.stamp_before(stale_after_s)
        claimed: list[Generation] = []
        with self._lock:
            rows = sorted(self._rows.values(), key=lambda row: str(row["updated_at"]))
            for row in rows:
                if len(claimed) >= limit:
                    break
                if logic.copy_is_claimable(row, stale_before):
                    row["output_state"] = model.OutputState.COPYING
                    row["version"] += 1
                    row["updated_at"] = model.now_iso()
                    claimed.append(_detached(row))
        return claimed

    def _oldest_first(
        self, statuses: tuple[GenerationStatus, ...]
    ) -> list[dict[str, Any]]:
        rows = [row for row in self._rows.values() if row["status"] in statuses]
        return sorted(rows, key=lambda row: str(row["created_at"]))  # stable: ties
        # keep insertion order, as SQLite's rowid does


def _detached(row: Mapping[str, Any]) -> Generation:
    """A record sharing no objects with the store, as a database's reads are."""
    return model.to_generation(logic.detach(row, row["id"]))
