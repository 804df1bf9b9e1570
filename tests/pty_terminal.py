"""A command under a real pseudo-terminal of a given size, and what a person
would see on that screen: carriage returns, erase-to-end-of-line and the
terminal's own line wrapping applied, as a terminal does."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

_CSI = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])")


def screen_lines(raw: str, columns: int) -> list[str]:
    """The lines a `columns`-wide terminal shows for `raw` (CR, LF, backspace,
    ESC[K and automatic wrapping at the right margin; other escapes ignored)."""
    lines: list[list[str]] = [[]]
    row, col = 0, 0
    pending_wrap = False
    i = 0
    while i < len(raw):
        match = _CSI.match(raw, i)
        if match:
            if match.group(2) == "K":  # erase to the end of the line
                del lines[row][col:]
            i = match.end()
            continue
        ch = raw[i]
        i += 1
        if ch == "\r":
            col, pending_wrap = 0, False
        elif ch == "\n":
            row, col, pending_wrap = row + 1, 0, False
            while len(lines) <= row:
                lines.append([])
        elif ch == "\b":
            col = max(col - 1, 0)
        elif ch >= " ":
            if pending_wrap:
                row, col, pending_wrap = row + 1, 0, False
                while len(lines) <= row:
                    lines.append([])
            line = lines[row]
            while len(line) < col:
                line.append(" ")
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            if col == columns - 1:
                pending_wrap = True
            else:
                col += 1
    return ["".join(line).rstrip() for line in lines]


@dataclass
class Session:
    process: subprocess.Popen[bytes]
    master: int
    columns: int
    output: bytearray = field(default_factory=bytearray)

    def read_until(self, done: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while not done(self.text) and time.monotonic() < deadline:
            self._read(0.05)
        return self.text

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._read(0.05) and self.process.poll() is not None:
                break
        code = self.process.wait(timeout=max(deadline - time.monotonic(), 1))
        os.close(self.master)
        return code

    def interrupt(self) -> None:
        """Type Ctrl-C: the terminal sends SIGINT to its foreground process group
        (and echoes ^C)."""
        os.write(self.master, b"\x03")

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def screen(self) -> list[str]:
        return screen_lines(self.text, self.columns)

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return False
        self.output += chunk
        return bool(chunk)


def _take_terminal() -> None:
    """In the child, after setsid: make the pseudo-terminal its controlling
    terminal, so Ctrl-C typed on it reaches the child as SIGINT."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def spawn(
    argv: Sequence[str],
    *,
    columns: int,
    env: dict[str, str],
    cwd: str | None = None,
    rows: int = 40,
) -> Session:
    """Start argv with stdin, stdout and stderr on a new pseudo-terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    process = subprocess.Popen(
        list(argv),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "TERM": "xterm", "COLUMNS": str(columns)},
        cwd=cwd,
        close_fds=True,
        start_new_session=True,
        preexec_fn=_take_terminal,  # noqa: PLW1509 - a test helper, no threads
    )
    os.close(slave)
    return Session(process, master, columns)
