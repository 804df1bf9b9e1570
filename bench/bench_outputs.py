"""Output-copy benchmark: MB/s of `copy_output` against `shutil.copyfileobj`.

    python bench/bench_outputs.py [--mib 64] [--rounds 5]

One file of --mib MiB (incompressible bytes) is served by a loopback HTTP server
(http.server, the body sent with socket.sendfile) in a child process. Each round
copies it, in turn:

  baseline   urllib.request.urlopen(url) -> shutil.copyfileobj -> a local file
             (no hash, no fsync, no guard)
  (i) urllib by hand: 1 MiB reads, sha256, write, fsync (the work copy_output
             adds to the baseline, without its guard and bookkeeping)
  (1) copy_output -> LocalOutputStore (streamed, sha256, temp file, fsync,
             rename, address check and pinning)
  (2) copy_output -> S3OutputStore on moto's stand-alone S3 server (another
             child process), obstore multipart upload (8 MiB parts, 4 in flight)
  (i) httpx by hand: the same work through the same httpx client (the
             transport copy_output uses): the floor of an httpx-based copy
  (i) obstore.put of the same bytes from memory to the same S3 server: the
             ceiling the S3 server sets, with no download at all

All from the same server in the same run, rounds interleaved; every copy's
sha256 and size is checked against the file's, and every stored copy removed
before the next round. MB/s = 10^6 bytes per second of wall time; the table
shows the median round (and the best). A last, untimed copy to the folder runs
under tracemalloc to show the Python heap a copy needs (streaming: a few MiB,
not the file). There is no target in the issue: the ratio is information. The
script exits 0 unless a copy is wrong (size, hash, missing file).
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar

import httpx

from modelvault.outputs import (
    FetchPolicy,
    LocalOutputStore,
    S3OutputStore,
    StoredOutput,
    copy_output,
)

MIB = 1024 * 1024
BUCKET = "bench-outputs"
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
}
POLICY = FetchPolicy(allow_networks=("127.0.0.1/32",), max_bytes=8 * 1024 * MIB)


# -- the servers, each in its own process --------------------------------------
class _FileHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    path_on_disk: ClassVar[str] = ""

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        size = os.path.getsize(self.path_on_disk)
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.flush()
        with open(self.path_on_disk, "rb") as file:
            self.connection.sendfile(file)


def _file_server_main(conn: Connection, path: str) -> None:
    _FileHandler.path_on_disk = path
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FileHandler)
    server.daemon_threads = True
    conn.send(f"http://127.0.0.1:{server.server_address[1]}/file.mp4")
    import threading  # noqa: PLC0415

    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.recv()  # "stop"
    server.shutdown()


def _moto_main(conn: Connection) -> None:
    import logging  # noqa: PLC0415

    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    conn.send(f"http://{host}:{port}")
    conn.recv()
    server.stop()


class Child:
    def __init__(self, target: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=target, args=(child, *args), daemon=True)
        self._process.start()
        self.address: str = self._conn.recv()

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(timeout=10)


# -- the copies ------------------------------------------------------------------
def baseline(url: str, target: Path) -> tuple[int, str | None]:
    with urllib.request.urlopen(url) as response, open(target, "wb") as file:
        shutil.copyfileobj(response, file)
    return target.stat().st_size, None


def by_hand(url: str, target: Path) -> tuple[int, str | None]:
    digest = hashlib.sha256()
    with urllib.request.urlopen(url) as response, open(target, "wb") as file:
        while chunk := response.read(MIB):
            digest.update(chunk)
            file.write(chunk)
        file.flush()
        os.fsync(file.fileno())
    return target.stat().st_size, digest.hexdigest()


def ours(url: str, store: Any, key: str, client: httpx.Client) -> StoredOutput:
    return copy_output(url, store, key, client=client, policy=POLICY)


def put_from_memory(store: S3OutputStore, body: bytes, key: str) -> None:
    import obstore  # noqa: PLC0415

    obstore.put(
        store._store,
        key,
        iter([body[i : i + MIB] for i in range(0, len(body), MIB)]),
        use_multipart=True,
        chunk_size=store._part_size,
        max_concurrency=store._concurrency,
    )


def check(label: str, size: int, digest: str | None, want: tuple[int, str]) -> None:
    if size != want[0] or (digest is not None and digest != want[1]):
        raise SystemExit(f"bench: {label} copied {size} bytes / {digest}, want {want}")


def mbps(size: int, seconds: float) -> float:
    return size / seconds / 1e6


def timed(step: Callable[[], None]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


class Rounds:
    """One copy of each kind per round, each checked and removed afterwards."""

    def __init__(self, tmp: Path, url: str, s3_endpoint: str, body: bytes) -> None:
        self.tmp, self.url, self.s3_endpoint, self.body = tmp, url, s3_endpoint, body
        self.want = (len(body), hashlib.sha256(body).hexdigest())
        self.folder = LocalOutputStore(tmp / "outputs")
        self.s3 = S3OutputStore(f"s3://{BUCKET}/bench", s3_endpoint)
        self.client = httpx.Client()
        self.round = 0

    def by_urllib(self, copy: Callable[[str, Path], tuple[int, str | None]]) -> float:
        target = self.tmp / "copy.mp4"
        seconds = timed(
            lambda: check(copy.__name__, *copy(self.url, target), self.want)
        )
        target.unlink()
        return seconds

    def httpx_by_hand(self) -> float:
        """The same work as copy_output's, by hand through the same httpx
        client: stream, sha256, write, fsync; no guard, no temp file, no rename.
        The floor of any httpx-based copy."""
        target = self.tmp / "copy.mp4"

        def copy() -> None:
            digest = hashlib.sha256()
            with (
                self.client.stream("GET", self.url) as response,
                open(target, "wb") as file,
            ):
                for piece in response.iter_bytes():
                    digest.update(piece)
                    file.write(piece)
                file.flush()
                os.fsync(file.fileno())
            check("httpx by hand", target.stat().st_size, digest.hexdigest(), self.want)

        seconds = timed(copy)
        target.unlink()
        return seconds

    def to_folder(self) -> float:
        stored: list[StoredOutput] = []
        seconds = timed(
            lambda: stored.append(ours(self.url, self.folder, "r/0.mp4", self.client))
        )
        check("local", stored[0].bytes, stored[0].sha256, self.want)
        if Path(stored[0].location).stat().st_size != self.want[0]:
            raise SystemExit("bench: the folder copy has the wrong size")
        shutil.rmtree(self.folder.root)
        return seconds

    def to_s3(self) -> float:
        stored: list[StoredOutput] = []
        seconds = timed(
            lambda: stored.append(ours(self.url, self.s3, "r/0.mp4", self.client))
        )
        check("s3", stored[0].bytes, stored[0].sha256, self.want)
        self._check_and_delete("bench/r/0.mp4")
        return seconds

    def s3_from_memory(self) -> float:
        seconds = timed(lambda: put_from_memory(self.s3, self.body, "mem"))
        self._check_and_delete("bench/mem")
        return seconds

    def _check_and_delete(self, key: str) -> None:
        object_url = f"{self.s3_endpoint}/{BUCKET}/{key}"
        if int(httpx.head(object_url).headers["content-length"]) != self.want[0]:
            raise SystemExit(f"bench: the S3 object {key} has the wrong size")
        httpx.delete(object_url).raise_for_status()

    def traced_peak(self) -> int:
        """Python heap peak (tracemalloc) of one untimed copy to the folder."""
        tracemalloc.start()
        ours(self.url, self.folder, "traced/0.mp4", self.client)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        shutil.rmtree(self.folder.root)
        return peak


def measure(
    options: argparse.Namespace, tmp: Path
) -> tuple[dict[str, list[float]], int]:
    body = os.urandom(options.mib * MIB)
    source = tmp / "source.mp4"
    source.write_bytes(body)
    files = Child(_file_server_main, str(source))
    os.environ.update(S3_ENV)  # moto's throwaway keys, never the user's own
    moto = Child(_moto_main)
    try:
        httpx.put(f"{moto.address}/{BUCKET}").raise_for_status()
        rounds = Rounds(tmp, files.address, moto.address, body)
        steps: dict[str, Callable[[], float]] = {
            "baseline": lambda: rounds.by_urllib(baseline),
            "by_hand": lambda: rounds.by_urllib(by_hand),
            "httpx": rounds.httpx_by_hand,
            "local": rounds.to_folder,
            "s3": rounds.to_s3,
            "s3_memory": rounds.s3_from_memory,
        }
        rounds.to_folder()  # untimed warm-up: imports, first connection
        seconds: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(options.rounds):
            for name, step in steps.items():
                seconds[name].append(step())
        peak = rounds.traced_peak()
        rounds.client.close()
    finally:
        files.stop()
        moto.stop()
    return seconds, peak


# -- report ------------------------------------------------------------------------
Row = tuple[str, str, str, str, str]


def print_table(rows: Sequence[Row]) -> None:
    header: Row = ("what", "measured", "baseline", "ratio", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(rule)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(rule)


def report(
    options: argparse.Namespace, seconds: dict[str, list[float]], peak: int
) -> None:
    size = options.mib * MIB
    base = statistics.median(seconds["baseline"])
    base_best = min(seconds["baseline"])

    def row(label: str, key: str) -> list[Row]:
        med, best = statistics.median(seconds[key]), min(seconds[key])
        return [
            (
                f"{label} [median of {len(seconds[key])}]",
                f"{mbps(size, med):7.1f} MB/s",
                f"{mbps(size, base):7.1f} MB/s",
                f"{base / med:5.2f}x",
                "(info)",
            ),
            (
                "    (best round)",
                f"{mbps(size, best):7.1f} MB/s",
                f"{mbps(size, base_best):7.1f} MB/s",
                f"{base_best / best:5.2f}x",
                "",
            ),
        ]

    rows = [
        *row("(1) copy_output -> local folder", "local"),
        *row("(2) copy_output -> S3 (moto, loopback)", "s3"),
        *row("(i) urllib by hand: read, sha256, write, fsync", "by_hand"),
        *row("(i) httpx by hand: stream, sha256, write, fsync", "httpx"),
        *row("(i) obstore.put from memory -> S3 (no download)", "s3_memory"),
    ]
    print(
        f"bench_outputs: one {options.mib} MiB file from a loopback HTTP server; "
        "baseline = urllib + shutil.copyfileobj to a local file; ratio = our "
        "speed / baseline speed (1.00x = as fast)"
    )
    print_table(rows)
    print(
        f"Python heap peak during one {options.mib} MiB copy to the folder "
        f"(tracemalloc): {peak / MIB:.1f} MiB. S3 part buffers live in obstore's "
        "Rust code (at most 8 MiB x 4 parts), outside this figure."
    )
    for key, values in seconds.items():
        print(f"  {key:10} " + " ".join(f"{mbps(size, s):.0f}" for s in values))
    print(f"  (MB/s per round, in order; python {sys.version.split()[0]})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=64, help="file size in MiB")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-outputs-") as tmp:
        seconds, peak = measure(options, Path(tmp))
    report(options, seconds, peak)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
