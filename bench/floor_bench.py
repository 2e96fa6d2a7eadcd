"""Host calls against the wasmtime floor: a live durable call, a replayed entry and a stdout line, each beside a
bare wasmtime-py host call measured in the same run; and DBOS Transact's durable steps, with and without our
commit batching.

The bare call: the same WAT component (tests/fixtures/clock_loop.wat) with `now` bound to a Python function that
returns a constant, in a plain wasmtime Linker and Store (no oplog, no durability, no conversions of ours).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import wasmtime
from wasmtime import component as wc

from bench.report import Figure, us
from emulator.cli.common import cache_dir
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
GUESTS = ROOT / "guests" / "build"
WAT = ROOT / "tests" / "fixtures" / "clock_loop.wat"


def bare_call_cost(calls: int, repeats: int = 3) -> float:
    """Seconds per bare wasmtime-py host call (best of `repeats`)."""
    engine = wasmtime.Engine()
    component = wc.Component(engine, wasmtime.wat2wasm(WAT.read_text()))
    linker = wc.Linker(engine)
    with linker.root() as root, root.add_instance("wasi:clocks/monotonic-clock@0.2.0") as clock:
        clock.add_func("now", lambda _store: 1)
    store = wasmtime.Store(engine)
    instance = linker.instantiate(store, component)
    spin = instance.get_func(store, component.get_export_index("spin", component.get_export_index("emu:bench/api")))
    assert spin is not None
    best = float("inf")
    for _ in range(repeats + 1):  # the first run warms up
        start = time.perf_counter()
        spin(store, calls)
        spin.post_return(store)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def _durable_costs(runtime: Runtime, store: SqliteStore, name: str, wasm: Path, calls: int,
                   commit_every_call: bool = False) -> tuple[float, float]:
    """(seconds per live durable clock read, seconds per replayed entry) of one `spin(calls)` invocation."""
    w = Worker.open(runtime, store, name, wasm)
    w.invoke("spin", ["1"])  # instantiate, and let a Python guest do its first-call setup
    if commit_every_call:
        w.oplog.max_buffered = 0  # every entry its own transaction, as a durable-step library does
    start = time.perf_counter()
    w.invoke("spin", [str(calls)])
    live = (time.perf_counter() - start) / calls
    w.close()
    entries = store.last_index(name)
    fresh = Worker.open(runtime, store, name, wasm)
    start = time.perf_counter()
    fresh.recover()  # a new instance replays every entry of the oplog
    replay = (time.perf_counter() - start) / entries
    fresh.close()
    return live, replay


def _stdout_line_cost(lines: int) -> float:
    """Seconds per 41-byte line a Python guest writes to stdout through our journaled WASI."""
    runtime = Runtime(cache_dir())
    with tempfile.TemporaryDirectory() as tmp, SqliteStore(Path(tmp) / "oplog.db") as store:
        w = Worker.open(runtime, store, "shout", GUESTS / "bench.wasm")
        w.invoke("shout", ["1", "40"])
        start = time.perf_counter()
        w.invoke("shout", [str(lines), "40"])
        elapsed = time.perf_counter() - start
        w.close()
    return elapsed / lines


def dbos(steps: int, attempts: int = 3) -> dict[str, float]:
    """DBOS Transact on SQLite (WAL, as our oplog), in its own process: it keeps global state."""
    cmd = [sys.executable, "-m", "bench.dbos_baseline", "--json", "--wal", "--steps", str(steps)]
    for attempt in range(attempts):
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
        if out.returncode == 0:
            result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
            return result
        if attempt == attempts - 1:
            raise RuntimeError(f"the DBOS baseline failed: {out.stderr.strip().splitlines()[-1:]}")
    raise AssertionError("unreachable")


def figures(quick: bool = False) -> list[Figure]:
    """Measure issue 13's host-call rows."""
    calls = 20_000 if quick else 50_000
    bare = bare_call_cost(calls)
    runtime = Runtime(cache_dir())
    with tempfile.TemporaryDirectory() as tmp:
        loop = Path(tmp) / "clock_loop.wasm"
        loop.write_bytes(wasmtime.wat2wasm(WAT.read_text()))
        with SqliteStore(Path(tmp) / "oplog.db") as store:
            live_runs = [_durable_costs(runtime, store, f"wat{i}", loop, calls) for i in range(3)]
            live = min(r[0] for r in live_runs)
            replay = min(r[1] for r in live_runs)
            py_live, py_replay = _durable_costs(runtime, store, "py", GUESTS / "bench.wasm", calls // 2)
            every, _ = _durable_costs(runtime, store, "every", loop, calls // 10, commit_every_call=True)
    line = statistics.median(_stdout_line_cost(5_000 if quick else 20_000) for _ in range(3))
    steps = dbos(1000 if quick else 2000)
    dbos_step = 1 / steps["steps_per_s"]
    bare_s = f"bare call {us(bare)}"
    return [
        Figure("live durable host call (WAT guest)", us(live), bare_s, live / bare, "<= 1.5x", 1.5),
        Figure("live durable host call (Python guest)", us(py_live), bare_s, py_live / bare, ""),
        Figure("replayed entry (WAT guest)", us(replay), bare_s, replay / bare, "<= 1.2x", 1.2),
        Figure("replayed entry (Python guest)", us(py_replay), bare_s, py_replay / bare, ""),
        Figure("guest stdout, 41-byte line", us(line), f"3 bare calls {us(3 * bare)}", line / (3 * bare),
               "<= 1.5x", 1.5),
        Figure("DBOS Transact step vs our live call, 128-entry batching", us(live), f"DBOS step {us(dbos_step)}",
               live / dbos_step, "report"),
        Figure("DBOS Transact step vs our live call, a commit per call", us(every), f"DBOS step {us(dbos_step)}",
               every / dbos_step, "report"),
        Figure("DBOS recovery step vs our replayed entry", us(replay),
               f"DBOS step {us(1 / steps['replay_steps_per_s'])}", replay * steps["replay_steps_per_s"], "report"),
    ]
