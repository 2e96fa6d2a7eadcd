"""A durable worker: its identity, which invocations it accepts, its oplog, and its instance replayed from it.

The invocation loop (retries, interrupts, suspension, failure classification) is executor.py's.
"""

from __future__ import annotations

import os
import uuid
from base64 import b64decode
from collections.abc import Callable, Sequence
from pathlib import Path

from emulator import values
from emulator.errors import EmulatorError, GuestTrap, NondeterminismError, OplogError, UsageError, WorkerFailed
from emulator.host.context import HostContext, WorkerInfo, host_context
from emulator.lifecycle import summary_rows
from emulator.lifecycle.environment import merge_env
from emulator.lifecycle.leases import running_pid
from emulator.lifecycle.management import current_component_hash, snapshot_to_load
from emulator.lifecycle.retry import Clock
from emulator.lifecycle.status import SummaryCache, WorkerStatus, WorkerSummary
from emulator.oplog import names
from emulator.oplog.entries import Create, ExportedFunctionCompleted, ExportedFunctionInvoked, OplogEntry, Restart
from emulator.oplog.kinds import Semantics
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import Store
from emulator.replay.state import describe
from emulator.runtime import initial_files, invocation_queue, resources, updates, worker_code
from emulator.runtime.calls import CrashHooks as CrashHooks
from emulator.runtime.calls import PreparedCall as PreparedCall
from emulator.runtime.calls import keep_component as keep_component
from emulator.runtime.calls import new_worker_name as new_worker_name
from emulator.runtime.calls import prepare_call as prepare_call
from emulator.runtime.catalog import list_workers
from emulator.runtime.engine import ExportedFunction, LoadedComponent, Runtime
from emulator.runtime.executor import Executor, InvocationResult, first_line
from emulator.runtime.instance import Instance, call_snapshot
from emulator.runtime.linker import check_imports


