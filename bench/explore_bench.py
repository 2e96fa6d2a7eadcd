"""Issue 10's figure: crash points explored per second, with the cost of one point broken down.

Two workflows: `spin 20` of the bench guest (20 durable clock reads: 34 crash points) and `pay` of the
bank-fixed guest (two HTTP requests against a real local bank for the crash-free run; trials answer from its
recording). Each is explored with --jobs 1 and --jobs 2, trials starting from the crash-free run's durable state
at their point (as the CLI's do), and once more with --jobs 1 with each trial re-running the scenario up to its
point, which shows what that shortcut saves in the same run. The baseline, same run, is the plain cost of one
crash-free invocation in a fresh data directory, sequentially. The breakdown times, inside --jobs 1 trials,
loading (opening the store and the worker: the component is compiled and its linker built once per process),
instantiating, replaying, restoring the point's snapshot, and the rest of the trial (finishing after recovery,
the checks). The load average is printed beside: the machine is shared. ``python -m bench.explore_bench
[--quick]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.report import Figure
from emulator.chaos.explore import explore
from emulator.chaos.harness import Emulator, shared_runtime
from emulator.chaos.snapshots import Snapshots
from emulator.runtime import instance as instance_module
from emulator.runtime import worker as worker_module

ROOT = Path(__file__).resolve().parent.parent
SPIN = ROOT / "guests" / "build" / "bench.wasm"
BANK = ROOT / "guests" / "build" / "bank-fixed.wasm"
TARGET = 50.0


def _bank() -> Any:
    spec = importlib.util.spec_from_file_location("bank_server", ROOT / "examples" / "bank" / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Bank().start()


@contextmanager
def _timed(costs: dict[str, float]) -> Iterator[None]:
    """Add the time spent in load / instantiate / replay to `costs` (only for the breakdown run)."""
    patches: list[tuple[Any, str, Any]] = []

    def wrap(owner: Any, name: str, label: str, classmethod_: bool = False) -> None:
        original = getattr(owner, name)
        func = original.__func__ if classmethod_ else original

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                costs[label] = costs.get(label, 0.0) + time.perf_counter() - start

        patches.append((owner, name, original))
        setattr(owner, name, classmethod(timed) if classmethod_ else timed)

    wrap(worker_module.Worker, "open", "load", classmethod_=True)
    wrap(worker_module.Worker, "load", "load", classmethod_=True)
    wrap(instance_module.Instance, "__init__", "instantiate")
    wrap(worker_module.Worker, "_replay", "replay")
    wrap(Snapshots, "restore", "restore")
    try:
        yield
    finally:
        for owner, name, original in patches:
            setattr(owner, name, original)


def _workflows(bank_base: str) -> list[tuple[str, Callable[[Emulator], object]]]:
    def spin(emu: Emulator) -> None:
        emu.worker("w", SPIN).invoke("spin", ["20"], "k")

    def pay(emu: Emulator) -> None:
        emu.worker("w", BANK).invoke("pay", [json.dumps(bank_base), '"order-1"', "10"], "k")

    return [("20-call workflow (spin 20)", spin), ("HTTP workflow (bank-fixed pay)", pay)]


def _baseline(scenario: Callable[[Emulator], object], runs: int) -> float:
    """Crash-free invocations per second, each in a fresh data directory."""
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        start = time.perf_counter()
        for i in range(runs):
            with Emulator(Path(tmp) / str(i), private=True) as emu:
                scenario(emu)
        return runs / (time.perf_counter() - start)


def measure(quick: bool = False) -> tuple[list[Figure], list[tuple[str, str]]]:
    """Target figures and the breakdown rows."""
    shared_runtime().load(SPIN)
    shared_runtime().load(BANK)
    bank = _bank()
    figures: list[Figure] = []
    rows: list[tuple[str, str]] = []
    try:
        for label, scenario in _workflows(bank.base):
            base = _baseline(scenario, 5 if quick else 20)
            rates = {}
            for jobs, snapshots in ((1, True), (2, True), (1, False)):
                best = 0.0
                for _ in range(1 if quick else 3):
                    result = explore(scenario, jobs=jobs, seed=0, snapshots=snapshots)
                    assert not result.failures, result.report()
                    best = max(best, len(result.trials) / result.trials_seconds)
                rates[(jobs, snapshots)] = best
            points = len(result.trials)
            for (jobs, snapshots), rate in rates.items():
                target = f">= {TARGET:.0f} points/s" if jobs == 2 and "20-call" in label else ""
                how = "" if snapshots else ", each trial re-running up to its point"
                figures.append(Figure(
                    f"explore {label}, {points} points, --jobs {jobs}{how}", f"{rate:.1f} points/s",
                    f"{base:.1f} crash-free runs/s", base / rate, target, met=(rate >= TARGET) if target else None))
            costs: dict[str, float] = {}
            with _timed(costs):
                result = explore(scenario, jobs=1, seed=0, snapshots=True)
            n = len(result.trials)
            total = sum(t.seconds for t in result.trials) / n
            parts = {k: v / (n + 1) for k, v in costs.items() if k != "restore"}  # +1: the crash-free run's
            parts["restore"] = costs.get("restore", 0.0) / n
            finish = max(0.0, total - sum(parts.values()))
            rows.append((f"{label}: one point, --jobs 1", f"{total * 1000:.1f} ms"))
            for part in ("load", "instantiate", "replay", "restore"):
                rows.append((f"  {part}", f"{parts.get(part, 0.0) * 1000:.1f} ms"))
            rows.append(("  finish (recovery after the replay, checks)", f"{finish * 1000:.1f} ms"))
            rows.append((f"{label}: load average after it", " ".join(f"{x:.2f}" for x in os.getloadavg())))
    finally:
        bank.shutdown()
        bank.server_close()
    return figures, rows


_CACHE: dict[bool, tuple[list[Figure], list[tuple[str, str]]]] = {}


def figures(quick: bool = False) -> list[Figure]:
    """For the target table of bench/__main__.py."""
    _CACHE[quick] = measure(quick)
    return _CACHE[quick][0]


def run(quick: bool = False) -> list[tuple[str, str]]:
    """The breakdown rows."""
    if quick not in _CACHE:
        _CACHE[quick] = measure(quick)
    return _CACHE[quick][1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="crash points explored per second")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    figs, breakdown = measure(args.quick)
    for f in figs:
        print(f"{f.measure}: {f.ours} (baseline {f.baseline}, ratio {f.ratio:.2f}) target {f.target} {f.verdict()}")
    for label, value in breakdown:
        print(f"{label}: {value}")
