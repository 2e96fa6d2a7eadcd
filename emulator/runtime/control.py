"""Coordination between processes: which process runs a worker, and interrupts delivered to it.

A worker runs in one process at a time. While it runs, a lease names that process, and a watcher thread
polls for interrupt requests; on one it bumps the engine's epoch, which stops the guest at its next epoch
check (every store is created with a one-tick deadline, so nothing else ever trips it).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType

import wasmtime

from emulator.errors import EmulatorError
from emulator.oplog.store import SqliteStore

INTERRUPT = "interrupt"


class WorkerBusy(EmulatorError):
    """Another live process is running this worker."""


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (a crashed holder leaves a stale lease behind)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_pid(store: SqliteStore, worker: str) -> int | None:
    """The live process that holds `worker`'s lease, if any."""
    lease = store.lease(worker)
    if lease is None or not pid_alive(lease[0]):
        return None
    return lease[0]


class Lease:
    """Hold `worker` for this process while an invocation runs; a clear error if another process does."""

    def __init__(self, store: SqliteStore, worker: str) -> None:
        self.store = store
        self.worker = worker

    def __enter__(self) -> Lease:
        holder = running_pid(self.store, self.worker)
        if holder is not None and holder != os.getpid():
            raise WorkerBusy(
                f"worker {self.worker} is running in process {holder}; wait for it, or `golem-emu interrupt "
                f"{self.worker}`"
            )
        self.store.set_lease(self.worker, os.getpid(), int(time.time() * 1000))
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.store.set_lease(self.worker, None)


class InterruptWatcher:
    """Polls the store for interrupt requests while a guest runs, and stops the guest when one arrives."""

    def __init__(self, db_path: Path, worker: str, engine: wasmtime.Engine, interval: float = 0.02) -> None:
        self.db_path = db_path
        self.worker = worker
        self.engine = engine
        self.interval = interval
        self.requested = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> InterruptWatcher:
        self._thread = threading.Thread(target=self._watch, name=f"interrupts-{self.worker}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        # Its own connection: sqlite3 connections belong to the thread that made them.
        store = SqliteStore(self.db_path)
        try:
            while not self._stop.wait(self.interval):
                if INTERRUPT in store.take_requests(self.worker):
                    self.requested.set()
                    self.engine.increment_epoch()
                    return
        finally:
            store.close()
