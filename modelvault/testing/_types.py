"""The fakes' vocabulary: literal aliases, faults, records, tasks and knobs."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

Family = Literal["kie_jobs", "kie_veo", "kie_4o", "runware", "fal_queue", "replicate"]
Phase = Literal["submit", "poll", "result"]
FaultKind = Literal["status", "malformed", "drop", "latency"]
Outcome = Literal["success", "failed", "canceled", "aborted"]
OutputKind = Literal["image", "video", "audio"]
KieHttpStatus = Literal["mirror", "always_200"]
RunwareErrorShape = Literal["errors", "data"]
# kie.ai 4o Image: the record-info status of a failed task.
Kie4oFailStatus = Literal["GENERATE_FAILED", "CREATE_TASK_FAILED"]

FAMILIES: tuple[Family, ...] = get_args(Family)
DEFAULT_API_KEY = "test-key"
REDACTED = "[REDACTED]"

PHASES: tuple[Phase, ...] = get_args(Phase)
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
OUTPUT_KINDS: tuple[OutputKind, ...] = get_args(OutputKind)
RUNWARE_ERROR_SHAPES: tuple[RunwareErrorShape, ...] = get_args(RunwareErrorShape)
KIE4O_FAIL_STATUSES: tuple[Kie4oFailStatus, ...] = get_args(Kie4oFailStatus)
# The families whose API documents a canceled state.
CANCELABLE: tuple[Family, ...] = ("replicate", "fal_queue")
# The families whose API documents an aborted state (deadline passed before start).
ABORTABLE: tuple[Family, ...] = ("replicate",)


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour, applied to the next `times` requests of `phase`.

    kind "status": answer HTTP `status` with the family's documented error body
    (429 adds a Retry-After header); "malformed": HTTP 200 with a non-JSON body;
    "drop": close the connection without answering; "latency": sleep `delay_s`,
    then answer normally.
    """

    phase: Phase
    kind: FaultKind = "status"
    status: int = 500
    message: str | None = None
    retry_after: str | None = None
    delay_s: float = 0.0
    times: int = 1

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}, got {self.phase!r}")
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, got {self.kind!r}")
        if self.times < 1:
            raise ValueError("times must be at least 1")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError(f"a status fault needs a 4xx/5xx status: {self.status}")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it (the Authorization value redacted)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    phase: str | None
    task_id: str | None
    status: int | None  # the HTTP status answered; None when the connection dropped
    fault: FaultKind | None


@dataclass
class FakeTask:
    """A task (prediction, request) a fake accepted; `tasks` hands out copies."""

    id: str
    family: Family
    path: str
    request: Any
    outcome: Outcome
    polls_needed: int
    output_kind: OutputKind
    result_urls: tuple[str, ...]
    error_message: str
    created_at: float
    polls: int = 0
    canceled: bool = False
    state: str = ""
    hidden_polls: int = 0  # kie market jobs: polls answered "recordInfo is null"
    # Callbacks: a task submitted with the provider's callback field completes by
    # time (at `completes_at`, on the monotonic clock) instead of by poll count.
    started_mono: float = 0.0
    callback_url: str | None = None
    callback_events: tuple[str, ...] = ()
    completes_at: float | None = None

    @property
    def finished(self) -> bool:
        if self.canceled:
            return True
        if self.completes_at is not None:
            return time.monotonic() >= self.completes_at
        return self.polls > self.polls_needed


@dataclass
class Config:
    """One fake's knobs (see `FakeProvider`); `update` validates a change."""

    polls: int = 2
    outcome: Outcome = "success"
    result_urls: tuple[str, ...] | None = None
    output_kind: OutputKind | None = None
    error_message: str | None = None
    kie_http_status: KieHttpStatus = "mirror"
    veo_fail_flag: int = 3
    fal_error_status: int = 422
    adopt_unknown_tasks: bool = False
    validate_requests: bool = True
    kie_invisible_polls: int = 1
    runware_error_shape: RunwareErrorShape = "errors"
    kie4o_fail_status: Kie4oFailStatus = "GENERATE_FAILED"

    def update(
        self,
        family: Family,
        *,
        polls: int | None,
        outcome: Outcome | None,
        result_urls: Sequence[str] | None,
        output_kind: OutputKind | None,
        error_message: str | None,
        kie_http_status: KieHttpStatus | None,
        veo_fail_flag: int | None,
        fal_error_status: int | None,
        adopt_unknown_tasks: bool | None,
        validate_requests: bool | None = None,
        kie_invisible_polls: int | None = None,
        runware_error_shape: RunwareErrorShape | None = None,
        kie4o_fail_status: Kie4oFailStatus | None = None,
    ) -> None:
        """Check every given knob first, then apply them (None keeps a knob)."""
        if polls is not None and polls < 0:
            raise ValueError("polls must be >= 0")
        if outcome is not None and outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        if outcome == "canceled" and family not in CANCELABLE:
            raise ValueError(f"{family} documents no canceled state")
        if outcome == "aborted" and family not in ABORTABLE:
            raise ValueError(f"{family} documents no aborted state")
        if kie_invisible_polls is not None and kie_invisible_polls < 0:
            raise ValueError("kie_invisible_polls must be >= 0")
        if runware_error_shape not in (None, *RUNWARE_ERROR_SHAPES):
            raise ValueError(
                f"runware_error_shape must be one of {RUNWARE_ERROR_SHAPES}"
            )
        if kie4o_fail_status not in (None, *KIE4O_FAIL_STATUSES):
            raise ValueError(f"kie4o_fail_status must be one of {KIE4O_FAIL_STATUSES}")
        if output_kind is not None and output_kind not in OUTPUT_KINDS:
            raise ValueError(f"output_kind must be one of {OUTPUT_KINDS}")
        if kie_http_status not in (None, "mirror", "always_200"):
            raise ValueError("kie_http_status must be 'mirror' or 'always_200'")
        if veo_fail_flag not in (None, 2, 3):
            raise ValueError("veo_fail_flag must be 2 or 3")
        if fal_error_status is not None and not 400 <= fal_error_status <= 599:
            raise ValueError("fal_error_status must be a 4xx/5xx status")
        urls = None if result_urls is None else tuple(result_urls)
        if urls is not None and not urls:
            raise ValueError("result_urls must hold at least one URL")
        self.polls = self.polls if polls is None else polls
        self.outcome = outcome or self.outcome
        self.result_urls = urls if urls is not None else self.result_urls
        self.output_kind = output_kind or self.output_kind
        self.error_message = error_message or self.error_message
        self.kie_http_status = kie_http_status or self.kie_http_status
        self.veo_fail_flag = veo_fail_flag or self.veo_fail_flag
        self.fal_error_status = fal_error_status or self.fal_error_status
        if adopt_unknown_tasks is not None:
            self.adopt_unknown_tasks = adopt_unknown_tasks
        if validate_requests is not None:
            self.validate_requests = validate_requests
        if kie_invisible_polls is not None:
            self.kie_invisible_polls = kie_invisible_polls
        self.runware_error_shape = runware_error_shape or self.runware_error_shape
        self.kie4o_fail_status = kie4o_fail_status or self.kie4o_fail_status
