"""`FakeProviders`: all six family fakes at once, and `fake_providers`, a
context manager that starts and stops them (see `modelvault.testing`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from modelvault.testing._fake import FakeProvider
from modelvault.testing._http import Serving
from modelvault.testing._types import DEFAULT_API_KEY, FAMILIES, Family


class FakeProviders(Serving):
    """All six family fakes at once; a context manager.

    `fakes["runware"]` (or `fakes.fake("runware")`) is one `FakeProvider`;
    `fakes.base_url("runware")` its origin, `fakes.base_urls()` every origin.
    `api_key`, `polls`, `adopt_unknown_tasks` and `validate_requests` apply to
    every fake; tune one with `fakes[family].configure(...)`.
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        polls: int = 2,
        adopt_unknown_tasks: bool = False,
        validate_requests: bool = True,
    ) -> None:
        self.api_key = api_key
        self._fakes: dict[Family, FakeProvider] = {
            family: FakeProvider(
                family,
                api_key=api_key,
                polls=polls,
                adopt_unknown_tasks=adopt_unknown_tasks,
                validate_requests=validate_requests,
            )
            for family in FAMILIES
        }

    def start(self) -> FakeProviders:
        try:
            for fake in self._fakes.values():
                fake.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for fake in self._fakes.values():
            fake.stop()

    def __getitem__(self, family: str) -> FakeProvider:
        return self.fake(family)

    def __iter__(self) -> Iterator[FakeProvider]:
        return iter(self._fakes.values())

    def fake(self, family: str) -> FakeProvider:
        """The fake for `family` (a model's MODEL_CONFIG["provider"])."""
        if family not in FAMILIES:
            raise KeyError(f"no fake for provider family {family!r}; have {FAMILIES}")
        return self._fakes[family]

    def base_url(self, family: str) -> str:
        return self.fake(family).base_url

    def base_urls(self) -> dict[str, str]:
        """Every running fake's origin by family."""
        return {family: fake.base_url for family, fake in self._fakes.items()}

    def reset(self) -> None:
        for fake in self._fakes.values():
            fake.reset()


@contextmanager
def fake_providers(
    *,
    api_key: str = DEFAULT_API_KEY,
    polls: int = 2,
    adopt_unknown_tasks: bool = False,
    validate_requests: bool = True,
) -> Iterator[FakeProviders]:
    """Start all six fakes; stop them on exit."""
    with FakeProviders(
        api_key=api_key,
        polls=polls,
        adopt_unknown_tasks=adopt_unknown_tasks,
        validate_requests=validate_requests,
    ) as fakes:
        yield fakes
