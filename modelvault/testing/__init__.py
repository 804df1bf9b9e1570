"""Loopback fakes of the provider APIs, for tests that must not pay a provider.

Each fake is a real HTTP server on 127.0.0.1 that follows one provider family's
documented contract (kie.ai market jobs, kie.ai Veo, kie.ai 4o Image, Runware,
fal.ai queue, Replicate), including its error bodies. Point a model at it with
`base_url`:

    import httpx, modelvault
    from modelvault.testing import fake_providers

    with fake_providers() as fakes:
        model = modelvault.get("flux-schnell-replicate")
        fake = fakes[model.MODEL_CONFIG["provider"]]
        fake.configure(polls=2, outcome="success")
        fake.inject("poll", status=503)              # one 503, then normal
        model.execute({"prompt": "a fox"}, api_key=fake.api_key, store=store,
                      client=httpx.Client(), base_url=fake.base_url,
                      sleep=lambda s: None)
        assert fake.submit_count == 1
        assert fake.requests[0].headers["Authorization"] == "[REDACTED]"

Each fake judges requests by the provider's own word, not this repository's
specs: a submit is checked against that provider model's published input schema
(data files under modelvault/testing/schemas/<family>/, each with its source
URL, retrieval date and notes on what could not be confirmed), and refused in
the provider's documented validation shape (fal 422 `detail` list, Replicate
422 problem+json, kie `code: 422`, Runware `errors` with `parameter`); an
unknown model gets the provider's not-found answer. `validate_requests=False`
turns that off for a model no schema file covers. By default the fakes emit
the documented transient states: kie's "recordInfo is null" right after
createTask, Runware `pending`, fal 202 while queued with `logs` on `logs=1` or
`logs=true` and `x-fal-request-id` headers, and Replicate's `aborted` outcome
on request. The official replicate, fal-client and runware-sdk clients run
against them in tests/test_official_clients.py.

Knobs: `polls` (intermediate answers before the terminal one), `outcome`
("success" | "failed" | "canceled" | "aborted"), `result_urls`, `output_kind`,
`error_message`, `kie_http_status` ("mirror" | "always_200"), `veo_fail_flag`,
`fal_error_status`, `validate_requests`, `kie_invisible_polls` (default 1),
`runware_error_shape` ("errors" | "data"), `kie4o_fail_status`
("GENERATE_FAILED" | "CREATE_TASK_FAILED"), `adopt_unknown_tasks` (answer a poll
or result fetch for a task id the fake never issued as if that task were
submitted just now, instead of the documented not-found error: for following
up, in a new process, tasks an earlier fake accepted). Faults (`inject`): per
phase "submit" | "poll" | "result", kinds "status" (documented error body; 429
carries Retry-After), "malformed" (non-JSON 200), "drop" (connection closed
unanswered), "latency" (delay, then a normal answer), each for `times`
requests. A wrong or missing key gets the family's documented 401.

Callbacks: a submit that carries the provider's callback field (Replicate
`webhook` + `webhook_events_filter`, fal `?fal_webhook=`, Runware `webhookURL`,
kie.ai `callBackUrl`) makes a task that completes `callback_delay_s` after its
submit (polls before then answer the pending states) and is delivered, from a
background thread over real HTTP, as the provider documents it: the
prediction object signed per Standard Webhooks (Replicate; secret
`fake.webhook_secret`, also at GET /v1/webhooks/default/secret), fal's
`{request_id, gateway_request_id, status, payload, error}` signed with ED25519
(public keys at `fake.jwks_url`; `fake.rotate_signing_key()`), Runware's
`{"data": [item]}` per result, kie's `{code, msg, data}` (unsigned unless
`kie_webhook_hmac_key` is set). Successes, failures and the family's other
documented ends are delivered; a non-2xx answer is retried
(`callback_retries`, `callback_retry_delay_s`). `fake.deliveries` records
every attempt (url, headers, body bytes, answer, times, and the task's
completion time on the monotonic clock); `fake.redeliver(i, body=...,
headers=..., timestamp=..., sign=...)` re-sends one as is (a duplicate),
re-signed with an old timestamp (stale), with a tampered body under the old
signature (forged), and so on; `wait_for_deliveries(n)` waits for them.

Output files: `GET /files/<name>` on any fake answers deterministic bytes
(`output_size`, content type from the extension, `output_break_after` to break
the download) and `serve_outputs=True` points result URLs there;
`fake.file_bytes(url)` is what a download should store.

`PostgresCluster` starts a throwaway PostgreSQL (initdb in a temp folder, a free
loopback port; as the `postgres` user when run as root) for tests of
PostgresStore and the worker fleet: `with PostgresCluster() as pg:
PostgresStore(pg.dsn())`.

Only the standard library is used (fal's ED25519 signing imports
`cryptography` when a fal key is first needed); nothing here is imported by
`import modelvault`.
"""

from modelvault.testing._deliveries import Delivery
from modelvault.testing._fake import FakeProvider
from modelvault.testing._jsonschema import SchemaError, validate
from modelvault.testing._knobs import DEFAULT_WEBHOOK_SECRET
from modelvault.testing._postgres import PostgresCluster, PostgresUnavailableError
from modelvault.testing._providers import FakeProviders, fake_providers
from modelvault.testing._schemas import ProviderSchema, all_schemas, schema_for
from modelvault.testing._types import (
    DEFAULT_API_KEY,
    FAMILIES,
    REDACTED,
    FakeTask,
    Family,
    Fault,
    FaultKind,
    Kie4oFailStatus,
    KieHttpStatus,
    Outcome,
    OutputKind,
    Phase,
    RecordedRequest,
    RunwareErrorShape,
)

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_WEBHOOK_SECRET",
    "FAMILIES",
    "REDACTED",
    "Delivery",
    "FakeProvider",
    "FakeProviders",
    "FakeTask",
    "Family",
    "Fault",
    "FaultKind",
    "Kie4oFailStatus",
    "KieHttpStatus",
    "Outcome",
    "OutputKind",
    "Phase",
    "PostgresCluster",
    "PostgresUnavailableError",
    "ProviderSchema",
    "RecordedRequest",
    "RunwareErrorShape",
    "SchemaError",
    "all_schemas",
    "fake_providers",
    "schema_for",
    "validate",
]