class Worker:
    """A named durable worker running one component, backed by an oplog in an Store."""

    def __init__(
        self, runtime: Runtime, store: Store, name: str, loaded: LoadedComponent, chaos: CrashHooks | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.runtime = runtime
        self.chaos = chaos
        self.on_output: Callable[[str, str], None] | None = None  # shows guest output as it is journaled
        # Told after each oplog-commit(n): (n, index, seconds waited, replica -> last index).
        self.on_replica_wait: Callable[[int, int, float, dict[int, int]], None] | None = None
        self.store = store
        self.name = name
        self.loaded = loaded
        self.oplog = Oplog(store, name)
        create = self.oplog.entry(1)
        assert isinstance(create, Create)
        self.create = create
        self.info = self._identity()
        self.ephemeral = store.component_ephemeral(create.component, self.info.component_version)
        self.uri = resources.worker_uri(self.info.component_uuid, name)  # its resource handles' prefix
        self.instance: Instance | None = None  # the live instance, replayed up to the oplog's end
        self._summaries = SummaryCache()
        self._finished: dict[str, str | None] = {}  # idempotency key -> response, for calls finished live
        self._updating: updates.Restarted | None = None  # an automatic update of the running invocation
        # A data dir no other process uses (a crash-exploration trial): no lease, no interrupt watcher thread.
        self.private = False
        self.executor = Executor(self, runtime.engine, clock)

    @property
    def clock(self) -> Clock:
        """How the worker waits out retry delays."""
        return self.executor.clock

    @property
    def attempts(self) -> int:
        """Executions of the last failed invocation, for reports."""
        return self.executor.attempts

    @classmethod
    def open(
        cls, runtime: Runtime, store: Store, name: str, component: str | os.PathLike[str], *,
        env: Sequence[tuple[str, str]] = (), args: Sequence[str] = (), semantics: str | None = None,
        chaos: CrashHooks | None = None, clock: Clock | None = None, components_dir: Path | None = None,
    ) -> Worker:
        """Recover worker `name`, creating it (Create entry, index 1) on first use."""
        names.check_worker_name(name)
        loaded = runtime.load(component)
        check_imports(loaded, runtime.wasi)
        worker_code.refuse_wrong_component(store, name, loaded)
        if components_dir is not None:
            keep_component(loaded, components_dir)
        created = not store.has_worker(name)
        if created:
            version = store.register_component(loaded.path.stem, loaded.sha256)
            # Golem's worker metadata: the worker's env, and under it its component version's
            env = merge_env(env, store.component_env(loaded.path.stem, version))
            try:
                Oplog.create(store, Create(
                    worker_name=name, component=loaded.path.stem, component_hash=loaded.sha256,
                    component_version=version, args=tuple(args), env=tuple(env),
                    semantics=semantics or Semantics.GOLEM_1_1,
                ))
            except OplogError:
                if not store.has_worker(name):
                    raise
                worker_code.refuse_wrong_component(store, name, loaded)  # another process created it just now
        loaded = worker_code.current_code(runtime, store, name, loaded, components_dir)
        worker = cls(runtime, store, name, loaded, chaos, clock)
        if created:
            worker.sandbox()  # its filesystem exists from creation, with the component's initial files
        if semantics is not None and semantics != worker.create.semantics:
            raise WorkerFailed(
                f"worker {name} was created with --semantics {worker.create.semantics}; "
                f"it cannot switch to {semantics} (use a new worker name)"
            )
        return worker

    @classmethod
    def load(
        cls, runtime: Runtime, store: Store, name: str, components_dir: Path, *,
        chaos: CrashHooks | None = None, clock: Clock | None = None,
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

    def _identity(self) -> WorkerInfo:
        """Who the worker is to its guest, running the code it has now (worker_code.identity)."""
        return worker_code.identity(self.store, self.name, self.create, self.loaded)

    # -- public API ---------------------------------------------------------------------------------------

    def summary(self) -> WorkerSummary:
        """The worker's status and invocation outcomes, folded from its oplog (only new entries are read)."""
        if self.oplog.pending() == 0 and self.store.last_index(self.name) != self.oplog.committed_index():
            self.oplog = Oplog(self.store, self.name)  # another process appended: see its entries too
            self.drop_instance()
        return self._summaries.get(
            self.oplog.current_index(), lambda start, end: [e for _, e in self.oplog.read(start, end)],
        )

    def invoke(self, function: str, args: Sequence[str], idempotency_key: str | None = None) -> InvocationResult:
        """Invoke `function` with WAVE `args`; bad input raises before anything is written."""
        return self.invoke_prepared(prepare_call(self.loaded, function, args), idempotency_key)

    def invoke_prepared(self, call: PreparedCall, idempotency_key: str | None = None) -> InvocationResult:
        """Invoke a call already checked against the component by prepare_call; then run the queue."""
        self._apply_pending_update()
        export, request = call.export, call.request
        key = idempotency_key or str(uuid.uuid4())
        summary = self.summary()
        known = summary.invocations.get(key)
        if known is not None and known.completed_at is not None:
            return InvocationResult(key, known.function_name, known.response, "completed", cached=True)
        if summary.status == WorkerStatus.INTERRUPTED and summary.open_key is not None and known is None:
            # As Golem: a new invocation queues behind the interrupted one, and resumes the worker
            invocation_queue.enqueue(self, export.name, request, key)
            self.resume()
            return invocation_queue.outcome(self, key)
        self.check_accepts_invocations(summary)
        if known is None:
            resources.check_handles(export, request, summary.owned_resources, self.uri, self.name)
        return self._run(export, request, key, started=known is not None)

    def _run(self, export: ExportedFunction, request: tuple[str, ...], key: str, started: bool) -> InvocationResult:
        try:
            result = self.executor.run(export, request, key, started=started)
        finally:
            if self.ephemeral:  # Golem drops an ephemeral worker's instance after each invocation
                self.drop_instance()
        if result.status == "completed":
            for mode, digest, component in self.executor.take_deferred_updates():
                updates.apply_requested(self, mode, digest, component)
                self.info = self._identity()
            invocation_queue.drain(self, lambda f, r, k: self._run(self.loaded.find_export(f), r, k, False))
        return result

    def resume(self) -> InvocationResult | None:
        """Continue the worker's unfinished invocation (after a crash, an interrupt, a suspension or while
        retrying), then its queue; None if there was nothing unfinished."""
        self._apply_pending_update()
        summary = self.summary()
        if summary.status in (WorkerStatus.FAILED, WorkerStatus.EXITED):
            raise WorkerFailed(f"worker {self.name} is {summary.status} and cannot be resumed")
        key = summary.open_key
        if key is None:
            invocation_queue.drain(self, lambda f, r, k: self._run(self.loaded.find_export(f), r, k, False))
            return None
        outcome = summary.invocations[key]
        return self._run(self.loaded.find_export(outcome.function_name), outcome.request, key, started=True)

    def recover(self) -> dict[str, str | None]:
        """Replay the oplog on a fresh instance now; returns each replayed invocation's result by key."""
        self.drop_instance()
        self._finished.clear()
        self.ready_instance()
        return dict(self._finished)

    def close(self) -> None:
        """Commit anything buffered, keep the status summary for listings, drop the live instance and stop
        the worker's replicator."""
        self.oplog.commit()
        self.save_summary()
        self.drop_instance()
        self.executor.close()

    def save_summary(self) -> None:
        """Keep the worker's status fold in the store (summary_rows.py), so listings need not fold its oplog."""
        if self.oplog.pending() or self.store.readonly:
            return
        summary = self.summary()
        through = self.oplog.committed_index()
        current = current_component_hash([e for _, e in self.store.read(self.name, 1, through)])
        summary_rows.save(self.store, self.name, through, summary, current)

    # -- internals ----------------------------------------------------------------------------------------

    def check_accepts_invocations(self, summary: WorkerSummary) -> None:
        if summary.status == WorkerStatus.EXITED:
            raise WorkerFailed(f"worker {self.name} has exited and accepts no more invocations")
        if summary.status in (WorkerStatus.SUSPENDED, WorkerStatus.INTERRUPTED) and summary.open_key is not None:
            raise WorkerFailed(
                f"worker {self.name} is {summary.status} in invocation {summary.open_key}; continue it with "
                "`golem-emu resume` (or complete the promise it awaits), or queue this call with --enqueue"
            )
        if summary.status == WorkerStatus.RETRYING and summary.open_key is not None:
            raise WorkerFailed(
                f"worker {self.name} is retrying: the previous invocation failed "
                f"({first_line(summary.last_error)}) and will be retried; continue it with "
                f"`golem-emu resume {self.name}`"
            )
        if summary.trailing_errors or summary.status == WorkerStatus.FAILED:
            raise WorkerFailed(
                f"worker {self.name}: the previous invocation failed ({first_line(summary.last_error)}); "
                "inspect it with `golem-emu oplog` and use a new worker name"
            )

    def resume_forked(self, inst: Instance) -> None:
        """Golem resumes a forked worker at once; here it runs once the forking invocation is finished."""
        while inst.ctx.forked:
            child = Worker(self.runtime, self.store, inst.ctx.forked.pop(0), self.loaded, clock=self.clock)
            try:
                child.resume()
            finally:
                child.close()

    def drop_instance(self) -> None:
        if self.instance is not None:
            self.instance.close()
            self.instance = None

    def ready_instance(self) -> Instance:
        """A live instance: the cached one if nobody else appended since, else a fresh one, replayed."""
        inst = self.instance
        if inst is not None and self.store.last_index(self.name) == self.oplog.committed_index():
            return inst
        self.drop_instance()
        self.oplog = Oplog(self.store, self.name)
        entries = [e for _, e in self.oplog.read()]
        ctx = self.context(entries)
        ctx.wait_for_replicas = self._wait_for_replicas
        chaos, name, executor = self.chaos, self.name, self.executor

        def on_commit(first: int, batch: Sequence[OplogEntry]) -> None:
            executor.committed(first + len(batch) - 1)  # first: a crash right after a commit keeps replicating
            if chaos is not None:
                chaos.on_commit(name, first, batch)

        self.oplog.on_commit = on_commit
        if chaos is not None:
            ctx.durability.before_persist = lambda idx, function: chaos.before_persist(name, idx, function)
        inst = Instance(self.runtime, self.loaded, ctx, self.info)
        self.instance = inst
        if self._updating is not None:
            inst.ctx.replay.on_live = self._update_took
        if self.ephemeral:  # as Golem: never recovered; a Restart marks where the old instance's history ends
            inst.ctx.replay.switch_to_live()
            if len(entries) > 1:
                self.oplog.add_and_commit(Restart())
            return inst
        snapshot = snapshot_to_load(entries)
        if snapshot is not None:  # a snapshot-based update replaced the history before it
            failure = call_snapshot(inst, "load-snapshot", "load", [b64decode(snapshot)])
            if failure is not None:
                raise GuestTrap(f"load-snapshot failed while recovering from the update snapshot: {failure}")
        self._replay(inst)
        return inst

    def _wait_for_replicas(self, replicas: int, index: int) -> float:
        waited, positions = self.executor.wait_for_replicas(replicas, index)
        if self.on_replica_wait is not None:
            self.on_replica_wait(replicas, index, waited, positions)
        return waited

    def context(self, entries: list[OplogEntry]) -> HostContext:
        """A host context for a new instance of this worker, replaying `entries`."""
        return host_context(self.info, self.oplog, self.store, semantics=self.create.semantics, entries=entries,
                            sandbox=self.sandbox(), data_dir=self.data_dir(), on_output=self.on_output,
                            list_workers=lambda: list_workers(self.store))

    def finished(self, key: str) -> tuple[bool, str | None]:
        """Whether invocation `key` completed on the current instance (live or replayed), and its response."""
        return key in self._finished, self._finished.get(key)

    def update(self, target: LoadedComponent, mode: str = "automatic") -> tuple[bool, str | None]:
        """Move the worker to another component; (succeeded, failure details). On failure it stays put. A worker
        running now (in any process) is only asked to, as Golem: (True, None), and the process running it updates it."""
        if self.ephemeral:
            raise UsageError(f"worker {self.name} is ephemeral, and ephemeral workers cannot be updated (as in Golem)")
        if running_pid(self.store, self.name) is not None:
            updates.request(self, target, mode)  # the process running it updates it (updates.request)
            return True, None
        ok, details = updates.update(self, target, mode)
        self.info = self._identity()  # a new instance of the new version gets its version number and env
        return ok, details

    def restart_for_update(self, digest: str, component: str) -> None:
        """The running invocation stopped for an automatic update: go on by replaying it on the new code."""
        self._updating = updates.restart_on(self, digest, component)
        self.info = self._identity()

    def _update_took(self) -> None:
        attempt, self._updating = self._updating, None
        assert attempt is not None
        updates.took(self, attempt)

    def abandon_update(self, error: EmulatorError) -> bool:
        """The new code did not replay the oplog: record the failed update, back to the old code; whether an
        update was under way."""
        attempt, self._updating = self._updating, None
        if attempt is not None:
            updates.abandon(self, attempt, error)
            self.info = self._identity()
        return attempt is not None

    def _apply_pending_update(self) -> None:
        if updates.apply_pending(self):
            self.info = self._identity()

    def data_dir(self) -> Path:
        """Where the worker's files live: kept components and its sandbox, beside its oplog database."""
        return self.store.data_dir

    def sandbox(self) -> Path:
        """The worker's private directory in the data dir, emptied: every new instance replays the whole oplog,
        and with it the guest's filesystem calls, which rebuild the files. (Golem gives each instance a new
        temporary directory and does the same: the filesystem is not journaled, only stat's times are.)
        It starts with the initial files of the component version it runs now."""
        return initial_files.fresh_sandbox(self.store, self.name, self.create.component, self.info.component_version)

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
            self.call(inst, export, entry.request, entry.idempotency_key)

    def call(self, inst: Instance, export: ExportedFunction, request: tuple[str, ...], key: str) -> None:
        """Run one export (live or replayed) and record or check its ExportedFunctionCompleted."""
        args = [values.parse(text, ty) for text, (_, ty) in zip(request, export.params, strict=True)]
        inst.ctx.idempotency_key = key
        inst.ctx.trap_cause = None
        result = resources.run_export(inst, export, args, self.uri, self.oplog.add)
        response = None if export.result is None or export.drop else values.format(result, export.result)
        replay = inst.ctx.replay
        if replay.is_live():
            self.oplog.add_and_commit(ExportedFunctionCompleted(response=response))
            self._finished[key] = response
            return
        idx, done = replay.expect(ExportedFunctionCompleted, f"exported-function-completed of {export.name}")
        assert isinstance(done, ExportedFunctionCompleted)
        if done.response != response:
            raise NondeterminismError(idx, f"{done.response}", f"{response} from {export.name}", verb="returned")
        self._finished[key] = response
