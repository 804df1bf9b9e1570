"""Output copies into a local folder, from a real loopback HTTP server: what is
recorded, what is refused, and that nothing is left behind after a failure."""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from outputs_support import FileServer, payload

from modelvault.outputs import (
    FetchPolicy,
    LocalOutputStore,
    OutputCopyError,
    OutputStore,
    OutputStoreConfigError,
    S3OutputStore,
    StoredOutput,
    copy_output,
    copy_outputs,
    extension,
    open_output_store,
)

LOOPBACK = FetchPolicy(allow_networks=("127.0.0.1/32",))


@pytest.fixture(scope="module")
def server() -> Iterator[FileServer]:
    started = FileServer().start()
    yield started
    started.stop()


@pytest.fixture
def store(tmp_path: Path) -> LocalOutputStore:
    return LocalOutputStore(tmp_path / "outputs")


def left_in(store: LocalOutputStore) -> list[str]:
    """Every file under the store's folder, temporary files included."""
    if not store.root.exists():
        return []
    return sorted(
        str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file()
    )


def test_copy_records_location_hash_type_and_size(
    server: FileServer, store: LocalOutputStore
) -> None:
    body = payload(3 * 1024 * 1024 + 17)
    url = server.add("out.png", body, "image/png")
    stored = copy_output(url + "?token=secret", store, "gen-1/0.png", policy=LOOPBACK)
    assert stored == StoredOutput(
        url=url + "?token=secret",
        location=str(store.root / "gen-1" / "0.png"),
        sha256=hashlib.sha256(body).hexdigest(),
        content_type="image/png",
        bytes=len(body),
    )
    assert Path(stored.location).read_bytes() == body
    assert left_in(store) == ["gen-1/0.png"]
    assert store.describe() == f"folder {store.root}"
    assert isinstance(store, OutputStore)


def test_copy_outputs_names_keys_by_index_and_type(
    server: FileServer, store: LocalOutputStore
) -> None:
    urls = [
        server.add("a", b"first", "video/mp4"),
        server.add("b.WAV", b"second", "application/octet-stream"),
        server.add("c", b"third", None),
        server.url("/redirect?to=/files/a"),
    ]
    stored = copy_outputs("gen-2", urls, store, policy=LOOPBACK)
    assert [Path(s.location).name for s in stored] == ["0.mp4", "1.wav", "2", "3.mp4"]
    assert [s.bytes for s in stored] == [5, 6, 5, 5]
    assert stored[2].content_type is None
    assert stored[3].url == urls[3]  # the output's URL, not the redirect target


def test_empty_output_is_stored_as_an_empty_file(
    server: FileServer, store: LocalOutputStore
) -> None:
    stored = copy_output(
        server.add("empty", b"", "text/plain"), store, "g/e", policy=LOOPBACK
    )
    assert stored.bytes == 0
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert Path(stored.location).read_bytes() == b""


def test_a_new_copy_replaces_the_old_one_whole(
    server: FileServer, store: LocalOutputStore
) -> None:
    copy_output(server.add("v1", b"old" * 1000), store, "g/0", policy=LOOPBACK)
    stored = copy_output(server.add("v2", b"new" * 10), store, "g/0", policy=LOOPBACK)
    assert Path(stored.location).read_bytes() == b"new" * 10
    assert left_in(store) == ["g/0"]


def test_stored_output_round_trips_through_json() -> None:
    stored = StoredOutput(
        url="https://cdn.example/a.png?sig=x",
        location="/data/outputs/g/0.png",
        sha256="ab" * 32,
        content_type=None,
        bytes=12,
    )
    assert StoredOutput.from_dict(json.loads(json.dumps(stored.to_dict()))) == stored


def test_stored_output_from_a_bad_dict_names_every_problem() -> None:
    with pytest.raises(ValueError, match=r"url.*sha256.*content_type.*bytes") as caught:
        StoredOutput.from_dict(
            {"location": "/x", "sha256": 5, "content_type": 3, "bytes": -1}
        )
    assert "location" not in str(caught.value)
    with pytest.raises(ValueError, match="64 lowercase hex"):
        StoredOutput.from_dict(
            {
                "url": "u",
                "location": "l",
                "sha256": "XYZ",
                "content_type": None,
                "bytes": 1,
            }
        )


