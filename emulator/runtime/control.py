"""Interrupts delivered to a running worker (its lease is lifecycle/leases.py's).

While a worker runs, a shared watcher thread polls the store for interrupt requests; on one it bumps the engine's
epoch, which stops the guest at its next epoch check (every store is created with a one-tick deadline, so
nothing else ever trips it).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType

import wasmtime

from emulator.errors import EmulatorError
from emulator.lifecycle.leases import INTERRUPT
from emulator.oplog.store import Store


class InterruptWatcher:
    """Watches for an interrupt request for `worker` while its guest runs, and stops the guest when one arrives.

    The polling is shared: one thread per store and process (see _Poller) looks for requests with a plain
    read every `interval` seconds while some worker of this process runs, and takes the write lock only when
    a request is there. Entering and leaving a watcher costs a dictionary update, not a thread and a database
    connection per invocation."""

    def __init__(self, store: Store, worker: str, engine: wasmtime.Engine, interval: float = 0.02) -> None:
        self.store = store
        self.worker = worker
        self.engine = engine
        self.interval = interval
        self.requested = threading.Event()

    def __enter__(self) -> InterruptWatcher:
        _Poller.of(self.store, self.interval).watch(self)
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        _Poller.of(self.store, self.interval).unwatch(self)

    def deliver(self) -> None:
        """The request arrived: stop the guest at its next epoch check."""
        self.requested.set()
        self.engine.increment_epoch()


class _Poller:
    """One daemon thread per store (by its data dir) and process: delivers interrupt requests to watchers."""

    _all: dict[tuple[type, Path], _Poller] = {}
    _all_lock = threading.Lock()

    @classmethod
    def of(cls, store: Store, interval: float) -> _Poller:
        key = (type(store), store.data_dir.absolute())
        with cls._all_lock:
            poller = cls._all.get(key)
            if poller is None:
                poller = cls._all[key] = cls(store, interval)
            return poller

    def __init__(self, store: Store, interval: float) -> None:
        self.store = store  # only to reopen: the thread uses its own connection
        self.interval = interval
        self._watching: dict[str, list[InterruptWatcher]] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, watcher: InterruptWatcher) -> None:
        with self._wake:
            self._watching.setdefault(watcher.worker, []).append(watcher)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="interrupts", daemon=True)
                self._thread.start()
            self._wake.notify()

    def unwatch(self, watcher: InterruptWatcher) -> None:
        with self._wake:
            watchers = self._watching.get(watcher.worker, [])
            if watcher in watchers:
                watchers.remove(watcher)
            if not watchers:
                self._watching.pop(watcher.worker, None)

    def _run(self) -> None:
        store = self.store.reopen()  # sqlite3 connections belong to the thread that made them; opened once
        while True:
            with self._wake:
                while not self._watching:
                    self._wake.wait()
            time.sleep(self.interval)
            try:
                waiting = store.requested_workers()
                for worker in waiting:
                    with self._wake:
                        watchers = list(self._watching.get(worker, ()))
                    if watchers and INTERRUPT in store.take_requests(worker):
                        for watcher in watchers:
                            watcher.deliver()
            except EmulatorError:
                continue  # a busy database: look again next time
