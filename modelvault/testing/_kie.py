"""kie.ai fakes: market jobs (createTask / recordInfo) and Veo 3.1
(generate / record-info). Both wrap answers in {"code", "msg", "data"}; errors
put the status in `code` and, with kie_http_status="mirror", in HTTP too."""

from __future__ import annotations

import json
import secrets
import time
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from modelvault.testing._family import ApiError, FamilyApi
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
            problem = self.check(body)
            if problem is not None:
                return self.error(422, problem)
            task = self.new_task(self.new_id(), req.path, body, self.kind_hints(body))
            return self.ok({"taskId": task.id}, task.id)
        if phase == "poll":
            task_id = req.query.get("taskId", "")
            found = self.find(task_id, self.submit_path, {}, self.kind_hints({}))
            if found is None:
                return self.error(404, self.not_found)
            return self.ok(self.record(found, self.advance(found)), found.id)
        return self.no_route(req)

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
