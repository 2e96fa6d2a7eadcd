"""Issue 3's HTTP figures: body throughput through our durable wasi:http, and what journaling a request costs.

A real server on 127.0.0.1 (tests/http_server.py) serves the bytes. Throughput is measured with the
http-effects guest reading and writing bodies in 64 KiB pieces, every read journaled (base64 in the oplog), next
to urllib3 alone in this process. The per-request overhead compares the same guest loop of small GETs journaled
against the same loop in a persist-nothing section (golem-1.1 semantics: live, nothing journaled), same run.
``python -m bench.http_bench [--quick]``; ``run()`` gives the rows to ``bench/__main__.py``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import urllib3

from emulator.cli.common import cache_dir
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.http_server import serve

GUEST = Path(__file__).resolve().parent.parent / "guests" / "build" / "http-effects.wasm"
Row = tuple[str, str]
MB = 1_000_000
CHUNK = 1 << 16  # what requests-wasi-http reads at a time; larger reads are slower here (cache misses)


def _best(repeat: int, fn: Callable[[], object]) -> float:
    """Fastest of `repeat` timings of fn(), in seconds (the least disturbed by the rest of the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _plain_download(pool: urllib3.PoolManager, url: str) -> int:
    response = pool.request("GET", url, preload_content=False)
    total = sum(len(chunk) for chunk in response.stream(CHUNK))
    response.release_conn()
    return total


def _timed(tmp: Path, name: str, function: str, args: list[str], repeat: int) -> float:
    """Best time of an invocation on a fresh worker each time (a long oplog would slow every invocation's
    bookkeeping, which is not what is measured here)."""
    runtime = Runtime(cache_dir())
    times = []
    for i in range(repeat):
        store = SqliteStore(tmp / f"{name}-{i}.db")
        worker = Worker.open(runtime, store, name, GUEST)
        worker.invoke("get-many", [args[0], "0", "true"])  # the guest's first-call setup stays out of the measure
        start = time.perf_counter()
        worker.invoke(function, args)
        times.append(time.perf_counter() - start)
        worker.close()
        store.close()
    return min(times)


def run(quick: bool = False) -> list[Row]:
    """Measure and return (label, value) rows."""
    if not GUEST.exists():
        return [("http-effects guest", "not built: run `make guests`")]
    size = (16 if quick else 64) * MB
    count = 100 if quick else 300
    repeat = 2 if quick else 3
    with tempfile.TemporaryDirectory() as tmp_name, serve() as server:
        tmp = Path(tmp_name)
        big = json.dumps(f"{server.base}/bytes/{size}")
        small = json.dumps(f"{server.base}/bytes/64")
        down = _timed(tmp, "down", "download", [big, str(CHUNK)], repeat)
        # The same download in a persist-nothing section: the host alone, without the oplog's share.
        bare_down = _timed(tmp, "bare", "get-many", [big, "1", "false"], repeat)
        up = _timed(tmp, "up", "upload", [json.dumps(f"{server.base}/sink"), str(size), str(CHUNK)], repeat)
        pool = urllib3.PoolManager()
        plain = _best(repeat, lambda: _plain_download(pool, f"{server.base}/bytes/{size}"))
        # Per request: the difference between `count` requests and none, so the invocation itself drops out.
        empty = _timed(tmp, "empty", "get-many", [small, "0", "true"], repeat)
        journaled = (_timed(tmp, "journaled", "get-many", [small, str(count), "true"], repeat) - empty) / count
        unjournaled = (_timed(tmp, "nothing", "get-many", [small, str(count), "false"], repeat) - empty) / count
        bare = _best(repeat, lambda: [pool.request("GET", f"{server.base}/bytes/64") for _ in range(count)]) / count
    return [
        (f"guest download, {size // MB} MB in 64 KiB reads, journaled", f"{size / down / MB:.0f} MB/s"),
        (f"guest download, {size // MB} MB in 64 KiB reads, persist-nothing", f"{size / bare_down / MB:.0f} MB/s"),
        (f"guest upload, {size // MB} MB in 64 KiB writes", f"{size / up / MB:.0f} MB/s"),
        ("urllib3 alone, same download (no guest, no oplog)", f"{size / plain / MB:.0f} MB/s"),
        ("small GET from the guest, journaled", f"{journaled * 1e3:.2f} ms"),
        ("small GET from the guest, persist-nothing", f"{unjournaled * 1e3:.2f} ms"),
        ("journaled request vs plain request (same guest loop)", f"{journaled / unjournaled:.2f}x"),
        ("small GET with urllib3 alone (no guest)", f"{bare * 1e3:.2f} ms"),
    ]


def main() -> None:
    """Print the rows."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    for label, value in run(quick=parser.parse_args().quick):
        print(f"{label:60} {value}")


if __name__ == "__main__":
    main()
