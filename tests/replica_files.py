"""Replica files holding chosen prefixes of a worker's oplog, written as the replicator writes them."""

from __future__ import annotations

from pathlib import Path

from emulator.oplog import replica_settings as rs
from emulator.oplog.entries import Create
from emulator.oplog.store import SqliteStore


def hold(data_dir: Path, worker: str, prefixes: list[int], lag_ms: int = 0) -> None:
    """Configure len(prefixes) replicas; replica r holds entries 1..prefixes[r-1] of `worker`."""
    rs.save(data_dir, rs.ReplicaSettings(count=len(prefixes), lag_min_ms=lag_ms, lag_max_ms=lag_ms))
    with SqliteStore(data_dir / "oplog.db") as primary:
        entries = [e for _, e in primary.read(worker)]
    for r, upto in enumerate(prefixes, start=1):
        with SqliteStore(rs.replica_path(data_dir, r)) as replica:
            if upto:
                assert isinstance(entries[0], Create)
                replica.create_worker(worker, entries[0])
                replica.append(worker, 2, entries[1:upto])
