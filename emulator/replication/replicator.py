"""The replicator: a thread of the process that holds a worker, delivering its commits to the replicas.

One replicator per worker object, kept across its invocations: its thread and its connections (the primary
and each replica file) outlive an invocation, so a commit's wait costs the lag and the copy, not a thread start
and four SQLite opens. It delivers only while the worker is held (``held()``: an invocation, its replay and
retries); between invocations it is paused, since another process may hold the worker then, and after
``_IDLE_S`` paused it closes its files and its thread ends (the next invocation starts one again); the
executor closes it at once when an invocation crashes or fails, as the thread would die with its process.

It sleeps until the next delivery is due, and a commit wakes it only when that commit could arrive earlier
(a lag of 0 ms: at once). ``wait`` is what ``oplog-commit(n)`` blocks in: it returns as soon as enough replicas
hold the given index (the replicator tells it after each delivery), re-checking every few ms so that an
interrupt request stops the worker while it waits, as Golem's one-second loop does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from emulator.errors import EmulatorError
from emulator.oplog.replica_settings import SettingsReader
from emulator.oplog.store import Store
from emulator.replication.replica_set import ReplicaSet, now_ms

__all__ = ["ReplicaWaitInterrupted", "Replicator"]

_TICK_S = 0.02  # how often a held replicator with nothing due looks at the settings and the primary
_SLICE_S = 0.004  # how often a waiting oplog-commit looks for an interrupt request
_IDLE_S = 1.0  # how long a paused replicator keeps its thread and files for the worker's next invocation


class ReplicaWaitInterrupted(EmulatorError):
    """An interrupt request arrived while oplog-commit waited for replicas."""


class Replicator:
    """Replicates ``worker``'s oplog from ``store`` to its data dir's replicas, in a background thread.

    The thread starts with the first commit made while the data dir has replicas, so that an invocation
    without replicas costs one ``stat`` of the settings file per commit, and a count set while the worker
    runs takes effect at its next commit.
    """

    def __init__(self, store: Store, worker: str) -> None:
        self.store = store
        self.data_dir = store.data_dir
        self.worker = worker
        self._cond = threading.Condition()
        self._commits: list[tuple[int, float]] = []
        self._demands: list[tuple[int, int]] = []
        self._positions: dict[int, int] = {}
        self._ready = False  # _positions were read after the worker was last taken
        self._error: BaseException | None = None
        self._held = False  # this process holds the worker: deliver
        self._resync = False  # re-read the files before the next delivery
        self._busy = False  # the thread is delivering (or reading the files)
        self._wake_at = 0.0  # wall-clock ms by which the thread looks again at the latest (while not busy)
        self._stop = False
        self._thread: threading.Thread | None = None
        self._settings = SettingsReader(self.data_dir)  # the worker thread's reader; the replicator has its own

    # -- the worker's side --------------------------------------------------------------------------------------

    @contextmanager
    def held(self) -> Iterator[Replicator]:
        """While the worker is held by this process: deliver its commits. On leaving, delivery has stopped."""
        with self._cond:
            self._held, self._resync, self._ready = True, True, False
            self._positions, self._commits, self._demands, self._error = {}, [], [], None
            self._cond.notify_all()
        if self._settings.get().count:
            self._start()
        try:
            yield self
        finally:
            with self._cond:
                self._held = False
                self._cond.notify_all()
                while self._busy:  # another process may take the worker next: no delivery may still be going
                    self._cond.wait()

    def close(self) -> None:
        """Stop the thread and close its files now (a later ``held`` starts them again)."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
        with self._cond:
            self._stop = False

    def committed(self, index: int) -> None:
        """The primary now holds every entry up to ``index`` (called right after each commit)."""
        settings = self._settings.get()
        if not settings.count:
            return  # no replicas: keep the commit path free of any wake-up
        at = now_ms()
        with self._cond:
            if not self._held:
                return  # committed outside an invocation: a later holder (or `replicas status`) delivers it
            self._commits.append((index, at))
            self._start_locked()
            # Wake the thread only if this commit may arrive before it looks again anyway.
            if not self._busy and not settings.on_commit_only and at + settings.lag_min_ms < self._wake_at:
                self._cond.notify_all()

    def positions(self) -> dict[int, int]:
        """Each replica's last index of the worker, as last delivered."""
        with self._cond:
            return dict(self._positions)

    def wait(self, replicas: int, index: int, interrupted: threading.Event | None = None) -> float:
        """Block until ``min(replicas, N)`` replicas hold ``index``; the seconds it took.

        N is re-read while waiting, so lowering the count (or healing a partition) releases a waiting commit.
        """
        start = time.monotonic()
        if replicas <= 0 or not self._settings.get().count:
            return 0.0
        self.committed(index)
        with self._cond:
            if not self._held:
                return 0.0
            self._demands.append((replicas, index))  # what `--lag on-commit` delivers; ignored otherwise
            self._cond.notify_all()
            while True:
                if self._error is not None:
                    raise EmulatorError(f"replication of worker {self.worker} stopped: {self._error}") \
                        from self._error
                need = min(replicas, self._settings.get().count)
                if self._ready and sum(1 for p in self._positions.values() if p >= index) >= need:
                    return time.monotonic() - start
                if interrupted is not None and interrupted.is_set():
                    raise ReplicaWaitInterrupted(
                        f"interrupted while oplog-commit({replicas}) waited for replicas to hold index {index}")
                self._cond.wait(_SLICE_S)

    # -- the replicator's thread ----------------------------------------------------------------------------

    def _start(self) -> None:
        with self._cond:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._thread is None and not self._stop:
            self._thread = threading.Thread(target=self._run, name=f"replicator-{self.worker}", daemon=True)
            self._thread.start()

    def _take(self) -> tuple[bool, list[tuple[int, float]], list[tuple[int, int]]] | None:
        """Under the lock: wait while paused; None once the thread is to end, else the work to do."""
        paused_at: float | None = None
        while not self._held and not self._stop:
            paused_at = time.monotonic() if paused_at is None else paused_at
            left = _IDLE_S - (time.monotonic() - paused_at)
            if left <= 0:
                break
            self._cond.wait(left)
        if self._stop or not self._held:
            self._thread = None
            return None
        work = (self._resync, self._commits, self._demands)
        self._resync, self._commits, self._demands = False, [], []
        self._busy = True
        return work

    def _run(self) -> None:
        # Connections of its own: the worker's thread keeps using the primary store meanwhile.
        primary = self.store.reopen()
        replicas = ReplicaSet(self.data_dir, primary, self.worker)
        try:
            while True:
                with self._cond:
                    work = self._take()
                if work is None:
                    return
                resync, commits, demands = work
                if resync:
                    replicas.resync()
                for index, at in commits:
                    replicas.committed(index, at)
                for wanted, index in demands:
                    replicas.demand(wanted, index)
                wake = replicas.step(now_ms(), live=not resync)  # after a resync: catch up by entry timestamps
                with self._cond:
                    self._busy = False
                    self._positions = dict(replicas.positions)
                    self._ready = True
                    self._cond.notify_all()
                    self._sleep(wake, replicas.settings.lag_min_ms)
        except BaseException as e:  # surfaced to a waiting commit; never lost silently
            with self._cond:
                self._error, self._busy, self._thread = e, False, None
                self._cond.notify_all()
        finally:
            replicas.close()
            primary.close()

    def _sleep(self, wake: float | None, lag_min_ms: int) -> None:
        """Under the lock: wait until the next arrival, a commit that may arrive sooner, or the next tick."""
        now = now_ms()
        until = now + _TICK_S * 1000 if wake is None else min(wake, now + _TICK_S * 1000)
        if self._commits:
            until = min(until, min(at for _, at in self._commits) + lag_min_ms)
        if self._demands or self._resync or self._stop or not self._held:
            until = now
        self._wake_at = until
        if until > now:
            self._cond.wait((until - now) / 1000)
        self._wake_at = 0.0  # about to take the work: a commit made now need not wake it
