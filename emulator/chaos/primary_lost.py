"""`explore --failover`: at each crash point the primary oplog is lost as well, and every worker recovers from
its most advanced replica, as replication stood at that moment.

Trials run with replicas that receive only what an oplog-commit(n) waited for (`--lag on-commit`), so the
state of the replicas at a crash point depends on no timing: an effect whose journal entries no oplog-commit
covered is lost with the primary and repeated on recovery, and the report shows it at exactly those points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from emulator.chaos.harness import Emulator
from emulator.chaos.points import CrashPoint
from emulator.chaos.trial import Perturbation, TrialState
from emulator.oplog import replica_settings as rs
from emulator.oplog.store import SqliteStore
from emulator.replication.failover import fail_primary

__all__ = ["PrimaryLost", "with_replicas"]


@dataclass
class PrimaryLost(Perturbation):
    """After the crash, lose the primary oplog of every worker that has a replica to fail over to."""

    @property
    def name(self) -> str:  # type: ignore[override]
        return "primary-lost"

    def after_crash(self, state: TrialState, data_dir: Path) -> None:
        if not (data_dir / "oplog.db").exists() or not rs.load(data_dir).count:
            return
        with SqliteStore(data_dir / "oplog.db") as store:
            for worker in store.worker_names():
                fail_primary(data_dir, store, worker)


def extras(point: CrashPoint) -> tuple[Perturbation, ...]:
    """What `explore --failover` adds to the crash at each point."""
    return (PrimaryLost(),)


def with_replicas(count: int, setup: Callable[[Emulator], object] | None = None) -> Callable[[Emulator], None]:
    """A trial set-up that gives the data dir `count` on-commit replicas (then runs `setup`, if any)."""

    def prepare(emu: Emulator) -> None:
        rs.save(emu.data_dir, rs.ReplicaSettings(count=count, on_commit_only=True))
        if setup is not None:
            setup(emu)

    return prepare
