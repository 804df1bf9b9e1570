"""Callbacks end to end: the runtime submits with a callback URL, the fake
provider (its own reading of each provider's docs) calls back over real HTTP to
the receiver under uvicorn, the record is finished through the state machine and
its outputs are copied; forged, stale, replayed and duplicate deliveries change
nothing. One model per provider family."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from webhook_support import serve

import modelvault
from modelvault._durable import Outputs, copier
from modelvault.outputs import FetchPolicy, LocalOutputStore
from modelvault.store import Generation, GenerationStatus, OutputState, SQLiteStore
from modelvault.testing import FakeProviders
from modelvault.webhooks import create_app

MODELS = {
    "replicate": "flux-schnell-replicate",
    "fal_queue": "flux-1-schnell-fal",
    "runware": "flux-1-schnell-runware",
    "kie_jobs": "recraft-remove-background",
    "kie_veo": "google-veo-3-1-fast",
    "kie_4o": "chatgpt-4o-image",
}
SIGNED = ("replicate", "fal_queue")


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.store = SQLiteStore(tmp_path / "g.sqlite3")
        self.fakes = FakeProviders().start()
        for fake in self.fakes:
            fake.configure(serve_outputs=True, callback_delay_s=0.05)
        self.folder = tmp_path / "outputs"
        self.outputs = Outputs(
            LocalOutputStore(self.folder), FetchPolicy(allow_private=True)
        )
        hooks = create_app(
            self.store,
            replicate_secret=self.fakes["replicate"].webhook_secret,
            fal_jwks_url=self.fakes["fal_queue"].jwks_url,
            on_finished=copier(self.store, self.outputs),
        )
        # mounted in an application of its own, as README shows
        app = Starlette(routes=[Mount("/hooks-root", app=hooks)])
        self._server = serve(app)
        self.base = self._server.__enter__() + "/hooks-root"

    def close(self) -> None:
        self._server.__exit__(None, None, None)
        self.fakes.stop()
        self.store.close()

    def run(self, family: str, **kwargs: Any) -> Generation:
        model = MODELS[family]
        inputs = _inputs(model)
        fake = self.fakes[family]
        return modelvault.run(
            model,
            inputs,
            api_key=self.fakes.api_key,
            base_url=fake.base_url,
            store=self.store,
            callback_base=self.base,
            outputs=self.outputs,
            **kwargs,
        )

    def wait_until(
        self, generation_id: str, done: Any, timeout: float = 10
    ) -> Generation:
        deadline = time.monotonic() + timeout
        while True:
            record = self.store.get_generation(generation_id)
            assert record is not None
            if done(record):
                return record
            assert time.monotonic() < deadline, record
            time.sleep(0.02)


def _inputs(model: str) -> dict[str, Any]:
    schema = modelvault.get(model).SCHEMA
    inputs: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        if name in schema.get("required", []) and "default" not in prop:
            if prop.get("renderer") == "image" or "image" in name:
                inputs[name] = "https://example.com/in.png"
            else:
                inputs[name] = "a fox in the snow"
    return inputs


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    made = Setup(tmp_path)
    yield made
    made.close()


@pytest.fixture(params=sorted(MODELS))
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_callback_finishes_the_generation_and_its_outputs_are_copied(
    setup: Setup, family: str
) -> None:
    fake = setup.fakes[family]
    started = setup.run(family, wait=False)
    assert started.status == GenerationStatus.PROCESSING
    assert started.callback_token_sha256 is not None

    done = setup.wait_until(started.id, lambda r: r.output_state == OutputState.STORED)

    assert done.status == GenerationStatus.COMPLETED
    assert done.outputs and done.provider_task_id == started.provider_task_id
    (delivery,) = [d for d in fake.deliveries if d.ok]
    assert delivery.status == 200
    # the token travels in the URL only: the record keeps its hash, not the URL
    token = dict(
        part.split("=", 1) for part in urlsplit(delivery.url).query.split("&")
    )["token"]
    assert hashlib.sha256(token.encode()).hexdigest() == done.callback_token_sha256
    assert token not in repr(done.to_dict())
    # no poll was needed: the submit is the only request the provider saw
    assert fake.submit_count == 1
    assert len(fake.requests) == 1
    copy = done.output_copy or {}
    for url, item in zip(done.outputs, copy["stored"], strict=True):
        data = Path(item["location"]).read_bytes()
        assert item["url"] == url
        assert item["bytes"] == len(data) > 0
        assert item["sha256"] == hashlib.sha256(data).hexdigest()


def test_waiting_runs_return_when_the_callback_lands(setup: Setup, family: str) -> None:
    began = time.monotonic()
    record = setup.run(family, wait=True)
    took = time.monotonic() - began

    assert record.status == GenerationStatus.COMPLETED
    assert record.output_state == OutputState.STORED
    assert took < 5  # the record is re-read every second; the fallback poll is 60 s off
    assert len(setup.fakes[family].requests) == 1  # the submit only


def _settled(setup: Setup, family: str) -> tuple[Generation, int]:
    fake = setup.fakes[family]
    started = setup.run(family, wait=False)
    done = setup.wait_until(started.id, lambda r: r.output_state == OutputState.STORED)
    (index,) = [d.index for d in fake.deliveries if d.ok]
    return done, index


def test_duplicate_deliveries_change_nothing(setup: Setup, family: str) -> None:
    done, index = _settled(setup, family)
    again = setup.fakes[family].redeliver(index)
    assert again.status == 200
    assert setup.store.get_generation(done.id) == done


@pytest.mark.parametrize("family", SIGNED)  # Runware and kie.ai sign nothing
def test_a_stale_or_replayed_delivery_is_refused_unread(
    setup: Setup, family: str
) -> None:
    done, index = _settled(setup, family)
    replay = setup.fakes[family].redeliver(index, timestamp=time.time() - 3600)
    assert replay.status == 401
    future = setup.fakes[family].redeliver(index, timestamp=time.time() + 3600)
    assert future.status == 401
    assert setup.store.get_generation(done.id) == done


def test_a_forged_body_is_refused(setup: Setup, family: str) -> None:
    fake = setup.fakes[family]
    started = setup.run(family, wait=False)
    (delivery,) = fake.wait_for_deliveries(1, timeout=10)
    before = setup.wait_until(
        started.id, lambda r: r.output_state == OutputState.STORED
    )
    forged: Any = delivery.json
    forged_text = repr(forged).replace(before.outputs[0], "https://evil.example/x.png")
    assert forged_text != repr(forged)
    if family in SIGNED:
        # the old signature with another body
        answer = fake.redeliver(
            delivery.index,
            body=delivery.body.replace(
                before.outputs[0].encode(), b"https://evil.example/x.png"
            ),
            sign=False,
        )
    else:
        # unsigned providers: a forger does not have the token
        parts = urlsplit(delivery.url)
        answer = fake.redeliver(
            delivery.index,
            url=urlunsplit(parts._replace(query="token=guessed")),
        )
    assert answer.status == 401
    assert setup.store.get_generation(started.id) == before


def test_a_callback_for_another_generation_changes_nothing(setup: Setup) -> None:
    """A valid, signed delivery sent to another generation's URL (with that
    generation's own token): its task id is not that generation's, so it is
    refused (409) and the other generation stays as it was."""
    fake = setup.fakes["replicate"]
    _, index = _settled(setup, "replicate")
    fake.configure(callback_delay_s=60)  # the second one is still running
    second = setup.run("replicate", wait=False)
    (submit,) = [r for r in fake.requests if r.task_id == second.provider_task_id]
    second_url = submit.json["webhook"]
    before = setup.store.get_generation(second.id)

    answer = fake.redeliver(index, url=second_url)

    assert answer.status == 409
    assert setup.store.get_generation(second.id) == before
    assert before is not None and before.status == GenerationStatus.PROCESSING


def test_a_lost_callback_is_made_up_for_by_the_fallback_poll(
    setup: Setup, family: str
) -> None:
    """Nobody answers at the callback URL: the slow fallback poll (a clock that
    does not wait) still finishes the generation, and the token the provider
    echoes in its poll answers (kie.ai's `param`) is not stored."""
    fake = setup.fakes[family]
    fake.configure(callback_delay_s=0.0, callback_retries=0)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{closed.getsockname()[1]}/hooks"
    clock = modelvault.Clock(time.monotonic, lambda seconds: None)
    record = modelvault.run(
        MODELS[family],
        _inputs(MODELS[family]),
        api_key=setup.fakes.api_key,
        base_url=fake.base_url,
        store=setup.store,
        callback_base=nobody,
        outputs=setup.outputs,
        clock=clock,
    )
    assert record.status == GenerationStatus.COMPLETED
    assert record.output_state == OutputState.STORED
    assert any(not d.ok for d in fake.deliveries)
    assert len(fake.requests) >= 2  # the submit, then the fallback poll(s)
    submit = next(r for r in fake.requests if r.phase == "submit")
    sent = json.dumps([submit.json, submit.query])  # fal: in ?fal_webhook=
    token = sent.split("token=", 1)[1][:43]
    assert len(token) == 43
    assert token not in json.dumps(record.to_dict(), default=str)


def test_async_waiting_runs_return_when_the_callback_lands(
    setup: Setup, family: str
) -> None:
    """run_async(wait=True) waits for the callback too (found by
    bench/bench_callbacks.py: it once returned at once, still processing)."""
    fake = setup.fakes[family]
    fake.configure(callback_delay_s=1.5)
    model = MODELS[family]

    async def go() -> Generation:
        return await modelvault.run_async(
            model,
            _inputs(model),
            api_key=setup.fakes.api_key,
            base_url=fake.base_url,
            store=setup.store,
            callback_base=setup.base,
            outputs=setup.outputs,
        )

    began = time.monotonic()
    record = asyncio.run(go())
    took = time.monotonic() - began

    assert record.status == GenerationStatus.COMPLETED, record
    assert 1.5 <= took < 6
    assert len(fake.requests) == 1  # the submit only: the callback finished it
