"""Updating a worker to another component: automatic (replay on the new code) or snapshot-based."""

from __future__ import annotations

import time
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import wasmtime

from emulator.errors import EmulatorError, GuestTrap, NondeterminismError, Unsupported, UsageError
from emulator.host.context import HostContext
from emulator.lifecycle.leases import update_request
from emulator.lifecycle.status import WorkerSummary
from emulator.oplog.entries import Create, FailedUpdate, OplogEntry, PendingUpdate, SuccessfulUpdate
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import Store
from emulator.runtime import component_files
from emulator.runtime.engine import LoadedComponent, Runtime
from emulator.runtime.instance import Instance, call_snapshot, one_line
from emulator.runtime.linker import check_imports


class Updatable(Protocol):
    """The worker as an update sees it: its code, its oplog, and a way to replay it on an instance."""

    name: str
    runtime: Runtime
    store: Store
    oplog: Oplog
    create: Create
    loaded: LoadedComponent

    def summary(self) -> WorkerSummary:
        """The worker's status, folded from its oplog."""

    def check_accepts_invocations(self, summary: WorkerSummary) -> None:
        """Raise WorkerFailed unless the worker can take an invocation (an update is one)."""

    def ready_instance(self) -> Instance:
        """A live instance with the whole oplog replayed."""

    def drop_instance(self) -> None:
        """Forget the live instance."""

    def recover(self) -> dict[str, str | None]:
        """Replay the whole oplog on a fresh instance of the current code."""

    def context(self, entries: list[OplogEntry]) -> HostContext:
        """A host context for a new instance of the worker."""

    def data_dir(self) -> Path:
        """The data directory beside the worker's oplog database."""


def update(worker: Updatable, target: LoadedComponent, mode: str = "automatic") -> tuple[bool, str | None]:
    """Move the worker to another component; (succeeded, failure details). On failure it stays put."""
    check_imports(target, worker.runtime.wasi)
    worker.check_accepts_invocations(worker.summary())
    worker.store.register_component(worker.create.component, target.sha256)
    return _apply(worker, target, mode, pending_written=False)


def request(worker: Updatable, target: LoadedComponent, mode: str) -> None:
    """The worker runs (in another process, or in another thread of this one): leave the update for the process
    running it, as Golem enqueues it for the running worker. An automatic one interrupts the invocation at its
    next epoch check and continues it on the new code by replay (restart_on); a snapshot one waits until the
    invocation is over (apply_requested)."""
    check_imports(target, worker.runtime.wasi)
    worker.store.register_component(worker.create.component, target.sha256)
    component_files.share(target.path, _kept(worker, target.sha256))
    store = worker.store.reopen()  # this thread's own connection: the running invocation uses the worker's
    try:
        store.request(worker.name, update_request(mode, target.sha256, target.path.stem), int(time.time() * 1000))
    finally:
        store.close()


def _kept(worker: Updatable, digest: str) -> Path:
    return worker.data_dir() / "components" / f"{digest}.wasm"


def apply_requested(worker: Updatable, mode: str, digest: str, component: str) -> None:
    """Carry out an update requested while an invocation ran, now that it is over (Golem queues a snapshot-based
    update of a running worker behind its invocation)."""
    worker.check_accepts_invocations(worker.summary())
    _apply(worker, worker.runtime.load(_kept(worker, digest), expect_digest=digest), mode, pending_written=False,
           name=component)


@dataclass(frozen=True)
class Restarted:
    """An automatic update of a running worker under way: its invocation is replayed on `target`."""

    target: LoadedComponent
    name: str
    old: LoadedComponent


def restart_on(worker: Updatable, digest: str, component: str) -> Restarted:
    """The running invocation was stopped for an automatic update: record the pending update and switch the
    worker to the new code, whose replay of the oplog decides (took or abandon)."""
    target = worker.runtime.load(_kept(worker, digest), expect_digest=digest)
    worker.drop_instance()
    worker.oplog.add_and_commit(PendingUpdate(target_component=component, target_hash=digest, mode="automatic"))
    attempt = Restarted(target, component, worker.loaded)
    worker.loaded = target
    return attempt


