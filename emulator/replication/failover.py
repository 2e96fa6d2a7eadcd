"""Failover: the primary oplog of a worker is lost and a replica's copy takes its place.

What never reached the promoted replica is gone, exactly as when a real primary dies: the worker recovers
from the promoted copy, so side effects whose journal entries were lost run again. Replication is first
brought to where it stands now (what is due is delivered), then the primary is replaced in one transaction.
Replicas ahead of the promoted one are cut back to it first, as replicas resynchronise with a new primary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emulator.errors import UsageError
from emulator.oplog.replica_settings import load, replica_path
from emulator.oplog.store import SqliteStore
from emulator.replication.replica_set import catch_up

__all__ = ["Failover", "fail_primary"]


@dataclass(frozen=True)
class Failover:
    """What a failover did."""

    worker: str
    promoted: int
    positions: dict[int, int]  # each replica's last index before the failover
    old_last: int  # the primary's last index, now discarded
    new_last: int  # the promoted replica's, now the primary's

    @property
    def lost(self) -> int:
        """Entries that never reached the promoted replica."""
        return self.old_last - self.new_last


def fail_primary(data_dir: Path, primary: SqliteStore, worker: str, promote: int | None = None,
                 now: float | None = None) -> Failover:
    """Discard ``worker``'s primary oplog and promote replica ``promote`` (the most advanced by default).

    ``now`` (wall-clock ms) is the moment of the loss: what had reached a replica by then survives.
    """
    settings = load(data_dir)
    if settings.count == 0:
        raise UsageError("this data dir has no replicas to fail over to; add some with "
                         "`golem-emu replicas set --count N` before the worker runs")
    if not primary.has_worker(worker):
        names = ", ".join(primary.worker_names()) or "none"
        raise UsageError(f"no worker named {worker!r} (workers: {names})")
    if promote is not None and not 1 <= promote <= settings.count:
        raise UsageError(f"--promote {promote}: this data dir has replicas 1..{settings.count}")
    positions = catch_up(data_dir, primary, worker, now)
    chosen = promote if promote is not None else max(sorted(positions), key=lambda r: positions[r])
    old_last = primary.last_index(worker)
    with SqliteStore(replica_path(data_dir, chosen)) as source:
        entries = [e for _, e in source.read(worker)] if positions[chosen] else []
    new_last = len(entries)
    # Replicas ahead of the promoted one first: cut back, they are still a prefix of the old primary, so a
    # crash before the primary is replaced leaves nothing inconsistent.
    for r, position in positions.items():
        if position > new_last:
            with SqliteStore(replica_path(data_dir, r)) as other:
                other.replace_oplog(worker, entries)
    primary.replace_oplog(worker, entries)
    return Failover(worker, chosen, positions, old_last, new_last)
