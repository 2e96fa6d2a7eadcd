"""One trial of an exploration: perturb a run (crash it at a point, fail a request), recover it the way a
restarted executor would, and check what must hold whatever happened.

The per-point loop is a list of perturbations, each arming the trial before it runs: `Crash` plans a crash
at a named point, `Fault` makes one request of the crash-free run fail. Other kinds (a replica failover,
say) subclass `Perturbation` and use its hooks.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from emulator.chaos.harness import Emulator, shared_runtime
from emulator.chaos.network import Network, RequestKey, Sent
from emulator.chaos.points import KILL, RAISE, REPLAY_PREFIX, Chaos
from emulator.chaos.rules import NOT_COMPLETED, CrashState, Duplicate, diagnose_duplicate, diagnose_failure, duplicates
from emulator.chaos.snapshots import Snapshots
from emulator.lifecycle.status import WorkerStatus, summarize
from emulator.oplog.entries import OplogEntry
from emulator.runtime import component_files
from emulator.signals import CrashSignal

Scenario = Callable[[Emulator], object]
Check = Callable[[Emulator], object]
Setup = Callable[[Emulator], object]

OK, FAIL, ALLOWED_FAILURE, NOT_REACHED = "ok", "fail", "failed as Golem requires", "not reached"
GAVE_UP = "gave up"  # under an injected fault the worker failed with the fault's error: reported, not a violation


@dataclass
class TrialState:
    """What the perturbations arm: the crash plan and the trial's network."""

    network: Network
    crash_at: str | None = None
    kill: bool = False


class Perturbation:
    """Something done to a trial. `arm` prepares it; `after_crash` runs between the crash and the recovery."""

    name = "none"

    def arm(self, state: TrialState) -> None:
        """Prepare the trial (set the crash point, a network fault, ...)."""

    def after_crash(self, state: TrialState, data_dir: Path) -> None:
        """Act on the data directory the crashed process left (for example: fail over to a replica)."""


@dataclass
class Crash(Perturbation):
    """Crash at the point named `point`."""

    point: str

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.point

    def arm(self, state: TrialState) -> None:
        state.crash_at = self.point


@dataclass
class Fault(Perturbation):
    """Fail the `index`-th request of the crash-free run (0-based) the first time it is made."""

    index: int
    kind: str
    request: str = ""

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"fault:{self.kind}@request{self.index + 1}"

    def arm(self, state: TrialState) -> None:
        state.network.fault = (self.index, self.kind)


@dataclass
class Expected:
    """What the crash-free run produced."""

    results: dict[tuple[str, str], str | None]  # (worker, idempotency key) -> response
    failed: dict[str, str]  # worker -> its error, for workers the crash-free run left failed
    requests: Counter[RequestKey]
    snapshots: Snapshots | None = None  # the durable state at each point, for trials that start from it


@dataclass
class Job:
    """Everything a trial needs; shared by every trial of one exploration (and inherited by forked jobs)."""

    scenario: Scenario
    network: Network
    expected: Expected
    workdir: Path
    check: Check | None = None
    setup: Setup | None = None
    live: bool = False
    kill: bool = False
    keep: Path | None = None
    wasi: str = "golem"
    strict_keys: bool = True  # every invocation of the crash-free run must have finished the same way
    components: Path | None = None  # the crash-free run's kept components, shared by every trial
    faults: bool = False  # trials inject network faults rather than crashes
    sources: dict[str, Path] = field(default_factory=dict)  # kept component name -> the file it was loaded from


@dataclass
class TrialResult:
    """How one trial went."""

    name: str
    outcome: str
    problems: list[str] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    diagnosis: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    kept: str | None = None
    requests: list[str] = field(default_factory=list)  # what the trial sent, in order (for fault reports)
    error_type: str | None = None
    error: str | None = None  # what the re-run scenario (or the user's check) raised

    @property
    def ok(self) -> bool:
        """The trial held (a failure Golem requires counts as holding)."""
        return self.outcome in (OK, ALLOWED_FAILURE, NOT_REACHED, GAVE_UP)


def safe_name(name: str) -> str:
    """A point name as a directory name."""
    return re.sub(r"[^A-Za-z0-9@#.+=,-]+", "_", name)


