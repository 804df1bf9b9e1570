"""Loopback fakes of the provider APIs, for tests that must not pay a provider.

Each fake is a real HTTP server on 127.0.0.1 that follows one provider family's
documented contract (kie.ai market jobs, kie.ai Veo, Runware, fal.ai queue,
Replicate), including its error bodies. Point a model at it with `base_url`:

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

Knobs: `polls` (intermediate answers before the terminal one), `outcome`
("success" | "failed" | "canceled"), `result_urls`, `output_kind`,
`error_message`, `kie_http_status` ("mirror" | "always_200"), `veo_fail_flag`,
`fal_error_status`, `adopt_unknown_tasks` (answer a poll or result fetch for a
task id the fake never issued as if that task were submitted just now, instead
of the documented not-found error: for following up, in a new process, tasks an
earlier fake accepted). Faults (`inject`): per phase "submit" | "poll" | "result",
kinds "status" (documented error body; 429 carries Retry-After), "malformed"
(non-JSON 200), "drop" (connection closed unanswered), "latency" (delay, then a
normal answer), each for `times` requests. A wrong or missing key gets the
family's documented 401.

Only the standard library is used; nothing here is imported by `import
modelvault`.
"""

from modelvault.testing._fake import FakeProvider
from modelvault.testing._providers import FakeProviders, fake_providers
from modelvault.testing._types import (
    DEFAULT_API_KEY,
    FAMILIES,
    REDACTED,
    FakeTask,
    Family,
    Fault,
    FaultKind,
    KieHttpStatus,
    Outcome,
    OutputKind,
    Phase,
    RecordedRequest,
)

__all__ = [
    "DEFAULT_API_KEY",
    "FAMILIES",
    "REDACTED",
    "FakeProvider",
    "FakeProviders",
    "FakeTask",
    "Family",
    "Fault",
    "FaultKind",
    "KieHttpStatus",
    "Outcome",
    "OutputKind",
    "Phase",
    "RecordedRequest",
    "fake_providers",
]
