"""The invocation loop: one invocation run to its end through replay, retries, interrupts and suspension.

The worker (worker.py) says who it is, whether it accepts the call and how to get a replayed instance; the
executor runs the call on such instances, writes the hint entries that say why it stopped unfinished
(Suspend, Exited, Interrupted), classifies failures (from a host function's error or a guest traceback) and
decides by the retry policy whether and when to try again (semantics §8, §9).
"""

from __future__ import annotations

import random
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Protocol

import wasmtime

from emulator.errors import EmulatorError, GuestTrap, NondeterminismError, OplogError, Unsupported
from emulator.lifecycle.leases import Lease
from emulator.lifecycle.retry import DEFAULT_POLICY, Clock, RealClock, get_delay
from emulator.lifecycle.status import WorkerSummary
from emulator.oplog.entries import Error, Exited, ExportedFunctionInvoked, Interrupted, Log, Suspend
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import Store
from emulator.replication.replicator import Replicator, ReplicaWaitInterrupted
from emulator.runtime.control import CtrlC, InterruptWatcher
from emulator.runtime.engine import ExportedFunction
from emulator.runtime.instance import Instance
from emulator.signals import ExitSignal, JumpSignal, SuspendSignal, UserInterrupt

INTERRUPTED = "Interrupted via the Golem API"  # Golem's text for an interrupted invocation


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


class Runnable(Protocol):
    """What the executor needs of a worker: its oplog, its replayed instance and a way to run one export."""

    name: str
    store: Store
    oplog: Oplog
    private: bool  # no other process uses its data dir: no lease, no interrupt watcher
    ephemeral: bool  # Golem's ephemeral component: every instance starts live, nothing is replayed

    @property
    def instance(self) -> Instance | None:
        """The live instance, if one is kept."""

    def ready_instance(self) -> Instance:
        """A live instance with the whole oplog replayed."""

    def drop_instance(self) -> None:
        """Forget the live instance (after a trap its store is poisoned)."""

    def call(self, inst: Instance, export: ExportedFunction, request: tuple[str, ...], key: str) -> None:
        """Run one export and record (or, replaying, check) its completion."""

    def finished(self, key: str) -> tuple[bool, str | None]:
        """Whether invocation `key` completed on the current instance, and its response."""

    def resume_forked(self, inst: Instance) -> None:
        """Run the workers this invocation forked."""

    def summary(self) -> WorkerSummary:
        """The worker's status, folded from its oplog."""

    def restart_for_update(self, digest: str, component: str) -> None:
        """Go on with the stopped invocation by replaying it on the updated code."""

    def abandon_update(self, error: EmulatorError) -> bool:
        """Record a failed update and go back to the old code; whether one was under way."""


def first_line(message: str | None) -> str:
    """The first non-empty line of a (possibly multi-line) error message."""
    return next((line.strip() for line in (message or "").splitlines() if line.strip()), "")


