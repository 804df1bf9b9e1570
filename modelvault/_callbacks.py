"""Provider callbacks: the URL a generation is called back on, its token, and
applying a callback body to the record.

The URL is `{base}/{provider}/{generation_id}?token={token}`: the token is
random per generation and only its sha256 is stored (callback_token_sha256), so
a leaked database does not let anyone finish a generation. Runware and kie.ai
document no signature, so the token is what authenticates their callbacks;
Replicate and fal.ai deliveries are signed as well (modelvault.webhooks checks
both). The body is parsed by the record's own model file (`callback_changes`,
the same parser as its poll answers) and written as a compare-and-set, so a
duplicate or late callback changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from modelvault._api import get
from modelvault._redact import redact_token
from modelvault.errors import GenerationConflictError, ModelVaultError
from modelvault.store import Generation, GenerationStore, OutputState

CALLBACKS_FROM = 4  # the first template version whose model files take callbacks
_WRITE_ATTEMPTS = 3  # a poller's transient write may slip in between


class CallbackConfigError(ModelVaultError, ValueError):
    """A callback base URL that providers could not call."""


class CallbackRefusedError(ModelVaultError):
    """A callback this generation cannot take (another task's, an unreadable
    body, or a model file without callbacks); nothing was changed.
    `retry_later` is True when the record is not ready for it yet."""

    def __init__(self, message: str, *, retry_later: bool = False) -> None:
        super().__init__(message)
        self.retry_later = retry_later


@dataclass(frozen=True)
class CallbackResult:
    """What a callback did: `finished` the record, left it `unchanged` (it was
    already finished: a duplicate or late delivery), or `not_final` (the task
    still runs, or the result must be fetched by the fallback poll)."""

    kind: Literal["finished", "unchanged", "not_final"]
    generation: Generation


def supports_callbacks(module: Any) -> bool:
    return int(getattr(module, "TEMPLATE_VERSION", 1)) >= CALLBACKS_FROM


def check_base(base: str) -> str:
    """The receiver's public base URL, checked; raises CallbackConfigError."""
    try:
        parts = urlsplit(base)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
    ):
        raise CallbackConfigError(
            f"callback base {base!r} is not an http(s) URL without query or "
            "fragment: give the public URL the webhook receiver is mounted at, "
            "e.g. https://app.example.com/modelvault/webhooks"
        )
    return base.rstrip("/")


def new_callback(base: str, provider: str, generation_id: str) -> tuple[str, str]:
    """(callback URL for this generation, sha256 hex of its token)."""
    token = secrets.token_urlsafe(32)
    url = (
        f"{check_base(base)}/{quote(provider, safe='')}/"
        f"{quote(generation_id, safe='')}?token={token}"
    )
    return url, token_sha256(token)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str | None, stored_sha256: str | None) -> bool:
    """Whether `token` is the one whose hash the record keeps (constant time)."""
    if not token or not stored_sha256:
        return False
    return hmac.compare_digest(token_sha256(token), stored_sha256)


def apply_callback(
    store: GenerationStore,
    generation: Generation,
    body: Any,
    *,
    copy_outputs: bool = True,
) -> CallbackResult:
    """Finish `generation` from a provider's callback body, through the state
    machine. `copy_outputs` marks a completed record's outputs for the durable
    copy (output_state pending). Raises CallbackRefusedError (nothing changed)."""
    record = generation
    for _ in range(_WRITE_ATTEMPTS):
        if record.finished:
            return CallbackResult("unchanged", record)
        changes = _changes_for(record, body)
        if changes is None:
            return CallbackResult("not_final", record)
        if copy_outputs and changes.get("status") == "completed" and changes["outputs"]:
            changes["output_state"] = OutputState.PENDING.value
        try:
            store.update_generation(record.id, changes, expected_version=record.version)
        except GenerationConflictError:
            again = store.get_generation(record.id)
            if again is None:  # pragma: no cover - records are never deleted
                raise
            record = again
            continue
        written = store.get_generation(record.id)
        return CallbackResult("finished", written or record)
    raise CallbackRefusedError(
        f"generation {record.id} kept changing while this callback was applied; "
        "nothing was changed: the provider's retry (or the fallback poll) will "
        "finish it",
        retry_later=True,
    )


def _changes_for(record: Generation, body: Any) -> dict[str, Any] | None:
    module = get(record.model_id)
    if not supports_callbacks(module):
        raise CallbackRefusedError(
            f"the model file of {record.model_id} predates callbacks (template "
            f"v{getattr(module, 'TEMPLATE_VERSION', 1)}); nothing was changed: "
            "the generation is finished by polling (`modelvault resume "
            f"{record.id}`)"
        )
    if record.provider_task_id is None:
        raise CallbackRefusedError(
            f"generation {record.id} has no provider task id recorded yet; "
            "nothing was changed: deliver it again in a moment",
            retry_later=True,
        )
    try:
        changes = module.callback_changes(body, record.provider_task_id)
    except module.CallbackError as exc:
        raise CallbackRefusedError(f"generation {record.id}: {exc}") from None
    if changes is None:
        return None
    # Providers may echo the callback URL (kie.ai's `param`): keep its token out.
    return dict(redact_token(changes, record.callback_token_sha256))
