"""Provider webhooks: an ASGI receiver that finishes generations when the
provider calls back, so polling becomes a slow fallback.

    from starlette.applications import Starlette
    from starlette.routing import Mount
    import modelvault
    from modelvault.webhooks import create_app

    store = modelvault.open_store()
    secret = os.environ.get("REPLICATE_WEBHOOK_SECRET")
    hooks = create_app(store, replicate_secret=secret)
    app = Starlette(routes=[Mount("/hooks", app=hooks), ...])   # your own app

or stand-alone: `modelvault webhooks serve --host 0.0.0.0 --port 8080`. Give the
runtime the receiver's public base URL (e.g. https://example.com/hooks); the
callback URL of each generation is `{base}/{provider}/{generation_id}?token=...`,
where provider is replicate, fal_queue, runware, kie_jobs, kie_veo or kie_4o.

What is checked, in order, before anything is read (each refusal leaves every
record as it was): body size (413), provider (404), the provider's signature
where one is documented (Replicate: Standard Webhooks HMAC with the account's
`whsec_` secret; fal: ED25519 with keys from fal's JWKS; kie.ai's opt-in
`webhookHmacKey` HMAC when `kie_hmac_key` is given; 401 when missing, forged or
more than 5 minutes off), the generation (404, also when it belongs
to another provider), the per-generation `?token=` (401), JSON (400). Then the
record is finished through the store's state machine: 200 (finished, or a
duplicate that changes nothing), 202 (not final yet), 409 (the body is about
another task). `on_finished(generation)` runs after the answer is sent.

The token is in the URL's query string: keep it out of access logs with
`redact_access_log()` (the CLI does) or your server's own setting.

Needs the `webhooks` extra: pip install 'modelvault[webhooks]'.
"""

from __future__ import annotations

try:
    import cryptography  # noqa: F401
    import standardwebhooks  # noqa: F401
    import starlette  # noqa: F401
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ImportError(
        f"modelvault.webhooks needs the webhooks extra ({exc.name} is not "
        "installed): pip install 'modelvault[webhooks]'",
        name=exc.name,
    ) from None

from modelvault.webhooks._app import (
    DEFAULT_MAX_BODY_BYTES,
    PROVIDERS,
    create_app,
)
from modelvault.webhooks._fal import FAL_JWKS_URLS, JWKS_URL_ENV
from modelvault.webhooks._kie import SECRET_ENV as KIE_SECRET_ENV
from modelvault.webhooks._logs import redact_access_log, redact_query
from modelvault.webhooks._replicate import SECRET_ENV as REPLICATE_SECRET_ENV

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "FAL_JWKS_URLS",
    "JWKS_URL_ENV",
    "KIE_SECRET_ENV",
    "PROVIDERS",
    "REPLICATE_SECRET_ENV",
    "create_app",
    "redact_access_log",
    "redact_query",
]