def last_error_line(output: str) -> str | None:
    """The last line of a Python traceback the guest printed (e.g. "RuntimeError: boom"), if any."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if not line.startswith(("File ", "Traceback", "^")) and ("Error" in line or "Exception" in line):
            return line
    return None


def is_stack_overflow(error: EmulatorError) -> bool:
    """Golem never retries a stack overflow: it would overflow again."""
    return isinstance(error, GuestTrap) and "call stack exhausted" in str(error)


class Executor:
    """Golem's invocation loop for one worker: replay, run live, stop, or retry by the retry policy."""

    def __init__(self, worker: Runnable, engine: wasmtime.Engine, clock: Clock | None = None) -> None:
        self.worker = worker
        self.engine = engine
        self.clock: Clock = clock or RealClock()
        self.rng = random.Random()
        self.attempts = 0  # executions of the last failed invocation, for reports
        # One per worker object, kept across its invocations (its thread and files are reused).
        self.replicator = Replicator(worker.store, worker.name)
        self._replicator: tuple[Replicator, InterruptWatcher | None] | None = None  # while an invocation runs
        self._deferred: list[tuple[str, str, str]] = []  # updates requested meanwhile, to apply after it

    def run(self, export: ExportedFunction, request: tuple[str, ...], key: str, started: bool) -> InvocationResult:
        """Run invocation `key` to its end, holding the worker's lease and watching for interrupts."""
        store, name = self.worker.store, self.worker.name
        with ExitStack() as held:
            watcher: InterruptWatcher | None = None
            ctrl_c: CtrlC | None = None
            if not self.worker.private:  # a private worker (an exploration's trial) is held by nobody else
                held.enter_context(Lease(store, name))
                watcher = held.enter_context(InterruptWatcher(store, name, self.engine))
                ctrl_c = held.enter_context(CtrlC(self.engine))
            self._replicator = (held.enter_context(self.replicator.held()), watcher)
            try:
                return self._loop(export, request, key, started, watcher, ctrl_c)
            except BaseException:
                # A crash (or a failure the caller sees) ends the replicator's thread, as it ends with a process
                # that dies: nothing is left running for a worker object that may never be closed.
                held.callback(self.replicator.close)
                raise
            finally:
                self._replicator = None
                if watcher is not None:
                    self._deferred.extend(watcher.updates)

    def take_deferred_updates(self) -> list[tuple[str, str, str]]:
        """(mode, hash, component) of the updates requested during the last invocation that it did not take."""
        deferred, self._deferred = self._deferred, []
        return deferred

    def close(self) -> None:
        """Stop the worker's replicator thread and close its files (a later invocation starts them again)."""
        self.replicator.close()

    def committed(self, index: int) -> None:
        """The worker's oplog committed up to `index`: tell this process's replicator, if one runs."""
        if self._replicator is not None:
            self._replicator[0].committed(index)

    def wait_for_replicas(self, replicas: int, index: int) -> tuple[float, dict[int, int]]:
        """oplog-commit(n): (seconds waited, replica -> last index); no wait outside an invocation."""
        if self._replicator is None:
            return 0.0, {}
        replicator, watcher = self._replicator
        waited = replicator.wait(replicas, index, None if watcher is None else watcher.requested)
        return waited, replicator.positions()

    def _loop(
        self, export: ExportedFunction, request: tuple[str, ...], key: str, started: bool,
        watcher: InterruptWatcher | None, ctrl_c: CtrlC | None,
    ) -> InvocationResult:
        worker = self.worker
        while True:
            inst: Instance | None = None
            try:
                inst = worker.ready_instance()
                done, response = worker.finished(key)
                if not done:
                    if started and not worker.ephemeral:  # an ephemeral worker runs it again from its start
                        raise OplogError(f"invocation {key} was recorded but replay never reached it")
                    mark = inst.output_mark()
                    if not started:
                        worker.oplog.add_and_commit(ExportedFunctionInvoked(
                            function_name=export.name, request=request, idempotency_key=key,
                        ))
                        started = True
                    worker.call(inst, export, request, key)
                    output = inst.output_since(mark)
                    _, response = worker.finished(key)
                else:
                    output = inst.output_since(0)  # it finished while being recovered: all is from this run
                worker.resume_forked(inst)
                return InvocationResult(key, export.name, response, "completed", output=output)
            except JumpSignal:
                worker.drop_instance()  # Golem restarts at once and replays up to the jump target
                continue
            except UserInterrupt:
                worker.drop_instance()  # like a stopped process: no Error entry; recovery continues the call
                raise KeyboardInterrupt from None
            except SuspendSignal as s:
                return self._stopped(Suspend(), "suspended", key, export, s.reason, s.promise)
            except ExitSignal as x:
                return self._stopped(Exited(), "exited", key, export, str(x))
            except (NondeterminismError, GuestTrap, Unsupported) as e:
                error: EmulatorError = e
            except ReplicaWaitInterrupted:  # interrupted inside oplog-commit's wait, not in guest code
                return self._stopped(Interrupted(), "interrupted", key, export, INTERRUPTED)
            except wasmtime.WasmtimeError as e:
                if ctrl_c is not None and ctrl_c.pressed:
                    worker.drop_instance()  # as UserInterrupt: no Error entry, recovery continues the call
                    raise KeyboardInterrupt from None
                update = watcher.take_restart_update() if watcher is not None and watcher.restart.is_set() else None
                if update is not None:  # as Golem's InterruptKind::Restart: no hint entry, replayed at once
                    worker.restart_for_update(update[1], update[2])
                    continue
                if watcher is not None and watcher.requested.is_set():
                    return self._stopped(Interrupted(), "interrupted", key, export, INTERRUPTED)
                error = self.classify_trap(e, inst)
                if isinstance(error, OplogError):  # the storage failed (a full disk): not the guest's failure
                    worker.drop_instance()
                    raise error from None
            if worker.abandon_update(error):
                continue  # the update failed; the invocation is retried at once on the old code
            delay = self._record_failure(error)
            if delay is None:
                raise error
            self.clock.sleep(delay)

    def _stopped(self, entry: Suspend | Exited | Interrupted, status: str, key: str, export: ExportedFunction,
                 detail: str, promise: tuple[str, int] | None = None) -> InvocationResult:
        """The invocation stops unfinished: record why (a hint entry) and drop the instance."""
        self.worker.oplog.add_and_commit(entry)
        self.worker.drop_instance()
        return InvocationResult(key, export.name, None, status, detail=detail, promise=promise)

    def classify_trap(self, trap: wasmtime.WasmtimeError, inst: Instance | None) -> EmulatorError:
        """The EmulatorError a host function raised, or a GuestTrap describing the wasm trap.

        A GuestTrap's message is one summary line, then wasmtime's whole trap text (with the guest's wasm
        backtrace), then what the guest wrote to stderr lately, as Golem appends it to a worker error."""
        holder = inst or self.worker.instance
        cause = holder.ctx.trap_cause if holder is not None else None
        if isinstance(cause, EmulatorError):
            return cause
        text = str(trap).strip()
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        reason = next((line for line in reversed(lines) if "wasm trap:" in line), lines[-1] if lines else "trap")
        stderr = self._recent_stderr()
        guest_said = last_error_line(stderr)
        summary = f"the guest trapped: {guest_said} ({reason})" if guest_said else f"the guest trapped: {reason}"
        details = f"{summary}\n{text}" if text and text != reason else summary
        return GuestTrap(f"{details}\n\n{stderr}" if stderr.strip() else details)

    def _recent_stderr(self, window: int = 200) -> str:
        """What the guest wrote to stderr lately, from the oplog's Log entries (a retry that prints the same
        traceback again is de-duplicated there, so the instance's own capture may be empty)."""
        oplog = self.worker.oplog
        last = oplog.current_index()
        entries = oplog.read(max(1, last - window), last)
        return "".join(e.message for _, e in entries if isinstance(e, Log) and e.level == "stderr")

    def _record_failure(self, error: EmulatorError) -> float | None:
        """Write Golem's Error entry and decide: seconds until the retry, or None when the worker is failed."""
        summary = self.worker.summary()
        previous = summary.trailing_errors
        policy = summary.retry_policy or DEFAULT_POLICY
        retriable = not is_stack_overflow(error)
        delay = get_delay(policy, previous, self.rng) if retriable else None
        self.worker.oplog.add_and_commit(Error(
            error=str(error), retriable=delay is not None,
            error_kind="unknown" if retriable else "stack-overflow",
        ))
        self.worker.drop_instance()
        self.attempts = previous + 1
        if delay is None:
            error.add_note(f"failed after {self.attempts} attempt{'s' if self.attempts > 1 else ''}; "
                           f"worker {self.worker.name} is now failed")
        return delay