def took(worker: Updatable, attempt: Restarted) -> None:
    """The new code replayed the whole oplog: as Golem, the update succeeded; the invocation goes on live."""
    worker.oplog.add_and_commit(SuccessfulUpdate(target_component=attempt.name, target_hash=attempt.target.sha256))


def abandon(worker: Updatable, attempt: Restarted, error: EmulatorError) -> None:
    """The new code diverged from the oplog (or trapped) while replaying it: as Golem, a failed update, and the
    invocation is retried at once on the code the worker had."""
    worker.drop_instance()
    worker.oplog.add_and_commit(FailedUpdate(target_hash=attempt.target.sha256,
                                           details=f"Automatic update failed: {one_line(error)}"))
    worker.loaded = attempt.old


def apply_pending(worker: Updatable) -> bool:
    """Carry out an update another worker requested with update-worker (Golem applies it on restart);
    whether one was attempted."""
    pending = worker.summary().pending_update
    if pending is None or pending.payload_b64 is not None:
        return False
    path = worker.data_dir() / "components" / f"{pending.target_hash}.wasm"
    if not path.exists():
        worker.oplog.add_and_commit(FailedUpdate(target_hash=pending.target_hash,
                                               details="the target component's wasm is not kept here"))
        return True
    _apply(worker, worker.runtime.load(path), pending.mode, pending_written=True)
    return True


def _apply(worker: Updatable, target: LoadedComponent, mode: str, pending_written: bool,
           name: str | None = None) -> tuple[bool, str | None]:
    name = name or target.path.stem
    if mode == "snapshot":
        try:
            payload = call_snapshot(worker.ready_instance(), "save-snapshot", "save", [])
        except UsageError as e:  # no save-snapshot export: as Golem, a failed update, the worker stays put
            worker.oplog.add_and_commit(FailedUpdate(target_hash=target.sha256, details=str(e)))
            return False, str(e)
        worker.drop_instance()
        worker.oplog.add_and_commit(PendingUpdate(
            target_component=name, target_hash=target.sha256, mode="snapshot",
            payload_b64=b64encode(payload).decode("ascii"),
        ))
        failure = _load(worker, target, payload)
    else:
        if not pending_written:
            worker.oplog.add_and_commit(PendingUpdate(
                target_component=name, target_hash=target.sha256, mode="automatic",
            ))
        failure = _replay_on(worker, target)
    if failure is not None:
        worker.oplog.add_and_commit(FailedUpdate(target_hash=target.sha256, details=failure))
        return False, failure
    worker.oplog.add_and_commit(SuccessfulUpdate(target_component=name, target_hash=target.sha256))
    worker.loaded = target
    worker.drop_instance()
    return True, None


def _replay_on(worker: Updatable, target: LoadedComponent) -> str | None:
    """Replay the whole oplog on `target`; the divergence or trap text if it does not fit."""
    old = worker.loaded
    worker.loaded = target
    try:
        worker.recover()
    except (NondeterminismError, GuestTrap, Unsupported) as e:
        return str(e)
    except wasmtime.WasmtimeError as e:
        return one_line(e)
    finally:
        worker.loaded = old
        worker.drop_instance()
    return None


def _load(worker: Updatable, target: LoadedComponent, payload: bytes) -> str | None:
    """Instantiate `target` and hand it the snapshot; the failure text if load-snapshot refuses."""
    ctx = worker.context([e for _, e in worker.oplog.read()])
    inst = Instance(worker.runtime, target, ctx, ctx.worker)
    try:
        failure: str | None = call_snapshot(inst, "load-snapshot", "load", [payload])
        return failure
    except (EmulatorError, wasmtime.WasmtimeError) as e:
        return str(e)
    finally:
        inst.close()
