"""Typed errors of the modelvault runtime; each message says what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelvault.store import GenerationStatus


class ModelVaultError(Exception):
    """Base class of every runtime error."""


class UnknownModelError(ModelVaultError, LookupError):
    def __init__(self, ref: str, closest: list[str]) -> None:
        self.ref = ref
        self.closest = closest
        hint = f"; did you mean {', '.join(closest)}?" if closest else ""
        super().__init__(
            f"no model {ref!r} in the catalog{hint} (run `modelvault list` to see all)"
        )


class CatalogError(ModelVaultError):
    """The registry or a model file is missing, unreadable or does not match."""


class InvalidInputsError(ModelVaultError, ValueError):
    """The inputs were refused; `errors` maps every bad field to what is wrong."""

    def __init__(self, model_id: str, errors: dict[str, str]) -> None:
        self.model_id = model_id
        self.errors = errors
        details = "; ".join(f"{name}: {problem}" for name, problem in errors.items())
        super().__init__(
            f"invalid inputs for {model_id}: {details} "
            f"(see `modelvault show {model_id}` for the inputs)"
        )


class MissingApiKeyError(ModelVaultError):
    """No API key for the model's provider (or one that cannot be sent)."""

    def __init__(self, model_id: str, env_name: str) -> None:
        self.model_id = model_id
        self.env_name = env_name
        super().__init__(
            f"{model_id} needs an API key: set {env_name} or pass api_key=...; "
            "to try it without a key, use the bundled fakes (`modelvault run "
            f"{model_id} --fake`, or modelvault.testing.fake_providers() in Python)"
        )


class InvalidApiKeyError(MissingApiKeyError):
    """The key holds characters no provider key has; nothing was sent."""

    def __init__(self, model_id: str, env_name: str, problem: str) -> None:
        ModelVaultError.__init__(
            self,
            f"the API key for {model_id} ({env_name}) contains {problem}, so it "
            f"cannot be sent; nothing was sent. Copy the key into {env_name} "
            "again, without spaces or line breaks",
        )
        self.model_id = model_id
        self.env_name = env_name
        self.problem = problem


class ProviderError(ModelVaultError):
    """The provider refused the request or the task failed. Never holds a secret."""

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        generation_id: str | None,
        status_code: int | None = None,
        provider_message: str | None = None,
        task_id: str | None = None,
        resumable: bool = False,
    ) -> None:
        self.kind = kind
        self.generation_id = generation_id
        self.status_code = status_code
        self.provider_message = provider_message
        self.task_id = task_id
        # True: the generation is still running at the provider and its record
        # is unfinished; `resume` continues it. False: the record is final.
        self.resumable = resumable
        super().__init__(message)


class GenerationTimeoutError(ModelVaultError, TimeoutError):
    """Polling gave up; the record keeps the task id and `resume` continues it."""

    def __init__(self, message: str, *, generation_id: str, task_id: str) -> None:
        self.generation_id = generation_id
        self.task_id = task_id
        super().__init__(message)  # the caller names the exact resume command


class GenerationNotFoundError(ModelVaultError, LookupError):
    def __init__(self, generation_id: str, where: str) -> None:
        self.generation_id = generation_id
        super().__init__(f"no generation {generation_id!r} in {where}")


class StoreError(ModelVaultError):
    """A generation record could not be written or read; the message says what
    was wrong and what to do next."""


class GenerationConflictError(StoreError):
    """A compare-and-set write lost: the stored record is final, ahead of the
    writer, or at another version than the writer expected. The stored record is
    unchanged; re-read it with `get_generation` before deciding again."""

    def __init__(
        self,
        message: str,
        *,
        generation_id: str,
        current_status: GenerationStatus,
        current_version: int,
    ) -> None:
        self.generation_id = generation_id
        self.current_status = current_status
        self.current_version = current_version
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:  # keyword-only fields survive pickling
        return (
            _rebuild_conflict,
            (str(self), self.generation_id, self.current_status, self.current_version),
        )


def _rebuild_conflict(
    message: str,
    generation_id: str,
    current_status: GenerationStatus,
    current_version: int,
) -> GenerationConflictError:
    return GenerationConflictError(
        message,
        generation_id=generation_id,
        current_status=current_status,
        current_version=current_version,
    )


class StoreSchemaError(StoreError):
    """The database's schema is newer than this modelvault, or not one it knows."""


class RecordNotSavedError(ModelVaultError):
    """The provider accepted a task but its id could not be stored: the one
    place it lives now is this error. The message says how to recover."""

    def __init__(self, message: str, *, generation_id: str, task_id: str) -> None:
        self.generation_id = generation_id
        self.task_id = task_id
        super().__init__(
            f"{message}. Once the store is writable again, record it with "
            f"`modelvault resume {generation_id} --task-id {task_id}`, which "
            "polls the task without submitting again"
        )


class LeaseLostError(ModelVaultError):
    """Another poller took this generation over; this one stopped polling it."""

    def __init__(self, generation_id: str) -> None:
        self.generation_id = generation_id
        super().__init__(
            f"generation {generation_id} is now polled by another process; this "
            "one stopped (nothing is lost: `modelvault status` shows its progress)"
        )


class OutputCopyError(ModelVaultError):
    """A generation's output could not be copied to the output store; nothing was
    kept at its key. `url` is the output's URL as it may be shown (scheme, host
    and path: no credentials, no query string), `reason` a short kind
    ("refused_address", "scheme", "too_large", "broken", "timeout", "connect",
    "tls", "dns", "http_status", "redirects", "bad_url", "store"), `retryable` whether
    the same copy may succeed later (a broken download) or never will (a refused
    address, a file over the cap, an expired URL)."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        reason: str,
        retryable: bool,
        status_code: int | None = None,
    ) -> None:
        self.url = url
        self.reason = reason
        self.retryable = retryable
        self.status_code = status_code
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:  # keyword-only fields survive pickling
        return (
            _rebuild_output_copy,
            (str(self), self.url, self.reason, self.retryable, self.status_code),
        )


def _rebuild_output_copy(
    message: str, url: str, reason: str, retryable: bool, status_code: int | None
) -> OutputCopyError:
    return OutputCopyError(
        message, url=url, reason=reason, retryable=retryable, status_code=status_code
    )


class OutputStoreConfigError(ModelVaultError, ValueError):
    """An output store location (MODELVAULT_OUTPUTS, an argument) is not one
    modelvault can use, or its extra is not installed; the message says the fix."""
