"""Provider states as the providers document them, against the real model files.

Every answer comes from a small scripted HTTP server on 127.0.0.1 (stdlib
http.server in a thread): each request takes the next scripted reply for its
route, so a test says exactly what the provider answers, in order, and sees
every request the model file sent. The bundled fakes are not used here.

Sources (cited in the templates too): kie.ai market get-task-detail (the 422
"recordInfo is null" example), Runware task polling / the official runware-sdk
(`_is_terminal`, item errors), Replicate's prediction lifecycle (`aborted`),
fal's queue docs (take status_url/response_url from the submit answer) and
fal-client's `Completed(error, error_type)`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

import modelvault
from modelvault import MemoryStore

KEY = "sk-provider-states-0123456789"

# --- a scripted provider -----------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `body` is JSON-encoded unless it is bytes; with
    `trickle_s` the body goes out one byte every trickle_s seconds; with
    `stream_bytes` it is streamed chunked (no length), padded with spaces to
    that many bytes."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    trickle_s: float = 0.0
    stream_bytes: int = 0


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    host: str


def default_route(seen: Seen) -> str:
    return f"{seen.method} {seen.path}"


class ScriptedServer:
    """A loopback HTTP server answering each route from its own queue of replies.

    An empty queue answers with the route's `default` reply if one is set, else
    404 (so a URL the model file should not use fails loudly)."""

    def __init__(self, route: Callable[[Seen], str] = default_route) -> None:
        self.route = route
        self.queues: dict[str, deque[Reply]] = {}
        self.defaults: dict[str, Reply] = {}
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, route: str, *replies: Reply) -> None:
        with self.lock:
            self.queues.setdefault(route, deque()).extend(replies)

    def default(self, route: str, reply: Reply) -> None:
        with self.lock:
            self.defaults[route] = reply

    def seen(self, route: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.requests if self.route(s) == route]

    def _next(self, seen: Seen) -> Reply:
        route = self.route(seen)
        with self.lock:
            self.requests.append(seen)
            queue = self.queues.get(route)
            if queue:
                return queue.popleft()
            return self.defaults.get(route, Reply(404, {"detail": f"no {route}"}))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                parts = urlsplit(self.path)
                seen = Seen(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    self.headers.get("Host", ""),
                )
                reply = server._next(seen)
                try:
                    self._reply(reply)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _reply(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, bytes):
                    data = reply.body
                elif reply.body is None:
                    data = b""
                else:
                    data = json.dumps(reply.body).encode()
                if reply.stream_bytes:
                    self._stream(data, reply.stream_bytes)
                    return
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if reply.trickle_s:
                    for index in range(len(data)):
                        self.wfile.write(data[index : index + 1])
                        self.wfile.flush()
                        time.sleep(reply.trickle_s)
                else:
                    self.wfile.write(data)

            def _stream(self, data: bytes, total: int) -> None:
                """`data`, then spaces up to `total` bytes, chunked (no length)."""
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                if data:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                pad = b" " * 65536
                left = total - len(data)
                while left > 0:
                    part = pad[: min(left, len(pad))]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    left -= len(part)
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_PUT = _handle  # noqa: N815

        return Handler

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class VirtualClock:
    """Time that passes only when the model file sleeps (no real waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(runware_route) as started:
        yield started


# --- per-family routes and answers ---------------------------------------------------

KIE_SUBMIT = "POST /api/v1/jobs/createTask"
KIE_POLL = "GET /api/v1/jobs/recordInfo"
VEO_SUBMIT = "POST /api/v1/veo/generate"
VEO_POLL = "GET /api/v1/veo/record-info"
RUNWARE_SUBMIT = "runware submit"
RUNWARE_POLL = "runware getResponse"
REPLICATE_SUBMIT = "POST /v1/models/black-forest-labs/flux-schnell/predictions"
REPLICATE_POLL = "GET /v1/predictions/pred-1"
FAL_SUBMIT = "POST /fal-ai/flux/schnell"
FAL_BUILT_STATUS = "GET /fal-ai/flux/requests/req-1/status"
FAL_BUILT_RESULT = "GET /fal-ai/flux/requests/req-1"
FAL_STATUS = "GET /queue/custom/req-1/state"
FAL_RESULT = "GET /queue/custom/req-1/output"

OUT = "https://cdn.example/out.png"


def runware_route(seen: Seen) -> str:
    if seen.path == "/v1" and isinstance(seen.body, list) and seen.body:
        first = seen.body[0]
        kind = first.get("taskType") if isinstance(first, dict) else None
        return RUNWARE_POLL if kind == "getResponse" else RUNWARE_SUBMIT
    return default_route(seen)


def kie_ok(task_id: str = "task-1") -> Reply:
    return Reply(200, {"code": 200, "msg": "success", "data": {"taskId": task_id}})


def kie_record(state: str, **extra: Any) -> Reply:
    data = {"taskId": "task-1", "state": state, **extra}
    return Reply(200, {"code": 200, "msg": "success", "data": data})


def kie_success() -> Reply:
    return kie_record("success", resultJson=json.dumps({"resultUrls": [OUT]}))


RECORD_INFO_NULL = {"code": 422, "msg": "recordInfo is null", "data": None}


def veo_record(flag: int, **extra: Any) -> Reply:
    data = {"taskId": "task-1", "successFlag": flag, **extra}
    return Reply(200, {"code": 200, "msg": "success", "data": data})


def runware_items(*items: dict[str, Any]) -> Reply:
    return Reply(200, {"data": list(items)})


def prediction(status: str, **extra: Any) -> Reply:
    return Reply(200, {"id": "pred-1", "status": status, **extra})


def load(model_id: str) -> ModuleType:
    return modelvault.get(model_id)


def execute(
    module: ModuleType,
    inputs: dict[str, Any],
    server: ScriptedServer,
    store: Any,
    clock: VirtualClock,
    **kwargs: Any,
) -> str:
    with httpx.Client() as client:
        result = module.execute(
            inputs,
            api_key=kwargs.pop("api_key", KEY),
            store=store,
            client=client,
            generation_id=kwargs.pop("generation_id", "gen-1"),
            base_url=server.url,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
            **kwargs,
        )
    return str(result)


def execute_async(
    module: ModuleType,
    inputs: dict[str, Any],
    server: ScriptedServer,
    store: Any,
    clock: VirtualClock,
    **kwargs: Any,
) -> str:
    async def main() -> str:
        async with httpx.AsyncClient() as client:
            result = await module.execute_async(
                inputs,
                api_key=KEY,
                store=store,
                client=client,
                generation_id="gen-1",
                base_url=server.url,
                monotonic=clock.monotonic,
                sleep=clock.async_sleep,
                **kwargs,
            )
        return str(result)

    return asyncio.run(main())


def runner(aio: bool) -> Callable[..., str]:
    """execute (sync) or execute_async (async): the same arguments either way."""
    return execute_async if aio else execute


def record(store: Any, generation_id: str = "gen-1") -> modelvault.Generation:
    got: modelvault.Generation | None = store.get_generation(generation_id)
    assert got is not None
    return got


TTS = "elevenlabs-tts-multilingual-v2"
TTS_INPUTS: dict[str, Any] = {"text": "Hello there"}
VEO = "google-veo-3-1-fast"
VEO_INPUTS: dict[str, Any] = {"prompt": "a fox in the snow"}
RUNWARE = "flux-1-schnell-runware"
RUNWARE_INPUTS: dict[str, Any] = {"prompt": "a red fox"}
REPLICATE = "flux-schnell-replicate"
REPLICATE_INPUTS: dict[str, Any] = {"prompt": "a lighthouse"}
FAL = "flux-1-schnell-fal"
FAL_INPUTS: dict[str, Any] = {"prompt": "a tiger eye"}

# --- transient faults never end a paid task -----------------------------------------


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
def test_six_503s_then_success_completes(aio: bool, server: ScriptedServer) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    busy = Reply(503, {"code": 503, "msg": "busy"})
    server.script(KIE_POLL, *[busy] * 6, kie_success())
    store, clock = MemoryStore(), VirtualClock()
    runner(aio)(load(TTS), TTS_INPUTS, server, store, clock)
    got = record(store)
    assert got.status == "completed"
    assert got.outputs == [OUT]
    assert len(server.seen(KIE_SUBMIT)) == 1
    assert len(server.seen(KIE_POLL)) == 7


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
def test_six_429s_then_success_honours_retry_after(
    aio: bool, server: ScriptedServer
) -> None:
    server.script(REPLICATE_SUBMIT, Reply(201, {"id": "pred-1", "status": "starting"}))
    throttled = Reply(
        429, {"detail": "Request was throttled."}, headers={"Retry-After": "7"}
    )
    server.script(
        REPLICATE_POLL, *[throttled] * 6, prediction("succeeded", output=[OUT])
    )
    store, clock = MemoryStore(), VirtualClock()
    runner(aio)(load(REPLICATE), REPLICATE_INPUTS, server, store, clock)
    assert record(store).status == "completed"
    assert clock.sleeps.count(7.0) == 6


def test_faults_until_the_deadline_leave_the_record_processing_with_the_problem(
    server: ScriptedServer,
) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    server.default(KIE_POLL, Reply(503, {"code": 503, "msg": "upstream busy"}))
    store, clock = MemoryStore(), VirtualClock()
    module = load(TTS)
    with pytest.raises(module.PollTimeout) as excinfo:
        execute(module, TTS_INPUTS, server, store, clock, timeout_s=120)
    assert excinfo.value.task_id == "task-1"
    got = record(store)
    assert got.status == "processing"
    assert got.provider_task_id == "task-1"
    assert got.error is not None
    assert got.error["kind"] == "timeout"
    assert got.error["last_problem"]["kind"] == "server"
    assert got.error["last_problem"]["status_code"] == 503
    assert "upstream busy" in got.error["message"]
    assert len(server.seen(KIE_POLL)) > 6  # far more than the old limit of 5


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
def test_a_single_401_on_a_poll_keeps_the_task(
    aio: bool, server: ScriptedServer
) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    server.script(KIE_POLL, Reply(401, {"code": 401, "msg": "Unauthorized"}))
    store, clock = MemoryStore(), VirtualClock()
    module = load(TTS)
    with pytest.raises(module.ProviderError) as excinfo:
        runner(aio)(module, TTS_INPUTS, server, store, clock)
    error = excinfo.value
    assert error.kind == "auth"
    assert error.final is False
    assert error.task_id == "task-1"
    assert "KIE_API_KEY" in str(error)
    assert KEY not in str(error)
    got = record(store)
    assert got.status == "processing"
    assert got.provider_task_id == "task-1"
    assert got.error is not None and got.error["status_code"] == 401
    assert len(server.seen(KIE_POLL)) == 1  # stopped at once


def test_repeated_404_polls_stop_after_the_limit_without_ending_the_task(
    server: ScriptedServer,
) -> None:
    server.script(REPLICATE_SUBMIT, Reply(201, {"id": "pred-1", "status": "starting"}))
    server.default(REPLICATE_POLL, Reply(404, {"detail": "Not found."}))
    store, clock = MemoryStore(), VirtualClock()
    module = load(REPLICATE)
    with pytest.raises(module.ProviderError) as excinfo:
        execute(module, REPLICATE_INPUTS, server, store, clock)
    assert excinfo.value.final is False
    assert excinfo.value.task_id == "pred-1"
    assert len(server.seen(REPLICATE_POLL)) == module.POLL_FAILURE_LIMIT
    assert record(store).status == "processing"


def test_resume_after_a_poll_problem_finishes_the_same_task(
    server: ScriptedServer,
) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    server.script(KIE_POLL, Reply(403, {"code": 403, "msg": "Forbidden"}))
    store, clock = MemoryStore(), VirtualClock()
    module = load(TTS)
    with pytest.raises(module.ProviderError):
        execute(module, TTS_INPUTS, server, store, clock)
    server.script(KIE_POLL, kie_success())
    with httpx.Client() as client:
        module.resume(
            "gen-1",
            "task-1",
            api_key=KEY,
            store=store,
            client=client,
            base_url=server.url,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
            elapsed_before_s=30.0,
        )
    assert record(store).status == "completed"
    assert len(server.seen(KIE_SUBMIT)) == 1


# --- kie.ai: "recordInfo is null" and answers without data ----------------------------


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("http_status", [200, 422])
def test_kie_record_info_is_null_is_pending(
    aio: bool, http_status: int, server: ScriptedServer
) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    null = Reply(http_status, RECORD_INFO_NULL)
    server.script(KIE_POLL, null, null, kie_record("generating"), kie_success())
    store, clock = MemoryStore(), VirtualClock()
    runner(aio)(load(TTS), TTS_INPUTS, server, store, clock)
    assert record(store).status == "completed"
    assert [s.query["taskId"] for s in server.seen(KIE_POLL)] == [["task-1"]] * 4


def test_kie_veo_record_info_is_null_is_pending(server: ScriptedServer) -> None:
    server.script(VEO_SUBMIT, kie_ok())
    null = Reply(200, RECORD_INFO_NULL)
    done = veo_record(1, response={"resultUrls": [OUT]})
    server.script(VEO_POLL, null, veo_record(0), done)
    store, clock = MemoryStore(), VirtualClock()
    execute(load(VEO), VEO_INPUTS, server, store, clock)
    assert record(store).status == "completed"
    assert record(store).outputs == [OUT]


NO_DATA_ANSWERS = [
    pytest.param({"code": 200, "msg": "success", "data": None}, id="data-null"),
    pytest.param({"code": 200, "msg": "success", "data": []}, id="data-empty-list"),
    pytest.param({"code": 200, "msg": "success"}, id="no-data"),
]


@pytest.mark.parametrize("answer", NO_DATA_ANSWERS)
def test_kie_poll_answers_without_data_are_transient(
    answer: dict[str, Any], server: ScriptedServer
) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    server.script(KIE_POLL, Reply(200, answer), Reply(200, answer), kie_success())
    store, clock = MemoryStore(), VirtualClock()
    execute(load(TTS), TTS_INPUTS, server, store, clock)
    assert record(store).status == "completed"


@pytest.mark.parametrize("answer", NO_DATA_ANSWERS)
def test_kie_veo_poll_answers_without_data_are_transient(
    answer: dict[str, Any], server: ScriptedServer
) -> None:
    server.script(VEO_SUBMIT, kie_ok())
    done = veo_record(1, response={"resultUrls": [OUT]})
    server.script(VEO_POLL, Reply(200, answer), done)
    store, clock = MemoryStore(), VirtualClock()
    execute(load(VEO), VEO_INPUTS, server, store, clock)
    assert record(store).status == "completed"


def test_kie_data_null_until_the_deadline_keeps_the_task(
    server: ScriptedServer,
) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    server.default(KIE_POLL, Reply(200, {"code": 200, "msg": "success", "data": None}))
    store, clock = MemoryStore(), VirtualClock()
    module = load(TTS)
    with pytest.raises(module.PollTimeout) as excinfo:
        execute(module, TTS_INPUTS, server, store, clock, timeout_s=60)
    assert excinfo.value.task_id == "task-1"
    got = record(store)
    assert got.status == "processing"
    assert got.error is not None
    assert got.error["last_problem"]["kind"] == "malformed"


def test_kie_fail_state_still_ends_the_task(server: ScriptedServer) -> None:
    server.script(KIE_SUBMIT, kie_ok())
    server.script(KIE_POLL, kie_record("fail", failCode="500", failMsg="bad audio"))
    store, clock = MemoryStore(), VirtualClock()
    module = load(TTS)
    with pytest.raises(module.ProviderError) as excinfo:
        execute(module, TTS_INPUTS, server, store, clock)
    assert excinfo.value.final is True
    assert excinfo.value.task_id == "task-1"
    got = record(store)
    assert got.status == "failed"
    assert got.error is not None and "bad audio" in got.error["message"]
    # The submit answer stays the record's provider_response; the failing body
    # is kept, bounded, under error.
    assert got.provider_response == kie_ok().body
    assert got.error["provider_body"]["data"]["failMsg"] == "bad audio"


# --- Runware --------------------------------------------------------------------------


def _runware_task_uuid(server: ScriptedServer) -> str:
    [submit] = server.seen(RUNWARE_SUBMIT)
    return str(submit.body[0]["taskUUID"])


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
def test_runware_waiting_states_are_still_running(
    aio: bool, server: ScriptedServer
) -> None:
    server.script(RUNWARE_SUBMIT, Reply(200, {"data": []}))
    running = [
        runware_items({"taskType": "imageInference", "status": status})
        for status in ("pending", "queued", "scheduled", "waiting", "processing")
    ]
    done = runware_items(
        {"taskType": "imageInference", "status": "success", "imageURL": OUT}
    )
    server.script(RUNWARE_POLL, Reply(200, {"data": []}), *running, done)
    store, clock = MemoryStore(), VirtualClock()
    runner(aio)(load(RUNWARE), RUNWARE_INPUTS, server, store, clock)
    got = record(store)
    assert got.status == "completed"
    assert got.outputs == [OUT]
    uuid = _runware_task_uuid(server)
    assert got.provider_task_id == uuid
    assert all(s.body[0]["taskUUID"] == uuid for s in server.seen(RUNWARE_POLL))


def test_runware_item_error_keeps_the_providers_message(
    server: ScriptedServer,
) -> None:
    server.script(RUNWARE_SUBMIT, Reply(200, {"data": []}))
    failed = {
        "taskType": "imageInference",
        "status": "error",
        "error": {"code": "contentModeration", "message": "NSFW content detected"},
    }
    server.script(RUNWARE_POLL, runware_items(failed))
    store, clock = MemoryStore(), VirtualClock()
    module = load(RUNWARE)
    with pytest.raises(module.ProviderError) as excinfo:
        execute(module, RUNWARE_INPUTS, server, store, clock)
    assert excinfo.value.final is True
    assert "NSFW content detected" in str(excinfo.value)
    assert excinfo.value.task_id == _runware_task_uuid(server)
    got = record(store)
    assert got.status == "failed"
    assert got.error is not None
    assert "NSFW content detected" in got.error["message"]
    assert "contentModeration" in got.error["message"]


def test_runware_keeps_only_http_outputs(server: ScriptedServer) -> None:
    server.script(RUNWARE_SUBMIT, Reply(200, {"data": []}))
    items = [
        {"status": "success", "imageURL": "javascript:alert(1)"},
        {"status": "success", "imageURL": "file:///etc/passwd"},
        {"status": "success", "imageURL": "data:image/png;base64,AAAA"},
        {"status": "success", "imageURL": OUT},
    ]
    server.script(RUNWARE_POLL, runware_items(*items))
    store, clock = MemoryStore(), VirtualClock()
    execute(load(RUNWARE), RUNWARE_INPUTS, server, store, clock)
    assert record(store).outputs == [OUT]


def test_runware_lost_submit_answer_is_looked_up_not_resent(
    server: ScriptedServer,
) -> None:
    server.script(RUNWARE_SUBMIT, Reply(502, b"<html>bad gateway</html>"))
    store, clock = MemoryStore(), VirtualClock()
    module = load(RUNWARE)
    with pytest.raises(module.ProviderError) as excinfo:
        execute(module, RUNWARE_INPUTS, server, store, clock)
    uuid = _runware_task_uuid(server)
    assert excinfo.value.final is False
    assert excinfo.value.task_id == uuid
    got = record(store)
    assert got.status == "processing"
    assert got.provider_task_id == uuid


# --- Replicate ------------------------------------------------------------------------


def test_replicate_aborted_is_a_terminal_failure(server: ScriptedServer) -> None:
    server.script(REPLICATE_SUBMIT, Reply(201, {"id": "pred-1", "status": "starting"}))
    server.script(REPLICATE_POLL, prediction("starting"), prediction("aborted"))
    store, clock = MemoryStore(), VirtualClock()
    module = load(REPLICATE)
    with pytest.raises(module.ProviderError) as excinfo:
        execute(module, REPLICATE_INPUTS, server, store, clock)
    assert excinfo.value.final is True
    assert excinfo.value.task_id == "pred-1"
    got = record(store)
    assert got.status == "failed"
    assert got.error is not None
    assert "aborted" in got.error["message"]
    assert "deadline" in got.error["message"]


# --- fal.ai queue ---------------------------------------------------------------------


def fal_submitted(server: ScriptedServer, **urls: str) -> Reply:
    body = {
        "request_id": "req-1",
        "status": "IN_QUEUE",
        "status_url": f"{server.url}/queue/custom/req-1/state",
        "response_url": f"{server.url}/queue/custom/req-1/output",
        "cancel_url": f"{server.url}/queue/custom/req-1/cancel",
        **urls,
    }
    return Reply(200, body)


def fal_status(status: str, http_status: int = 202, **extra: Any) -> Reply:
    return Reply(http_status, {"status": status, **extra})


FAL_RESULT_BODY = {"images": [{"url": OUT, "width": 1024}], "seed": 1}


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "async"])
def test_fal_polls_the_urls_of_the_submit_answer(
    aio: bool, server: ScriptedServer
) -> None:
    server.script(FAL_SUBMIT, fal_submitted(server))
    server.script(
        FAL_STATUS,
        fal_status("IN_QUEUE", queue_position=2),
        fal_status("IN_PROGRESS"),
        fal_status("COMPLETED", 200),
    )
    server.script(FAL_RESULT, Reply(200, FAL_RESULT_BODY))
    store, clock = MemoryStore(), VirtualClock()
    runner(aio)(load(FAL), FAL_INPUTS, server, store, clock)
    got = record(store)
    assert got.status == "completed"
    assert got.outputs == [OUT]
    assert server.seen(FAL_BUILT_STATUS) == server.seen(FAL_BUILT_RESULT) == []
    assert all(
        s.headers["authorization"] == f"Key {KEY}" for s in server.seen(FAL_STATUS)
    )


