"""Typed errors of the modelvault runtime; each message says what to do next."""

from __future__ import annotations


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
    def __init__(self, model_id: str, env_name: str) -> None:
        self.env_name = env_name
        super().__init__(
            f"{model_id} needs an API key: set {env_name} (or pass api_key=...); "
            "to try it without a key, run with --fake"
        )


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
    ) -> None:
        self.kind = kind
        self.generation_id = generation_id
        self.status_code = status_code
        self.provider_message = provider_message
        self.task_id = task_id
        super().__init__(message)


class GenerationTimeoutError(ModelVaultError, TimeoutError):
    """Polling gave up; the record keeps the task id and `resume` continues it."""

    def __init__(self, message: str, *, generation_id: str, task_id: str) -> None:
        self.generation_id = generation_id
        self.task_id = task_id
        super().__init__(f"{message}; continue with `modelvault resume`")


class GenerationNotFoundError(ModelVaultError, LookupError):
    def __init__(self, generation_id: str, where: str) -> None:
        self.generation_id = generation_id
        super().__init__(f"no generation {generation_id!r} in {where}")
