"""Runware fake: one endpoint (POST /v1) taking a JSON array of tasks; async
tasks are acknowledged and then polled with a getResponse task, sync ones are
answered with their result.

Contract, as Runware documents it:
- Errors (runware.ai/docs/platform/errors): `{"errors": [{"code", "message",
  "parameter", "taskType", "taskUUID", "documentation"}]}` with HTTP 400 (bad
  request, e.g. a missing parameter), 401, 402, 403, 404, 429 (unconfirmed).
- Each inference task is checked against its model's published schema
  (schemas/runware/*.json, from Runware's schema bundle as vendored by the
  official runware-sdk). Refusals are HTTP 400 naming the `parameter`, with the
  raw codes the official SDK knows (runware/errors.py): "missingParameter",
  "unknownParameter", "invalidParameter", and "unknownModel" for an AIR no
  schema file covers (the exact codes and the 400 for an unknown model are
  not on Runware's errors page).
- getResponse items go `pending` (older docs page; the SDK treats
  queued/pending/scheduled/waiting as running) -> `processing` -> `success`.
  A failed task is reported either as the top-level `errors` array or as
  `data: [{"status": "error", "error": {code, message}}]` (the official SDK
  reads both): `runware_error_shape` picks one.
- Checked against the official runware-sdk 1.8.0 REST transport
  (tests/test_official_clients.py): it sends `deliveryMethod: "async"`, polls
  getResponse, treats `pending` as running, raises on either failure shape and
  maps the refusal codes above to its "validation" category; no disagreement
  was found. The SDK also speaks WebSocket; only REST is exercised here.
- Webhooks (runware.ai/docs/platform/webhooks; each task type's `webhookURL`
  parameter, e.g. runware.ai/docs/image-inference/api-reference): a task's
  `webhookURL` (in the published schema of every model here). The task is
  processed asynchronously, the submit answer is the acknowledgement, and
  Runware POSTs "the complete task response as JSON"; "for batch requests with
  multiple results, each completed item triggers a separate webhook call". The
  docs show no example body: the fake sends the API's own envelope with one
  item, {"data": [item]}, per result (public integrations read it so), and a
  failed task as the API reports one ({"errors": [...]}, or with
  runware_error_shape="data" {"data": [{"status": "error", ...}]}): the failure
  body is unconfirmed. Unsigned: the docs advise a token in the URL's query.
  A non-2xx answer is retried (schedule not documented).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from modelvault.testing._family import ApiError, FamilyApi, is_callback_url
from modelvault.testing._http import Incoming, Reply, json_reply
from modelvault.testing._types import FakeTask, Phase

_CODES = {
    400: "invalidRequest",
    401: "invalidApiKey",
    402: "insufficientCredits",
    403: "forbidden",
    404: "notFound",
    422: "invalidParameter",
    429: "rateLimitExceeded",
}
_Items = list[dict[str, Any]]


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _poll_uuid(items: Any) -> str | None:
    """The taskUUID of the first getResponse task in a request body, if any."""
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and item.get("taskType") == "getResponse":
            return str(item.get("taskUUID"))
    return None


def _body(data: _Items, errors: _Items) -> dict[str, Any]:
    body: dict[str, Any] = {"data": data}
    if errors:
        body["errors"] = errors
    return body


def _code(keyword: str) -> str:
    if keyword == "required":
        return "missingParameter"
    if keyword == "additionalProperties":
        return "unknownParameter"
    return "invalidParameter"


class RunwareApi(FamilyApi):
    pending = ("pending", "processing")

    def classify(self, req: Incoming) -> tuple[Phase | None, str | None]:
        if req.method != "POST" or req.path.rstrip("/") != "/v1":
            return None, None
        task_uuid = _poll_uuid(req.json)
        return ("submit", None) if task_uuid is None else ("poll", task_uuid)

    def auth_error(self) -> Reply:
        return self.error(
            401,
            "Invalid API key. Get one at https://my.runware.ai/signup",
            code="invalidApiKey",
            parameter="apiKey",
            task_type="authentication",
        )

    def render_error(self, error: ApiError) -> Reply:
        item: dict[str, Any] = {
            "code": error.code or _CODES.get(error.status, "internalError"),
            "message": error.message,
        }
        if error.parameter:
            item["parameter"] = error.parameter
        if error.task_type:
            item["taskType"] = error.task_type
        if error.task_id:
            item["taskUUID"] = error.task_id
        return json_reply(error.status, {"errors": [item]}, headers=error.headers)

    def route(self, req: Incoming, phase: Phase | None) -> Reply:
        items = req.json
        if phase is None:
            return self.no_route(req)
        if not isinstance(items, list) or not items:
            return self.error(400, "the body must be a JSON array of tasks")
        if phase == "poll":
            return self._poll(req, str(_poll_uuid(items)))
        return self._submit(req, items)

    def _poll(self, req: Incoming, task_uuid: str) -> Reply:
        kind = self.config.output_kind or "image"
        adopted = {"taskType": f"{kind}Inference", "taskUUID": task_uuid}
        task = self.find(task_uuid, req.path, adopted, [adopted["taskType"]])
        if task is None:
            return self._refuse(
                f"no task found for taskUUID {task_uuid}",
                "taskNotFound",
                "getResponse",
                task_uuid,
            )
        data, errors = self._items(task, self.advance(task))
        return json_reply(200, _body(data, errors), task_id=task.id)

    def _refuse(
        self,
        message: str,
        code: str,
        task_type: str,
        task_id: str | None = None,
        parameter: str = "taskUUID",
    ) -> Reply:
        """A 400 naming the refused `parameter` of one task."""
        return self.error(
            400,
            message,
            code=code,
            parameter=parameter,
            task_type=task_type,
            task_id=task_id,
        )

    def _submit(self, req: Incoming, items: list[Any]) -> Reply:
        acks: _Items = []
        sync: list[FakeTask] = []
        for item in items:
            if not isinstance(item, Mapping):
                return self.error(400, "every task must be a JSON object")
            task_type = item.get("taskType")
            raw_uuid = item.get("taskUUID")
            if not isinstance(task_type, str) or not task_type:
                return self.error(400, "taskType is required", parameter="taskType")
            if not _is_uuid(raw_uuid):
                return self._refuse(
                    "taskUUID must be a UUID v4 string", "invalidTaskUUID", task_type
                )
            task_uuid = str(raw_uuid)
            if task_uuid in self.book.tasks:
                message = f"taskUUID {task_uuid} was already used"
                return self._refuse(message, "duplicateTaskUUID", task_type, task_uuid)
            if not isinstance(item.get("model"), str):
                return self._refuse(
                    "model is required",
                    "missingParameter",
                    task_type,
                    task_uuid,
                    parameter="model",
                )
            refused = self._validate(item, task_type, task_uuid)
            if refused is not None:
                return refused
            webhook = item.get("webhookURL")
            if webhook is not None and not is_callback_url(webhook):
                return self._refuse(
                    "webhookURL must be an absolute http(s) URL",
                    "invalidWebhookURL",
                    task_type,
                    task_uuid,
                    parameter="webhookURL",
                )
            count = item.get("numberResults", 1)
            task = self.new_task(
                task_uuid,
                req.path,
                dict(item),
                [task_type],
                count=count if isinstance(count, int) else 1,
            )
            self.attach_callback(task, webhook)
            if item.get("deliveryMethod") == "async" or webhook is not None:
                acks.append({"taskType": task_type, "taskUUID": task_uuid})
            else:
                sync.append(task)
        data: _Items = list(acks)
        errors: _Items = []
        for task in sync:  # synchronous delivery: the answer is the result itself
            task.polls = task.polls_needed
            more_data, more_errors = self._items(task, self.advance(task))
            data += more_data
            errors += more_errors
        body = _body(data, errors)
        return json_reply(200, body, task_id=str(items[0].get("taskUUID")))

    def _validate(
        self, item: Mapping[str, Any], task_type: str, task_uuid: str
    ) -> Reply | None:
        """Runware's 400 for a task its model's published schema refuses."""
        if not self.config.validate_requests:
            return None
        model = item.get("model")
        errors = self.refusals(model, dict(item))
        if errors is None:
            message = f"Unknown model {model!r}: no such AIR identifier"
            return self._refuse(message, "unknownModel", task_type, task_uuid, "model")
        if not errors:
            return None
        first = errors[0]
        message = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return self._refuse(
            f"Invalid parameters for {model}: {message}",
            _code(first.keyword),
            task_type,
            task_uuid,
            parameter=first.field or "task",
        )

    def _items(self, task: FakeTask, result: str) -> tuple[_Items, _Items]:
        """(data, errors) items for a task after `advance` returned `result`."""
        task_type = str(task.request.get("taskType"))
        if result == "failed":
            if self.config.runware_error_shape == "data":
                item = {
                    "taskType": task_type,
                    "taskUUID": task.id,
                    "status": "error",
                    "error": {"code": "timeoutProvider", "message": task.error_message},
                }
                return [item], []
            error = {
                "code": "timeoutProvider",
                "status": "error",
                "message": task.error_message,
                "taskType": task_type,
                "taskUUID": task.id,
            }
            return [], [error]
        if result == "pending":
            pending = {"taskType": task_type, "taskUUID": task.id}
            return [{**pending, "status": task.state}], []
        kind = task.output_kind
        items = [
            {
                "taskType": task_type,
                "taskUUID": task.id,
                "status": "success",
                f"{kind}UUID": str(uuid.uuid5(uuid.NAMESPACE_URL, url)),
                f"{kind}URL": url,
                "cost": 0.0013,
            }
            for url in task.result_urls
        ]
        return items, []

    # -- callbacks -------------------------------------------------------------------
    def callback_payloads(self, task: FakeTask, event: str) -> list[Any]:
        data, errors = self._items(task, self.outcome_now(task))
        if errors:
            return [{"errors": errors}]
        return [{"data": [item]} for item in data]
