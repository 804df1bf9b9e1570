"""kie.ai 4o Image fake: POST /api/v1/gpt4o-image/generate, GET
/api/v1/gpt4o-image/record-info. The kie envelope and error answers are those of
the other kie.ai fakes (`_kie._KieApi`): `{"code", "msg", "data"}`, errors with
the status in `code` (and in HTTP with kie_http_status="mirror").

Contract, as kie.ai documents it (docs.kie.ai/4o-image-api/quickstart,
generate-4-o-image, get-4-o-image-details, generate-4-o-image-callbacks):
- The generate body is flat and carries no model field: the path names the one
  model ("gpt4o-image" in schemas/kie_4o/). It is checked against that
  published schema: `size` required (1:1 | 3:2 | 2:3), at least one of
  `prompt` / `filesUrl` (at most 5 URLs), `nVariants` 1 | 2 | 4, the booleans
  `isEnhance`, `uploadCn`, `enableFallback`, and `maskUrl`, `fallbackModel`,
  `callBackUrl`, `fileUrl` (deprecated). A refusal is code 422 with the
  problems in `msg`. The answer is `{"code": 200, "msg": "success", "data":
  {"taskId": "task_4o_..."}}` (the quickstart's id shape).
- record-info: `data` {taskId, paramJson (the request as a JSON string),
  completeTime, createTime, response, successFlag, status, errorCode,
  errorMessage, progress}. status GENERATING (progress "0.00".."0.99",
  successFlag 0) until the end: SUCCESS (successFlag 1, progress "1.00",
  response {"resultUrls": [...]} as on the record-info page, one URL per
  nVariants) or the `kie4o_fail_status` knob, GENERATE_FAILED (default) or
  CREATE_TASK_FAILED, with errorCode and errorMessage. The successFlag of a
  failed task is not documented for 4o: the fake sends Veo's (2 for
  CREATE_TASK_FAILED, 3 for GENERATE_FAILED). An unknown taskId is a 404.
  kie's market "recordInfo is null" state is not documented for 4o, so the fake
  never sends it (inject a 422 "recordInfo is null" poll fault to test it).
- Callbacks (`callBackUrl`): POST JSON when the task ends, 15 s timeout;
  success `{"code": 200, "msg": "success", "data": {"taskId", "info":
  {"result_urls": [...]}}}`; failure with `kie4o_callback_fail_code` (400
  content policy / size / unprocessable image, 451 a filesUrl image could not
  be downloaded, 500 server error; default 500), the reason in `msg` and
  `"info": null` (the failure example's body was not retrieved: the page says
  info is "returned on success"). Signed with kie's optional HMAC when
  `kie_webhook_hmac_key` is set (the page points to kie's Webhook Verification
  Guide).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from modelvault.testing._kie import _KieApi
from modelvault.testing._types import FakeTask

PROVIDER_MODEL = "gpt4o-image"  # the schema file's id: the API has one model
_FAIL_FLAGS = {"CREATE_TASK_FAILED": 2, "GENERATE_FAILED": 3}
_AT_LEAST_ONE = "at least one of prompt or filesUrl must be provided"


def _now_ms() -> int:
    return int(time.time() * 1000)


class Kie4oApi(_KieApi):
    """kie.ai 4o Image: POST /api/v1/gpt4o-image/generate, GET .../record-info."""

    pending = ("GENERATING",)
    submit_path = "/api/v1/gpt4o-image/generate"
    poll_path = "/api/v1/gpt4o-image/record-info"
    not_found = "record-info: no such taskId"

    def new_id(self) -> str:
        return "task_4o_" + secrets.token_hex(12)

    def check(self, body: Mapping[str, Any]) -> str | None:
        prompt, files = body.get("prompt"), body.get("filesUrl")
        has_prompt = isinstance(prompt, str) and bool(prompt.strip())
        if not has_prompt and not (isinstance(files, list) and files):
            return _AT_LEAST_ONE
        if not isinstance(body.get("size"), str):
            return "size is required"
        return None

    def kind_hints(self, body: Mapping[str, Any]) -> list[str]:
        return ["image"]

    def provider_model(self, body: Mapping[str, Any]) -> Any:
        return PROVIDER_MODEL

    def refusal(self, body: Mapping[str, Any]) -> str | None:
        """Why the published schema refuses `body`, the at-least-one rule (the
        schema's top-level anyOf) in the docs' words."""
        errors = self.refusals(PROVIDER_MODEL, body)
        if errors is None:
            return f"no published schema for {PROVIDER_MODEL!r}"
        said = [
            _AT_LEAST_ONE
            if e.keyword == "anyOf" and not e.path
            else f"{e.field or 'body'}: {e.message}"
            for e in errors
        ]
        return "; ".join(said) or None

    def new_task(
        self,
        task_id: str,
        path: str,
        request: Any,
        kind_hints: Sequence[str],
        count: int = 1,
    ) -> FakeTask:
        variants = request.get("nVariants") if isinstance(request, Mapping) else None
        if isinstance(variants, int) and not isinstance(variants, bool):
            count = min(max(variants, 1), 4)
        return super().new_task(task_id, path, request, kind_hints, count)

    def record(self, task: FakeTask, result: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "taskId": task.id,
            "paramJson": json.dumps(task.request),
            "completeTime": None,
            "response": None,
            "successFlag": 0,
            "status": "GENERATING",
            "errorCode": None,
            "errorMessage": "",
            "createTime": int(task.created_at * 1000),
            "progress": self._progress(task),
        }
        if result == "success":
            data["completeTime"] = _now_ms()
            data["response"] = {"resultUrls": list(task.result_urls)}
            data["successFlag"] = 1
            data["status"] = "SUCCESS"
            data["progress"] = "1.00"
        elif result == "failed":
            status = self.config.kie4o_fail_status
            data["completeTime"] = _now_ms()
            data["successFlag"] = _FAIL_FLAGS[status]
            data["status"] = status
            data["errorCode"] = 400
            data["errorMessage"] = task.error_message
        return data

    def _progress(self, task: FakeTask) -> str:
        if task.completes_at is not None:
            span = max(task.completes_at - task.started_mono, 1e-9)
            done = (time.monotonic() - task.started_mono) / span
        else:
            done = task.polls / (task.polls_needed + 1)
        return f"{min(max(done, 0.0), 0.99):.2f}"

    def callback_payloads(self, task: FakeTask, event: str) -> list[Any]:
        if self.outcome_now(task) == "success":
            info = {"result_urls": list(task.result_urls)}
            data = {"taskId": task.id, "info": info}
            return [{"code": 200, "msg": "success", "data": data}]
        code = self.book.knobs.kie4o_callback_fail_code
        failed: dict[str, Any] = {"taskId": task.id, "info": None}
        return [{"code": code, "msg": task.error_message, "data": failed}]
