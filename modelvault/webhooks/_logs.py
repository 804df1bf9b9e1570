"""Keeping the callback token out of server logs.

The token rides in the callback URL's query string, and uvicorn's access log
prints the path with its query string. `redact_access_log()` puts a filter on
the `uvicorn.access` logger that replaces every `token=` value (and any other
name in SECRET_PARAMS) with `[REDACTED]`.
"""

from __future__ import annotations

import logging
import re

SECRET_PARAMS = ("token",)
_PATTERN = re.compile(
    r"(?P<name>(?:^|[?&;])(?:" + "|".join(SECRET_PARAMS) + r")=)[^&;#\s\"]*"
)


def redact_query(text: str) -> str:
    """`text` with every secret query value replaced by [REDACTED]."""
    return _PATTERN.sub(r"\g<name>[REDACTED]", text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message arguments (and message) without secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_query(a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        return True


def redact_access_log(logger_name: str = "uvicorn.access") -> None:
    """Filter that logger's records through RedactTokens (once)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
