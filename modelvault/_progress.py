"""The live status line of `modelvault run` and `resume`, on stderr.

On a terminal: one line, rewritten in place (carriage return, then erase to the
end of the line), never wider than the terminal so it cannot wrap and pile up,
ticking every second between polls, and erased before anything else is printed.
Anywhere else (a pipe, a file, TERM=dumb): one plain line per change of state.

Hand-written rather than `rich`: this is one line of text, and the runtime's
promise is that an application installs httpx, pydantic and click, nothing more.
`status_line` is pure; `StatusLine` does the writing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TextIO

ERASE = "\r\x1b[K"  # back to column 0, erase to the end of the line


def _seconds(value: float) -> str:
    value = max(value, 0.0)
    if value < 60:
        return f"{value:.0f}s"
    minutes, seconds = divmod(int(value), 60)
    return f"{minutes}m{seconds:02d}s"


def status_line(
    label: str, state: str, elapsed: float, next_in: float, width: int
) -> str:
    """The longest variant that fits in `width` - 1 columns (the last column is
    left free: some terminals wrap when it is written)."""
    room = max(width - 1, 1)
    checking = "checking now" if next_in < 0.5 else f"next check in {_seconds(next_in)}"
    variants = [
        f"{label}: {state} · {_seconds(elapsed)} elapsed · {checking} · Ctrl-C stops",
        f"{label}: {state} · {_seconds(elapsed)} elapsed · {checking}",
        f"{state} · {_seconds(elapsed)} · next {_seconds(next_in)}",
        f"{state} {_seconds(elapsed)}",
    ]
    for text in variants:
        if len(text) <= room:
            return text
    return variants[-1][:room]


def plain_line(label: str, state: str, elapsed: float, next_in: float) -> str:
    """One line of the log written when stderr is not a terminal."""
    return f"{label}: {state} · {_seconds(elapsed)} elapsed · next check in " + (
        _seconds(next_in)
    )


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except ValueError:  # closed
        return False


def _width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError):
        return 80


class StatusLine:
    """What the user sees while a generation is polled."""

    def __init__(
        self, stream: TextIO, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.live = _is_terminal(stream)
        self.label = ""
        self._clock = clock
        self._state = ""
        self._elapsed = 0.0
        self._next_in = 0.0
        self._at = 0.0
        self._shown = False

    def update(self, label: str, state: str, elapsed: float, next_in: float) -> None:
        """A new report from the poller (before it waits `next_in` seconds)."""
        changed = (label, state) != (self.label, self._state)
        self.label, self._state = label, state
        self._elapsed, self._next_in, self._at = elapsed, next_in, self._clock()
        if self.live:
            self._draw()
        elif changed:
            self.stream.write(plain_line(label, state, elapsed, next_in))
            self.stream.write("\n")
            self.stream.flush()

    def tick(self) -> None:
        """Redraw with the time that passed since the last report."""
        if self.live and self._state:
            self._draw()

    def _draw(self) -> None:
        passed = self._clock() - self._at
        text = status_line(
            self.label,
            self._state,
            self._elapsed + passed,
            self._next_in - passed,
            _width(self.stream),
        )
        self.stream.write(ERASE + text)
        self.stream.flush()
        self._shown = True

    def clear(self, *, always: bool = False) -> None:
        """Erase the line, so what is printed next starts on a clean line
        (`always`: even if nothing was drawn, e.g. the terminal's echoed ^C)."""
        if self.live and (self._shown or always):
            self.stream.write(ERASE)
            self.stream.flush()
            self._shown = False

    def sleeper(
        self, sleep: Callable[[float], None], step: float = 1.0
    ) -> Callable[[float], None]:
        """`sleep`, cut into steps that redraw the line (the countdown moves)."""

        def ticking(seconds: float) -> None:
            if not self.live:
                sleep(seconds)
                return
            left = seconds
            while left > 0:
                chunk = min(step, left)
                sleep(chunk)
                left -= chunk
                self.tick()

        return ticking
