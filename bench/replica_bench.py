"""Replica simulation (issue 12): a commit's wait against the configured lag, and durable-call throughput with
no replicas and with three, measured in the same run."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from emulator.cli.common import cache_dir
from emulator.oplog import replica_settings as rs
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker

BUILD = Path(__file__).resolve().parent.parent / "guests" / "build"

Row = tuple[str, str]


def _commit_waits(runtime: Runtime, lag_ms: int, commits: int) -> list[float]:
    """Seconds each of `commits` oplog-commit(2) calls waited, with 3 replicas `lag_ms` behind."""
    waits: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        rs.save(data, rs.ReplicaSettings(count=3, lag_min_ms=lag_ms, lag_max_ms=lag_ms))
        with SqliteStore(data / "oplog.db") as store:
            w = Worker.open(runtime, store, "commit", BUILD / "replicated.wasm")
            w.invoke("commit", ["2"])  # the guest's first-call setup stays out of the measure
            w.on_replica_wait = lambda n, index, waited, positions: waits.append(waited)
            for _ in range(commits):
                w.invoke("commit", ["2"])
            w.close()
    return waits


def _durable_call_rate(runtime: Runtime, replicas: int, calls: int) -> tuple[float, float, float]:
    """Durable host calls per second of `spin(calls)` with `replicas` replicas (10 ms lag) replicating it live,
    and the CPU seconds per call of the worker's thread and of the whole process (the replicator's included)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        rs.save(data, rs.ReplicaSettings(count=replicas, lag_min_ms=10, lag_max_ms=10))
        with SqliteStore(data / "oplog.db") as store:
            w = Worker.open(runtime, store, "spin", BUILD / "bench.wasm")
            w.invoke("spin", ["10"])
            time.sleep(0.2)  # the replicator's start (its files are created) stays out of the measure
            start, own, cpu = time.perf_counter(), time.thread_time(), time.process_time()
            w.invoke("spin", [str(calls)])
            elapsed, own, cpu = time.perf_counter() - start, time.thread_time() - own, time.process_time() - cpu
            w.close()
    return calls / elapsed, own / calls, cpu / calls


def run(quick: bool = False) -> list[Row]:
    """Measure and return table rows."""
    runtime = Runtime(cache_dir())
    rows: list[Row] = []
    commits = 5 if quick else 20
    for lag in (0, 10, 50) if quick else (0, 10, 25, 50, 100):
        waits = [w * 1000 for w in _commit_waits(runtime, lag, commits)]
        median = statistics.median(waits)
        rows.append((f"oplog-commit(2) on 3 replicas, lag {lag} ms: median wait (min..max), over the lag",
                     f"{median:.1f} ms ({min(waits):.1f}..{max(waits):.1f}), {median - lag:+.1f} ms"))
    calls = 5_000 if quick else 50_000
    runs: dict[int, list[tuple[float, float, float]]] = {0: [], 3: []}
    for _ in range(3 if quick else 5):  # interleaved, so that a change in the machine's load hits both alike
        for n in runs:
            runs[n].append(_durable_call_rate(runtime, n, calls))
    rate = {n: statistics.median(r for r, _, _ in got) for n, got in runs.items()}
    own = {n: statistics.median(c for _, c, _ in got) for n, got in runs.items()}
    cpu = {n: statistics.median(c for _, _, c in got) for n, got in runs.items()}
    rows += [
        (f"live durable calls (spin {calls:,}), no replicas (baseline)", f"{rate[0]:,.0f} calls/s"),
        (f"live durable calls (spin {calls:,}), 3 replicas at 10 ms lag", f"{rate[3]:,.0f} calls/s"),
        ("throughput with 3 replicas / without (same run)", f"{rate[3] / rate[0]:.2f}x"),
        ("CPU per durable call of the worker's thread, no replicas / 3 (same run)",
         f"{own[0] * 1e6:.1f} / {own[3] * 1e6:.1f} us, {own[3] / own[0]:.2f}x"),
        ("CPU per durable call of the whole process, no replicas / 3 (same run)",
         f"{cpu[0] * 1e6:.1f} / {cpu[3] * 1e6:.1f} us, {cpu[3] / cpu[0]:.2f}x"),
        ("load average of the machine (1, 5, 15 min) at the end", ", ".join(f"{x:.1f}" for x in os.getloadavg())),
    ]
    return rows
