"""What each crash point of the crash-free run left durable, so a trial need not run up to the point again.

A trial crashes a run at one point and recovers it. The run up to the point is the crash-free run's own: the
same scenario, against a simulated network that answers every request, clock and random read as the
crash-free run's did, so it journals the same entries and sends the same requests. What a crash there leaves
is what was durable at that moment: the committed database, and the requests that had been sent. Both are
recorded while the crash-free run passes each point (a consistent copy of the committed database through
SQLite's backup API, and the number of requests sent so far), and a trial at that point starts from them:
only the recovery needs an instance.

The shortcut is taken only where it is exact: the simulated network (not `--live`), an in-process crash (a
`--kill` trial is a real kill -9 of a real process), a plain crash without other perturbations or faults,
points the scenario itself passes (not the user's check), and a data dir that holds nothing but the
database, the kept components and the sandboxes (which every new instance empties and rebuilds by replay).
Anything else, say a guest's key-value files, makes every trial run the live prefix as before.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path

from emulator.chaos.network import Network
from emulator.chaos.points import CrashPoint

# What a crash-free run's data dir may hold for its snapshots to be the whole durable state.
_DATABASE = ("oplog.db", "oplog.db-wal", "oplog.db-shm")
_REBUILT = ("components", "sandbox")  # kept components (shared by every trial); sandboxes (emptied on replay)
# Snapshots are kept in memory (and inherited by forked trial processes); past this, later points run live.
_LIMIT_BYTES = 256 << 20


@dataclass(frozen=True)
class PointState:
    """The durable state at one crash point: the committed database, and how many requests had been sent."""

    database: bytes
    sent: int  # requests of the crash-free run's scenario sent by then (not counting the set-up's)


@dataclass
class Snapshots:
    """Durable states by point name, taken while the crash-free run passes each point."""

    data: Path
    network: Network
    states: dict[str, PointState] = field(default_factory=dict)
    usable: bool = True  # False once the data dir held something besides the database
    recording: bool = False  # only while the scenario runs (points of the user's check are not trials')
    first_sent: int = 0  # requests the set-up made before the scenario
    size: int = 0
    _reader: sqlite3.Connection | None = None

    def start(self) -> None:
        """The scenario starts: record from now on."""
        self.first_sent = len(self.network.sent)
        self.recording = True

    def stop(self) -> None:
        """The scenario ended: record nothing more, and let go of the database."""
        self.recording = False
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def take(self, point: CrashPoint) -> None:
        """Chaos.on_point: keep what is durable as `point` is passed."""
        if not (self.recording and self.usable) or point.name in self.states:
            return
        if any(name not in _DATABASE and name not in _REBUILT for name in os.listdir(self.data)):
            self.usable = False
            self.states.clear()
            return
        if self.size > _LIMIT_BYTES:
            return
        if self._reader is None:
            uri = f"file:{(self.data / 'oplog.db').absolute()}?mode=ro"
            self._reader = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        copy = sqlite3.connect(":memory:")
        try:
            self._reader.backup(copy)  # one read transaction: exactly what was committed by now
            # A trial's crashed process is private and holds no lease; the crash-free run's would look alive.
            copy.execute("DELETE FROM leases")
            database = copy.serialize()
        finally:
            copy.close()
        self.states[point.name] = PointState(database, len(self.network.sent))
        self.size += len(database)

    def restore(self, name: str, data: Path, network: Network) -> bool:
        """Leave `data` and `network` as a crash at point `name` would; False when there is no snapshot."""
        state = self.states.get(name) if self.usable else None
        if state is None:
            return False
        data.mkdir(parents=True, exist_ok=True)
        for leftover in _DATABASE:  # a set-up's database: the snapshot holds its effects already
            (data / leftover).unlink(missing_ok=True)
        tmp = data / ".oplog.db.restoring"
        tmp.write_bytes(state.database)
        tmp.replace(data / "oplog.db")
        for sent in self.network.sent[self.first_sent:state.sent]:
            network.sent.append(replace(sent, phase=network.phase))
            network.seen(sent.key)
        return True