# -- failures leave nothing ------------------------------------------------------
def test_download_that_breaks_halfway_keeps_nothing(
    server: FileServer, store: LocalOutputStore
) -> None:
    body = payload(4 * 1024 * 1024, seed=5)
    server.add("half.mp4", body, "video/mp4")
    url = server.url(f"/broken/half.mp4?at={len(body) // 2}")
    with pytest.raises(OutputCopyError) as caught:
        copy_output(url, store, "g/0.mp4", policy=LOOPBACK)
    error = caught.value
    assert (error.reason, error.retryable) == ("broken", True)
    assert "nothing was kept" in str(error)
    assert left_in(store) == []


def test_earlier_copy_survives_a_failed_new_one(
    server: FileServer, store: LocalOutputStore
) -> None:
    body = payload(300_000, seed=6)
    server.add("keep.mp4", body, "video/mp4")
    copy_output(server.url("/files/keep.mp4"), store, "g/0.mp4", policy=LOOPBACK)
    with pytest.raises(OutputCopyError):
        copy_output(
            server.url("/broken/keep.mp4?at=1000"), store, "g/0.mp4", policy=LOOPBACK
        )
    assert (store.root / "g" / "0.mp4").read_bytes() == body
    assert left_in(store) == ["g/0.mp4"]


CAP = FetchPolicy(allow_networks=("127.0.0.1/32",), max_bytes=1024 * 1024)


def test_over_the_cap_by_content_length_is_refused_before_reading(
    server: FileServer, store: LocalOutputStore
) -> None:
    server.add("big.bin", payload(2 * 1024 * 1024, seed=7))
    with pytest.raises(OutputCopyError) as caught:
        copy_output(server.url("/files/big.bin"), store, "g/0", policy=CAP)
    error = caught.value
    assert (error.reason, error.retryable) == ("too_large", False)
    assert "Content-Length 2097152" in str(error) and "1.0 MiB cap" in str(error)
    assert "FetchPolicy.max_bytes" in str(error)
    assert left_in(store) == []


def test_over_the_cap_without_content_length_is_cut_off(
    server: FileServer, store: LocalOutputStore
) -> None:
    server.add("big-stream.bin", payload(3 * 1024 * 1024, seed=8))
    with pytest.raises(OutputCopyError) as caught:
        copy_output(server.url("/nolength/big-stream.bin"), store, "g/0", policy=CAP)
    assert caught.value.reason == "too_large"
    assert left_in(store) == []


def test_exactly_at_the_cap_is_kept(
    server: FileServer, store: LocalOutputStore
) -> None:
    body = payload(1024 * 1024, seed=9)
    server.add("cap.bin", body)
    for route in ("files", "nolength"):
        stored = copy_output(
            server.url(f"/{route}/cap.bin"), store, f"g/{route}", policy=CAP
        )
        assert stored.bytes == len(body)


@pytest.mark.parametrize(
    ("status", "retryable", "advice"),
    [
        (404, False, "the output is gone"),
        (410, False, "the output is gone"),
        (403, False, "expired or invalid signed URL"),
        (500, True, "temporary"),
        (503, True, "temporary"),
        (429, True, "temporary"),
        (204, False, "not a file download"),
    ],
)
def test_http_errors_say_whether_to_retry(
    server: FileServer,
    store: LocalOutputStore,
    status: int,
    retryable: bool,
    advice: str,
) -> None:
    with pytest.raises(OutputCopyError) as caught:
        copy_output(server.url(f"/status/{status}"), store, "g/0", policy=LOOPBACK)
    error = caught.value
    assert (error.reason, error.status_code, error.retryable) == (
        "http_status",
        status,
        retryable,
    )
    assert f"HTTP {status}" in str(error) and advice in str(error)
    assert left_in(store) == []


