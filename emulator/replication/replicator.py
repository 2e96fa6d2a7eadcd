"""The replicator: a thread of the process that holds a worker, delivering its commits to the replicas.

It runs while the worker is held (an invocation, its replay and retries). ``wait`` is what
``oplog-commit(n)`` blocks in: it returns once enough replicas hold the given index, re-checking in short
slices so that an interrupt request stops the worker while it waits, as Golem's one-second loop does.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from emulator.errors import EmulatorError
from emulator.oplog.replica_settings import SettingsReader
from emulator.oplog.store import Store
from emulator.replication.replica_set import ReplicaSet, now_ms

__all__ = ["ReplicaWaitInterrupted", "Replicator"]

_TICK_S = 0.02  # how often an idle replicator looks at the settings and the primary
_SLICE_S = 0.01  # how long a waiting oplog-commit sleeps between checks for an interrupt


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
        self._ready = False
        self._error: BaseException | None = None
        self._stop = False
        self._thread: threading.Thread | None = None
        self._settings = SettingsReader(self.data_dir)  # the worker thread's reader; the replicator has its own

    def __enter__(self) -> Replicator:
        if self._settings.get().count:
            self._start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"replicator-{self.worker}", daemon=True)
            self._thread.start()

    def committed(self, index: int) -> None:
        """The primary now holds every entry up to ``index`` (called right after each commit)."""
        if not self._settings.get().count:
            return  # no replicas: keep the commit path free of any wake-up
        self._start()
        with self._cond:
            self._commits.append((index, now_ms()))
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
            self._demands.append((replicas, index))  # what `--lag on-commit` delivers; ignored otherwise
            self._cond.notify_all()
            while True:
                if self._error is not None:
                    raise EmulatorError(f"replication of worker {self.worker} stopped: {self._error}") \
                        from self._error
                need = min(replicas, self._settings.get().count)
                if self._ready and sum(1 for p in self._positions.values() if p >= index) >= need:
                    return time.monotonic() - start
                self._cond.wait(_SLICE_S)
                if interrupted is not None and interrupted.is_set():
                    raise ReplicaWaitInterrupted(
                        f"interrupted while oplog-commit({replicas}) waited for replicas to hold index {index}")

    def _run(self) -> None:
        # A connection of its own: the worker's thread keeps using the primary store meanwhile.
        primary = self.store.reopen()
        replicas = ReplicaSet(self.data_dir, primary, self.worker)
        try:
            while True:
                with self._cond:
                    if self._stop:
                        return
                    commits, self._commits = self._commits, []
                    demands, self._demands = self._demands, []
                for index, at in commits:
                    replicas.committed(index, at)
                for wanted, index in demands:
                    replicas.demand(wanted, index)
                wake = replicas.step(now_ms())
                with self._cond:
                    self._positions = dict(replicas.positions)
                    self._ready = True
                    self._cond.notify_all()
                    if self._stop:
                        return
                    if not self._commits and not self._demands:
                        timeout = _TICK_S if wake is None else min(_TICK_S, max(0.0, (wake - now_ms()) / 1000))
                        if timeout > 0:
                            self._cond.wait(timeout)
        except BaseException as e:  # surfaced to a waiting commit; never lost silently
            with self._cond:
                self._error = e
                self._cond.notify_all()
        finally:
            replicas.close()
            primary.close()
