"""fal.ai queue fake: POST /{owner}/{app}[/...] submits; GET
/{owner}/{app}/requests/{id}/status polls; GET .../requests/{id} fetches the
result (or the failure); PUT .../requests/{id}/cancel cancels.

Contract, as fal documents it (docs.fal.ai/model-endpoints/queue,
docs.fal.ai/documentation/model-apis/inference/queue; PROVIDERS.md):
- The submit answer is `{request_id, response_url, status_url, cancel_url,
  status: "IN_QUEUE", queue_position}`; status and result URLs omit the
  endpoint's subpath. Every answer about a request carries `x-fal-request-id`.
- Status: `{status: IN_QUEUE | IN_PROGRESS | COMPLETED, queue_position (when
  queued), response_url, logs}`; HTTP 202 while queued or in progress, 200 once
  COMPLETED. `logs` is a list when the poll asks `logs=1` or `logs=true`
  (fal_client sends `logs=true`), else null. A failed request's COMPLETED
  status carries `error` and `error_type`.
- Errors: `{"detail": "..."}` (plus `error_type` and an `X-Fal-Error-Type`
  header for runner failures); validation is 422 `{"detail": [{"loc": ["body",
  field, ...], "msg", "type"}]}` (FastAPI/pydantic's shape, which fal's model
  endpoints answer with). The submit body is checked against the endpoint's
  published OpenAPI Input (schemas/fal_queue/*.json); an endpoint no schema
  file covers is answered 404 `{"detail": "Application ... not found"}` (the
  wording is not documented).
- Checked against the official fal-client (tests/test_official_clients.py):
  it reads `queue_position` on IN_QUEUE and `logs` on IN_PROGRESS/COMPLETED as
  required keys, and takes status/response/cancel URLs from the submit answer.
- Webhooks (docs.fal.ai/model-apis/model-endpoints/webhooks; the same text on
  docs.fal.ai/model-endpoints/webhooks): the submit URL's `?fal_webhook=<url>`
  query parameter (fal_client's `webhook_url=` sends just that). When the
  request is done, fal POSTs `{request_id, gateway_request_id, status: "OK" |
  "ERROR", payload, error}`: OK carries the result as `payload` (what GET
  .../requests/{id} answers) and `error: null`; ERROR carries `error` ("Invalid
  status code: 422" in the docs' example) and the error body as `payload`
  ({"detail": [...]}). When the payload cannot be serialized, `payload` is null
  and `payload_error` says why (`fal_payload_error=True` sends that). Signed
  with ED25519 (`_signing`), keys served as a JWKS at /.well-known/jwks.json on
  this fake. Whether fal calls back for a cancelled request, and with what, is
  not documented: the fake sends ERROR with "Request was cancelled".
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from modelvault.testing._family import ApiError, FamilyApi, is_callback_url
from modelvault.testing._http import Incoming, Reply, json_reply
from modelvault.testing._jsonschema import SchemaError
from modelvault.testing._types import FakeTask, OutputKind, Phase

_MIME: dict[OutputKind, str] = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "audio": "audio/mpeg",
}
_LOG_QUERY = ("1", "true")
_PYDANTIC_TYPES = {
    "required": "missing",
    "additionalProperties": "extra_forbidden",
    "enum": "literal_error",
    "minimum": "greater_than_equal",
    "maximum": "less_than_equal",
    "exclusiveMinimum": "greater_than",
    "exclusiveMaximum": "less_than",
    "minLength": "string_too_short",
    "maxLength": "string_too_long",
    "pattern": "string_pattern_mismatch",
}
_ERROR_TYPES = {
    500: "internal_error",
    502: "runner_incomplete_response",
    503: "runner_scheduling_failure",
    504: "request_timeout",
}


def _output(task: FakeTask) -> dict[str, Any]:
    """A successful request's result body for the task's output kind."""
    mime = _MIME[task.output_kind]
    files = [{"url": url, "content_type": mime} for url in task.result_urls]
    if task.output_kind == "image":
        images = [{**f, "width": 1024, "height": 768} for f in files]
        return {
            "images": images,
            "seed": 42,
            "has_nsfw_concepts": [False] * len(images),
            "timings": {"inference": 0.42},
        }
    if len(files) == 1:
        return {task.output_kind: files[0], "seed": 42}
    return {f"{task.output_kind}s": files, "seed": 42}


class FalQueueApi(FamilyApi):
    pending = ("IN_QUEUE", "IN_PROGRESS")
    auth_scheme = "Key"
    auth_message = "No user found for Key ID and Secret"
    polls_can_finish = False  # the result is a request of its own

    def classify(self, req: Incoming) -> tuple[Phase | None, str | None]:
        segments, method = req.segments, req.method
        if len(segments) >= 4 and segments[2] == "requests":
            if method == "GET" and len(segments) == 5 and segments[4] == "status":
                return "poll", segments[3]
            if method == "GET" and len(segments) == 4:
                return "result", segments[3]
            return None, segments[3]
        if method == "POST" and len(segments) >= 2:
            return "submit", None
        return None, None

    def render_error(self, error: ApiError) -> Reply:
        headers = error.headers
        body: dict[str, Any]
        if error.status == 422:
            loc = ["body", error.parameter or "input"]
            kind = error.code or "value_error"
            body = {"detail": [{"loc": loc, "msg": error.message, "type": kind}]}
        else:
            body = {"detail": error.message}
            if error.status in _ERROR_TYPES:
                body["error_type"] = _ERROR_TYPES[error.status]
                headers["X-Fal-Error-Type"] = _ERROR_TYPES[error.status]
        return json_reply(error.status, body, headers=headers)

    def _refused(self, errors: list[SchemaError]) -> Reply:
        detail = [
            {
                "loc": ["body", *e.path],
                "msg": e.message,
                "type": _PYDANTIC_TYPES.get(e.keyword, f"{e.keyword}_error"),
            }
            for e in errors
        ]
        return json_reply(422, {"detail": detail})

    def route(self, req: Incoming, phase: Phase | None) -> Reply:
        if phase == "submit":
            return self._submit(req)
        segments = req.segments
        task = self._lookup(req, phase)
        if task is not None and task.path.split("/")[1:3] != segments[:2]:
            task = None  # an id is only known under its own owner/app
        if task is not None and req.method == "PUT" and segments[4:] == ["cancel"]:
            if task.finished:
                return self._about(
                    task, json_reply(400, {"status": "ALREADY_COMPLETED"})
                )
            task.canceled = True
            self.cancel_callback(task)
            cancel = json_reply(202, {"status": "CANCELLATION_REQUESTED"})
            return self._about(task, cancel)
        if task is None:
            return self.error(404, "Request not found")
        if phase == "poll":
            return self._status(req, task)
        if phase == "result":
            return self._result(task)
        return self.no_route(req)

    def _lookup(self, req: Incoming, phase: Phase | None) -> FakeTask | None:
        segments = req.segments
        if len(segments) < 4:
            return None
        if phase is None:  # no adoption outside polls and result fetches
            return self.book.tasks.get(segments[3])
        owner_app = "/" + "/".join(segments[:2])
        return self.find(segments[3], owner_app, {}, [req.path])

    def _urls(self, task: FakeTask) -> dict[str, str]:
        owner_app = "/".join(task.path.split("/")[1:3])
        base = f"{self.book.base_url()}/{owner_app}/requests/{task.id}"
        return {
            "response_url": base,
            "status_url": base + "/status",
            "cancel_url": base + "/cancel",
        }

    def _submit(self, req: Incoming) -> Reply:
        if not isinstance(req.json, Mapping):
            return self.error(422, "the input must be a JSON object")
        if self.config.validate_requests:
            endpoint = req.path.strip("/")
            errors = self.refusals(endpoint, req.json)
            if errors is None:
                return self.error(404, f"Application {endpoint!r} not found")
            if errors:
                return self._refused(errors)
        webhook = req.query.get("fal_webhook")
        if webhook is not None and not is_callback_url(webhook):
            detail = [
                {
                    "loc": ["query", "fal_webhook"],
                    "msg": "fal_webhook must be an absolute http(s) URL",
                    "type": "url_parsing",
                }
            ]
            return json_reply(422, {"detail": detail})
        count = req.json.get("num_images", 1)
        task = self.new_task(
            str(uuid.uuid4()),
            req.path,
            dict(req.json),
            [req.path],
            count=count if isinstance(count, int) else 1,
        )
        self.attach_callback(task, webhook)
        submitted = {
            "status": "IN_QUEUE",
            "request_id": task.id,
            "gateway_request_id": task.id,
            **self._urls(task),
            "queue_position": 0,
        }
        return self._about(task, json_reply(200, submitted, task_id=task.id))

    @staticmethod
    def _about(task: FakeTask, reply: Reply) -> Reply:
        """`reply` with the x-fal-request-id header every request answer has."""
        reply.headers["x-fal-request-id"] = task.id
        reply.task_id = task.id
        return reply

    def _logs(self, task: FakeTask) -> list[dict[str, Any]]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(task.created_at))
        return [
            {
                "message": f"fake runner: poll {task.polls}, state {task.state}",
                "level": "INFO",
                "source": "user",
                "timestamp": stamp + ".000000",
            }
        ]

    def _status(self, req: Incoming, task: FakeTask) -> Reply:
        result = self.advance(task)
        done = result != "pending"
        body: dict[str, Any] = {
            "status": "COMPLETED" if done else task.state,
            "request_id": task.id,
            **self._urls(task),
            "logs": self._logs(task) if req.query.get("logs") in _LOG_QUERY else None,
        }
        if not done and task.state == "IN_QUEUE":
            body["queue_position"] = 0
        if done:
            body["metrics"] = {"inference_time": 0.42}
        if result in ("failed", "canceled"):
            status = self.config.fal_error_status if result == "failed" else 400
            body["error"] = (
                task.error_message if result == "failed" else "Request was cancelled"
            )
            body["error_type"] = _ERROR_TYPES.get(status, "runner_server_error")
        reply = json_reply(200 if done else 202, body, task_id=task.id)
        return self._about(task, reply)

    def _result(self, task: FakeTask) -> Reply:
        if not task.finished:
            reply = self.error(400, "Request is still in progress", task_id=task.id)
        elif task.canceled or task.outcome == "canceled":
            reply = self.error(400, "Request was cancelled", task_id=task.id)
        elif task.outcome == "failed":
            status = self.config.fal_error_status
            reply = self.error(status, task.error_message, task_id=task.id)
        else:
            reply = json_reply(200, _output(task), task_id=task.id)
        return self._about(task, reply)

    # -- callbacks -------------------------------------------------------------------
    def callback_payloads(self, task: FakeTask, event: str) -> list[Any]:
        body: dict[str, Any] = {
            "request_id": task.id,
            "gateway_request_id": task.id,
        }
        outcome = self.outcome_now(task)
        if outcome == "success":
            body.update(status="OK", payload=_output(task), error=None)
        elif outcome == "failed":
            status = self.config.fal_error_status
            failure = json.loads(self.error(status, task.error_message).body)
            body.update(
                status="ERROR", payload=failure, error=f"Invalid status code: {status}"
            )
        else:  # canceled: undocumented for webhooks
            body.update(
                status="ERROR",
                payload={"detail": "Request was cancelled"},
                error="Request was cancelled",
            )
        if self.book.knobs.fal_payload_error:
            body["payload"] = None
            body["payload_error"] = (
                "Failed to serialize the payload: the result is not valid JSON"
            )
        return [body]
