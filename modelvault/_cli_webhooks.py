"""`modelvault webhooks serve`: the webhook receiver as a stand-alone server
(uvicorn). Registered on the main group by modelvault.cli."""

from __future__ import annotations

import copy
import os
from typing import Any

import click

from modelvault._cli_fleet import db_option
from modelvault._durable import copier, outputs_from
from modelvault._store_open import open_store, redact_dsn
from modelvault.errors import ModelVaultError

EXTRA_HINT = "pip install 'modelvault[webhooks]'"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


@click.group(name="webhooks")
def webhooks() -> None:
    """Receive provider callbacks that finish generations (no polling needed)."""


@webhooks.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to bind.",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(1),
    default=1024 * 1024,
    show_default=True,
    help="Larger deliveries are refused (413) unread.",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS),
    default="info",
    show_default=True,
)
@click.option(
    "--outputs",
    "outputs_spec",
    metavar="FOLDER|s3://BUCKET/PREFIX",
    help="Copy the outputs of generations a callback completes here (default: "
    "$MODELVAULT_OUTPUTS, else the user data folder).",
)
@click.option("--no-copy", is_flag=True, help="Do not copy outputs.")
@db_option
def serve(
    *,
    host: str,
    port: int,
    max_body_bytes: int,
    log_level: str,
    outputs_spec: str | None,
    no_copy: bool,
    db: str | None,
) -> None:
    """Serve POST /{provider}/{generation_id} for provider callbacks.

    Give the runtime this server's public base URL; each generation's callback
    URL is BASE/PROVIDER/GENERATION_ID?token=... (the token is kept out of the
    access log). Replicate deliveries are verified with the signing secret in
    $REPLICATE_WEBHOOK_SECRET (the `key` of Replicate's
    GET /v1/webhooks/default/secret); fal's with the keys at fal's JWKS URLs
    ($MODELVAULT_FAL_JWKS_URL, space-separated, to change them). kie.ai's
    opt-in signature is required when $KIE_WEBHOOK_HMAC_KEY holds its
    webhookHmacKey. Runware deliveries carry the token only. Outputs of the
    generations a callback completes are copied after the answer is sent (a
    failed copy is retried by `modelvault worker`).
    """
    uvicorn, hooks = _imports()
    secret = os.environ.get(hooks.REPLICATE_SECRET_ENV, "").strip() or None
    urls = os.environ.get(hooks.JWKS_URL_ENV, "").split() or list(hooks.FAL_JWKS_URLS)
    kie_key = os.environ.get(hooks.KIE_SECRET_ENV, "").strip() or None
    store = open_store(db)
    durable = None if no_copy else outputs_from(outputs_spec)
    try:
        app = hooks.create_app(
            store,
            replicate_secret=secret,
            fal_jwks_url=urls,
            kie_hmac_key=kie_key,
            max_body_bytes=max_body_bytes,
            on_finished=None if durable is None else copier(store, durable),
        )
    except ValueError as exc:
        raise ModelVaultError(f"{exc} (${hooks.REPLICATE_SECRET_ENV})") from None
    # uvicorn's own logging, plus the receiver's one line per delivery
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config["loggers"]["modelvault"] = {
        "handlers": ["default"],
        "level": log_level.upper(),
        "propagate": False,
    }
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, log_config=log_config
    )
    hooks.redact_access_log()  # after uvicorn set up its loggers
    where = redact_dsn(db) if db else "the default store"
    click.echo(
        f"modelvault webhooks: POST http://{host}:{port}/{{provider}}/"
        f"{{generation_id}}?token=...; store: {where}; Replicate signing secret: "
        + (
            "set"
            if secret
            else f"not set (Replicate deliveries get 503; set "
            f"${hooks.REPLICATE_SECRET_ENV})"
        )
        + f"; fal keys from {', '.join(urls)}; kie.ai signature: "
        + ("required" if kie_key else f"not checked (${hooks.KIE_SECRET_ENV})"),
        err=True,
    )
    uvicorn.Server(config).run()


def _imports() -> tuple[Any, Any]:
    try:
        import uvicorn  # noqa: PLC0415 - the webhooks extra

        import modelvault.webhooks as hooks  # noqa: PLC0415
    except ImportError as exc:
        raise ModelVaultError(
            "`modelvault webhooks serve` needs the webhooks extra "
            f"({exc.name or exc} is not installed): {EXTRA_HINT}"
        ) from None
    return uvicorn, hooks
