"""fal.ai queue fake: POST /{owner}/{app}[/...] submits; GET
/{owner}/{app}/requests/{id}/status polls; GET .../requests/{id} fetches the
result (or the failure); PUT .../requests/{id}/cancel cancels. Errors:
{"detail": ...} (a validation list for 422, plus error_type for 5xx)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from modelvault.testing._family import ApiError, FamilyApi
from modelvault.testing._http import Incoming, Reply, json_reply
from modelvault.testing._types import FakeTask, OutputKind, Phase

_MIME: dict[OutputKind, str] = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "audio": "audio/mpeg",
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

    def route(self, req: Incoming, phase: Phase | None) -> Reply:
        if phase == "submit":
            return self._submit(req)
        segments = req.segments
        task = self._lookup(req, phase)
        if task is not None and task.path.split("/")[1:3] != segments[:2]:
            task = None  # an id is only known under its own owner/app
        if task is not None and req.method == "PUT" and segments[4:] == ["cancel"]:
            if task.finished:
                return json_reply(400, {"status": "ALREADY_COMPLETED"})
            task.canceled = True
            return json_reply(202, {"status": "CANCELLATION_REQUESTED"})
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
        count = req.json.get("num_images", 1)
        task = self.new_task(
            str(uuid.uuid4()),
            req.path,
            dict(req.json),
            [req.path],
            count=count if isinstance(count, int) else 1,
        )
        submitted = {
            "request_id": task.id,
            "gateway_request_id": task.id,
            **self._urls(task),
            "queue_position": 0,
        }
        return json_reply(200, submitted, task_id=task.id)

    def _status(self, req: Incoming, task: FakeTask) -> Reply:
        result = self.advance(task)
        body: dict[str, Any] = {
            "status": "COMPLETED" if result != "pending" else task.state,
            "request_id": task.id,
            **self._urls(task),
            "logs": [] if req.query.get("logs") == "1" else None,
        }
        if result == "pending" and task.state == "IN_QUEUE":
            body["queue_position"] = 0
        if result != "pending":
            body["metrics"] = {"inference_time": 0.42}
        return json_reply(200, body, task_id=task.id)

    def _result(self, task: FakeTask) -> Reply:
        if not task.finished:
            return self.error(400, "Request is still in progress", task_id=task.id)
        if task.canceled or task.outcome == "canceled":
            return self.error(400, "Request was cancelled", task_id=task.id)
        if task.outcome == "failed":
            status = self.config.fal_error_status
            return self.error(status, task.error_message, task_id=task.id)
        return json_reply(200, _output(task), task_id=task.id)
