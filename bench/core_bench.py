"""Issue 2's figures: live durable host calls/s, replayed entries/s, a warm `golem-emu invoke`, vs DBOS."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import wasmtime

from emulator.cli_common import cache_dir
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
GUESTS = ROOT / "guests" / "build"

Row = tuple[str, str]


def _spin(runtime: Runtime, store: SqliteStore, name: str, wasm: Path, calls: int) -> tuple[float, float]:
    """(live calls/s, replayed entries/s) of one invocation making `calls` durable clock reads."""
    w = Worker.open(runtime, store, name, wasm)
    w.invoke("spin", ["1"])  # instantiate, and let a Python guest do its first-call setup
    start = time.perf_counter()
    w.invoke("spin", [str(calls)])
    live = calls / (time.perf_counter() - start)
    w.close()
    entries = store.last_index(name)
    fresh = Worker.open(runtime, store, name, wasm)
    start = time.perf_counter()
    fresh.recover()  # a new instance replays every entry of the oplog
    replay = entries / (time.perf_counter() - start)
    fresh.close()
    return live, replay


def _warm_invoke(runs: int = 5) -> float:
    """Median wall time of `golem-emu invoke counter increment` in a new process, with a warm cache."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "emulator", "--data-dir", tmp, "invoke", str(GUESTS / "counter.wasm"),
               "--worker", "bench", "increment"]
        env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
        subprocess.run(cmd, check=True, capture_output=True, env=env)  # compiles into the cache if needed
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def _dbos(steps: int) -> dict[str, float]:
    """DBOS Transact on SQLite (WAL, as our oplog), in its own process: it keeps global state."""
    out = subprocess.run([sys.executable, "-m", "bench.dbos_baseline", "--json", "--wal", "--steps", str(steps)],
                         check=True, capture_output=True, text=True, cwd=ROOT, timeout=300)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool = False) -> list[Row]:
    """Measure and return table rows (label, value)."""
    calls = 20_000 if quick else 50_000
    runtime = Runtime(cache_dir())
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        loop = Path(tmp) / "clock_loop.wasm"
        loop.write_bytes(wasmtime.wat2wasm((ROOT / "tests" / "fixtures" / "clock_loop.wat").read_text()))
        with SqliteStore(Path(tmp) / "oplog.db") as store:
            wat_live, wat_replay = _spin(runtime, store, "wat", loop, calls)
            py_live, py_replay = _spin(runtime, store, "py", GUESTS / "bench.wasm", calls // 2)
    warm = _warm_invoke()
    dbos = _dbos(1000 if quick else 2000)
    rows += [
        ("live durable host calls/s, WAT guest (target >= 20,000)", f"{wat_live:,.0f}"),
        ("live durable host calls/s, Python guest", f"{py_live:,.0f}"),
        ("replayed entries/s, WAT guest (target >= 100,000)", f"{wat_replay:,.0f}"),
        ("replayed entries/s, Python guest", f"{py_replay:,.0f}"),
        ("warm `golem-emu invoke` wall time (target < 0.5 s)", f"{warm:.3f} s"),
        ("DBOS Transact (SQLite, WAL): durable steps/s", f"{dbos['steps_per_s']:,.0f}"),
        ("DBOS Transact (SQLite, WAL): recovered steps/s", f"{dbos.get('replay_steps_per_s', 0):,.0f}"),
        ("ratio: our live calls (Python guest) / DBOS steps", f"{py_live / dbos['steps_per_s']:.1f}x"),
    ]
    if dbos.get("replay_steps_per_s"):
        ratio = py_replay / dbos["replay_steps_per_s"]
        rows.append(("ratio: our replay (Python guest) / DBOS recovery", f"{ratio:.1f}x"))
    return rows
