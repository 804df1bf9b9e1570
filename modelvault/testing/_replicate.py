"""Replicate fake: POST /v1/models/{owner}/{name}/predictions creates a
prediction (201 + Location); GET /v1/predictions/{id} polls it; POST
/v1/predictions/{id}/cancel cancels it.

Contract, as Replicate documents it (replicate.com/docs; PROVIDERS.md):
- Errors are RFC 7807 problem details (`application/problem+json`: type,
  title, status, detail), which the official client turns into ReplicateError
  (replicate/exceptions.py: ReplicateError.from_response reads exactly these).
- An unknown model is 404; an input the model version's openapi_schema Input
  refuses is 422 with title "Input validation failed", a `detail` listing
  "- input.<field>: <problem>" lines and an `invalid_fields` list (the extension
  member's exact shape is not documented). Inputs are checked against
  schemas/replicate/*.json.
- Prediction status: starting -> processing -> succeeded | failed | canceled |
  aborted (the deadline passed before the prediction started; lifecycle page).
  The official client 1.0.7 does not know `aborted`: its Prediction.status is a
  Literal without it (an aborted answer fails its pydantic validation) and
  wait() loops until succeeded/failed/canceled. The docs win: the fake keeps
  `aborted` (tests/test_official_clients.py pins the client's behaviour).
- Checked against the official client: it reads errors through
  ReplicateError.from_response (type, title, status, detail, instance) and
  the prediction's `output` list of `num_outputs` URLs; the fake now honours
  `num_outputs` (it always answered one URL before).
- Webhooks (replicate.com/docs/topics/webhooks/setup-webhook and
  receive-webhook): the create body's `webhook` (URL) and optional
  `webhook_events_filter` (any of start, output, logs, completed). Without a
  filter Replicate sends "whenever there are new outputs or the prediction has
  finished" (output + completed); with one, only the listed events. Each
  delivery is a POST of the prediction object, the same shape as GET
  /v1/predictions/{id}, signed per Standard Webhooks (`_signing`); the account's
  secret is GET /v1/webhooks/default/secret -> {"key": "whsec_..."}
  (replicate.com/docs/reference/http#webhooks.default.secret.get). The fake
  sends start at the submit (status starting), logs halfway (processing),
  output just before the end (processing, with output) and completed at the
  end: succeeded, failed, canceled (a cancel sends it at once) or aborted (the
  docs list completed as succeeded/canceled/failed; aborted is the lifecycle
  page's fourth end, delivered too: unconfirmed). A `webhook` that is not an
  absolute http(s) URL or a filter value outside the four gets the 422 problem
  (the exact wording is not documented; real Replicate wants https, the fake
  takes http too so tests can use loopback receivers). A filter without a
  webhook is accepted and ignored.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Mapping
from typing import Any

from modelvault.testing._family import ApiError, FamilyApi, is_callback_url
from modelvault.testing._http import STATUS_TEXT, Incoming, Reply, json_reply
from modelvault.testing._jsonschema import SchemaError
from modelvault.testing._types import FakeTask, Phase

_NOT_FOUND = "The requested resource could not be found."
_LOGS = "fake runner: generating\n"
# Where an adopted prediction (one this fake never created) says it came from.
_ADOPTED_PATH = "/v1/models/fake/adopted/predictions"
_STATUSES = {"success": "succeeded", "failed": "failed", "aborted": "aborted"}
_TERMINAL = ("succeeded", "failed", "canceled", "aborted")
WEBHOOK_EVENTS = ("start", "logs", "output", "completed")  # in time order
_DEFAULT_EVENTS = ("output", "completed")
_SECRET_PATH = "/v1/webhooks/default/secret"


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".000000Z"


def _new_id() -> str:
    return base64.b32encode(secrets.token_bytes(16)).decode().lower().rstrip("=")


class ReplicateApi(FamilyApi):
    pending = ("starting", "processing")
    auth_message = "You did not pass a valid authentication token"

    def classify(self, req: Incoming) -> tuple[Phase | None, str | None]:
        path = req.path.rstrip("/")
        if req.method == "POST" and path.startswith("/v1/models/"):
            return "submit", None
        if req.method == "GET" and path.startswith("/v1/predictions/"):
            return "poll", path.rsplit("/", 1)[-1]
        return None, None

    def render_error(self, error: ApiError) -> Reply:
        problem: dict[str, Any] = {
            "type": f"https://replicate.com/docs/reference/http#{error.status}",
            "title": STATUS_TEXT.get(error.status, "Error"),
            "status": error.status,
            "detail": error.message,
        }
        return self._problem(error.status, problem, error.headers)

    def _invalid(
        self, errors: list[SchemaError], prefix: tuple[str, ...] = ("input",)
    ) -> Reply:
        fields = [
            {
                "type": e.keyword,
                "field": ".".join((*prefix, *map(str, e.path))),
                "description": e.message,
            }
            for e in errors
        ]
        problem = {
            "type": "https://replicate.com/docs/reference/http#422",
            "title": "Input validation failed",
            "status": 422,
            "detail": "".join(f"- {f['field']}: {f['description']}\n" for f in fields),
            "invalid_fields": fields,
        }
        return self._problem(422, problem, {})

    @staticmethod
    def _problem(
        status: int, problem: dict[str, Any], headers: dict[str, str]
    ) -> Reply:
        return json_reply(
            status,
            problem,
            headers=headers,
            content_type="application/problem+json",
        )

    def route(self, req: Incoming, phase: Phase | None) -> Reply:
        segments = req.segments
        if phase == "submit":
            return self._create(req)
        if req.method == "GET" and req.path.rstrip("/") == _SECRET_PATH:
            return json_reply(200, {"key": self.book.knobs.webhook_secret})
        prediction, action = segments[:2] == ["v1", "predictions"], segments[3:]
        if req.method == "POST" and prediction and action == ["cancel"]:
            return self._cancel(self.book.tasks.get(segments[2]))
        if phase == "poll" and len(segments) == 3:
            task = self.find(segments[2], _ADOPTED_PATH, {}, [req.path])
            if task is None:
                return self.error(404, _NOT_FOUND)
            self.advance(task)
            return json_reply(200, self._prediction(task), task_id=task.id)
        return self.error(404, _NOT_FOUND)

    def _create(self, req: Incoming) -> Reply:
        segments = req.segments
        if len(segments) != 5 or segments[4] != "predictions":
            return self.error(404, "Not found")
        body = req.json
        if not isinstance(body, Mapping) or not isinstance(body.get("input"), Mapping):
            return self.error(422, "- input: input is required")
        if self.config.validate_requests:
            errors = self.refusals("/".join(segments[2:4]), body["input"])
            if errors is None:
                return self.error(404, _NOT_FOUND)
            if errors:
                return self._invalid(errors)
        webhook, events = body.get("webhook"), body.get("webhook_events_filter")
        refused = self._webhook_refusal(webhook, events)
        if refused is not None:
            return self._invalid([refused], prefix=())
        count = body["input"].get("num_outputs", 1)
        task = self.new_task(
            _new_id(),
            req.path,
            dict(body),
            [req.path],
            count=count if isinstance(count, int) else 1,
        )
        chosen = _DEFAULT_EVENTS if events is None else tuple(events)
        self.attach_callback(task, webhook, [e for e in WEBHOOK_EVENTS if e in chosen])
        prediction = self._prediction(task)
        headers = {"Location": prediction["urls"]["get"]}
        return json_reply(201, prediction, headers=headers, task_id=task.id)

    def _cancel(self, task: FakeTask | None) -> Reply:
        if task is None:
            return self.error(404, _NOT_FOUND)
        if not task.finished:
            task.canceled = True
            task.state = "canceled"
            self.cancel_callback(task)
        return json_reply(200, self._prediction(task), task_id=task.id)

    @staticmethod
    def _webhook_refusal(webhook: Any, events: Any) -> SchemaError | None:
        if webhook is not None and not is_callback_url(webhook):
            return SchemaError(("webhook",), "must be an http(s) URL", "format")
        if events is not None and (
            not isinstance(events, list) or any(e not in WEBHOOK_EVENTS for e in events)
        ):
            message = f"must be a list of {', '.join(WEBHOOK_EVENTS)}"
            return SchemaError(("webhook_events_filter",), message, "enum")
        return None

    # -- callbacks -------------------------------------------------------------------
    def callback_plan(self, task: FakeTask) -> list[tuple[str, float]]:
        assert task.completes_at is not None
        start, end = task.started_mono, task.completes_at
        when = {
            "start": start,
            "logs": (start + end) / 2,
            "output": end,
            "completed": end,
        }
        return [(event, when[event]) for event in task.callback_events]

    def callback_payloads(self, task: FakeTask, event: str) -> list[Any]:
        if event == "start":
            return [self._prediction(task, status="starting")]
        if event == "logs":
            return [self._prediction(task, status="processing", logs=_LOGS)]
        if event == "output":
            if self.outcome_now(task) != "success":
                return []
            return [self._prediction(task, status="processing", output=True)]
        status = self.outcome_now(task)
        return [self._prediction(task, status=_STATUSES.get(status, status))]

    def _prediction(
        self,
        task: FakeTask,
        *,
        status: str | None = None,
        logs: str = "",
        output: bool = False,
    ) -> dict[str, Any]:
        if status is None:
            status = "canceled" if task.canceled else task.state
            status = _STATUSES.get(status, status)
        owner, name = task.path.split("/")[3:5]
        shown: Any = None
        if status == "succeeded" or output:
            urls = list(task.result_urls)
            shown = urls if task.output_kind == "image" else urls[0]
            shown = urls if len(urls) > 1 else shown
        done = status in _TERMINAL
        base = f"{self.book.base_url()}/v1/predictions/{task.id}"
        webhook = {
            key: task.request[key]
            for key in ("webhook", "webhook_events_filter")
            if key in task.request
        }
        return {
            "id": task.id,
            "model": f"{owner}/{name}",
            "version": "hidden",
            "input": task.request.get("input"),
            "logs": logs,
            "output": shown,
            "data_removed": False,
            "error": task.error_message if status == "failed" else None,
            "status": status,
            "created_at": _iso(task.created_at),
            "started_at": _iso(task.created_at)
            if status not in ("starting", "aborted")
            else None,
            "completed_at": _iso(time.time()) if done else None,
            "urls": {
                "get": base,
                "cancel": base + "/cancel",
                "stream": f"{self.book.base_url()}/v1/streams/{task.id}",
            },
            "metrics": {"predict_time": 0.42} if done else {},
            **webhook,
        }
