"""`RefusalError`: how each check of a delivery says no (an HTTP status and a reason
that holds no secret)."""

from __future__ import annotations


class RefusalError(Exception):
    """A delivery refused before any record changed: `status` is the answer's
    HTTP status, the message its reason (never a secret or a token)."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{status}: {reason}")