def test_fal_resume_uses_the_stored_submit_answer(server: ScriptedServer) -> None:
    server.script(FAL_SUBMIT, fal_submitted(server))
    store, clock = MemoryStore(), VirtualClock()
    module = load(FAL)
    execute(module, FAL_INPUTS, server, store, clock, wait=False)
    stored = record(store)
    assert stored.provider_response["status_url"].endswith("/queue/custom/req-1/state")
    server.script(FAL_STATUS, fal_status("COMPLETED", 200))
    server.script(FAL_RESULT, Reply(200, FAL_RESULT_BODY))
    with httpx.Client() as client:
        module.resume(
            "gen-1",
            "req-1",
            api_key=KEY,
            store=store,
            client=client,
            base_url=server.url,
            monotonic=clock.monotonic,
            sleep=clock.sleep,
            elapsed_before_s=10.0,
            submitted=stored.provider_response,
        )
    assert record(store).status == "completed"


def test_fal_never_sends_the_key_to_another_host(server: ScriptedServer) -> None:
    with ScriptedServer() as foreign:
        foreign.default("GET /steal/status", fal_status("COMPLETED", 200))
        submitted = fal_submitted(
            server,
            status_url=f"{foreign.url}/steal/status",
            cancel_url=f"{foreign.url}/steal/cancel",
        )
        server.script(FAL_SUBMIT, submitted)
        # The foreign status URL is refused: the built one is polled instead,
        # while the same-host response_url from the submit answer is kept.
        server.script(FAL_BUILT_STATUS, fal_status("COMPLETED", 200))
        server.script(FAL_RESULT, Reply(200, FAL_RESULT_BODY))
        store, clock = MemoryStore(), VirtualClock()
        execute(load(FAL), FAL_INPUTS, server, store, clock)
        assert foreign.requests == []
    assert record(store).status == "completed"
    assert len(server.seen(FAL_BUILT_STATUS)) == 1


