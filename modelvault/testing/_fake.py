"""`FakeProvider`: a loopback fake of one provider family (see
`modelvault.testing`).

A `FakeProvider` owns the knobs, the records and the fault queue; the family's
`FamilyApi` strategy answers the requests. All mutable state sits behind one
lock per fake.
"""

from __future__ import annotations

import dataclasses
import ssl
import threading
from collections.abc import Sequence
from typing import Unpack

from modelvault.testing._fake_callbacks import CallbackSide
from modelvault.testing._fal import FalQueueApi
from modelvault.testing._family import FamilyApi, TaskBook
from modelvault.testing._http import (
    FaultQueue,
    Incoming,
    LoopbackServer,
    Reply,
    Serving,
    redact_headers,
)
from modelvault.testing._kie import KieJobsApi, KieVeoApi
from modelvault.testing._kie4o import Kie4oApi
from modelvault.testing._knobs import CallbackKnobArgs
from modelvault.testing._replicate import ReplicateApi
from modelvault.testing._runware import RunwareApi
from modelvault.testing._types import (
    DEFAULT_API_KEY,
    FAMILIES,
    Config,
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

_APIS: dict[Family, type[FamilyApi]] = {
    "kie_jobs": KieJobsApi,
    "kie_veo": KieVeoApi,
    "kie_4o": Kie4oApi,
    "runware": RunwareApi,
    "fal_queue": FalQueueApi,
    "replicate": ReplicateApi,
}


class FakeProvider(CallbackSide, Serving):
    """A loopback fake of one provider API family.

    Use as a context manager (or `start()`/`stop()`); point a model file at it
    with `base_url=fake.base_url` and `api_key=fake.api_key`.

    Knobs (constructor or `configure`, applied to tasks submitted afterwards):
      polls        intermediate answers before the terminal one (0: the first
                   poll already finishes); states progress through the family's
                   documented pending states.
      outcome      "success" | "failed" | "canceled" (replicate and fal) |
                   "aborted" (replicate only: the deadline passed before start).
      result_urls  the output URLs of every task; default: one (or
                   numberResults / num_images) URL per task under
                   https://cdn.fake-<family>.test/.
      output_kind  "image" | "video" | "audio": picks the result field (Runware
                   imageURL/videoURL/audioURL, fal images/video/audio); default
                   inferred from the task type, model or path.
      error_message  the failure reason for a failed task.
      kie_http_status  "mirror" (HTTP status = body code; default) or
                   "always_200" (errors only in the body `code`). kie families.
      veo_fail_flag  2 or 3: the successFlag of a failed Veo task.
      fal_error_status  the HTTP status of a failed fal request's result.
      adopt_unknown_tasks  False (default): a poll or result fetch for a task id
                   this fake never issued gets the family's documented
                   not-found error. True: the id is adopted, i.e. taken as a
                   task submitted just now under the current knobs, so its
                   progression starts at that request (for following up, in a
                   new process, tasks an earlier fake accepted). The poll says
                   little about the task: set output_kind to pick its result
                   shape (default: inferred from the poll URL, else image).
      validate_requests  True (default): every submit is checked the way the
                   provider checks it, against the provider's published input
                   schema of that model (modelvault/testing/schemas/): an unknown
                   model gets the provider's not-found (or, for kie.ai, its
                   validation) answer, a missing, misnamed or mistyped field its
                   documented validation answer. False: only the envelope is
                   checked, for tests that need a model no schema file covers.
      kie_invisible_polls  kie market jobs: how many polls right after
                   createTask answer {"code": 422, "msg": "recordInfo is null",
                   "data": null} before the task is visible (default 1; adopted
                   tasks are visible at once).
      runware_error_shape  how a failed Runware task is reported by
                   getResponse: "errors" (top-level errors array, default) or
                   "data" (data: [{"status": "error", "error": {code, message}}]).
      kie4o_fail_status  kie.ai 4o Image: the record-info status of a failed
                   task, "GENERATE_FAILED" (default) or "CREATE_TASK_FAILED".

    Callbacks (a submit carrying the provider's callback field: Replicate
    `webhook` [+ `webhook_events_filter`], fal `?fal_webhook=`, Runware
    `webhookURL`, kie `callBackUrl`): the task completes `callback_delay_s`
    after its submit (polls before then answer the pending states, after it the
    end), and the fake POSTs the provider's documented body to the URL from a
    background thread, signed as the provider signs (`_signing`). Records:
    `deliveries`; helpers: `wait_for_deliveries`, `redeliver`.
      callback_delay_s  submit-to-completion time of a callback task (0.05).
      callback_retries, callback_retry_delay_s  a non-2xx answer or a
                   connection error is retried this many times, the delay
                   doubling (3, 0.05 s).
      callback_timeout_s  how long a receiver may take to answer (15 s, kie's).
      webhook_secret  Replicate's "whsec_..." signing secret (also served at
                   GET /v1/webhooks/default/secret).
      fal_user_id  fal's X-Fal-Webhook-User-Id. The fal fake's ED25519 keys are
                   published at `jwks_url`; `rotate_signing_key()` changes them.
      fal_payload_error  fal's payload-serialization failure shape.
      kie_webhook_hmac_key  kie.ai's optional HMAC signature (None: unsigned).
      veo_callback_fail_code  the `code` of a failed Veo callback (400 | 422 |
                   500 | 501).
      kie4o_callback_fail_code  the `code` of a failed kie.ai 4o Image
                   callback (400 | 451 | 500; default 500).
    Output files: `GET /files/<name>` serves deterministic bytes (`file_bytes`).
      serve_outputs  result URLs point at this fake's files route instead of
                   https://cdn.fake-<family>.test/ (False).
      output_size  bytes per file (2048); output_break_after  close the
                   connection after that many bytes (None: never; -1 resets).
    `callback_workers` and `callback_ssl_context` (constructor only): sender
    threads, and the client context for https callback URLs.

    `ssl_context` (constructor only): serve HTTPS with this server-side context
    (`base_url` then starts with https://), for clients that insist on TLS.
    """

    def __init__(
        self,
        family: Family,
        *,
        api_key: str = DEFAULT_API_KEY,
        polls: int = 2,
        outcome: Outcome = "success",
        result_urls: Sequence[str] | None = None,
        output_kind: OutputKind | None = None,
        error_message: str | None = None,
        kie_http_status: KieHttpStatus = "mirror",
        veo_fail_flag: int = 3,
        fal_error_status: int = 422,
        adopt_unknown_tasks: bool = False,
        validate_requests: bool = True,
        kie_invisible_polls: int = 1,
        runware_error_shape: RunwareErrorShape = "errors",
        kie4o_fail_status: Kie4oFailStatus = "GENERATE_FAILED",
        ssl_context: ssl.SSLContext | None = None,
        callback_workers: int = 8,
        callback_ssl_context: ssl.SSLContext | None = None,
        **callback_knobs: Unpack[CallbackKnobArgs],
    ) -> None:
        if family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
        self.family: Family = family
        self.api_key = api_key
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._book = TaskBook(family, lambda: self.base_url, Config())
        self._api = _APIS[family](self._book)
        self.configure(
            polls=polls,
            outcome=outcome,
            result_urls=result_urls,
            output_kind=output_kind,
            error_message=error_message,
            kie_http_status=kie_http_status,
            veo_fail_flag=veo_fail_flag,
            fal_error_status=fal_error_status,
            adopt_unknown_tasks=adopt_unknown_tasks,
            validate_requests=validate_requests,
            kie_invisible_polls=kie_invisible_polls,
            runware_error_shape=runware_error_shape,
            kie4o_fail_status=kie4o_fail_status,
            **callback_knobs,
        )
        self._ssl_context = ssl_context
        self._initial = dataclasses.replace(self._book.config)
        self._init_callbacks(workers=callback_workers, ssl_context=callback_ssl_context)
        self._faults = FaultQueue()
        self._requests: list[RecordedRequest] = []
        self._submit_count = 0
        self._server: LoopbackServer | None = None

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> FakeProvider:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is None:
            self._stopping.clear()
            self._server = LoopbackServer(self._dispatch, ssl_context=self._ssl_context)
            self._server.start(name=f"fake-{self.family}")
            self._courier.start(name=f"fake-{self.family}-callbacks")
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection (quick; idempotent)."""
        if self._server is not None:
            self._stopping.set()
            self._courier.stop()
            self._server.stop()
            self._server = None

    @property
    def base_url(self) -> str:
        """The origin to pass as a model file's `base_url`."""
        if self._server is None:
            raise RuntimeError(f"the {self.family} fake is not running: start() it")
        scheme = "https" if self._ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.port}"

    # -- knobs -----------------------------------------------------------------
    def configure(
        self,
        *,
        polls: int | None = None,
        outcome: Outcome | None = None,
        result_urls: Sequence[str] | None = None,
        output_kind: OutputKind | None = None,
        error_message: str | None = None,
        kie_http_status: KieHttpStatus | None = None,
        veo_fail_flag: int | None = None,
        fal_error_status: int | None = None,
        adopt_unknown_tasks: bool | None = None,
        validate_requests: bool | None = None,
        kie_invisible_polls: int | None = None,
        runware_error_shape: RunwareErrorShape | None = None,
        kie4o_fail_status: Kie4oFailStatus | None = None,
        **callback_knobs: Unpack[CallbackKnobArgs],
    ) -> None:
        """Change knobs for tasks submitted from now on (None keeps a knob;
        the callback knobs also apply to deliveries not yet sent)."""
        with self._lock:
            self._book.knobs.update(**callback_knobs)
            self._book.config.update(
                self.family,
                polls=polls,
                outcome=outcome,
                result_urls=result_urls,
                output_kind=output_kind,
                error_message=error_message,
                kie_http_status=kie_http_status,
                veo_fail_flag=veo_fail_flag,
                fal_error_status=fal_error_status,
                adopt_unknown_tasks=adopt_unknown_tasks,
                validate_requests=validate_requests,
                kie_invisible_polls=kie_invisible_polls,
                runware_error_shape=runware_error_shape,
                kie4o_fail_status=kie4o_fail_status,
            )

    def inject(
        self,
        phase: Phase,
        kind: FaultKind = "status",
        *,
        status: int = 500,
        message: str | None = None,
        retry_after: str | float | None = None,
        delay_s: float = 0.0,
        times: int = 1,
    ) -> Fault:
        """Queue a fault for the next `times` requests of `phase` (FIFO).

        Phases: "submit"; "poll" (status checks); "result" (fal's result fetch,
        and for the other families the poll that would deliver the terminal
        answer, which matches "poll" faults too). 429 faults send Retry-After
        (default "0") in the provider's header.
        """
        if kind == "status" and status == 429 and retry_after is None:
            retry_after = "0"
        fault = Fault(
            phase=phase,
            kind=kind,
            status=status,
            message=message,
            retry_after=None if retry_after is None else str(retry_after),
            delay_s=delay_s,
            times=times,
        )
        with self._lock:
            self._faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        """Faults not yet (fully) used, in order."""
        with self._lock:
            return self._faults.pending()

    # -- records ---------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def submit_count(self) -> int:
        """Submit requests received (faulted or refused ones included)."""
        with self._lock:
            return self._submit_count

    @property
    def tasks(self) -> dict[str, FakeTask]:
        """Snapshot of the accepted tasks by provider task id."""
        with self._lock:
            return {k: dataclasses.replace(t) for k, t in self._book.tasks.items()}

    def task(self, task_id: str) -> FakeTask:
        with self._lock:
            return dataclasses.replace(self._book.tasks[task_id])

    def reset(self) -> None:
        """Forget requests, tasks, counters, faults and callback deliveries
        (pending ones are dropped); restore the knobs given to the constructor."""
        with self._lock:
            self._book.config = dataclasses.replace(self._initial)
            self._book.tasks.clear()
            self._requests.clear()
            self._faults.clear()
            self._submit_count = 0
            self._reset_callbacks()

    # -- dispatch --------------------------------------------------------------
    def _dispatch(self, req: Incoming) -> Reply:
        side = self._side_reply(req)
        if side is not None:
            return side
        api = self._api
        with self._lock:
            phase, task_id = api.classify(req)
            terminal = api.terminal(phase, task_id)
            fault = self._faults.take(phase, terminal) if phase else None
            if phase == "submit":
                self._submit_count += 1
        fault_kind = fault.kind if fault else None
        if fault is not None and fault.kind == "latency":
            self._stopping.wait(fault.delay_s)
            fault = None
        with self._lock:
            if fault is not None:
                reply = api.fault_reply(fault, task_id)
            elif not api.authorized(req.headers, self.api_key):
                reply = api.auth_error()
            else:
                reply = api.handle(req, phase)
                self._schedule_callbacks()
            self._requests.append(
                RecordedRequest(
                    method=req.method,
                    path=req.path,
                    query=dict(req.query),
                    json=req.json,
                    headers=redact_headers(req.headers),
                    phase=phase,
                    task_id=reply.task_id or task_id,
                    status=None if reply.drop else reply.status,
                    fault=fault_kind,
                )
            )
        return reply
