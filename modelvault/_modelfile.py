"""The model file header: parse, render and hash. Pure; shared by runtime and generator.

A model file starts with a block of `# key: value` comment lines. Everything after the
block's last newline is the body; `body-sha256` is the SHA-256 of those exact bytes, so
flipping a lock (a header-only change) never changes the hash, and any byte of the body
that changes (whitespace and line endings included) does.

Bytes with one meaning: a model file is UTF-8 without a byte order mark and carries
no PEP 263 encoding declaration in its first two lines (the checks hash bytes and
read them as UTF-8; an `# -*- coding: utf-7 -*-` line would make Python decode the
same bytes into other code). The header has one canonical rendering
(`render_header`): its lines in one order, one spacing, and an unlock reason that is
plain text with no escapes, so what a reviewer reads in the diff is what it says.
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass, replace

MAGIC = "# modelvault model file v1"
NONE = "-"
_KEYS = (
    "id",
    "record-id",
    "locked",
    "locked-by",
    "locked-at",
    "unlocked-by",
    "unlocked-at",
    "unlock-reason",
    "body-sha256",
    "generated-by",
)
_GENERATED_BY = re.compile(
    r"^generator (?P<generator>\S+), "
    r"template (?P<template>[a-z][a-z0-9_]*) v(?P<version>\d+)$"
)
_HANDLE = re.compile(r"^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]+)?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MODEL_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")  # = generator.spec's
MAX_MODEL_ID_LENGTH = 64
# An unlock reason: printable ASCII without `"` or `\`, stored between double quotes
# as it is (no escapes: the bytes a reviewer reads are the text).
_REASON_CHARS = re.compile(r"[ !#-\[\]-~]*")
MAX_REASON_LENGTH = 500
# PEP 263 (https://peps.python.org/pep-0263/) and the language reference
# (https://docs.python.org/3/reference/lexical_analysis.html#encoding-declarations):
# a comment on line 1 or 2 matching this names the source encoding.
_ENCODING_DECLARATION = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-_.a-zA-Z0-9]+)")
MAX_HEADER_LINES = 40
MAX_HEADER_LINE_BYTES = 4096


class HeaderError(ValueError):
    """The file has no valid modelvault header; the message says what is wrong."""


class SourceError(ValueError):
    """The file's bytes could mean more than one text; the message says why."""


@dataclass(frozen=True)
class Header:
    model_id: str
    record_id: str
    locked: bool
    body_sha256: str
    generated_by: str
    locked_by: str | None = None
    locked_at: str | None = None
    unlocked_by: str | None = None
    unlocked_at: str | None = None
    unlock_reason: str | None = None

    @property
    def template(self) -> str:
        return self._generated_by_part("template")

    @property
    def template_version(self) -> int:
        return int(self._generated_by_part("version"))

    def _generated_by_part(self, name: str) -> str:
        match = _GENERATED_BY.match(self.generated_by)
        if match is None:  # parse_header refuses such headers; kept for direct use.
            raise HeaderError(f"generated-by {self.generated_by!r} is malformed")
        return match.group(name)

    def locked_by_handle(self, handle: str, at: str, body_sha256: str) -> Header:
        return replace(
            self,
            locked=True,
            locked_by=handle,
            locked_at=at,
            body_sha256=body_sha256,
        )

    def unlocked_by_handle(self, handle: str, at: str, reason: str) -> Header:
        return replace(
            self, locked=False, unlocked_by=handle, unlocked_at=at, unlock_reason=reason
        )


def body_sha256(body: bytes) -> str:
    # hashlib loads OpenSSL (~10 ms): only when something is hashed, so `verify`
    # of a change with no locked file never pays for it.
    import hashlib  # noqa: PLC0415

    return hashlib.sha256(body).hexdigest()


def split_model_file(data: bytes) -> tuple[bytes, bytes]:
    """(header bytes, body bytes). Raises HeaderError when there is no header block."""
    if not data.startswith(MAGIC.encode() + b"\n"):
        raise HeaderError(f"the first line must be {MAGIC!r}")
    end = 0
    for _ in range(MAX_HEADER_LINES + 1):
        if end >= len(data) or not data.startswith(b"#", end):
            return data[:end], data[end:]
        newline = data.find(b"\n", end, end + MAX_HEADER_LINE_BYTES)
        if newline == -1:
            raise HeaderError("a header line is unterminated or too long")
        end = newline + 1
    raise HeaderError(f"the header is longer than {MAX_HEADER_LINES} lines")


def parse_header(header: bytes) -> Header:
    """Parse a header block; HeaderError names the first problem found."""
    try:
        text = header.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HeaderError(f"the header is not UTF-8 ({exc.reason})") from None
    lines = text.split("\n")[1:-1]
    values: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.removeprefix("# ").partition(": ")
        if not line.startswith("# ") or not sep or key not in _KEYS:
            raise HeaderError(f"header line {line!r} is not '# <key>: <value>'")
        if key in values:
            raise HeaderError(f"header key {key!r} appears twice")
        values[key] = value
    missing = [k for k in _KEYS if k not in values]
    if missing:
        raise HeaderError(f"header lacks {', '.join(missing)}")
    header_value = _build(values)
    _validate(header_value)
    return header_value


def _optional(value: str) -> str | None:
    return None if value == NONE else value


def _build(values: dict[str, str]) -> Header:
    if values["locked"] not in ("true", "false"):
        raise HeaderError(f"locked must be true or false, not {values['locked']!r}")
    reason = _optional(values["unlock-reason"])
    if reason is not None:
        reason = _stored_reason(reason)
    return Header(
        model_id=values["id"],
        record_id=values["record-id"],
        locked=values["locked"] == "true",
        body_sha256=values["body-sha256"],
        generated_by=values["generated-by"],
        locked_by=_optional(values["locked-by"]),
        locked_at=_optional(values["locked-at"]),
        unlocked_by=_optional(values["unlocked-by"]),
        unlocked_at=_optional(values["unlocked-at"]),
        unlock_reason=reason,
    )


