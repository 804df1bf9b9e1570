"""The fakes' callback and output-file knobs (`FakeProvider.configure`), kept
apart from the polling knobs in `_types.Config`.

Defaults are test-sized: a task with a callback completes 50 ms after its
submit, a refused delivery is retried 3 times 50 ms apart (doubling). The
providers' own schedules are much longer (fal: 10 retries over 2 hours;
Standard Webhooks senders such as Replicate's: minutes to hours); see
`_deliveries`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TypedDict

# Replicate's signing secrets are Standard Webhooks secrets: "whsec_" + base64 of
# the key bytes (replicate.com/docs/topics/webhooks/verify-webhook). A fixed
# default so a receiver under test can be configured before the fake starts.
DEFAULT_WEBHOOK_SECRET = "whsec_" + base64.b64encode(
    b"modelvault-fake-replicate-hmac-k"
).decode("ascii")
DEFAULT_FAL_USER_ID = "fake-fal-user"
# kie.ai's Veo callback codes (docs.kie.ai/veo3-api/generate-veo-3-video-callbacks).
VEO_CALLBACK_CODES = (400, 422, 500, 501)
# kie.ai's 4o Image failure callback codes
# (docs.kie.ai/4o-image-api/generate-4-o-image-callbacks).
KIE4O_CALLBACK_CODES = (400, 451, 500)


def secret_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret ("whsec_" + base64)."""
    if not secret.startswith("whsec_"):
        raise ValueError("webhook_secret must start with 'whsec_' (Standard Webhooks)")
    text = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(
            "webhook_secret: the part after 'whsec_' is not base64"
        ) from exc
    if not key:
        raise ValueError("webhook_secret holds no key bytes after 'whsec_'")
    return key


class CallbackKnobArgs(TypedDict, total=False):
    """The callback knobs as keyword arguments (`FakeProvider(...)`, `configure`)."""

    callback_delay_s: float
    callback_retries: int
    callback_retry_delay_s: float
    callback_timeout_s: float
    webhook_secret: str
    fal_user_id: str
    fal_payload_error: bool
    kie_webhook_hmac_key: str | None
    veo_callback_fail_code: int
    kie4o_callback_fail_code: int
    serve_outputs: bool
    output_size: int
    output_break_after: int | None


@dataclass
class CallbackKnobs:
    """Callback delivery and output-file knobs of one fake (see `FakeProvider`)."""

    callback_delay_s: float = 0.05
    callback_retries: int = 3
    callback_retry_delay_s: float = 0.05
    callback_timeout_s: float = 15.0
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    fal_user_id: str = DEFAULT_FAL_USER_ID
    fal_payload_error: bool = False
    kie_webhook_hmac_key: str | None = None
    veo_callback_fail_code: int = 501
    kie4o_callback_fail_code: int = 500
    serve_outputs: bool = False
    output_size: int = 2048
    output_break_after: int | None = None

    def update(
        self,
        *,
        callback_delay_s: float | None = None,
        callback_retries: int | None = None,
        callback_retry_delay_s: float | None = None,
        callback_timeout_s: float | None = None,
        webhook_secret: str | None = None,
        fal_user_id: str | None = None,
        fal_payload_error: bool | None = None,
        kie_webhook_hmac_key: str | None = None,
        veo_callback_fail_code: int | None = None,
        kie4o_callback_fail_code: int | None = None,
        serve_outputs: bool | None = None,
        output_size: int | None = None,
        output_break_after: int | None = None,
    ) -> None:
        """Check every given knob first, then apply them (None keeps a knob;
        `kie_webhook_hmac_key=""` and `output_break_after=-1` switch those off)."""
        for name, value in (
            ("callback_delay_s", callback_delay_s),
            ("callback_retry_delay_s", callback_retry_delay_s),
        ):
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0")
        if callback_timeout_s is not None and callback_timeout_s <= 0:
            raise ValueError("callback_timeout_s must be > 0")
        if callback_retries is not None and callback_retries < 0:
            raise ValueError("callback_retries must be >= 0")
        if webhook_secret is not None:
            secret_key(webhook_secret)
        if fal_user_id is not None and not fal_user_id:
            raise ValueError("fal_user_id must not be empty")
        if veo_callback_fail_code not in (None, *VEO_CALLBACK_CODES):
            raise ValueError(
                f"veo_callback_fail_code must be one of {VEO_CALLBACK_CODES}"
            )
        if kie4o_callback_fail_code not in (None, *KIE4O_CALLBACK_CODES):
            raise ValueError(
                f"kie4o_callback_fail_code must be one of {KIE4O_CALLBACK_CODES}"
            )
        if output_size is not None and output_size < 0:
            raise ValueError("output_size must be >= 0")
        if output_break_after is not None and output_break_after < -1:
            raise ValueError("output_break_after must be >= 0 (or -1: off)")
        values: dict[str, object] = {
            "callback_delay_s": callback_delay_s,
            "callback_retries": callback_retries,
            "callback_retry_delay_s": callback_retry_delay_s,
            "callback_timeout_s": callback_timeout_s,
            "webhook_secret": webhook_secret,
            "fal_user_id": fal_user_id,
            "fal_payload_error": fal_payload_error,
            "veo_callback_fail_code": veo_callback_fail_code,
            "kie4o_callback_fail_code": kie4o_callback_fail_code,
            "serve_outputs": serve_outputs,
            "output_size": output_size,
        }
        for name, given in values.items():
            if given is not None:
                setattr(self, name, given)
        if kie_webhook_hmac_key is not None:
            self.kie_webhook_hmac_key = kie_webhook_hmac_key or None
        if output_break_after is not None:
            self.output_break_after = (
                None if output_break_after < 0 else output_break_after
            )
