"""Output copies into S3-compatible storage: moto's stand-alone S3 server on
loopback, reached through obstore exactly as a real endpoint would be. Failed
and interrupted uploads leave neither an object nor a pending multipart upload."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import obstore
import pytest
from outputs_support import S3_ENV, FileServer, MotoS3, payload

from modelvault.outputs import (
    FetchPolicy,
    OutputCopyError,
    S3OutputStore,
    copy_output,
    copy_outputs,
    open_output_store,
)

LOOPBACK = FetchPolicy(allow_networks=("127.0.0.1/32",))
MIB = 1024 * 1024
PART = 5 * MIB  # the smallest part S3 allows: a 12 MiB file takes three


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoS3]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in S3_ENV.items():
            patch.setenv(name, value)
        server = MotoS3().start()
        server.create_bucket("outputs")
        yield server
        server.stop()


@pytest.fixture(scope="module")
def files() -> Iterator[FileServer]:
    started = FileServer().start()
    yield started
    started.stop()


@pytest.fixture
def store(moto: MotoS3, request: pytest.FixtureRequest) -> S3OutputStore:
    """A store under a prefix of its own (one per test) in the shared bucket."""
    prefix = request.node.name.replace("[", "-").replace("]", "")[:60]
    return S3OutputStore(f"s3://outputs/{prefix}", moto.endpoint, part_size=PART)


def under(moto: MotoS3, store: S3OutputStore) -> list[str]:
    return [k for k in moto.keys("outputs") if k.startswith(store.prefix + "/")]


def pending(moto: MotoS3, store: S3OutputStore) -> list[str]:
    return [k for k in moto.pending_uploads("outputs") if k.startswith(store.prefix)]


def test_copy_streams_a_multipart_object(
    moto: MotoS3, files: FileServer, store: S3OutputStore
) -> None:
    body = payload(12 * MIB + 5, seed=21)
    url = files.add("clip.mp4", body, "video/mp4")
    stored = copy_output(url, store, "gen-1/0.mp4", policy=LOOPBACK)
    assert stored.location == f"s3://outputs/{store.prefix}/gen-1/0.mp4"
    assert (stored.sha256, stored.bytes) == (
        hashlib.sha256(body).hexdigest(),
        len(body),
    )
    answer = moto.get("outputs", f"{store.prefix}/gen-1/0.mp4")
    assert answer.content == body
    assert answer.headers["content-type"] == "video/mp4"
    assert pending(moto, store) == []


def test_copy_outputs_small_and_empty(
    moto: MotoS3, files: FileServer, store: S3OutputStore
) -> None:
    urls = [files.add("one.png", b"png bytes", "image/png"), files.add("nil", b"")]
    stored = copy_outputs("gen-2", urls, store, policy=LOOPBACK)
    assert [s.location.rsplit("/", 1)[1] for s in stored] == ["0.png", "1"]
    assert under(moto, store) == [
        f"{store.prefix}/gen-2/0.png",
        f"{store.prefix}/gen-2/1",
    ]
    assert moto.get("outputs", f"{store.prefix}/gen-2/1").content == b""
    head = obstore.head(store._store, "gen-2/0.png")
    assert head["size"] == len(b"png bytes")


def test_download_breaking_mid_upload_leaves_no_object_and_no_upload(
    moto: MotoS3, files: FileServer, store: S3OutputStore
) -> None:
    body = payload(12 * MIB, seed=22)
    files.add("cut.mp4", body, "video/mp4")
    # 11 MiB arrive: two 5 MiB parts are uploaded before the connection drops.
    url = files.url(f"/broken/cut.mp4?at={11 * MIB}")
    with pytest.raises(OutputCopyError) as caught:
        copy_output(url, store, "gen-3/0.mp4", policy=LOOPBACK)
    assert (caught.value.reason, caught.value.retryable) == ("broken", True)
    assert under(moto, store) == []
    assert pending(moto, store) == []  # aborted, parts gone


def test_over_the_cap_while_streaming_leaves_nothing(
    moto: MotoS3, files: FileServer, store: S3OutputStore
) -> None:
    files.add("huge.bin", payload(9 * MIB, seed=23))
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_bytes=7 * MIB)
    with pytest.raises(OutputCopyError) as caught:
        copy_output(files.url("/nolength/huge.bin"), store, "gen-4/0", policy=policy)
    assert caught.value.reason == "too_large"
    assert under(moto, store) == []
    assert pending(moto, store) == []


def test_over_the_cap_by_content_length_starts_no_upload(
    moto: MotoS3, files: FileServer, store: S3OutputStore
) -> None:
    files.add("huge2.bin", payload(2 * MIB, seed=24))
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), max_bytes=MIB)
    with pytest.raises(OutputCopyError) as caught:
        copy_output(files.url("/files/huge2.bin"), store, "gen-5/0", policy=policy)
    assert caught.value.reason == "too_large"
    assert under(moto, store) == [] and pending(moto, store) == []


def test_interrupted_put_is_aborted(moto: MotoS3, store: S3OutputStore) -> None:
    def chunks() -> Iterator[bytes]:
        yield payload(6 * MIB, seed=25)
        yield payload(6 * MIB, seed=26)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.put("gen-6/0.bin", chunks(), None)
    assert under(moto, store) == []
    assert pending(moto, store) == []


def test_pending_upload_check_sees_an_unfinished_upload(
    moto: MotoS3, store: S3OutputStore
) -> None:
    """The checker the tests above rely on does see an upload left open."""
    import httpx

    key = f"{store.prefix}/left-open"
    started = httpx.post(f"{moto.endpoint}/outputs/{key}?uploads")
    assert started.status_code == 200
    assert pending(moto, store) == [key]
    upload_id = started.text.split("<UploadId>")[1].split("</UploadId>")[0]
    httpx.delete(f"{moto.endpoint}/outputs/{key}", params={"uploadId": upload_id})
    assert pending(moto, store) == []


def test_a_missing_bucket_is_a_store_error(moto: MotoS3, files: FileServer) -> None:
    store = S3OutputStore("s3://no-such-bucket/p", moto.endpoint)
    with pytest.raises(OutputCopyError) as caught:
        copy_output(files.add("m.png", b"x"), store, "g/0.png", policy=LOOPBACK)
    error = caught.value
    assert (error.reason, error.retryable) == ("store", True)
    assert f"s3://no-such-bucket/p at {moto.endpoint}" in str(error)
    assert "NoSuchBucket: The specified bucket does not exist" in str(error)
    assert "uploads" not in str(error) and "<?xml" not in str(error)


def test_endpoint_from_argument_then_env(
    moto: MotoS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://aws-endpoint.example")
    assert S3OutputStore("s3://outputs").endpoint == "https://aws-endpoint.example"
    monkeypatch.setenv("MODELVAULT_S3_ENDPOINT", moto.endpoint)
    chosen = S3OutputStore("s3://outputs/x")
    assert chosen.describe() == f"s3://outputs/x at {moto.endpoint}"
    assert (chosen._store.client_options or {}).get("allow_http") in (True, "true")
    explicit = S3OutputStore("s3://outputs", "https://minio.example:9000")
    assert explicit.endpoint == "https://minio.example:9000"
    assert (explicit._store.client_options or {}).get("allow_http") in (None, False)
    monkeypatch.setenv("MODELVAULT_OUTPUTS", "s3://outputs/from-env")
    opened = open_output_store()
    assert isinstance(opened, S3OutputStore)
    assert (opened.bucket, opened.prefix) == ("outputs", "from-env")
    assert opened.endpoint == moto.endpoint


def test_a_non_http_endpoint_is_refused() -> None:
    from modelvault.outputs import OutputStoreConfigError

    with pytest.raises(OutputStoreConfigError, match="not an http"):
        S3OutputStore("s3://outputs", "ftp://minio.example")
