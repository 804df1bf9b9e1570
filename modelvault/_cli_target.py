"""Where a CLI run goes: the real provider, or (`--fake`) the bundled loopback
fakes with waits fast-forwarded; and a store that remembers which generation
this process created, so Ctrl-C can name it."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from modelvault.errors import ModelVaultError
from modelvault.store import GenerationStore

# Against the bundled fakes, waiting is simulated this many times faster
# (MODELVAULT_FAKE_SPEEDUP=1: in real time, to watch the status line).
FAKE_SPEEDUP = 100.0
SPEEDUP_ENV = "MODELVAULT_FAKE_SPEEDUP"


class SpeedupError(ModelVaultError):
    pass


def fake_speedup() -> float:
    raw = os.environ.get(SPEEDUP_ENV, "").strip()
    if not raw:
        return FAKE_SPEEDUP
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 1 <= value <= 1_000_000:
        raise SpeedupError(
            f"{SPEEDUP_ENV}={raw!r} is not a number from 1 to 1000000: set it to how "
            f"many times faster the fakes' waits pass (1 = real time), or unset it "
            f"for {FAKE_SPEEDUP:g}"
        )
    return value


class FastForward:
    """A clock whose waits pass `speedup` times faster than they claim."""

    def __init__(self, speedup: float = FAKE_SPEEDUP) -> None:
        self.speedup = speedup
        self.skipped = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.speedup)
        self.skipped += seconds - seconds / self.speedup


@dataclass
class Target:
    """Keyword arguments for run/resume (empty for the real providers)."""

    monotonic: Callable[[], float]
    sleep: Callable[[float], None]
    api_key: str | None = None
    base_urls: Mapping[str, str] | None = None

    def base_url(self, family: str) -> str | None:
        return None if self.base_urls is None else self.base_urls.get(family)


@contextlib.contextmanager
def provider_target(fake: bool) -> Iterator[Target]:
    if not fake:
        yield Target(monotonic=time.monotonic, sleep=time.sleep)
        return
    from modelvault.testing import FakeProviders  # noqa: PLC0415 - only with --fake

    clock = FastForward(fake_speedup())
    # A fake in this process never saw tasks an earlier process submitted:
    # adopting unknown task ids lets `resume --fake` follow them up.
    with FakeProviders(adopt_unknown_tasks=True) as fakes:
        for provider in fakes:  # outputs the run can really download and copy
            provider.configure(serve_outputs=True)
        yield Target(
            monotonic=clock.monotonic,
            sleep=clock.sleep,
            api_key=fakes.api_key,
            base_urls=fakes.base_urls(),
        )


class Recording:
    """A store that notes the id of the generation created through it."""

    def __init__(self, store: GenerationStore) -> None:
        self.store = store
        self.created: str | None = None

    def create_generation(self, record: Mapping[str, Any]) -> None:
        self.store.create_generation(record)
        self.created = str(record["id"])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)