def test_a_stalled_download_times_out(
    server: FileServer, store: LocalOutputStore
) -> None:
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), timeout_s=0.3)
    with pytest.raises(OutputCopyError) as caught:
        copy_output(
            server.url("/stall?after=5000&seconds=3"), store, "g/0", policy=policy
        )
    assert (caught.value.reason, caught.value.retryable) == ("timeout", True)
    assert left_in(store) == []


def test_a_trickle_is_stopped_by_the_total_timeout(
    server: FileServer, store: LocalOutputStore
) -> None:
    policy = FetchPolicy(
        allow_networks=("127.0.0.1/32",), timeout_s=2, total_timeout_s=0.4
    )
    with pytest.raises(OutputCopyError) as caught:
        copy_output(server.url("/trickle?every=0.02"), store, "g/0", policy=policy)
    assert caught.value.reason == "timeout"
    assert "total_timeout_s" in str(caught.value)
    assert left_in(store) == []


def test_nothing_listening_is_a_retryable_connect_error(
    store: LocalOutputStore,
) -> None:
    with pytest.raises(OutputCopyError) as caught:
        copy_output("http://127.0.0.1:9/x", store, "g/0", policy=LOOPBACK)
    assert (caught.value.reason, caught.value.retryable) == ("connect", True)


def test_store_failure_is_reported_as_such(server: FileServer, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store wants a folder")
    store = LocalOutputStore(blocker)
    with pytest.raises(OutputCopyError) as caught:
        copy_output(server.add("s", b"data"), store, "g/0", policy=LOOPBACK)
    error = caught.value
    assert (error.reason, error.retryable) == ("store", True)
    assert f"folder {blocker}" in str(error) and "writable" in str(error)


def test_interrupted_put_leaves_no_file(store: LocalOutputStore) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"a" * 100_000
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.put("g/0.bin", chunks(), None)
    assert left_in(store) == []


def test_messages_never_show_credentials_or_query_strings(
    server: FileServer, store: LocalOutputStore
) -> None:
    url = server.url("/status/404").replace("http://", "http://user:hunter2@")
    with pytest.raises(OutputCopyError) as caught:
        copy_output(url + "?X-Amz-Signature=abc123", store, "g/0", policy=LOOPBACK)
    error = caught.value
    for secret in ("hunter2", "user", "abc123", "X-Amz"):
        assert secret not in str(error) and secret not in error.url
    assert error.url == server.url("/status/404")
    assert pickle.loads(pickle.dumps(error)).reason == "http_status"


def test_a_given_clients_headers_cookies_and_auth_stay_home(
    server: FileServer, store: LocalOutputStore
) -> None:
    """An app's shared client may carry its provider API key: none of its
    defaults reach an output host."""
    url = server.add("private.png", b"x", "image/png")
    with httpx.Client(
        headers={"X-Api-Key": "provider-key-123"},
        cookies={"session": "cookie-456"},
        auth=("user", "password-789"),
        params={"token": "param-000"},
    ) as client:
        copy_output(url, store, "g/0.png", client=client, policy=LOOPBACK)
    seen = server.requests[-1]
    assert seen.path == "/files/private.png"
    sent = repr(seen.headers)
    for secret in ("provider-key-123", "cookie-456", "authorization", "param-000"):
        assert secret not in sent
    assert seen.headers["accept-encoding"] == "identity"
    assert seen.headers["user-agent"] == "modelvault-outputs"


def test_a_given_client_is_used_and_left_open(
    server: FileServer, store: LocalOutputStore
) -> None:
    url = server.add("client.png", b"via client", "image/png")
    with httpx.Client() as client:
        copy_output(url, store, "g/0.png", client=client, policy=LOOPBACK)
        copy_output(url, store, "g/1.png", client=client, policy=LOOPBACK)
        assert not client.is_closed
    assert left_in(store) == ["g/0.png", "g/1.png"]


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "../x", "a/./b", "a b"])
def test_unsafe_keys_are_refused(store: LocalOutputStore, key: str) -> None:
    with pytest.raises(ValueError, match="not safe"):
        copy_output("https://cdn.example/x", store, key)
    with pytest.raises(ValueError, match="not safe"):
        store.put(key, [b"x"], None)


