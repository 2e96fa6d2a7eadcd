"""Updating a worker to another component: automatic (replay on the new code) or snapshot-based."""

from __future__ import annotations

from base64 import b64encode
from pathlib import Path
from typing import Protocol

import wasmtime

from emulator.errors import EmulatorError, GuestTrap, NondeterminismError, Unsupported, UsageError
from emulator.host.context import HostContext
from emulator.lifecycle.status import WorkerSummary
from emulator.oplog.entries import Create, FailedUpdate, OplogEntry, PendingUpdate, SuccessfulUpdate
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import Store
from emulator.runtime.engine import LoadedComponent, Runtime
from emulator.runtime.instance import Instance, call_snapshot, one_line
from emulator.runtime.linker import check_imports


class Updatable(Protocol):
    """The worker as an update sees it: its code, its oplog, and a way to replay it on an instance."""

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


def _apply(worker: Updatable, target: LoadedComponent, mode: str, pending_written: bool) -> tuple[bool, str | None]:
    if mode == "snapshot":
        try:
            payload = call_snapshot(worker.ready_instance(), "save-snapshot", "save", [])
        except UsageError as e:  # no save-snapshot export: as Golem, a failed update, the worker stays put
            worker.oplog.add_and_commit(FailedUpdate(target_hash=target.sha256, details=str(e)))
            return False, str(e)
        worker.drop_instance()
        worker.oplog.add_and_commit(PendingUpdate(
            target_component=target.path.stem, target_hash=target.sha256, mode="snapshot",
            payload_b64=b64encode(payload).decode("ascii"),
        ))
        failure = _load(worker, target, payload)
    else:
        if not pending_written:
            worker.oplog.add_and_commit(PendingUpdate(
                target_component=target.path.stem, target_hash=target.sha256, mode="automatic",
            ))
        failure = _replay_on(worker, target)
    if failure is not None:
        worker.oplog.add_and_commit(FailedUpdate(target_hash=target.sha256, details=failure))
        return False, failure
    worker.oplog.add_and_commit(SuccessfulUpdate(target_component=target.path.stem, target_hash=target.sha256))
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
