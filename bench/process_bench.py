"""Process start-up: a warm `golem-emu invoke` and `golem-emu --help`, beside `python -c 'import wasmtime'`."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Figure, secs
from emulator.cli.common import cache_dir

ROOT = Path(__file__).resolve().parent.parent
COUNTER = ROOT / "guests" / "build" / "counter.wasm"


def wall(cmd: list[str], runs: int = 5, env: dict[str, str] | None = None) -> float:
    """Median wall time of `cmd` in a new process (after one unmeasured run)."""
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir()), **(env or {})}
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli(data_dir: Path, *args: str) -> list[str]:
    """The command line of golem-emu with this data dir."""
    return [sys.executable, "-m", "emulator", "--data-dir", str(data_dir), *args]


def figures(quick: bool = False) -> list[Figure]:
    """Measure the start-up rows."""
    floor = wall([sys.executable, "-c", "import wasmtime"])
    with tempfile.TemporaryDirectory() as tmp:
        invoke = wall(cli(Path(tmp), "invoke", str(COUNTER), "--worker", "bench", "increment"))
        help_ = wall(cli(Path(tmp), "--help"))
    base = f"import wasmtime {secs(floor)}"
    return [
        Figure("warm `golem-emu invoke` process, wall", secs(invoke), base, invoke / floor, "< 0.3 s",
               met=invoke < 0.3),
        Figure("`golem-emu --help`, wall", secs(help_), base, help_ / floor, "< 0.15 s", met=help_ < 0.15),
    ]
