"""Cost against history: `invoke` (with and without the server), `show`, `oplog` and `workers` at 10, 100, 1,000
and 10,000 invocations of the counter guest, each a new process on a data dir built by real invocations.

`oplog` is timed to its first screen (40 lines read from its stdout pipe); `workers` runs on a data dir of
WORKERS workers, each a copy of the history (copied in SQL, so building it costs seconds, not minutes).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.process_bench import bench_env, cli, served
from bench.report import Figure
from emulator.cli.common import cache_dir
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
COUNTER = ROOT / "guests" / "build" / "counter.wasm"
SIZES = (10, 100, 1_000, 5_000, 10_000)
QUICK_SIZES = (10, 100, 1_000)
WORKERS = 50
SCREEN = 40  # lines: what a terminal shows first
_BUDGET = 4.0  # seconds of repeats per cell at most (a slow cell is measured fewer times)


def _env() -> dict[str, str]:
    return bench_env()


def _run(cmd: list[str], first_lines: int | None = None) -> float:
    start = time.perf_counter()
    if first_lines is None:
        subprocess.run(cmd, check=True, capture_output=True, env=_env(), cwd=ROOT)
        return time.perf_counter() - start
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(), cwd=ROOT) as proc:
        assert proc.stdout is not None
        for _ in range(first_lines):
            if not proc.stdout.readline():
                break
        elapsed = time.perf_counter() - start
        proc.kill()
    return elapsed


def _median(cmd: list[str], first_lines: int | None = None, runs: int = 3) -> float:
    times = [_run(cmd, first_lines)]
    while len(times) < runs and sum(times) < _BUDGET:
        times.append(_run(cmd, first_lines))
    return min(times)  # the least disturbed run


def _copy_db(src: Path, dst_dir: Path) -> None:
    dst_dir.mkdir(parents=True)
    with sqlite3.connect(src) as a, sqlite3.connect(dst_dir / "oplog.db") as b:
        a.backup(b)
    (dst_dir / "components").mkdir()
    for f in (src.parent / "components").iterdir():
        os.link(f, dst_dir / "components" / f.name)


def build(root: Path, sizes: tuple[int, ...]) -> dict[int, Path]:
    """A data dir per size, whose worker `base` has had that many `increment` invocations."""
    work = root / "build"
    out: dict[int, Path] = {}
    runtime = Runtime(cache_dir())
    with SqliteStore(work / "oplog.db") as store:
        w = Worker.open(runtime, store, "base", COUNTER, components_dir=work / "components")
        done = 0
        for n in sorted(sizes):
            for _ in range(n - done):
                w.invoke("increment", [])
            done = n
            w.oplog.commit()
            out[n] = root / f"n{n}"
            _copy_db(work / "oplog.db", out[n])
        w.close()
    return out


def add_copies(data_dir: Path, count: int) -> None:
    """Make `count` workers in all (`base` and copies of it), copying every per-worker table in SQL."""
    with sqlite3.connect(data_dir / "oplog.db") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            key = "name" if table == "workers" else "worker"
            if key not in cols or table in ("leases", "requests"):
                continue
            for k in range(1, count):
                select = ", ".join(f"'c{k:03}'" if c == key else c for c in cols)
                db.execute(f"INSERT INTO {table}({', '.join(cols)}) SELECT {select} FROM {table} "
                           f"WHERE {key} = 'base'")


def _server_invoke(data_dir: Path) -> float | None:
    """`invoke` (a new CLI process) while `golem-emu serve` runs on the data dir, its worker warm."""
    with served(data_dir):
        cmd = cli(data_dir, "invoke", str(COUNTER), "-w", "base", "increment")
        _run(cmd)  # the first one through the server instantiates the worker and replays its oplog
        return _median(cmd, runs=5)


def measure(quick: bool = False) -> dict[str, dict[int, float | None]]:
    """Seconds per command and size."""
    sizes = QUICK_SIZES if quick else SIZES
    table: dict[str, dict[int, float | None]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        dirs = build(Path(tmp), sizes)
        cells: dict[str, Callable[[Path], float | None]] = {
            "invoke, no server": lambda d: _median(cli(d, "invoke", str(COUNTER), "-w", "base", "increment")),
            "invoke, warm server": _server_invoke,
            "show": lambda d: _median(cli(d, "show", "base")),
            "oplog, first screen": lambda d: _median(cli(d, "oplog", "base"), first_lines=SCREEN),
        }
        for n, d in dirs.items():
            for label, cell in cells.items():
                table.setdefault(label, {})[n] = cell(d)
        workers = 10 if quick else WORKERS
        label = f"workers ({workers} workers)"
        for n, d in dirs.items():
            add_copies(d, workers)
            table.setdefault(label, {})[n] = _median(cli(d, "workers"))
        for d in dirs.values():
            shutil.rmtree(d)
    return table


def figures(table: dict[str, dict[int, float | None]]) -> list[Figure]:
    """The target rows that come from the scaling table."""
    out = []

    def ratio(label: str, at: int, base: int = 10) -> tuple[float, float] | None:
        row = table.get(label, {})
        big, small = row.get(at), row.get(base)
        return None if big is None or small is None else (big, small)

    at = 5_000 if 5_000 in next(iter(table.values())) else max(next(iter(table.values())))
    for label, measure, limit in (
        ("invoke, warm server", f"`invoke` after {at:,} invocations, warm server", 1.1),
        ("invoke, no server", f"`invoke` after {at:,} invocations, no server", 1.3),
        ("oplog, first screen", f"`oplog` first screen after {at:,} invocations", 1.2),
    ) + tuple((k, f"`{k}` after {at:,} invocations each", 1.2) for k in table if k.startswith("workers")):
        pair = ratio(label, at)
        if pair is None:
            out.append(Figure(measure, "not built", "the same at 10", None, f"<= {limit}x", limit))
            continue
        big, small = pair
        out.append(Figure(measure, f"{big:.3f} s", f"at 10: {small:.3f} s", big / small, f"<= {limit}x", limit))
    return out
