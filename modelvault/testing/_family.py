"""What every provider family's fake shares: its task book and the strategy
interface (`FamilyApi`) that `FakeProvider` dispatches to.

A family module subclasses `FamilyApi` with its routes (`classify`, `route`),
its pending states and its documented error body (`render_error`); the base
class keeps the tasks, their progression, adoption of unknown ids, auth and
fault answers. Methods run under the owning fake's lock.

Callbacks: a family's submit hands the provider's callback field to
`attach_callback`; such a task completes by time (`callback_delay_s` after its
submit) instead of by poll count, and the family says what it delivers
(`callback_plan`: events and when; `callback_payloads`: the bodies).
"""

from __future__ import annotations

import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from modelvault.testing._http import Incoming, Reply, fault_reply, header
from modelvault.testing._jsonschema import SchemaError
from modelvault.testing._knobs import CallbackKnobs
from modelvault.testing._schemas import ProviderSchema, schema_for
from modelvault.testing._types import Config, FakeTask, Family, Fault, OutputKind, Phase

EXTENSIONS: dict[OutputKind, str] = {"image": "jpg", "video": "mp4", "audio": "mp3"}
DEFAULT_MESSAGES = {
    400: "The request was unacceptable",
    401: "Invalid or missing API key",
    402: "Insufficient credits: top up the account balance",
    403: "The API key is not allowed to perform this request",
    404: "Not found",
    422: "Validation failed: the input is not valid",
    429: "Request was throttled; too many requests",
    455: "Service is under maintenance",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}
_AUDIO_WORDS = ("speech", "tts", "audio", "lyria", "music", "sound")
_VIDEO_WORDS = ("video", "veo", "seedance", "kling")


def infer_kind(*hints: str) -> OutputKind:
    """Guess a task's output kind from its task type, model or path."""
    text = " ".join(hints).lower()
    if any(w in text for w in _AUDIO_WORDS):
        return "audio"
    if any(w in text for w in _VIDEO_WORDS):
        return "video"
    return "image"


@dataclass(frozen=True)
class ApiError:
    """One error answer, before a family shapes it into its documented body."""

    status: int
    message: str
    retry_after: str | None = None
    task_id: str | None = None
    code: str | None = None
    parameter: str | None = None
    task_type: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": self.retry_after} if self.retry_after is not None else {}


@dataclass
class TaskBook:
    """One fake's mutable state: its knobs and the tasks it accepted."""

    family: Family
    base_url: Callable[[], str]
    config: Config
    tasks: dict[str, FakeTask] = field(default_factory=dict)
    knobs: CallbackKnobs = field(default_factory=CallbackKnobs)
    # Task ids whose callbacks the owning fake must schedule / bring forward.
    callbacks_new: list[str] = field(default_factory=list)
    callbacks_expedite: list[str] = field(default_factory=list)