def _stored_reason(value: str) -> str:
    inner = value[1:-1]
    if (
        len(value) < 3
        or value[0] != '"'
        or value[-1] != '"'
        or not _REASON_CHARS.fullmatch(inner)
        or inner != inner.strip()
    ):
        raise HeaderError(
            "unlock-reason must be plain text between double quotes (printable "
            'ASCII, no " or \\, no escapes): what reviewers read is what it says'
        )
    return inner


def _validate(header: Header) -> None:
    if not _MODEL_ID.match(header.model_id) or (
        len(header.model_id) > MAX_MODEL_ID_LENGTH
    ):
        raise HeaderError(
            f"id {header.model_id!r} is not a model id (lowercase letters, digits "
            "and single dashes, starting with a letter)"
        )
    if not _UUID.match(header.record_id):
        raise HeaderError(f"record-id {header.record_id!r} is not a lowercase UUID")
    if not _SHA256.match(header.body_sha256):
        raise HeaderError("body-sha256 is not 64 lowercase hex digits")
    if not _GENERATED_BY.match(header.generated_by):
        raise HeaderError(
            f"generated-by {header.generated_by!r} is not "
            "'generator <version>, template <name> v<number>'"
        )
    for label, handle in (
        ("locked-by", header.locked_by),
        ("unlocked-by", header.unlocked_by),
    ):
        if handle is not None and not _HANDLE.match(handle):
            raise HeaderError(f"{label} {handle!r} is not a GitHub @handle")
    for label, stamp in (
        ("locked-at", header.locked_at),
        ("unlocked-at", header.unlocked_at),
    ):
        if stamp is not None and not _TIMESTAMP.match(stamp):
            raise HeaderError(f"{label} {stamp!r} is not YYYY-MM-DDTHH:MM:SSZ")
    if header.locked and (header.locked_by is None or header.locked_at is None):
        raise HeaderError("a locked header needs locked-by and locked-at")


def validate_handle(handle: str) -> str:
    if not _HANDLE.match(handle):
        raise ValueError(f"{handle!r} is not a GitHub handle; use @user or @org/team")
    return handle


def validate_reason(reason: str) -> str:
    """The reason as it will be stored: one line of printable ASCII without `"` or
    `\\`, so the header shows reviewers exactly the text (no escapes)."""
    reason = reason.strip()
    if not reason:
        raise ValueError("give a reason (--reason '...'): reviewers need to know why")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValueError(f"the reason is over {MAX_REASON_LENGTH} characters")
    bad = next((c for c in reason if not _REASON_CHARS.fullmatch(c)), None)
    if bad is not None:
        raise ValueError(
            f"the reason holds {bad!r} (U+{ord(bad):04X}); write it as one line of "
            "plain ASCII text without double quotes or backslashes (it is stored "
            "as it is, with no escapes, so reviewers read exactly what it says)"
        )
    return reason


def render_header(header: Header) -> str:
    def show(value: str | None) -> str:
        return NONE if value is None else value

    reason = NONE if header.unlock_reason is None else f'"{header.unlock_reason}"'
    rows = [
        ("id", header.model_id),
        ("record-id", header.record_id),
        ("locked", "true" if header.locked else "false"),
        ("locked-by", show(header.locked_by)),
        ("locked-at", show(header.locked_at)),
        ("unlocked-by", show(header.unlocked_by)),
        ("unlocked-at", show(header.unlocked_at)),
        ("unlock-reason", reason),
        ("body-sha256", header.body_sha256),
        ("generated-by", header.generated_by),
    ]
    return MAGIC + "\n" + "".join(f"# {key}: {value}\n" for key, value in rows)


@functools.lru_cache(maxsize=16384)  # the lock checks ask several times per file
def read_header(data: bytes) -> tuple[Header, bytes]:
    """Parse a whole model file's bytes into (header, body)."""
    header_bytes, body = split_model_file(data)
    return parse_header(header_bytes), body


def header_is_canonical(data: bytes) -> bool:
    """Whether a model file's header bytes are exactly `render_header` of their
    parsed values (line order, spacing, quoting). Raises HeaderError when the file
    has no valid header."""
    header, body = read_header(data)
    return data[: len(data) - len(body)] == render_header(header).encode("utf-8")


def source_problem(data: bytes) -> str | None:
    """Why these bytes could mean another text than their UTF-8 reading (a byte
    order mark, bytes that are not UTF-8, an encoding declaration on line 1 or 2);
    None when they mean one thing."""
    if data.startswith(codecs.BOM_UTF8):
        return "it starts with a UTF-8 byte order mark"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"it is not UTF-8 (byte {exc.start}: {exc.reason})"
    for number, line in enumerate(data.split(b"\n", 2)[:2], start=1):
        found = _ENCODING_DECLARATION.match(line)
        if found is not None:
            name = found.group(1).decode("ascii")
            return (
                f"line {number} is an encoding declaration (coding: {name}, "
                "PEP 263): Python would decode the file as that, not as the "
                "UTF-8 the checks read"
            )
    return None


def decode_source(data: bytes) -> str:
    """The file as the one text it means: checked by `source_problem`, then decoded
    as UTF-8 here (compiling this str ignores any encoding declaration).
    Raises SourceError."""
    problem = source_problem(data)
    if problem is not None:
        raise SourceError(problem)
    return data.decode("utf-8")