def test_fal_completed_with_error_is_a_failure(server: ScriptedServer) -> None:
    server.script(FAL_SUBMIT, fal_submitted(server))
    failed = fal_status(
        "COMPLETED",
        200,
        error="Runner disconnected",
        error_type="runner_disconnected",
    )
    server.script(FAL_STATUS, fal_status("IN_PROGRESS"), failed)
    store, clock = MemoryStore(), VirtualClock()
    module = load(FAL)
    with pytest.raises(module.ProviderError) as excinfo:
        execute(module, FAL_INPUTS, server, store, clock)
    assert excinfo.value.final is True
    assert excinfo.value.task_id == "req-1"
    got = record(store)
    assert got.status == "failed"
    assert got.error is not None
    assert "Runner disconnected" in got.error["message"]
    assert "runner_disconnected" in got.error["message"]
    assert server.seen(FAL_RESULT) == []


def test_fal_failed_result_ends_the_task(server: ScriptedServer) -> None:
    server.script(FAL_SUBMIT, fal_submitted(server))
    server.script(FAL_STATUS, fal_status("COMPLETED", 200))
    refused = {"detail": [{"loc": ["body", "prompt"], "msg": "flagged"}]}
    server.script(FAL_RESULT, Reply(422, refused))
    store, clock = MemoryStore(), VirtualClock()
    module = load(FAL)
    with pytest.raises(module.ProviderError) as excinfo:
        execute(module, FAL_INPUTS, server, store, clock)
    assert excinfo.value.final is True
    assert "flagged" in str(excinfo.value)
    assert record(store).status == "failed"
