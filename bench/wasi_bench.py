"""Issue 3's stdout figure: guest stdout throughput through our WASI vs wasmtime's built-in WASI, same run."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from emulator.cli.common import cache_dir
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker

GUEST = Path(__file__).resolve().parent.parent / "guests" / "build" / "bench.wasm"

Row = tuple[str, str]


def _stdout_rate(wasi: str, lines: int, width: int) -> tuple[float, float]:
    """(lines/s, MB/s) of `shout(lines, width)` under the given WASI."""
    runtime = Runtime(cache_dir(), wasi=wasi)
    with tempfile.TemporaryDirectory() as tmp, SqliteStore(Path(tmp) / "oplog.db") as store:
        w = Worker.open(runtime, store, "shout", GUEST)
        w.invoke("shout", ["1", "1"])  # the guest's first-call setup stays out of the measure
        start = time.perf_counter()
        w.invoke("shout", [str(lines), str(width)])
        elapsed = time.perf_counter() - start
        w.close()
    return lines / elapsed, lines * (width + 1) / elapsed / 1e6


def run(quick: bool = False) -> list[Row]:
    """Measure and return table rows."""
    rows: list[Row] = []
    for lines, width in ((5_000 if quick else 20_000, 40), (200 if quick else 1_000, 4096)):
        ours = _stdout_rate("golem", lines, width)
        builtin = _stdout_rate("wasmtime", lines, width)
        rows += [
            (f"stdout, {width + 1}-byte lines: our WASI (journaled Log entries)",
             f"{ours[0]:,.0f} lines/s, {ours[1]:.1f} MB/s"),
            (f"stdout, {width + 1}-byte lines: wasmtime built-in WASI (to a file)",
             f"{builtin[0]:,.0f} lines/s, {builtin[1]:.1f} MB/s"),
            (f"slowdown of ours, {width + 1}-byte lines (target <= 3x)", f"{builtin[0] / ours[0]:.1f}x"),
        ]
    return rows