def is_callback_url(value: Any) -> bool:
    """Whether `value` is an absolute http(s) URL (what a callback must be)."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class FamilyApi(ABC):
    """One provider family's contract: routes, task shapes and error bodies."""

    pending: ClassVar[tuple[str, ...]]  # states shown by polls before the end
    auth_scheme: ClassVar[str] = "Bearer"
    auth_message: ClassVar[str] = "You do not have access permissions: invalid API key"
    polls_can_finish: ClassVar[bool] = True  # False: a separate result fetch

    def __init__(self, book: TaskBook) -> None:
        self.book = book

    @property
    def config(self) -> Config:
        return self.book.config

    # -- what a family defines ---------------------------------------------------
    @abstractmethod
    def classify(self, req: Incoming) -> tuple[Phase | None, str | None]:
        """(phase, task id) of a request, without side effects."""

    @abstractmethod
    def route(self, req: Incoming, phase: Phase | None) -> Reply:
        """Answer an authorized request whose body parsed."""

    @abstractmethod
    def render_error(self, error: ApiError) -> Reply:
        """The family's documented error body for `error`."""

    # -- shared ------------------------------------------------------------------
    def handle(self, req: Incoming, phase: Phase | None) -> Reply:
        if not req.json_ok:
            return self.error(400, "the request body is not valid JSON")
        return self.route(req, phase)

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        retry_after: str | None = None,
        task_id: str | None = None,
        code: str | None = None,
        parameter: str | None = None,
        task_type: str | None = None,
    ) -> Reply:
        text = message or DEFAULT_MESSAGES.get(status, "error")
        return self.render_error(
            ApiError(status, text, retry_after, task_id, code, parameter, task_type)
        )

    def no_route(self, req: Incoming, message: str | None = None) -> Reply:
        return self.error(404, message or f"no route for {req.method} {req.path}")

    def authorized(self, headers: Mapping[str, str], api_key: str) -> bool:
        value = header(headers, "authorization").strip()
        return secrets.compare_digest(value, f"{self.auth_scheme} {api_key}")

    def auth_error(self) -> Reply:
        return self.error(401, self.auth_message)

    def fault_reply(self, fault: Fault, task_id: str | None) -> Reply:
        def shaped(f: Fault) -> Reply:
            retry_after = f.retry_after
            if f.status == 429 and retry_after is None:
                retry_after = "0"
            return self.error(
                f.status, f.message, retry_after=retry_after, task_id=task_id
            )

        return fault_reply(fault, shaped)

    def terminal(self, phase: Phase | None, task_id: str | None) -> bool:
        """Whether this poll would deliver the terminal answer."""
        if phase != "poll" or not self.polls_can_finish:
            return False
        task = self.book.tasks.get(task_id or "")
        if task is None:  # an adopted task with polls=0 finishes on its first poll
            cfg = self.config
            return bool(task_id) and cfg.adopt_unknown_tasks and cfg.polls == 0
        if task.completes_at is not None:
            return task.finished
        return task.polls >= task.polls_needed

    # -- request validation --------------------------------------------------------
    def published(self, provider_model: Any) -> ProviderSchema | None:
        """The provider's published input schema of `provider_model`, if any."""
        if not isinstance(provider_model, str):
            return None
        return schema_for(self.book.family, provider_model)

    def refusals(self, provider_model: Any, instance: Any) -> list[SchemaError] | None:
        """None when `provider_model` has no published schema (unknown model);
        else every way `instance` breaks it ([] when accepted)."""
        schema = self.published(provider_model)
        return None if schema is None else schema.check(instance)

    # -- tasks -------------------------------------------------------------------
    def new_task(
        self,
        task_id: str,
        path: str,
        request: Any,
        kind_hints: Sequence[str],
        count: int = 1,
    ) -> FakeTask:
        cfg, family = self.config, self.book.family
        kind = cfg.output_kind or infer_kind(*kind_hints)
        origin = (
            f"{self.book.base_url()}/files"
            if self.book.knobs.serve_outputs
            else f"https://cdn.fake-{family.replace('_', '-')}.test"
        )
        urls = cfg.result_urls or tuple(
            f"{origin}/{task_id}/output-{i}.{EXTENSIONS[kind]}"
            for i in range(max(count, 1))
        )
        task = FakeTask(
            id=task_id,
            family=family,
            path=path,
            request=request,
            outcome=cfg.outcome,
            polls_needed=cfg.polls,
            output_kind=kind,
            result_urls=urls,
            error_message=cfg.error_message or "the fake was told to fail this task",
            created_at=time.time(),
            state=self.pending[0],
            started_mono=time.monotonic(),
        )
        self.book.tasks[task_id] = task
        return task

    def find(
        self, task_id: str, path: str, request: Any, kind_hints: Sequence[str]
    ) -> FakeTask | None:
        """The task `task_id`, or None when unknown. With `adopt_unknown_tasks`
        an unknown id is adopted instead: taken as submitted just now (at
        `path`, with `request`) under the current knobs."""
        task = self.book.tasks.get(task_id)
        if task is None and task_id and self.config.adopt_unknown_tasks:
            task = self.new_task(task_id, path, request, kind_hints)
        return task

    def advance(self, task: FakeTask) -> str:
        """Count one poll; return "pending" or the terminal outcome."""
        if task.canceled:
            return "canceled"
        index = task.polls
        task.polls += 1
        if task.completes_at is not None:  # a callback task: completes by time
            now, start = time.monotonic(), task.started_mono
            if now < task.completes_at:
                states, span = self.pending, task.completes_at - start
                task.state = states[int((now - start) / span * len(states))]
                return "pending"
            task.state = task.outcome
            return task.outcome
        if index < task.polls_needed:
            states = self.pending
            task.state = states[index * len(states) // task.polls_needed]
            return "pending"
        task.state = task.outcome
        return task.outcome

    # -- callbacks -------------------------------------------------------------------
    def attach_callback(
        self, task: FakeTask, url: str | None, events: Sequence[str] = ("completed",)
    ) -> None:
        """Make `task` a callback task delivering `events` to `url` (None: none)."""
        if not url:
            return
        task.callback_url = url
        task.callback_events = tuple(events)
        task.completes_at = task.started_mono + self.book.knobs.callback_delay_s
        self.book.callbacks_new.append(task.id)

    def cancel_callback(self, task: FakeTask) -> None:
        """A callback task was canceled: it ends now, its completion goes out."""
        if task.completes_at is not None:
            task.completes_at = min(task.completes_at, time.monotonic())
        if task.callback_url:
            self.book.callbacks_expedite.append(task.id)

    def callback_plan(self, task: FakeTask) -> list[tuple[str, float]]:
        """The events a callback task delivers, with when (monotonic), in order."""
        assert task.completes_at is not None
        return [("completed", task.completes_at)]

    def callback_payloads(self, task: FakeTask, event: str) -> list[Any]:
        """The JSON bodies of one event (several: one delivery each); [] skips it."""
        raise NotImplementedError(f"{self.book.family} delivers no callbacks")

    def outcome_now(self, task: FakeTask) -> str:
        """The end a finished task reached: "canceled" or its outcome."""
        return "canceled" if task.canceled else task.outcome
