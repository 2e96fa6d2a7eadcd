"""When a committed batch of oplog entries reaches a replica: its lag, its drops, and in-order delivery.

Pure functions of the settings and the batch, so that every process (and every test) computes the same
arrival for the same seed. A batch is the entries one commit made durable, named by its last index.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import NamedTuple

from emulator.oplog.replica_settings import ReplicaSettings

__all__ = ["Batch", "arrival_ms", "deliverable"]

_MAX_DROPS = 1000  # with P < 1 this is never reached in practice; it bounds the loop all the same


class Batch(NamedTuple):
    """Entries up to ``last`` (after the previous batch), committed on the primary at ``committed_at`` ms."""

    last: int
    committed_at: float


def arrival_ms(settings: ReplicaSettings, replica: int, batch: Batch) -> float:
    """Wall-clock ms at which ``batch`` is on ``replica``, ignoring partitions and earlier batches.

    Each delivery takes a lag drawn within the configured bounds; a dropped delivery is sent again one more
    lag later, as a replication link re-sends what was not acknowledged.
    """
    low, high = settings.lag_min_ms, settings.lag_max_ms
    if low == high and settings.drop == 0.0:
        return batch.committed_at + low
    rng = random.Random(f"{settings.seed}/{replica}/{batch.last}")
    at = batch.committed_at
    for _ in range(_MAX_DROPS):
        at += low if low == high else rng.uniform(low, high)
        if settings.drop == 0.0 or rng.random() >= settings.drop:
            break
    return at


def deliverable(
    settings: ReplicaSettings, replica: int, position: int, batches: Sequence[Batch], now_ms: float,
    arrival: Callable[[int, Batch], float] | None = None,
) -> tuple[int, float | None]:
    """(index the replica holds by ``now_ms``, ms of its next arrival or None if nothing is pending).

    Delivery is in order, as a replication stream: a batch that would arrive early waits for the ones
    before it. A partitioned replica receives nothing until the partition heals, then everything due.
    """
    if settings.on_commit_only:
        return position, None  # only an oplog-commit's demand moves the replica (ReplicaSet.demand)
    heals = settings.partitioned_until(replica, now_ms)
    pending = [b for b in batches if b.last > position]
    if heals is not None:
        return position, heals if pending else None
    target, running = position, 0.0
    for batch in pending:
        at = arrival(replica, batch) if arrival is not None else arrival_ms(settings, replica, batch)
        running = max(running, at)
        if running > now_ms:
            return target, running
        target = batch.last
    return target, None