def _crash_phase(job: Job, state: TrialState, data: Path, perturbations: tuple[Perturbation, ...]) -> bool:
    """Run the scenario until the planned crash (or start from what the crash-free run left durable at that
    point, where that is exact: snapshots.py); whether the crash happened."""
    if state.crash_at is None:
        with Emulator(data, wasi=job.wasi, private=True) as emu:
            try:
                job.scenario(emu)
            except Exception:  # noqa: BLE001 - a failure without a crash is judged after recovery
                pass
        return False
    if state.kill:
        return _killed_phase(job, state, data)
    snapshots = job.expected.snapshots
    plain = len(perturbations) == 1 and type(perturbations[0]) is Crash
    if snapshots is not None and plain and not job.live and snapshots.restore(state.crash_at, data, state.network):
        return True
    plan = Chaos(crash_at=state.crash_at, mode=RAISE)
    try:
        with Emulator(data, plan, wasi=job.wasi, private=True) as emu:
            job.scenario(emu)
    except CrashSignal:
        return True
    except Exception:  # noqa: BLE001 - as above
        pass
    return plan.crashed


def _killed_phase(job: Job, state: TrialState, data: Path) -> bool:
    """The crash phase in a child process that SIGKILLs itself at the point: a real kill -9."""
    log = data / "requests.log"
    data.mkdir(parents=True, exist_ok=True)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            state.network.log_to(log)
            with Emulator(data, Chaos(crash_at=state.crash_at, mode=KILL), wasi=job.wasi, private=True) as emu:
                job.scenario(emu)
        except BaseException:  # noqa: BLE001 - the child reports by its exit status only
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    state.network.load_log(log)
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def run_trial(job: Job, perturbations: tuple[Perturbation, ...]) -> TrialResult:
    """Perturb, crash, recover, check."""
    name = "+".join(p.name for p in perturbations) or "no-crash"
    started = time.perf_counter()
    data = job.workdir / safe_name(name)
    shutil.rmtree(data, ignore_errors=True)
    _link_components(job, data)
    state = TrialState(job.network.for_trial(live=job.live), kill=job.kill)
    for p in perturbations:
        p.arm(state)
    net = state.network
    result = TrialResult(name, OK)
    net.install()
    try:
        if job.setup is not None:
            with Emulator(data, wasi=job.wasi, private=True) as emu:
                job.setup(emu)
        t0 = time.perf_counter()
        crashed = _crash_phase(job, state, data, perturbations)
        t1 = time.perf_counter()
        if state.crash_at is not None and not crashed:
            result.outcome = NOT_REACHED
        at_crash = _durable_state(data)
        for p in perturbations:
            p.after_crash(state, data)
        net.phase = "recovery"
        _recover_and_check(job, data, result)
        t2 = time.perf_counter()
        _judge(job, net, at_crash, data, result)
        result.timings = {"crash run": t1 - t0, "recovery": t2 - t1, "checks": time.perf_counter() - t2}
    finally:
        Network.uninstall()
    result.requests = [f"{s.key.describe()}{' [' + s.fault + ']' if s.fault else ''}" for s in net.sent]
    result.seconds = time.perf_counter() - started
    if not result.ok and job.keep is not None:
        target = job.keep / safe_name(name)
        shutil.rmtree(target, ignore_errors=True)
        job.keep.mkdir(parents=True, exist_ok=True)
        shutil.move(str(data), target)
        _materialize(target / "components")
        result.kept = str(target)
    else:
        shutil.rmtree(data, ignore_errors=True)
    return result


def _link_components(job: Job, data: Path) -> None:
    """Each trial's kept components are symlinks to the crash-free run's: nothing is copied or hashed again."""
    if job.components is None or not job.components.is_dir():
        return
    target = data / "components"
    target.mkdir(parents=True, exist_ok=True)
    for kept in job.components.iterdir():
        if kept.suffix == ".wasm":
            (target / kept.name).symlink_to(job.sources.get(kept.name) or kept.resolve())


def component_sources(components: Path, wasi: str) -> dict[str, Path]:
    """For each component the crash-free run kept (named by its hash; a copy when the scratch dir is on another
    file system), the file this process loaded it from, if it still holds those bytes: trials link to that
    one, which this process and its forked jobs know by path, size and mtime, so none of them reads and hashes
    the 18 MB again for the kept copy's path."""
    sources: dict[str, Path] = {}
    if not components.is_dir():
        return sources
    runtime = shared_runtime(wasi)
    for kept in components.iterdir():
        original = runtime.loaded_file(kept.stem) if kept.suffix == ".wasm" else None
        if original is not None and component_files.known_digest(original) == kept.stem:
            sources[kept.name] = original.resolve()
    return sources


def _materialize(components: Path) -> None:
    """A kept trial outlives the exploration: its symlinked components become real files."""
    if not components.is_dir():
        return
    for link in components.iterdir():
        if link.is_symlink():
            source = link.resolve()
            link.unlink()
            shutil.copyfile(source, link)


