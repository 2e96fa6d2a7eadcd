"""Exhaustive crash exploration: run a scenario once without crashes, then crash it at each of its crash points
(or fail each of its requests), recover it the way a restarted executor would, and check what must hold.

A scenario is a function that drives workers through an Emulator with fixed idempotency keys, as a client
that retries after a crash would. The crash-free run records the crash points, the results and the requests;
each trial is then independent (its own data directory, a simulated network answering from the recording
unless `live`), so trials run in parallel in forked processes that share the loaded component (parallel.py).
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from emulator.chaos.harness import Emulator
from emulator.chaos.network import FAULTS, Network
from emulator.chaos.parallel import run_parallel
from emulator.chaos.points import Chaos, CrashPoint, select
from emulator.chaos.rules import diagnose_failure
from emulator.chaos.snapshots import Snapshots
from emulator.chaos.trial import (
    Check,
    Crash,
    Expected,
    Fault,
    Job,
    Perturbation,
    Scenario,
    Setup,
    TrialResult,
    component_sources,
    run_trial,
)
from emulator.errors import EmulatorError
from emulator.lifecycle.status import WorkerStatus, summarize

# For perturbations added on top of each crash point (e.g. a replica failover): point name -> extras.
Extras = Callable[[CrashPoint], Sequence[Perturbation]]


class CrashFreeRunFailed(EmulatorError):
    """The scenario fails without any crash: there is nothing to compare trials with."""

    def __init__(self, message: str, diagnosis: list[str], data_dir: Path | None = None) -> None:
        super().__init__(message)
        self.diagnosis = diagnosis
        self.data_dir = data_dir


@dataclass
class Exploration:
    """Every trial of an exploration."""

    points: list[CrashPoint] = field(default_factory=list)
    trials: list[TrialResult] = field(default_factory=list)
    sampled: bool = False  # more points than --max-points: a seeded sample was explored
    seconds: float = 0.0
    jobs: int = 1
    requests: list[str] = field(default_factory=list)  # the crash-free run's requests, in order
    trials_seconds: float = 0.0  # wall time of the trials alone (after the crash-free run)

    @property
    def failures(self) -> list[TrialResult]:
        """Trials where something did not hold."""
        return [t for t in self.trials if not t.ok]

    @property
    def points_per_second(self) -> float:
        """Trials per second of wall time."""
        return len(self.trials) / self.seconds if self.seconds else 0.0

    def report(self) -> str:
        """A readable summary: one block per failing trial."""
        lines = [f"{len(self.trials)} trials explored, {len(self.failures)} failed"]
        for t in self.failures:
            lines.append(f"  {t.name}: {t.outcome}")
            lines += [f"    {p}" for p in t.problems]
            lines += [f"    diagnosis: {d}" for d in t.diagnosis]
            if t.kept:
                lines.append(f"    data dir kept: {t.kept}")
        return "\n".join(lines)


def _expected(emu: Emulator) -> Expected:
    results: dict[tuple[str, str], str | None] = {}
    failed: dict[str, str] = {}
    for name in emu.store.worker_names():
        summary = emu.summary(name)
        for key, outcome in summary.invocations.items():
            if outcome.completed_at is not None:
                results[(name, key)] = outcome.response
        if summary.status == WorkerStatus.FAILED:
            failed[name] = summary.last_error or "failed"
    return Expected(results, failed, Counter())


def crash_free_run(
    scenario: Scenario, data: Path, *, check: Check | None = None, setup: Setup | None = None, wasi: str = "golem",
    snapshots: bool = False,
) -> tuple[list[CrashPoint], Expected, Network]:
    """Run the scenario once against the real network; its crash points, results and requests (and with
    `snapshots`, the durable state at each point, for trials that start from there)."""
    network = Network(simulate=False, phase="dry")
    network.install()
    states = Snapshots(data, network) if snapshots else None
    chaos = Chaos(on_point=states.take if states is not None else None)
    try:
        if setup is not None:
            with Emulator(data, wasi=wasi) as emu:
                setup(emu)
        with Emulator(data, chaos, wasi=wasi) as emu:
            try:
                if states is not None:
                    states.start()
                try:
                    scenario(emu)
                finally:
                    if states is not None:
                        states.stop()
                if check is not None:
                    check(emu)
            except Exception as e:
                diagnosis = [d for n in emu.store.worker_names() for d in diagnose_failure(emu.oplog(n))]
                raise CrashFreeRunFailed(f"the crash-free run failed, before any crash: {type(e).__name__}: {e}",
                                         diagnosis, data) from e
            expected = _expected(emu)
            for name, error in expected.failed.items():
                raise CrashFreeRunFailed(f"the crash-free run left worker {name} failed: {error}",
                                         diagnose_failure(emu.oplog(name)), data)
    finally:
        Network.uninstall()
    expected.requests = network.counts()
    expected.snapshots = states
    return list(chaos.points), expected, network


def plan_trials(
    points: Sequence[CrashPoint], network: Network, *, faults: str | None = None, only: str | None = None,
    max_points: int | None = None, seed: int | None = None, extras: Extras | None = None,
) -> tuple[list[tuple[Perturbation, ...]], bool]:
    """The perturbations of each trial, and whether the crash points were sampled."""
    if faults is not None:
        if faults != "http":
            raise EmulatorError(f"--faults {faults!r}: only `http` is supported")
        order = network.dry_order
        return [(Fault(i, kind, order[i][0].describe()),) for i in range(len(order)) for kind in FAULTS], False
    chosen = select(points, only)
    sampled = max_points is not None and len(chosen) > max_points
    if sampled and max_points is not None:
        picked = set(random.Random(seed).sample(range(len(chosen)), max_points))
        chosen = [p for i, p in enumerate(chosen) if i in picked]
    return [(Crash(p.name), *(extras(p) if extras else ())) for p in chosen], sampled


def run_trials(job: Job, plans: list[tuple[Perturbation, ...]], jobs: int = 1,
               progress: Callable[[TrialResult], None] | None = None) -> list[TrialResult]:
    """Run every trial, in `jobs` processes (forked from this one, which runs trials too); results in plan
    order."""
    results: list[TrialResult | None] = [None] * len(plans)

    def done(i: int, result: TrialResult) -> None:
        results[i] = result
        if progress:
            progress(result)

    if jobs <= 1 or len(plans) <= 1:
        for i, plan in enumerate(plans):
            done(i, run_trial(job, plan))
    else:
        run_parallel(lambda plan: run_trial(job, plan), plans, min(jobs, len(plans)), done)
    missing = [plans[i] for i, r in enumerate(results) if r is None]
    if missing:
        names = ", ".join("+".join(p.name for p in plan) for plan in missing[:5])
        raise EmulatorError(f"{len(missing)} trials were lost with a trial process that died: {names}")
    return [r for r in results if r is not None]


def explore(
    scenario: Scenario, check: Check | None = None, *, setup: Setup | None = None, jobs: int = 1,
    faults: str | None = None, live: bool = False, kill: bool = False, keep: Path | None = None,
    only: str | None = None, max_points: int | None = None, seed: int | None = None, workdir: Path | None = None,
    wasi: str = "golem", strict_keys: bool = True, extras: Extras | None = None,
    progress: Callable[[TrialResult], None] | None = None, on_plan: Callable[[int], None] | None = None,
    snapshots: bool = False,
) -> Exploration:
    """Crash `scenario` at each of its crash points (or fail each request, `faults="http"`), recover, check.

    `snapshots`: each trial starts from what the crash-free run left durable at its point instead of running
    the scenario up to it (snapshots.py says where that is exact). Only for a scenario that keeps no state
    outside the data dir: a client's memory of what it was answered before the crash is not in a snapshot."""
    started = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="golem-emu-explore-", dir=workdir or _scratch()))
    try:
        try:
            # Trials start from the crash-free run's durable state at their point where that is exact.
            shortcut = snapshots and not (live or kill) and faults is None and extras is None
            points, expected, network = crash_free_run(scenario, base / "crash-free", check=check, setup=setup,
                                                       wasi=wasi, snapshots=shortcut)
        except CrashFreeRunFailed as e:
            if keep is not None and e.data_dir is not None:
                target = keep / "crash-free"
                shutil.rmtree(target, ignore_errors=True)
                keep.mkdir(parents=True, exist_ok=True)
                shutil.move(str(e.data_dir), target)
                e.data_dir = target
            raise
        plans, sampled = plan_trials(points, network, faults=faults, only=only, max_points=max_points, seed=seed,
                                     extras=extras)
        if on_plan is not None:
            on_plan(len(plans))
        job = Job(scenario, network, expected, base, check=check, setup=setup, live=live, kill=kill, keep=keep,
                  wasi=wasi, strict_keys=strict_keys, components=base / "crash-free" / "components",
                  sources=component_sources(base / "crash-free" / "components", wasi),
                  faults=faults is not None)
        before_trials = time.perf_counter()
        trials = run_trials(job, plans, jobs, progress)
        after = time.perf_counter()
        requests = [f"{k.describe()}" for k, _ in network.dry_order]
        return Exploration(points, trials, sampled, after - started, jobs, requests, after - before_trials)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _scratch() -> Path | None:
    """Trials' data dirs live in memory where the system offers it (/dev/shm): no fsync, no disk."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def summary_status(emu: Emulator, worker: str) -> str:
    """A worker's status (for checks)."""
    return summarize([e for _, e in emu.oplog(worker)]).status
