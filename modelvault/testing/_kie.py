"""kie.ai fakes: market jobs (createTask / recordInfo) and Veo 3.1
(generate / record-info). Both wrap answers in {"code", "msg", "data"}; errors
put the status in `code` and, with kie_http_status="mirror", in HTTP too.

Contract, as kie.ai documents it (docs.kie.ai; PROVIDERS.md):
- Errors: `{"code": <status>, "msg": <text>, "data": null}`; codes 401, 402,
  404, 422 (validation: "request parameters failed validation"), 429, 455, 500
  (docs.kie.ai/market/common/get-task-detail and each createTask page).
- A createTask body is checked against the model's published schema
  (schemas/kie_jobs/*.json, schemas/kie_veo/*.json). A refused field, or a model
  id no schema file covers (the published `model` field is an enum of the page's
  one id), is answered 422 with the problems in `msg` ("input.text: field
  required"). kie's exact wording is not documented; the code is.
- Right after createTask, recordInfo answers `{"code": 422, "msg": "recordInfo
  is null", "data": null}` until the task is visible (listed on kie's
  recordInfo page; public kie clients tolerate it): `kie_invisible_polls` such
  answers (default 1) precede the task's states waiting/queuing/generating ->
  success/fail. Whether kie's HTTP status mirrors `code` here is unconfirmed:
  `kie_http_status` covers both.
- Callbacks: `callBackUrl` in the createTask / generate body (in each published
  schema). Both POST JSON when the task ends, success or failure, with a 15 s
  timeout (docs.kie.ai/veo3-api/generate-veo-3-video-callbacks). Veo: success
  `{"code": 200, "msg": "Veo3.1 video generated successfully.", "data":
  {"taskId", "info": {"resultUrls", "originUrls", "resolution"},
  "fallbackFlag": false}}`; failure `{"code": 400 | 422 | 500 | 501, "msg":
  <reason>, "data": {"taskId", "fallbackFlag": false}}` (the failure example
  is in copies of that page; `veo_callback_fail_code` picks the code; the
  page's OpenAPI types resultUrls as a string while its examples show a list:
  the fake sends a list). Market jobs: the pages say only "System will POST
  task status and results to this URL when generation completes"
  (docs.kie.ai/market/...: callBackUrl); the body is not shown. Public kie
  integrations read it as the recordInfo answer, `{"code", "msg", "data":
  {taskId, model, state, param, resultJson, failCode, failMsg, ...}}`, which
  the fake sends: code 200 with state "success", or code 501 ("Generation
  Failed" in kie's code list) with state "fail" (unconfirmed). Unsigned by
  default; kie's optional HMAC (docs.kie.ai/common-api/webhook-verification)
  is sent when `kie_webhook_hmac_key` is set (`_signing`).
"""

from __future__ import annotations

import json
import secrets
import time
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from modelvault.testing._family import ApiError, FamilyApi, is_callback_url
from modelvault.testing._http import Incoming, Reply, json_reply
from modelvault.testing._types import FakeTask, Phase


def _now_ms() -> int:
    return int(time.time() * 1000)


class _KieApi(FamilyApi):
    """The routing both kie.ai APIs share; subclasses give paths and shapes."""

    submit_path: ClassVar[str]
    poll_path: ClassVar[str]
    not_found: ClassVar[str]  # the message for an unknown taskId

    @abstractmethod
    def new_id(self) -> str: ...

    @abstractmethod
    def check(self, body: Mapping[str, Any]) -> str | None:
        """Why a submit body is refused (422), or None."""

    @abstractmethod
    def kind_hints(self, body: Mapping[str, Any]) -> list[str]: ...

    @abstractmethod
    def record(self, task: FakeTask, result: str) -> dict[str, Any]:
        """The `data` of a poll answer after `advance` returned `result`."""

    def classify(self, req: Incoming) -> tuple[Phase | None, str | None]:
        path = req.path.rstrip("/")
        if req.method == "POST" and path == self.submit_path:
            return "submit", None
        if req.method == "GET" and path == self.poll_path:
            return "poll", req.query.get("taskId")
        return None, None

    def route(self, req: Incoming, phase: Phase | None) -> Reply:
        if phase == "submit":
            body = req.json
            if not isinstance(body, Mapping):
                return self.error(422, "the request body must be a JSON object")
            problem = self.refusal(body) if self.config.validate_requests else None
            problem = problem or self.check(body)
            if problem is not None:
                return self.error(422, problem)
            callback = body.get("callBackUrl")
            if callback is not None and not is_callback_url(callback):
                return self.error(422, "callBackUrl must be an absolute http(s) URL")
            task = self.new_task(self.new_id(), req.path, body, self.kind_hints(body))
            task.hidden_polls = self.invisible_polls()
            self.attach_callback(task, callback)
            return self.ok({"taskId": task.id}, task.id)
        if phase == "poll":
            task_id = req.query.get("taskId", "")
            found = self.find(task_id, self.submit_path, {}, self.kind_hints({}))
            if found is None:
                return self.error(404, self.not_found)
            if found.hidden_polls > 0:  # created, not yet visible to recordInfo
                found.hidden_polls -= 1
                return self.error(422, "recordInfo is null", task_id=found.id)
            return self.ok(self.record(found, self.advance(found)), found.id)
        return self.no_route(req)

    def invisible_polls(self) -> int:
        """How many polls after a submit answer "recordInfo is null"."""
        return 0

    def terminal(self, phase: Phase | None, task_id: str | None) -> bool:
        task = self.book.tasks.get(task_id or "")
        if phase == "poll" and task is not None and task.hidden_polls > 0:
            return False
        return super().terminal(phase, task_id)

    def refusal(self, body: Mapping[str, Any]) -> str | None:
        """Why the provider's published schema refuses `body` (422), or None."""
        model = self.provider_model(body)
        errors = self.refusals(model, body)
        if errors is None:
            return f"model {model!r} is not supported: no such model on this endpoint"
        if not errors:
            return None
        return "; ".join(f"{e.field or 'body'}: {e.message}" for e in errors)

    def provider_model(self, body: Mapping[str, Any]) -> Any:
        return body.get("model")

    def ok(self, data: Any, task_id: str) -> Reply:
        body = {"code": 200, "msg": "success", "data": data}
        return json_reply(200, body, task_id=task_id)

    def render_error(self, error: ApiError) -> Reply:
        mirror = self.config.kie_http_status == "mirror"
        body = {"code": error.status, "msg": error.message, "data": None}
        return json_reply(error.status if mirror else 200, body, headers=error.headers)


