"""Who polls a generation: lease owners, their lifetime, and telling a dead owner.

Whoever creates or polls a record holds a lease on it (owner, expiry), renewed
while polling, so two processes never poll one generation at once. An owner is
`host/pid/nonce`: a lease whose owner is a process on this host that no longer
exists (killed -9) can be taken over at once instead of after its expiry.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from typing import Any

# A model file answers each exchange within its HTTP timeout (30 s) and waits at
# most its slowest polling interval between two; the lease must outlive both,
# twice over, so a live poller never loses it between two renewals.
HTTP_BUDGET_S = 30.0
MIN_TTL_S = 60.0

_owner: tuple[int, str] | None = None


def process_owner() -> str:
    """This process's lease owner id (a new one after fork)."""
    global _owner  # noqa: PLW0603 - one id per process, made lazily
    pid = os.getpid()
    if _owner is None or _owner[0] != pid:
        _owner = (pid, f"{socket.gethostname()}/{pid}/{secrets.token_hex(4)}")
    return _owner[1]


def owner_is_dead(owner: str | None) -> bool:
    """True only for an owner on this host whose process no longer exists."""
    if not owner:
        return False
    parts = owner.split("/")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return owner != process_owner()  # an earlier incarnation of this pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, as another user
    return False


def lease_ttl_s(config: Mapping[str, Any]) -> float:
    """How long a lease on a generation of this model lasts without renewal."""
    polling = config.get("polling") or {}
    intervals = [float(polling.get("then_every_s", 30))]
    intervals += [float(band["every_s"]) for band in polling.get("bands", ())]
    intervals.append(float(polling.get("first_delay_s", 0)))
    return max(MIN_TTL_S, 2 * (max(intervals) + HTTP_BUDGET_S))


def creation_ttl_s(module: Any) -> float:
    """How long the creator's lease must last: the whole submit, 429 retries
    waiting Retry-After included, so no poller declares a submit still in
    flight lost (and a paid task misreported as failed)."""
    retries = int(getattr(module, "SUBMIT_RATE_LIMIT_RETRIES", 3))
    wait_s = float(getattr(module, "MAX_RETRY_AFTER_S", 60.0))
    budget_s = float(getattr(module, "HTTP_TIMEOUT_S", HTTP_BUDGET_S))
    submit_s = (retries + 1) * budget_s + retries * wait_s
    return max(lease_ttl_s(module.MODEL_CONFIG), 2 * submit_s)
