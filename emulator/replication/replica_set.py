"""The replicas of one worker: their files, what each holds, and delivery of what is due.

Each replica is a SQLite file of its own (``<data-dir>/replicas/replica-<R>.db``) with the same schema as
the primary oplog, so a replica can be read, checked and promoted with the tools that read the primary.
A replica holds a prefix of the primary's oplog; its last index is the only state replication needs, so
a process killed in the middle of a delivery leaves nothing to repair: the next one goes on from there.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from emulator.errors import OplogConflict, OplogError
from emulator.oplog.replica_settings import ReplicaSettings, SettingsReader, replica_path
from emulator.oplog.store import OplogStore, SqliteStore
from emulator.replication.schedule import Batch, arrival_ms, deliverable

__all__ = ["ReplicaSet", "catch_up", "now_ms"]


def now_ms() -> float:
    """Wall-clock milliseconds, the unit of entry timestamps and partition ends."""
    return time.time() * 1000


class ReplicaSet:
    """What this process knows of ``worker``'s replicas, and the deliveries it makes to them.

    ``committed`` records a commit of the primary as it happens; commits made by earlier processes are found
    in the primary and dated by their entries' timestamps, so a later process catches up what is due.
    Entries travel as the primary stores them: SQLite copies the rows from the primary's file into each
    replica's (``copy_entries``), nothing is decoded or encoded, and the process running the worker does
    little Python work for it (SQLite runs without Python's global lock meanwhile).
    """

    def __init__(self, data_dir: Path, primary: OplogStore, worker: str) -> None:
        self.data_dir = data_dir
        self.primary = primary
        self.worker = worker
        self.settings = ReplicaSettings()
        self.positions: dict[int, int] = {}
        self._reader = SettingsReader(data_dir)
        self._stores: dict[int, SqliteStore] = {}
        self._files: dict[int, tuple[int, int]] = {}  # replica -> (device, inode) of the file opened
        self._batches: list[Batch] = []
        self._known = 0  # the last primary index some batch covers
        self._arrivals: dict[tuple[int, Batch], tuple[tuple[Any, ...], float]] = {}
        self._demands: list[tuple[int, int]] = []  # (replicas, index) that waiting oplog-commits asked for

    # -- commits --------------------------------------------------------------------------------------------

    def committed(self, index: int, at_ms: float) -> None:
        """The primary holds every entry up to ``index`` since ``at_ms``."""
        if index > self._known:
            self._batches.append(Batch(index, at_ms))
            self._known = index

    def discover(self, live: float | None = None) -> None:
        """Find commits this process was not told about (an earlier or another process made them).

        With ``live`` (ms), this process holds the worker and tells each commit as it makes it: one it finds
        first (it was made while this step ran) is dated ``live``, never earlier than it happened.
        """
        last = self.primary.last_index(self.worker)
        if last < self._known:  # the primary lost entries (failover, deletion): start again from it
            self._reset()
        if last <= self._known:
            return
        if not self.positions:
            self._known = last  # no replicas: nothing to schedule
            return
        if live is not None and self._known:
            self.committed(last, live)
            return
        start = min([self._known, *self.positions.values()]) + 1
        stamps = {idx: float(ts) for idx, ts in self.primary.entry_timestamps(self.worker, start, last)
                  if idx > self._known}
        # One batch per distinct timestamp: entries made in the same millisecond travel together.
        fresh = sorted(stamps)
        for n, idx in enumerate(fresh):
            if n + 1 == len(fresh) or stamps[fresh[n + 1]] != stamps[idx]:
                self.committed(idx, stamps[idx])

    def _reset(self) -> None:
        self._batches, self._known, self._arrivals = [], 0, {}
        for r, store in self._stores.items():
            self.positions[r] = store.last_index(self.worker)

    def resync(self) -> None:
        """Forget what this set knew and read it again from the files: for a set kept while its worker was
        not held, when another process (a failover, a later invocation, `replicas set`) may have changed
        the primary or the replicas. A replica file replaced meanwhile is opened again."""
        for r in list(self._stores):
            if self._identity(r) != self._files.get(r):
                self._stores.pop(r).close()
                self._files.pop(r, None)
                self.positions.pop(r, None)
        self._reset()
        last = self.primary.last_index(self.worker)
        for r, store in self._stores.items():
            if self.positions[r] > last:
                self.positions[r] = self._ahead_of_primary(store)

    def _identity(self, replica: int) -> tuple[int, int] | None:
        try:
            st = os.stat(replica_path(self.data_dir, replica))
        except FileNotFoundError:
            return None
        return st.st_dev, st.st_ino

    def _ahead_of_primary(self, store: SqliteStore) -> int:
        # A failover stopped before cutting this replica back: what it holds beyond the primary is another
        # history. Copy the primary's afresh.
        store.delete_worker(self.worker)
        return 0

    # -- replicas ---------------------------------------------------------------------------------------------

    def refresh_settings(self) -> ReplicaSettings:
        """Re-read the settings; open the files of added replicas and close those of removed ones."""
        settings = self._reader.get()
        self.settings = settings
        for r in [r for r in self._stores if r > settings.count]:
            self._stores.pop(r).close()
            self._files.pop(r, None)
            self.positions.pop(r, None)
        for r in range(1, settings.count + 1):
            if r not in self._stores:
                store = SqliteStore(replica_path(self.data_dir, r))
                self._stores[r] = store
                identity = self._identity(r)
                if identity is not None:
                    self._files[r] = identity
                position = store.last_index(self.worker)
                if position > self.primary.last_index(self.worker):
                    position = self._ahead_of_primary(store)
                self.positions[r] = position
        return settings

    def step(self, now: float, live: bool = False) -> float | None:
        """Deliver to each replica what has reached it by ``now``; ms of the next arrival, if any. ``live``:
        this process holds the worker and tells its commits (see ``discover``)."""
        settings = self.refresh_settings()
        if not settings.count:
            return None
        self.discover(now if live else None)
        if settings.on_commit_only:
            return self._serve_demands(now)
        wake: float | None = None
        for r, position in sorted(self.positions.items()):
            target, nxt = deliverable(settings, r, position, self._batches, now, self.arrival)
            if target > position:
                self._deliver(r, position, target)
            if nxt is not None:
                wake = nxt if wake is None else min(wake, nxt)
        self._trim()
        return wake

    def demand(self, replicas: int, index: int) -> None:
        """An oplog-commit waits for ``replicas`` replicas to hold ``index`` (served under ``--lag on-commit``)."""
        self._demands.append((replicas, index))

    def _serve_demands(self, now: float) -> float | None:
        """Under ``--lag on-commit``: bring the most advanced connected replicas up to each demanded index."""
        wake: float | None = None
        for replicas, index in self._demands:
            holding = [r for r, p in self.positions.items() if p >= index]
            connected = sorted((r for r, p in self.positions.items() if p < index
                                and self.settings.partitioned_until(r, now) is None),
                               key=lambda r: (-self.positions[r], r))
            target = min(index, self._known)
            for r in connected[:max(0, replicas - len(holding))]:
                if target > self.positions[r]:
                    self._deliver(r, self.positions[r], target)
            for r in self.positions:
                heals = self.settings.partitioned_until(r, now)
                if heals is not None:
                    wake = heals if wake is None else min(wake, heals)
        self._demands = [(n, i) for n, i in self._demands
                         if sum(1 for p in self.positions.values() if p >= i) < min(n, len(self.positions))]
        self._trim()
        return wake if self._demands else None

    def _deliver(self, replica: int, position: int, target: int) -> None:
        store = self._stores[replica]
        try:
            if not store.copy_entries(self.primary.path, self.worker, position + 1, target):
                return  # the primary no longer holds them (it lost entries): the next discover starts again
        except OplogConflict:  # the replica holds another history of this name (deleted, then recreated)
            store.delete_worker(self.worker)
            self.positions[replica] = 0
            return
        except OplogError:
            if store.last_index(self.worker) != position:  # same reason, seen as "already exists"
                store.delete_worker(self.worker)
                self.positions[replica] = 0
                return
            raise
        self.positions[replica] = target

    def _trim(self) -> None:
        low = min(self.positions.values(), default=self._known)
        if self._batches and self._batches[0].last <= low:
            self._batches = [b for b in self._batches if b.last > low]
        if len(self._arrivals) > 4 * len(self._batches) * max(1, len(self.positions)) + 64:
            self._arrivals = {k: v for k, v in self._arrivals.items() if k[1] in self._batches}

    def arrival(self, replica: int, batch: Batch) -> float:
        """``schedule.arrival_ms``, cached while the settings stay the same."""
        s = self.settings
        key = (s.lag_min_ms, s.lag_max_ms, s.drop, s.seed)
        hit = self._arrivals.get((replica, batch))
        if hit is not None and hit[0] == key:
            return hit[1]
        value = arrival_ms(s, replica, batch)
        self._arrivals[(replica, batch)] = (key, value)
        return value

    def store(self, replica: int) -> SqliteStore:
        """The open file of replica ``replica``."""
        return self._stores[replica]

    def close(self) -> None:
        """Close every replica file."""
        for store in self._stores.values():
            store.close()
        self._stores.clear()


def catch_up(data_dir: Path, primary: OplogStore, worker: str, now: float | None = None) -> dict[int, int]:
    """Deliver what is due by ``now`` to ``worker``'s replicas (no process holds it); each one's last index."""
    replicas = ReplicaSet(data_dir, primary, worker)
    try:
        replicas.step(now_ms() if now is None else now)
        return dict(replicas.positions)
    finally:
        replicas.close()
