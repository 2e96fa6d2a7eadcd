"""The replay cursor: skipped regions, hint look-ahead, live switch and forward lookup."""

from __future__ import annotations

import pytest

from emulator.errors import NondeterminismError
from emulator.oplog.entries import (
    BeginAtomicRegion,
    Create,
    EndAtomicRegion,
    Error,
    ExportedFunctionInvoked,
    Jump,
    Log,
    NoOp,
    OplogEntry,
    OplogRegion,
)
from emulator.replay.state import ReplayState, SkippedRegions


def create() -> Create:
    return Create(worker_name="w", component="c", component_hash="0" * 64)


def invoked() -> ExportedFunctionInvoked:
    return ExportedFunctionInvoked(function_name="f", request=(), idempotency_key="k")


def test_regions_merge_overlapping_and_adjacent() -> None:
    r = SkippedRegions()
    r.add(OplogRegion(5, 7))
    r.add(OplogRegion(10, 12))
    r.add(OplogRegion(8, 9))  # touches both: one region 5..12
    assert r.regions() == [OplogRegion(5, 12)]
    r.add(OplogRegion(20, 20))
    assert r.contains(20) and not r.contains(13) and not r.contains(4)
    assert r.region_at(6) == OplogRegion(5, 12)


def test_only_create_is_live_at_once() -> None:
    assert ReplayState([create()]).is_live()


def test_trailing_hints_are_consumed_so_live_starts_after_last_non_hint() -> None:
    entries: list[OplogEntry] = [
        create(), invoked(), NoOp(), Error(error="boom"), Log(level="stdout", context="", message="hi"),
    ]
    state = ReplayState(entries)
    assert not state.is_live()
    assert state.next_entry()[0] == 2
    idx, entry = state.next_entry()
    assert (idx, entry.kind) == (3, "no-op")
    assert state.is_live()  # the Error and Log after it are hints
    assert ("stdout", "", "hi") in state.seen_logs


def test_cursor_follows_skipped_regions() -> None:
    # 2 invoked, 3 no-op (abandoned), 4 jump over 3..4, 5 no-op
    entries: list[OplogEntry] = [create(), invoked(), NoOp(), Jump(start=3, end=4), NoOp()]
    state = ReplayState(entries)
    state.next_entry()
    assert state.next_entry()[0] == 5
    assert state.is_live()


def test_expect_reports_index_and_both_sides() -> None:
    state = ReplayState([create(), invoked()])
    with pytest.raises(NondeterminismError) as e:
        state.expect(NoOp, "no-op (get-oplog-index)")
    assert e.value.index == 2
    assert "exported-function-invoked f" in str(e.value) and "get-oplog-index" in str(e.value)


def test_lookup_finds_region_end_or_none() -> None:
    entries: list[OplogEntry] = [create(), invoked(), BeginAtomicRegion(), NoOp(), EndAtomicRegion(begin_index=3)]
    state = ReplayState(entries)
    state.next_entry()
    state.next_entry()
    assert state.lookup(lambda e: isinstance(e, EndAtomicRegion) and e.begin_index == 3) == 5
    assert state.lookup(lambda e: isinstance(e, EndAtomicRegion) and e.begin_index == 99) is None
    assert state.lookup(lambda e: isinstance(e, EndAtomicRegion), lambda e: not isinstance(e, NoOp)) is None


def test_persist_nothing_zone_is_skipped_in_golem_1_2_only() -> None:
    from emulator.oplog.entries import ChangePersistenceLevel

    entries: list[OplogEntry] = [
        create(), invoked(), ChangePersistenceLevel(level="persist-nothing"), NoOp(),
        ChangePersistenceLevel(level="smart"), NoOp(),
    ]
    skipping = ReplayState(entries, skip_persist_nothing_zones=True)
    skipping.next_entry()
    assert skipping.next_entry()[0] == 6
    plain = ReplayState(entries)
    plain.next_entry()
    assert plain.next_entry()[0] == 3
