"""Replication without a clock: the schedule, deliveries to real replica files, failover, settings.

Every test passes the moment explicitly (wall-clock ms), so nothing here sleeps or depends on timing.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from emulator.errors import OplogConflict, OplogError, UsageError
from emulator.oplog import Oplog, SqliteStore
from emulator.oplog import replica_settings as rs
from emulator.oplog.entries import READ_REMOTE, Create, ImportedFunctionInvoked, Log
from emulator.replication.failover import fail_primary
from emulator.replication.replica_set import ReplicaSet, catch_up
from emulator.replication.schedule import Batch, arrival_ms, deliverable

T0 = 1_000_000.0  # entry timestamps and "now" in these tests


def create(name: str = "w") -> Create:
    return Create(worker_name=name, component="c.wasm", component_hash="ab" * 32, timestamp=int(T0))


def log(i: int, ts: float) -> Log:
    return Log(level="info", context="t", message=str(i), timestamp=int(ts))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path


def primary_with(data: Path, stamps: list[float]) -> SqliteStore:
    """A primary oplog whose entries 2.. carry these timestamps, each committed on its own."""
    store = SqliteStore(data / "oplog.db")
    oplog = Oplog.create(store, create())
    for n, ts in enumerate(stamps, start=2):
        oplog.add_and_commit(log(n, ts))
    return store


def configure(data: Path, **values: object) -> rs.ReplicaSettings:
    settings = rs.ReplicaSettings(**values)  # type: ignore[arg-type]
    rs.save(data, settings)
    return settings


# -- settings -----------------------------------------------------------------------------------------------


def test_lag_is_ms_or_a_range() -> None:
    assert rs.parse_lag("50") == (50, 50)
    assert rs.parse_lag(" 10..80 ") == (10, 80)
    for bad in ("", "-5", "fast", "80..10", "1..2..3"):
        with pytest.raises(UsageError, match="--lag"):
            rs.parse_lag(bad)


def test_settings_round_trip_and_bad_values(data: Path) -> None:
    assert rs.load(data) == rs.ReplicaSettings()  # no file: no replicas
    saved = configure(data, count=3, lag_min_ms=5, lag_max_ms=9, drop=0.25, seed=7, partitions={2: T0 + 5})
    assert rs.load(data) == saved
    for bad in ({"count": 17}, {"count": -1}, {"drop": 1.0}, {"lag_min_ms": 9, "lag_max_ms": 5}):
        with pytest.raises(UsageError):
            rs.ReplicaSettings(**bad).check()  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="no replica 4"):
        saved.with_partition(4, 1.0, T0)
    (rs.replica_dir(data) / "settings.json").write_text("{not json")
    with pytest.raises(OplogError, match="settings.json"):
        rs.load(data)
    (rs.replica_dir(data) / "settings.json").write_text(json.dumps({"count": "x"}))
    with pytest.raises(OplogError, match="not a golem-emu replica settings"):
        rs.load(data)


def test_a_partition_heals_at_its_end() -> None:
    s = rs.ReplicaSettings(count=2).with_partition(2, 1.5, now_ms=T0)
    assert s.partitioned_until(2, T0) == T0 + 1500 and s.partitioned_until(1, T0) is None
    assert s.partitioned_until(2, T0 + 1500) is None
    assert s.with_partition(2, 0, now_ms=T0).partitions == {}


# -- schedule -----------------------------------------------------------------------------------------------


def test_fixed_lag_delivers_each_batch_exactly_lag_after_its_commit() -> None:
    s = rs.ReplicaSettings(count=1, lag_min_ms=100, lag_max_ms=100)
    batches = [Batch(3, T0), Batch(5, T0 + 50)]
    assert deliverable(s, 1, 1, batches, T0 + 99) == (1, T0 + 100)
    assert deliverable(s, 1, 1, batches, T0 + 100) == (3, T0 + 150)
    assert deliverable(s, 1, 3, batches, T0 + 150) == (5, None)


def test_random_lag_is_seeded_within_bounds_and_in_order() -> None:
    s = rs.ReplicaSettings(count=3, lag_min_ms=10, lag_max_ms=80, seed=42)
    arrivals = [arrival_ms(s, r, Batch(i, T0)) - T0 for r in (1, 2, 3) for i in range(2, 40)]
    assert all(10 <= a <= 80 for a in arrivals) and len(set(arrivals)) > 30
    assert arrivals == [arrival_ms(s, r, Batch(i, T0)) - T0 for r in (1, 2, 3) for i in range(2, 40)]
    other = rs.ReplicaSettings(count=3, lag_min_ms=10, lag_max_ms=80, seed=43)
    assert arrivals != [arrival_ms(other, r, Batch(i, T0)) - T0 for r in (1, 2, 3) for i in range(2, 40)]
    # A later batch never overtakes an earlier one: the replica holds a prefix.
    batches = [Batch(i, T0 + i) for i in range(2, 40)]
    for now in range(0, 140, 3):
        target, _ = deliverable(s, 1, 1, batches, T0 + now)
        expected = max([1] + [b.last for b in batches if all(
            arrival_ms(s, 1, e) <= T0 + now for e in batches if e.last <= b.last)])
        assert target == expected


def test_a_dropped_batch_is_sent_again_one_lag_later() -> None:
    s = rs.ReplicaSettings(count=1, lag_min_ms=20, lag_max_ms=20, drop=0.5, seed=1)
    delays = [arrival_ms(s, 1, Batch(i, T0)) - T0 for i in range(2, 200)]
    assert set(delays) <= {20.0 * k for k in range(1, 1001)}
    assert min(delays) == 20 and max(delays) >= 60  # some were dropped, some more than once
    share = sum(1 for d in delays if d == 20) / len(delays)
    assert 0.3 < share < 0.7


def test_a_partitioned_replica_gets_nothing_until_it_heals() -> None:
    s = rs.ReplicaSettings(count=2, lag_min_ms=10, lag_max_ms=10).with_partition(2, 1.0, now_ms=T0)
    batches = [Batch(4, T0)]
    assert deliverable(s, 1, 1, batches, T0 + 10) == (4, None)
    assert deliverable(s, 2, 1, batches, T0 + 999) == (1, T0 + 1000)
    assert deliverable(s, 2, 1, batches, T0 + 1000) == (4, None)


# -- deliveries to real replica files -----------------------------------------------------------------------


def test_replicas_receive_what_is_due_and_nothing_more(data: Path) -> None:
    primary = primary_with(data, [T0 + 10, T0 + 20, T0 + 30])
    configure(data, count=2, lag_min_ms=100, lag_max_ms=100)
    assert catch_up(data, primary, "w", now=T0 + 99) == {1: 0, 2: 0}
    assert catch_up(data, primary, "w", now=T0 + 115) == {1: 2, 2: 2}  # Create and entry 2
    assert catch_up(data, primary, "w", now=T0 + 130) == {1: 4, 2: 4}
    with SqliteStore(rs.replica_path(data, 1)) as replica:
        assert replica.read("w") == primary.read("w")
        assert replica._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def rows(path: Path, table: str) -> list[tuple[object, ...]]:
    """Every row of a table of a SQLite file, as stored."""
    db = sqlite3.connect(path)
    try:
        return db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        db.close()


def test_a_copy_holds_the_primarys_rows_byte_for_byte(data: Path) -> None:
    primary = primary_with(data, [T0 + 1, T0 + 2])
    big = ImportedFunctionInvoked(function_name="http::get", request={"u": 1}, response={"body": "y" * 100_000},
                                  function_type=READ_REMOTE, timestamp=int(T0) + 3)
    Oplog(primary, "w").add_and_commit(big)  # stored out of line: a row in `payloads` as well
    replica = SqliteStore(data / "replica.db")
    try:
        assert replica.copy_entries(primary.path, "w", 1, 2) == 2  # creates the worker
        assert replica.copy_entries(primary.path, "w", 3, 4) == 2
        for table in ("oplog", "payloads"):
            assert rows(replica.path, table) == rows(primary.path, table) and rows(primary.path, table)
        assert replica.read("w") == primary.read("w")
        assert rows(replica.path, "workers") == [("w", int(T0))]  # created when its Create entry was
        with pytest.raises(OplogConflict):
            replica.copy_entries(primary.path, "w", 3, 4)  # it holds them already
        with pytest.raises(OplogConflict):
            replica.copy_entries(primary.path, "w", 1, 1)
    finally:
        replica.close()
        primary.close()


def test_a_copy_of_entries_the_primary_lost_writes_nothing(data: Path) -> None:
    primary = primary_with(data, [T0, T0])
    replica = SqliteStore(data / "replica.db")
    try:
        assert replica.copy_entries(primary.path, "w", 1, 2) == 2
        assert replica.copy_entries(primary.path, "w", 3, 9) == 0  # entries 4..9 were never on the primary
        assert replica.last_index("w") == 2
        assert replica.copy_entries(primary.path, "x", 1, 1) == 0 and not replica.has_worker("x")
    finally:
        replica.close()
        primary.close()


def test_commits_told_as_they_happen_are_dated_by_the_commit(data: Path) -> None:
    primary = primary_with(data, [T0])
    configure(data, count=1, lag_min_ms=50, lag_max_ms=50)
    replicas = ReplicaSet(data, primary, "w")
    try:
        assert replicas.step(T0 + 50) is None and replicas.positions == {1: 2}
        Oplog(primary, "w").add_and_commit(log(3, T0))  # journaled long before its commit at T0 + 500
        replicas.committed(3, T0 + 500)
        assert replicas.step(T0 + 549) == T0 + 550 and replicas.positions == {1: 2}
        assert replicas.step(T0 + 550) is None and replicas.positions == {1: 3}
    finally:
        replicas.close()


def test_a_holder_dates_a_commit_it_finds_by_when_it_found_it(data: Path) -> None:
    primary = primary_with(data, [T0])
    configure(data, count=1, lag_min_ms=50, lag_max_ms=50)
    replicas = ReplicaSet(data, primary, "w")
    try:
        assert replicas.step(T0 + 50) is None and replicas.positions == {1: 2}  # caught up by entry timestamps
        Oplog(primary, "w").add_and_commit(log(3, T0))  # committed while the step ran, not yet told
        assert replicas.step(T0 + 500, live=True) == T0 + 550 and replicas.positions == {1: 2}
        assert replicas.step(T0 + 550, live=True) is None and replicas.positions == {1: 3}
    finally:
        replicas.close()


def test_the_store_reports_each_replica_file(data: Path) -> None:
    primary = primary_with(data, [T0 + 10, T0 + 500])
    configure(data, count=2, lag_min_ms=5, lag_max_ms=5, partitions={2: 1e15})  # partitioned for ever
    assert [(r.name, r.last_index, r.delay, bool(r.partition)) for r in primary.replicas("w")] == [
        ("replica-1", 0, "5 ms", False), ("replica-2", 0, "5 ms", True)]
    catch_up(data, primary, "w", now=T0 + 100)
    assert [r.last_index for r in primary.replicas("w")] == [2, 0]


# -- failover -----------------------------------------------------------------------------------------------


def test_failover_promotes_the_most_advanced_replica_and_loses_the_rest(data: Path) -> None:
    primary = primary_with(data, [T0 + 10, T0 + 20, T0 + 30, T0 + 40])
    configure(data, count=3, lag_min_ms=100, lag_max_ms=100)
    catch_up(data, primary, "w", now=T0 + 115)  # all three hold 1..2
    configure(data, count=3, lag_min_ms=100, lag_max_ms=100, partitions={1: T0 + 10_000, 3: T0 + 10_000})
    expected = primary.read("w", 1, 4)
    done = fail_primary(data, primary, "w", now=T0 + 135)  # replica 2 got 3..4 meanwhile, 5 never reached it
    assert (done.promoted, done.old_last, done.new_last, done.lost) == (2, 5, 4, 1)
    assert done.positions == {1: 2, 2: 4, 3: 2}
    assert primary.read("w") == expected
    assert primary.has_worker("w") and primary.last_index("w") == 4


def test_failover_to_a_chosen_replica_cuts_the_others_back_to_it(data: Path) -> None:
    primary = primary_with(data, [T0 + 10, T0 + 20])
    configure(data, count=2, lag_min_ms=0, lag_max_ms=0)
    catch_up(data, primary, "w", now=T0 + 15)  # both hold 1..2
    configure(data, count=2, lag_min_ms=0, lag_max_ms=0, partitions={1: T0 + 10_000})
    done = fail_primary(data, primary, "w", promote=1, now=T0 + 100)
    assert (done.promoted, done.new_last, done.positions) == (1, 2, {1: 2, 2: 3})
    with SqliteStore(rs.replica_path(data, 2)) as replica:
        assert replica.read("w") == primary.read("w")
    assert primary.last_index("w") == 2


def test_failover_with_nothing_replicated_loses_the_worker(data: Path) -> None:
    primary = primary_with(data, [T0 + 10])
    configure(data, count=1, lag_min_ms=60_000, lag_max_ms=60_000)
    done = fail_primary(data, primary, "w", now=T0 + 100)
    assert (done.new_last, done.lost) == (0, 2) and not primary.has_worker("w")


def test_failover_refuses_what_it_cannot_do(data: Path) -> None:
    primary = primary_with(data, [T0])
    with pytest.raises(UsageError, match="no replicas"):
        fail_primary(data, primary, "w")
    configure(data, count=2)
    with pytest.raises(UsageError, match="no worker named 'x'"):
        fail_primary(data, primary, "x")
    with pytest.raises(UsageError, match="--promote 3"):
        fail_primary(data, primary, "w", promote=3)
    assert primary.last_index("w") == 2  # untouched


def test_a_replica_left_ahead_of_the_primary_is_copied_afresh(data: Path) -> None:
    primary = primary_with(data, [T0, T0])
    configure(data, count=1)
    catch_up(data, primary, "w", now=T0 + 1)
    primary.replace_oplog("w", [e for _, e in primary.read("w", 1, 2)])  # the primary lost entry 3
    assert catch_up(data, primary, "w", now=T0 + 10) == {1: 2}
    with SqliteStore(rs.replica_path(data, 1)) as replica:
        assert replica.read("w") == primary.read("w")


# -- --lag on-commit ----------------------------------------------------------------------------------------


def test_on_commit_replicas_receive_only_what_a_commit_waits_for(data: Path) -> None:
    primary = primary_with(data, [T0, T0, T0])
    configure(data, count=3, on_commit_only=True)
    replicas = ReplicaSet(data, primary, "w")
    try:
        assert replicas.step(T0 + 1e9) is None and replicas.positions == {1: 0, 2: 0, 3: 0}
        replicas.demand(2, 3)
        replicas.step(T0)
        assert replicas.positions == {1: 3, 2: 3, 3: 0}
        replicas.demand(1, 4)  # the most advanced replica gets it: a failover would promote it
        replicas.step(T0)
        assert replicas.positions == {1: 4, 2: 3, 3: 0}
    finally:
        replicas.close()
    assert catch_up(data, primary, "w", now=T0 + 1e9) == {1: 4, 2: 3, 3: 0}  # time alone delivers nothing


def test_on_commit_waits_out_a_partition(data: Path) -> None:
    primary = primary_with(data, [T0])
    configure(data, count=2, on_commit_only=True, partitions={1: T0 + 500})
    replicas = ReplicaSet(data, primary, "w")
    try:
        replicas.demand(2, 2)
        assert replicas.step(T0) == T0 + 500 and replicas.positions == {1: 0, 2: 2}
        assert replicas.step(T0 + 500) is None and replicas.positions == {1: 2, 2: 2}
    finally:
        replicas.close()