def _durable_state(data: Path) -> dict[str, tuple[CrashState, list[tuple[int, OplogEntry]]]]:
    from emulator.oplog.store import SqliteStore

    if not (data / "oplog.db").exists():
        return {}
    store = SqliteStore(data / "oplog.db")
    try:
        return {name: (CrashState.of(entries := store.read(name)), list(entries)) for name in store.worker_names()}
    finally:
        store.close()


def _recover_and_check(job: Job, data: Path, result: TrialResult) -> None:
    """The restarted process: the executor resumes what it finds, then the client re-runs the scenario."""
    with Emulator(data, Chaos(prefix=REPLAY_PREFIX), wasi=job.wasi, private=True) as emu:
        try:
            emu.restart()
        except Exception as e:  # noqa: BLE001 - a worker that fails on resume is judged below
            result.error_type = type(e).__name__
        try:
            job.scenario(emu)
            if job.check is not None:
                job.check(emu)
        except Exception as e:  # noqa: BLE001 - a failing check is data for the report
            result.error = f"{type(e).__name__}: {e}"
            result.error_type = type(e).__name__
        _compare_results(job, emu, result)


def _compare_results(job: Job, emu: Emulator, result: TrialResult) -> None:
    for (worker, key), response in job.expected.results.items():
        if not emu.store.has_worker(worker):
            result.problems.append(f"worker {worker} does not exist after recovery")
            continue
        summary = emu.summary(worker)
        outcome = summary.invocations.get(key)
        if outcome is None:
            if job.strict_keys:
                result.problems.append(f"invocation {key} of {worker} was never made after recovery")
            continue
        if outcome.completed_at is None:
            if worker not in job.expected.failed:
                result.problems.append(f"invocation {key} of {worker} did not finish: the worker is "
                                       f"{summary.status}" + (f" ({summary.last_error})" if summary.last_error else ""))
        elif outcome.response != response:
            result.problems.append(f"invocation {key} of {worker} returned {outcome.response}, "
                                   f"the crash-free run returned {response}")


def _judge(job: Job, net: Network, at_crash: dict[str, tuple[CrashState, list[tuple[int, OplogEntry]]]],
           data: Path, result: TrialResult) -> None:
    from emulator.oplog.store import SqliteStore

    store = SqliteStore(data / "oplog.db")
    try:
        oplogs = {name: store.read(name) for name in store.worker_names()}
    finally:
        store.close()
    allowed_failure = gave_up = False
    for name, entries in oplogs.items():
        summary = summarize([e for _, e in entries])
        if summary.status == WorkerStatus.FAILED and name not in job.expected.failed:
            allowed_failure = allowed_failure or NOT_COMPLETED in (summary.last_error or "")
            gave_up = job.faults  # a network failure made the guest give up: Golem replays its failure
            result.diagnosis += diagnose_failure(entries)
    crash_states = {name: state for name, (state, _) in at_crash.items()}
    dups = duplicates(job.expected.requests, list(net.sent), crash_states)
    result.duplicates = dups
    if not (allowed_failure or gave_up):
        seen = Counter(s.key for s in net.sent if s.delivered)
        for key, count in job.expected.requests.items():
            if seen.get(key, 0) < count:
                result.problems.append(f"{key.describe()} was sent {seen.get(key, 0)} times, the crash-free run "
                                       f"sent it {count}: an effect is missing")
    for key in net.unexpected:
        result.problems.append(f"{key.describe()}: a request the crash-free run never made")
    for dup in dups:
        if dup.rule is None:
            result.problems.append(f"duplicated effect: {dup.describe()}")
            entries = next(iter(at_crash.values()), (None, []))[1]
            last = entries[-1][0] if entries else 0
            hint = diagnose_duplicate(dup, entries, last)
            if hint:
                result.diagnosis.append(hint)
    if allowed_failure:  # the invocation could not finish: Golem's at-most-once, not a missing result
        result.problems = [p for p in result.problems if "did not finish" not in p]
        if not result.problems and result.outcome != NOT_REACHED:
            result.outcome = ALLOWED_FAILURE
            return
    elif gave_up:
        result.problems = [p for p in result.problems if "did not finish" not in p]
        if not result.problems:
            result.outcome = GAVE_UP
            result.problems = [f"the worker failed: {result.error}"] if result.error else []
            return
    elif result.error is not None:
        result.problems.insert(0, result.error)
    if result.problems:
        result.outcome = FAIL


def sent_phase(sent: list[Sent], phase: str) -> list[Sent]:
    """The requests of one phase of a trial."""
    return [s for s in sent if s.phase == phase]
