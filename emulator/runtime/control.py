"""Interrupts delivered to a running worker (its lease is lifecycle/leases.py's).

While a worker runs, a watcher thread polls the store for interrupt requests; on one it bumps the engine's
epoch, which stops the guest at its next epoch check (every store is created with a one-tick deadline, so
nothing else ever trips it).
"""

from __future__ import annotations

import threading
from types import TracebackType

import wasmtime

from emulator.lifecycle.leases import INTERRUPT
from emulator.oplog.store import Store


class InterruptWatcher:
    """Polls the store for interrupt requests while a guest runs, and stops the guest when one arrives."""

    def __init__(self, store: Store, worker: str, engine: wasmtime.Engine, interval: float = 0.02) -> None:
        self.store = store
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
        store = self.store.reopen()
        try:
            while not self._stop.wait(self.interval):
                if INTERRUPT in store.take_requests(self.worker):
                    self.requested.set()
                    self.engine.increment_epoch()
                    return
        finally:
            store.close()
