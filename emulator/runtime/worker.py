"""A durable worker: create or recover by replay, invoke, journal, and classify failures."""

from __future__ import annotations

import os
import random
import uuid
from base64 import b64decode
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wasmtime

from emulator import values
from emulator.chaos.points import Chaos
from emulator.errors import (
    EmulatorError,
    GuestTrap,
    NondeterminismError,
    OplogError,
    Unsupported,
    UsageError,
    WorkerFailed,
)
from emulator.host.context import HostContext, WorkerInfo
from emulator.lifecycle.retry import DEFAULT_POLICY, Clock, RealClock, get_delay
from emulator.lifecycle.status import SummaryCache, WorkerSummary
from emulator.oplog.entries import (
    Create,
    Error,
    Exited,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    Interrupted,
    Log,
    Suspend,
)
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import OplogStore, SqliteStore
from emulator.replay.durability import GOLEM_1_1, Durability
from emulator.replay.state import ReplayState, describe
from emulator.runtime import component_files, updates
from emulator.runtime.catalog import component_uuid, list_workers
from emulator.runtime.control import InterruptWatcher, Lease
from emulator.runtime.engine import ExportedFunction, LoadedComponent, Runtime
from emulator.runtime.instance import Instance, call_snapshot
from emulator.runtime.linker import check_imports
from emulator.runtime.management import current_component_hash, snapshot_to_load
from emulator.signals import ExitSignal, JumpSignal, SuspendSignal, UserInterrupt


@dataclass(frozen=True)
class InvocationResult:
    """What an invocation produced."""

    idempotency_key: str
    function: str
    response: str | None  # WAVE text, None for a function without result
    status: str  # "completed", or the invocation stopped unfinished: "suspended", "interrupted", "exited"
    cached: bool = False  # answered from the oplog by idempotency key, nothing ran
    promise: tuple[str, int] | None = None  # for "suspended": the awaited promise (worker, oplog index)
    output: str = ""  # what the guest wrote to stdout/stderr while live
    detail: str | None = None


@dataclass(frozen=True)
class PreparedCall:
    """An export and its arguments, parsed and re-printed as canonical WAVE: nothing left to reject."""

    export: ExportedFunction
    request: tuple[str, ...]


def prepare_call(loaded: LoadedComponent, function: str, args: Sequence[str]) -> PreparedCall:
    """Resolve `function` and parse its WAVE `args`; UsageError on bad input, before any oplog is touched."""
    export = loaded.find_export(function)
    parsed = values.parse_args(list(args), list(export.params), func_name=export.name)
    return PreparedCall(export, tuple(values.format(v, ty) for v, (_, ty) in zip(parsed, export.params, strict=True)))


INTERRUPTED = "Interrupted via the Golem API"  # Golem's text for an interrupted invocation


def _current_code(
    runtime: Runtime, store: OplogStore, name: str, given: LoadedComponent, components_dir: Path | None,
) -> LoadedComponent:
    """The code an existing worker runs. Naming an older registered version of its component (after an
    update) still runs the current one, as in Golem; an unregistered file (a rebuild) is run as given."""
    if components_dir is None or not isinstance(store, SqliteStore):
        return given
    entries = [e for _, e in store.read(name)]
    current = current_component_hash(entries)
    create = entries[0]
    assert isinstance(create, Create)
    kept = components_dir / f"{current}.wasm"
    if given.sha256 == current or store.component_version(create.component, given.sha256) is None or not kept.exists():
        return given
    return runtime.load(kept, expect_digest=current)


def keep_component(loaded: LoadedComponent, components_dir: Path) -> Path:
    """Keep the exact wasm a worker runs under its hash, so later commands can load it without a path."""
    target = components_dir / f"{loaded.sha256}.wasm"
    component_files.share(loaded.path, target)
    return target


