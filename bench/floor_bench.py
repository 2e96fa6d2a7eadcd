"""Host calls against the wasmtime floor: a live durable call, a replayed entry and a stdout line, each beside a
bare wasmtime-py host call measured in the same run; and DBOS Transact's durable steps, with and without our
commit batching.

The bare call: the same WAT component (tests/fixtures/clock_loop.wat) with `now` bound to a Python function that
returns a constant, in a plain wasmtime Linker and Store (no oplog, no durability, no conversions of ours).

Costs against the bare call are CPU time of this process (time.process_time), and the bare call and ours are
measured in alternating rounds, the best round of each kept: on a shared machine wall time moves several-fold
with the load from one moment to the next, CPU time much less. The DBOS rows compare wall times, as DBOS's
child process reports them.
"""

from __future__ import annotations

import json
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


def bare_call_cost(calls: int, repeats: int = 1) -> float:
    """CPU seconds per bare wasmtime-py host call (best of `repeats`, after a warm-up run)."""
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
    spin(store, 1000)
    spin.post_return(store)
    for _ in range(repeats):
        start = time.process_time()
        spin(store, calls)
        spin.post_return(store)
        best = min(best, (time.process_time() - start) / calls)
    return best


def _durable_costs(runtime: Runtime, store: SqliteStore, name: str, wasm: Path, calls: int,
                   commit_every_call: bool = False) -> tuple[float, float, float]:
    """(CPU seconds per live durable clock read, CPU seconds per replayed entry, wall seconds per live read)
    of one `spin(calls)` invocation."""
    w = Worker.open(runtime, store, name, wasm)
    w.invoke("spin", ["1"])  # instantiate, and let a Python guest do its first-call setup
    if commit_every_call:
        w.oplog.max_buffered = 0  # every entry its own transaction, as a durable-step library does
    start, wall = time.process_time(), time.perf_counter()
    w.invoke("spin", [str(calls)])
    live, live_wall = (time.process_time() - start) / calls, (time.perf_counter() - wall) / calls
    w.close()
    entries = store.last_index(name)
    fresh = Worker.open(runtime, store, name, wasm)
    start = time.process_time()
    fresh.recover()  # a new instance replays every entry of the oplog
    replay = (time.process_time() - start) / entries
    fresh.close()
    return live, replay, live_wall


def _stdout_line_cost(lines: int) -> float:
    """CPU seconds per 41-byte line a Python guest writes to stdout through our journaled WASI."""
    runtime = Runtime(cache_dir())
    with tempfile.TemporaryDirectory() as tmp, SqliteStore(Path(tmp) / "oplog.db") as store:
        w = Worker.open(runtime, store, "shout", GUESTS / "bench.wasm")
        w.invoke("shout", ["1", "40"])
        start = time.process_time()
        w.invoke("shout", [str(lines), "40"])
        elapsed = time.process_time() - start
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
    calls = 10_000 if quick else 30_000
    bare = live = replay = live_wall = py_live = py_replay = line = float("inf")
    runtime = Runtime(cache_dir())
    with tempfile.TemporaryDirectory() as tmp:
        loop = Path(tmp) / "clock_loop.wasm"
        loop.write_bytes(wasmtime.wat2wasm(WAT.read_text()))
        with SqliteStore(Path(tmp) / "oplog.db") as store:
            for i in range(3):  # alternating rounds: each kind's best round
                bare = min(bare, bare_call_cost(calls))
                one = _durable_costs(runtime, store, f"wat{i}", loop, calls)
                live, replay, live_wall = min(live, one[0]), min(replay, one[1]), min(live_wall, one[2])
                bare = min(bare, bare_call_cost(calls))
                py = _durable_costs(runtime, store, f"py{i}", GUESTS / "bench.wasm", calls // 2)
                py_live, py_replay = min(py_live, py[0]), min(py_replay, py[1])
                line = min(line, _stdout_line_cost(3_000 if quick else 10_000))
            every = _durable_costs(runtime, store, "every", loop, calls // 10, commit_every_call=True)[2]
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
        Figure("DBOS Transact step vs our live call, 128-entry batching (wall)", us(live_wall),
               f"DBOS step {us(dbos_step)}", live_wall / dbos_step, "report"),
        Figure("DBOS Transact step vs our live call, a commit per call (wall)", us(every),
               f"DBOS step {us(dbos_step)}", every / dbos_step, "report"),
        Figure("DBOS recovery step vs our replayed entry", us(replay),
               f"DBOS step {us(1 / steps['replay_steps_per_s'])}", replay * steps["replay_steps_per_s"], "report"),
    ]