def test_unsafe_generation_id_is_refused(store: LocalOutputStore) -> None:
    with pytest.raises(ValueError, match="cannot name output keys"):
        copy_outputs("../etc", ["https://cdn.example/x"], store)


@pytest.mark.parametrize(
    ("content_type", "url", "ext"),
    [
        ("image/jpeg", "https://x/a.png", ".jpg"),
        ("video/mp4; codecs=avc1", "https://x/a", ".mp4"),
        ("application/octet-stream", "https://x/out-0.WEBP?sig=1", ".webp"),
        (None, "https://x/a.tar.gz", ".gz"),
        (None, "https://x/noext", ""),
        (None, "https://x/a.<script>", ""),
        (None, "https://x/dir.d/file", ""),
    ],
)
def test_extension(content_type: str | None, url: str, ext: str) -> None:
    assert extension(content_type, url) == ext


# -- where outputs go -------------------------------------------------------------
def test_open_output_store_default_env_and_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODELVAULT_OUTPUTS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    default = open_output_store()
    assert isinstance(default, LocalOutputStore)
    if sys.platform.startswith("linux"):
        assert default.root == tmp_path / "xdg" / "modelvault" / "outputs"
    monkeypatch.setenv("MODELVAULT_OUTPUTS", str(tmp_path / "env"))
    from_env = open_output_store()
    assert isinstance(from_env, LocalOutputStore)
    assert from_env.root == tmp_path / "env"
    monkeypatch.chdir(tmp_path)
    relative = open_output_store("rel/outputs")
    assert isinstance(relative, LocalOutputStore)
    assert relative.root == tmp_path / "rel" / "outputs"  # absolute in records
    assert not relative.root.exists()  # made on the first put


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("ftp://host/outputs", "neither a folder nor an s3:// URL"),
        ("file:///srv/outputs", "write the folder path itself"),
        ("https://user:pw@bucket.example/outputs?sig=1", "neither a folder"),
        ("   ", "is empty"),
        ("s3://", "names no bucket"),
        ("s3:///prefix", "names no bucket"),
        ("s3://Bad_Bucket!/x", "not a valid bucket name"),
        ("s3://key:secret@bucket/x", "holds no credentials"),
        ("s3://bucket/a/../b", "prefix part '..'"),
    ],
)
def test_bad_specs_say_the_fix(spec: str, says: str) -> None:
    with pytest.raises(OutputStoreConfigError) as caught:
        open_output_store(spec)
    message = str(caught.value)
    assert says in message
    assert "pw" not in message and "secret" not in message and "sig=1" not in message


def test_s3_without_obstore_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "obstore", None)  # as if not installed
    with pytest.raises(OutputStoreConfigError, match=r"pip install 'modelvault\[s3\]'"):
        S3OutputStore("s3://bucket/prefix", "http://127.0.0.1:1")


class RecordingStore(LocalOutputStore):
    """A folder store that also records the size of every piece it is given."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.pieces: list[int] = []

    def put(self, key: str, chunks: Iterable[bytes], content_type: str | None) -> str:
        def counted() -> Iterator[bytes]:
            for chunk in chunks:
                self.pieces.append(len(chunk))
                yield chunk

        return super().put(key, counted(), content_type)


def test_reads_are_gathered_into_chunks_for_the_store(
    server: FileServer, tmp_path: Path
) -> None:
    """httpcore reads at most 64 KiB at a time: with 256 KiB chunks, every piece
    the store gets (but the last) is gathered from several reads."""
    store = RecordingStore(tmp_path / "rec")
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), chunk_size=256 * 1024)
    body = payload(1_000_000, seed=10)
    server.add("pieces.bin", body)
    stored = copy_output(
        server.url("/nolength/pieces.bin"), store, "g/0", policy=policy
    )
    assert Path(stored.location).read_bytes() == body
    assert sum(store.pieces) == len(body)
    assert len(store.pieces) >= 2
    assert all(size >= 256 * 1024 for size in store.pieces[:-1])
