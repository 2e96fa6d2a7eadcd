"""Interrupts delivered to a running worker (its lease is lifecycle/leases.py's), and Ctrl-C.

While a worker runs, a shared watcher thread polls the store for interrupt requests; on one it bumps the engine's
epoch, which stops the guest at its next epoch check (every store is created with a one-tick deadline, so
nothing else ever trips it).
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import wasmtime

from emulator.errors import EmulatorError
from emulator.lifecycle.leases import INTERRUPT, parse_update_request
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
        # As Golem: an automatic update of a running worker restarts it (at its next epoch check) on the new code;
        # a snapshot one waits until the invocation is over. (mode, hash, component name), in request order.
        self.restart = threading.Event()
        self.updates: list[tuple[str, str, str]] = []
        self._poller: _Poller | None = None

    def __enter__(self) -> InterruptWatcher:
        self._poller = _Poller.watch(self.store, self.interval, self)
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._poller is not None:
            self._poller.unwatch(self)
            self._poller = None

    def deliver(self, kinds: list[str] | None = None) -> None:
        """The requests arrived: an interrupt or an automatic update stops the guest at its next epoch check."""
        stop = False
        for kind in kinds or [INTERRUPT]:
            update = parse_update_request(kind)
            if update is not None:
                self.updates.append(update)
                if update[0] == "automatic":
                    self.restart.set()
                    stop = True
            elif kind == INTERRUPT:
                self.requested.set()
                stop = True
        if stop:
            self.engine.increment_epoch()

    def take_restart_update(self) -> tuple[str, str, str] | None:
        """The first automatic update that asked to restart the guest (removed from the queue)."""
        self.restart.clear()
        for i, update in enumerate(self.updates):
            if update[0] == "automatic":
                return self.updates.pop(i)
        return None


class _Poller:
    """One daemon thread per store (by its data dir) and process: delivers interrupt requests to watchers.

    The thread ends, closing its connection, once nobody has watched for `_LINGER` seconds: a process that
    opens many data dirs (an exploration runs each trial in its own) would otherwise keep a polling thread
    and two database connections alive for every one of them."""

    _all: dict[tuple[type, Path], _Poller] = {}
    _all_lock = threading.Lock()

    @classmethod
    def watch(cls, store: Store, interval: float, watcher: InterruptWatcher) -> _Poller:
        """Start delivering to `watcher`; returns the poller to unwatch it from."""
        key = (type(store), store.data_dir.absolute())
        with cls._all_lock:  # held while registering, so an ending thread cannot retire this poller meanwhile
            poller = cls._all.get(key)
            if poller is None:
                poller = cls._all[key] = cls(store, interval, key)
            poller._add(watcher)
            return poller

    def __init__(self, store: Store, interval: float, key: tuple[type, Path]) -> None:
        self.store = store  # only to reopen: the thread uses its own connection
        self.interval = interval
        self.key = key
        self._watching: dict[str, list[InterruptWatcher]] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def _add(self, watcher: InterruptWatcher) -> None:
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
            self._wake.notify()

    def _idle_retire(self) -> bool:
        """Called with nobody watching: wait up to _LINGER for a watcher; if none came, retire this poller."""
        with self._wake:
            self._wake.wait_for(lambda: bool(self._watching), timeout=_LINGER)
            if self._watching:
                return False
        with _Poller._all_lock, self._wake:
            if self._watching:  # a watcher registered between the two locks
                return False
            if _Poller._all.get(self.key) is self:
                del _Poller._all[self.key]
            self._thread = None
            return True

    def _run(self) -> None:
        store = self.store.reopen()  # sqlite3 connections belong to the thread that made them; opened once
        try:
            while True:
                with self._wake:
                    idle = not self._watching
                if idle:
                    if self._idle_retire():
                        return
                    continue
                time.sleep(self.interval)
                try:
                    waiting = store.requested_workers()
                    for worker in waiting:
                        with self._wake:
                            watchers = list(self._watching.get(worker, ()))
                        if not watchers:
                            continue
                        kinds = store.take_requests(worker)
                        if kinds:
                            for watcher in watchers:
                                watcher.deliver(kinds)
                except EmulatorError:
                    continue  # a busy database: look again next time
        finally:
            store.close()


# How long a poller's thread outlives its last watcher (a CLI process invokes once; a server or a test keeps
# invoking, and should not pay for a new thread and connection on every call).
_LINGER = 2.0


class CtrlC:
    """Ctrl-C while a worker runs, delivered at a safe point.

    Python raises KeyboardInterrupt between any two bytecodes: inside a wasmtime callback it is swallowed
    (the guest runs on), and between an SQL BEGIN and its COMMIT it would leave a transaction open. So while
    the guest runs, the first Ctrl-C only bumps the engine's epoch: the guest stops at its next epoch check,
    after the host call in progress (and its oplog entry) is complete, and the invocation loop turns that into
    KeyboardInterrupt. Outside the guest, or on a second Ctrl-C, KeyboardInterrupt is raised at once.
    Only the main thread receives signals, so elsewhere this does nothing.
    """

    def __init__(self, engine: wasmtime.Engine) -> None:
        self.engine = engine
        self.pressed = False
        self.in_guest = 0
        self._previous_handler: Any = None
        self._previous: CtrlC | None = None
        self._installed = False

    def __enter__(self) -> CtrlC:
        global _current
        if threading.current_thread() is threading.main_thread():
            self._previous_handler = signal.signal(signal.SIGINT, self._on_sigint)
            self._previous, _current = _current, self
            self._installed = True
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        global _current
        if self._installed:
            signal.signal(signal.SIGINT, self._previous_handler)
            _current = self._previous

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self.pressed or not self.in_guest:
            raise KeyboardInterrupt
        self.pressed = True
        self.engine.increment_epoch()


_current: CtrlC | None = None  # the CtrlC of the invocation running in this process's main thread


class _GuestRunning:
    """guest_running's context manager: a class, not a generator, as it is entered once per export call."""

    __slots__ = ("_ctrl_c",)

    def __enter__(self) -> None:
        ctrl_c = _current if threading.current_thread() is threading.main_thread() else None
        self._ctrl_c = ctrl_c
        if ctrl_c is not None:
            if ctrl_c.pressed:
                raise KeyboardInterrupt
            ctrl_c.in_guest += 1

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._ctrl_c is not None:
            self._ctrl_c.in_guest -= 1


def guest_running() -> _GuestRunning:
    """Around a call into the guest: a Ctrl-C meanwhile stops the guest instead of raising at once."""
    return _GuestRunning()
