"""Warm workers: each stays instantiated (its replayed wasmtime instance kept) between invocations, as Golem's
executor keeps active workers in memory. A worker another process appended to since is replayed again (the
worker notices by comparing the store's last index with its own), so the server and plain `golem-emu
invoke` processes can take turns on one data dir and the oplog stays one consistent history."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emulator.errors import WorkerFailed
from emulator.lifecycle.retry import RealClock, VirtualClock
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.executor import InvocationResult
from emulator.runtime.worker import Worker, prepare_call


class WarmPool:
    """The workers of one data dir, kept instantiated; invocations run one at a time."""

    def __init__(self, runtime: Runtime, store: SqliteStore, components_dir: Path) -> None:
        self.runtime = runtime
        self.store = store
        self.components_dir = components_dir
        self._workers: dict[str, tuple[str, Worker]] = {}  # name -> (the digest it was opened with, worker)
        # One invocation at a time: an interrupt bumps the engine's epoch, which every running store would see.
        self.lock = threading.Lock()

    def invoke(
        self, component: str, worker: str, function: str, args: Sequence[str], *, idempotency_key: str | None = None,
        env: Sequence[tuple[str, str]] = (), worker_args: Sequence[str] = (), semantics: str | None = None,
        no_wait: bool = False,
    ) -> InvocationResult:
        """Invoke `function` of `worker` (created from `component` on first use) on its warm instance."""
        with self.lock:
            loaded = self.runtime.load(component)
            call = prepare_call(loaded, function, args)  # bad input is rejected before anything is written
            opened_with, w = self._workers.get(worker, ("", None))
            # Not the worker it was: absent, or deleted and made again by another process (another Create)
            if w is None or opened_with != loaded.sha256 or not self.store.has_worker(worker) \
                    or self.store.entry(worker, 1) != w.create:
                self._forget(worker)
                w = Worker.open(self.runtime, self.store, worker, component, env=env, args=worker_args,
                                semantics=semantics, components_dir=self.components_dir)
                self._workers[worker] = (loaded.sha256, w)
            if w.loaded.sha256 != loaded.sha256:  # it runs an updated version: resolve the export there
                call = prepare_call(w.loaded, function, args)
            if semantics is not None and semantics != w.create.semantics:
                raise WorkerFailed(f"worker {worker} was created with --semantics {w.create.semantics}; "
                                 f"it cannot switch to {semantics} (use a new worker name)")
            w.executor.clock = VirtualClock() if no_wait else RealClock()
            try:
                result = w.invoke_prepared(call, idempotency_key)
                w.save_summary()
                return result
            except BaseException:
                self._forget(worker)  # a failed or interrupted worker is recovered afresh next time
                raise

    def _forget(self, worker: str) -> None:
        _, w = self._workers.pop(worker, ("", None))
        if w is not None:
            try:
                w.close()
            except Exception:  # noqa: BLE001 - closing after a failure must not hide that failure
                pass

    def close(self) -> None:
        """Commit what is buffered and drop every instance."""
        with self.lock:
            for name in list(self._workers):
                self._forget(name)

    def warm(self) -> list[str]:
        """The workers kept instantiated."""
        return sorted(self._workers)


def result_json(result: InvocationResult) -> dict[str, Any]:
    """An invocation's result as the server sends it."""
    return {
        "idempotency_key": result.idempotency_key, "function": result.function, "response": result.response,
        "status": result.status, "cached": result.cached, "promise": list(result.promise) if result.promise else None,
        "output": result.output, "detail": result.detail,
    }