class KieJobsApi(_KieApi):
    """kie.ai market jobs: POST /api/v1/jobs/createTask, GET .../recordInfo."""

    pending = ("waiting", "queuing", "generating")
    submit_path = "/api/v1/jobs/createTask"
    poll_path = "/api/v1/jobs/recordInfo"
    not_found = "recordInfo is null: no such taskId"

    def new_id(self) -> str:
        return secrets.token_hex(16)

    def invisible_polls(self) -> int:
        return self.config.kie_invisible_polls

    def check(self, body: Mapping[str, Any]) -> str | None:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return "model is required"
        if not isinstance(body.get("input"), Mapping):
            return "input is required and must be an object"
        return None

    def kind_hints(self, body: Mapping[str, Any]) -> list[str]:
        return [str(body.get("model") or "")]

    def record(self, task: FakeTask, result: str) -> dict[str, Any]:
        now = _now_ms()
        data: dict[str, Any] = {
            "taskId": task.id,
            "model": task.request.get("model"),
            "state": task.state if result == "pending" else "",
            "param": json.dumps(task.request),
            "resultJson": "",
            "failCode": "",
            "failMsg": "",
            "costTime": None,
            "completeTime": None,
            "createTime": int(task.created_at * 1000),
            "updateTime": now,
        }
        if result == "success":
            data["state"] = "success"
            data["resultJson"] = json.dumps({"resultUrls": list(task.result_urls)})
            data["completeTime"] = now
            data["costTime"] = now - data["createTime"]
        elif result == "failed":
            data["state"] = "fail"
            data["failCode"] = "500"
            data["failMsg"] = task.error_message
            data["completeTime"] = now
        return data

    def callback_payloads(self, task: FakeTask, event: str) -> list[Any]:
        outcome = self.outcome_now(task)
        data = self.record(task, outcome)
        if outcome == "success":
            return [{"code": 200, "msg": "success", "data": data}]
        return [{"code": 501, "msg": task.error_message, "data": data}]


class KieVeoApi(_KieApi):
    """kie.ai Veo 3.1: POST /api/v1/veo/generate, GET .../record-info."""

    pending = ("generating",)
    submit_path = "/api/v1/veo/generate"
    poll_path = "/api/v1/veo/record-info"
    not_found = "record-info: no such taskId"

    def new_id(self) -> str:
        return "veo_task_" + secrets.token_hex(12)

    def check(self, body: Mapping[str, Any]) -> str | None:
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return "prompt is required"
        images = body.get("imageUrls")
        if images is not None and not (
            isinstance(images, list) and all(isinstance(u, str) for u in images)
        ):
            return "imageUrls must be a list of URLs"
        mode = body.get("generationType", "TEXT_2_VIDEO")
        if mode != "TEXT_2_VIDEO" and not images:
            return f"imageUrls is required for {mode}"
        return None

    def kind_hints(self, body: Mapping[str, Any]) -> list[str]:
        return ["video"]

    def provider_model(self, body: Mapping[str, Any]) -> Any:
        return body.get("model", "veo3_fast")  # the documented default

    def record(self, task: FakeTask, result: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "taskId": task.id,
            "paramJson": json.dumps(task.request),
            "completeTime": None,
            "response": None,
            "successFlag": 0,
            "errorCode": None,
            "errorMessage": None,
            "createTime": int(task.created_at * 1000),
            "fallbackFlag": False,
        }
        if result == "success":
            data["successFlag"] = 1
            data["completeTime"] = _now_ms()
            data["response"] = {
                "taskId": task.id,
                "resultUrls": list(task.result_urls),
                "originUrls": [],
                "resolution": "720p",
            }
        elif result == "failed":
            data["successFlag"] = self.config.veo_fail_flag
            data["errorCode"] = 400
            data["errorMessage"] = task.error_message
            data["completeTime"] = _now_ms()
        return data

    def callback_payloads(self, task: FakeTask, event: str) -> list[Any]:
        if self.outcome_now(task) == "success":
            info = {
                "resultUrls": list(task.result_urls),
                "originUrls": [],
                "resolution": "720p",
            }
            data = {"taskId": task.id, "info": info, "fallbackFlag": False}
            return [
                {
                    "code": 200,
                    "msg": "Veo3.1 video generated successfully.",
                    "data": data,
                }
            ]
        code = self.book.knobs.veo_callback_fail_code
        data = {"taskId": task.id, "fallbackFlag": False}
        return [{"code": code, "msg": task.error_message, "data": data}]