def _last_error_line(output: str) -> str | None:
    """The last line of a Python traceback the guest printed (e.g. "RuntimeError: boom"), if any."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if not line.startswith(("File ", "Traceback", "^")) and ("Error" in line or "Exception" in line):
            return line
    return None


def _is_stack_overflow(error: EmulatorError) -> bool:
    # Golem never retries a stack overflow: it would overflow again.
    return isinstance(error, GuestTrap) and "call stack exhausted" in str(error)


class Worker:
    """A named durable worker running one component, backed by an oplog in an OplogStore."""

    def __init__(
        self, runtime: Runtime, store: OplogStore, name: str, loaded: LoadedComponent, chaos: Chaos | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.runtime = runtime
        self.chaos = chaos
        self.clock: Clock = clock or RealClock()
        self.rng = random.Random()
        self.attempts = 0  # executions of the last failed invocation, for reports
        self.on_output: Callable[[str, str], None] | None = None  # shows guest output as it is journaled
        self.store = store
        self.name = name
        self.loaded = loaded
        self.oplog = Oplog(store, name)
        create = self.oplog.entry(1)
        assert isinstance(create, Create)
        self.create = create
        version = create.component_version
        if isinstance(store, SqliteStore):  # the version of the code it runs now, after any update
            version = store.register_component(create.component, loaded.sha256)
        self.info = WorkerInfo(
            name=name, component_uuid=component_uuid(create.component), component_version=version,
            args=create.args, env=create.env, created_at=create.timestamp,
        )
        self._instance: Instance | None = None
        self._summaries = SummaryCache()
        self._finished: dict[str, str | None] = {}  # idempotency key -> response, for calls finished live

    @classmethod
    def open(
        cls, runtime: Runtime, store: OplogStore, name: str, component: str | os.PathLike[str], *,
        env: Sequence[tuple[str, str]] = (), args: Sequence[str] = (), semantics: str | None = None,
        chaos: Chaos | None = None, clock: Clock | None = None, components_dir: Path | None = None,
    ) -> Worker:
        """Recover worker `name`, creating it (Create entry, index 1) on first use."""
        loaded = runtime.load(component)
        check_imports(loaded, runtime.wasi)
        if components_dir is not None:
            keep_component(loaded, components_dir)
        if not store.has_worker(name):
            version = store.register_component(loaded.path.stem, loaded.sha256) if isinstance(store, SqliteStore) else 0
            Oplog.create(store, Create(
                worker_name=name, component=loaded.path.stem, component_hash=loaded.sha256, component_version=version,
                args=tuple(args), env=tuple(env), semantics=semantics or GOLEM_1_1,
            ))
        loaded = _current_code(runtime, store, name, loaded, components_dir)
        worker = cls(runtime, store, name, loaded, chaos, clock)
        if semantics is not None and semantics != worker.create.semantics:
            raise WorkerFailed(
                f"worker {name} was created with --semantics {worker.create.semantics}; "
                f"it cannot switch to {semantics} (use a new worker name)"
            )
        return worker

    @classmethod
    def load(
        cls, runtime: Runtime, store: OplogStore, name: str, components_dir: Path, *,
        chaos: Chaos | None = None, clock: Clock | None = None,
    ) -> Worker:
        """An existing worker, running the exact component it was created with (kept by its hash)."""
        if not store.has_worker(name):
            names = ", ".join(store.worker_names()) or "none"
            raise UsageError(f"no worker named {name!r} (workers: {names})")
        create = store.entry(name, 1)
        assert isinstance(create, Create)
        path = components_dir / f"{current_component_hash([e for _, e in store.read(name)])}.wasm"
        if not path.exists():
            raise UsageError(
                f"the component of worker {name} ({create.component}) is not kept in {components_dir}; "
                "pass it explicitly with `golem-emu invoke COMPONENT --worker NAME`"
            )
        return cls(runtime, store, name, runtime.load(path, expect_digest=path.stem), chaos, clock)

    # -- public API ---------------------------------------------------------------------------------------

    def summary(self) -> WorkerSummary:
        """The worker's status and invocation outcomes, folded from its oplog (only new entries are read)."""
        if self.oplog.pending() == 0 and self.store.last_index(self.name) != self.oplog.committed_index():
            self.oplog = Oplog(self.store, self.name)  # another process appended: see its entries too
            self._drop_instance()
        return self._summaries.get(
            self.oplog.current_index(), lambda start, end: [e for _, e in self.oplog.read(start, end)],
        )

    def invoke(self, function: str, args: Sequence[str], idempotency_key: str | None = None) -> InvocationResult:
        """Invoke `function` with WAVE `args`; bad input raises before anything is written."""
        return self.invoke_prepared(prepare_call(self.loaded, function, args), idempotency_key)

    def invoke_prepared(self, call: PreparedCall, idempotency_key: str | None = None) -> InvocationResult:
        """Invoke a call already checked against the component by prepare_call."""
        self._apply_pending_update()
        export, request = call.export, call.request
        key = idempotency_key or str(uuid.uuid4())
        summary = self.summary()
        known = summary.invocations.get(key)
        if known is not None and known.completed_at is not None:
            return InvocationResult(key, known.function_name, known.response, "completed", cached=True)
        self._check_accepts_invocations(summary)
        return self._run(export, request, key, started=known is not None)

    def resume(self) -> InvocationResult | None:
        """Continue the worker's unfinished invocation (after a crash, an interrupt, a suspension or while
        retrying); None if there is nothing to continue."""
        self._apply_pending_update()
        summary = self.summary()
        if summary.status in ("failed", "exited"):
            raise WorkerFailed(f"worker {self.name} is {summary.status} and cannot be resumed")
        key = summary.open_key
        if key is None:
            return None
        outcome = summary.invocations[key]
        export = self.loaded.find_export(outcome.function_name)
        return self._run(export, outcome.request, key, started=True)

    def recover(self) -> dict[str, str | None]:
        """Replay the oplog on a fresh instance now; returns each replayed invocation's result by key."""
        self._drop_instance()
        self._finished.clear()
        self._ready_instance()
        return dict(self._finished)

    def close(self) -> None:
        """Commit anything buffered and drop the live instance."""
        self.oplog.commit()
        self._drop_instance()

    # -- internals ----------------------------------------------------------------------------------------

    def _check_accepts_invocations(self, summary: WorkerSummary) -> None:
        if summary.status == "exited":
            raise WorkerFailed(f"worker {self.name} has exited and accepts no more invocations")
        if summary.status in ("suspended", "interrupted") and summary.open_key is not None:
            raise WorkerFailed(
                f"worker {self.name} is {summary.status} in invocation {summary.open_key}; continue it with "
                "`golem-emu resume` (or complete the promise it awaits) before invoking again"
            )
        if summary.trailing_errors or summary.status == "failed":
            raise WorkerFailed(
                f"worker {self.name}: the previous invocation failed ({summary.last_error}); "
                "inspect it with `golem-emu oplog` and use a new worker name"
            )

    def _run(self, export: ExportedFunction, request: tuple[str, ...], key: str, started: bool) -> InvocationResult:
        """Golem's invocation loop for one call, holding the worker's lease and watching for interrupts."""
        path = getattr(self.store, "path", None)
        if not isinstance(self.store, SqliteStore) or path is None:
            return self._loop(export, request, key, started, None)
        with Lease(self.store, self.name), InterruptWatcher(Path(path), self.name, self.runtime.engine) as watcher:
            return self._loop(export, request, key, started, watcher)

    def _loop(
        self, export: ExportedFunction, request: tuple[str, ...], key: str, started: bool,
        watcher: InterruptWatcher | None,
    ) -> InvocationResult:
        """Replay, run live, and retry failures by the retry policy."""
        while True:
            inst: Instance | None = None
            try:
                inst = self._ready_instance()
                if key not in self._finished:
                    if started:
                        raise OplogError(f"invocation {key} was recorded but replay never reached it")
                    mark = inst.output_mark()
                    self.oplog.add_and_commit(ExportedFunctionInvoked(
                        function_name=export.name, request=request, idempotency_key=key,
                    ))
                    started = True
                    self._call(inst, export, request, key)
                    output = inst.output_since(mark)
                else:
                    output = inst.output_since(0)  # it finished while being recovered: all is from this run
                self._resume_forked(inst)
                return InvocationResult(key, export.name, self._finished[key], "completed", output=output)
            except JumpSignal:
                self._drop_instance()  # Golem restarts at once and replays up to the jump target
                continue
            except UserInterrupt:
                self._drop_instance()  # like a stopped process: no Error entry; recovery continues the call
                raise KeyboardInterrupt from None
            except SuspendSignal as s:
                return self._stopped(Suspend(), "suspended", key, export, s.reason, s.promise)
            except ExitSignal as x:
                return self._stopped(Exited(), "exited", key, export, str(x))
            except (NondeterminismError, GuestTrap, Unsupported) as e:
                error: EmulatorError = e
            except wasmtime.WasmtimeError as e:
                if watcher is not None and watcher.requested.is_set():
                    return self._stopped(Interrupted(), "interrupted", key, export, INTERRUPTED)
                error = self._classify_trap(e, inst)
            delay = self._record_failure(error)
            if delay is None:
                raise error
            self.clock.sleep(delay)

    def _stopped(self, entry: Suspend | Exited | Interrupted, status: str, key: str, export: ExportedFunction,
                 detail: str, promise: tuple[str, int] | None = None) -> InvocationResult:
        """The invocation stops unfinished: record why (a hint entry) and drop the instance."""
        self.oplog.add_and_commit(entry)
        self._drop_instance()
        return InvocationResult(key, export.name, None, status, detail=detail, promise=promise)

    def _classify_trap(self, trap: wasmtime.WasmtimeError, inst: Instance | None) -> EmulatorError:
        """The EmulatorError a host function raised, or a GuestTrap describing the wasm trap."""
        holder = inst or self._instance
        cause = holder.ctx.trap_cause if holder is not None else None
        if isinstance(cause, EmulatorError):
            return cause
        lines = [line.strip() for line in str(trap).splitlines() if line.strip()]
        reason = next((line for line in reversed(lines) if "wasm trap:" in line), lines[-1] if lines else "trap")
        guest_said = _last_error_line(self._recent_stderr())
        return GuestTrap(f"the guest trapped: {guest_said} ({reason})" if guest_said else
                         f"the guest trapped: {reason}")

    def _resume_forked(self, inst: Instance) -> None:
        """Golem resumes a forked worker at once; here it runs once the forking invocation is finished."""
        while inst.ctx.forked:
            child = Worker(self.runtime, self.store, inst.ctx.forked.pop(0), self.loaded, clock=self.clock)
            try:
                child.resume()
            finally:
                child.close()

    def _recent_stderr(self, window: int = 200) -> str:
        """What the guest wrote to stderr lately, from the oplog's Log entries (a retry that prints the same
        traceback again is de-duplicated there, so the instance's own capture may be empty)."""
        last = self.oplog.current_index()
        entries = self.oplog.read(max(1, last - window), last)
        return "".join(e.message for _, e in entries if isinstance(e, Log) and e.level == "stderr")

    def _record_failure(self, error: EmulatorError) -> float | None:
        """Write Golem's Error entry and decide: seconds until the retry, or None when the worker is failed."""
        summary = self.summary()
        previous = summary.trailing_errors
        policy = summary.retry_policy or DEFAULT_POLICY
        retriable = not _is_stack_overflow(error)
        delay = get_delay(policy, previous, self.rng) if retriable else None
        self.oplog.add_and_commit(Error(
            error=str(error), retriable=delay is not None,
            error_kind="unknown" if retriable else "stack-overflow",
        ))
        self._drop_instance()
        self.attempts = previous + 1
        if delay is None:
            error.add_note(f"failed after {self.attempts} attempt{'s' if self.attempts > 1 else ''}; "
                           f"worker {self.name} is now failed")
        return delay

    def _drop_instance(self) -> None:
        if self._instance is not None:
            self._instance.close()
            self._instance = None

    def _ready_instance(self) -> Instance:
        """A live instance: the cached one if nobody else appended since, else a fresh one, replayed."""
        inst = self._instance
        if inst is not None and self.store.last_index(self.name) == self.oplog.committed_index():
            return inst
        self._drop_instance()
        self.oplog = Oplog(self.store, self.name)
        entries = [e for _, e in self.oplog.read()]
        semantics = self.create.semantics
        replay = ReplayState(entries, skip_persist_nothing_zones=semantics != GOLEM_1_1)
        durability = Durability(self.oplog, replay, semantics)
        if self.chaos is not None:
            chaos, name = self.chaos, self.name
            self.oplog.on_commit = lambda first, batch: chaos.on_commit(name, first, batch)
            durability.before_persist = lambda idx, function: chaos.before_persist(name, idx, function)
        ctx = HostContext(
            worker=self.info, durability=durability, store=self.store,
            list_workers=lambda: list_workers(self.store), sandbox=self._sandbox(), on_output=self.on_output,
        )
        inst = Instance(self.runtime, self.loaded, ctx, self.info)
        self._instance = inst
        snapshot = snapshot_to_load(entries)
        if snapshot is not None:  # a snapshot-based update replaced the history before it
            failure = call_snapshot(inst, "load-snapshot", "load", [b64decode(snapshot)])
            if failure is not None:
                raise GuestTrap(f"load-snapshot failed while recovering from the update snapshot: {failure}")
        self._replay(inst)
        return inst

    def update(self, target: LoadedComponent, mode: str = "automatic") -> tuple[bool, str | None]:
        """Move the worker to another component; (succeeded, failure details). On failure it stays put."""
        return updates.update(self, target, mode)

    def _apply_pending_update(self) -> None:
        updates.apply_pending(self)

    def _data_dir(self) -> Path | None:
        path = getattr(self.store, "path", None)
        return None if path is None else Path(path).parent

    def _sandbox(self) -> Path | None:
        """The worker's private directory beside its oplog database: <data-dir>/sandbox/<worker>."""
        data = self._data_dir()
        if data is None:
            return None
        sandbox = data / "sandbox" / self.name
        sandbox.mkdir(parents=True, exist_ok=True)
        return sandbox

    def _replay(self, inst: Instance) -> None:
        replay = inst.ctx.replay
        while not replay.is_live():
            idx, entry = replay.next_entry()
            if not isinstance(entry, ExportedFunctionInvoked):
                raise NondeterminismError(idx, describe(entry), "exported-function-invoked (the next invocation)")
            try:
                export = self.loaded.find_export(entry.function_name)
            except EmulatorError:
                raise NondeterminismError(
                    idx, f"exported-function-invoked {entry.function_name}", "a component without that export",
                ) from None
            self._call(inst, export, entry.request, entry.idempotency_key)

    def _call(self, inst: Instance, export: ExportedFunction, request: tuple[str, ...], key: str) -> None:
        """Run one export (live or replayed) and record or check its ExportedFunctionCompleted."""
        args = [values.parse(text, ty) for text, (_, ty) in zip(request, export.params, strict=True)]
        inst.ctx.idempotency_key = key
        inst.ctx.trap_cause = None
        func = inst.func(export)
        result: Any = func(inst.store, *args)
        func.post_return(inst.store)
        response = None if export.result is None else values.format(result, export.result)
        replay = inst.ctx.replay
        if replay.is_live():
            self.oplog.add_and_commit(ExportedFunctionCompleted(response=response))
            self._finished[key] = response
            return
        idx, done = replay.expect(ExportedFunctionCompleted, f"exported-function-completed of {export.name}")
        assert isinstance(done, ExportedFunctionCompleted)
        if done.response != response:
            raise NondeterminismError(idx, f"{export.name} returned {done.response}", f"it returned {response}")
        self._finished[key] = response
