"""The compact oplog index agrees with the status fold and finds every bracket of the sample oplog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.inspect.index import OplogIndex, Region
from emulator.lifecycle.status import summarize, trailing_error_count
from emulator.oplog.entries import (
    READ_LOCAL,
    BeginAtomicRegion,
    ChangeRetryPolicy,
    Create,
    EndAtomicRegion,
    Error,
    Exited,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    GrowMemory,
    ImportedFunctionInvoked,
    Interrupted,
    Jump,
    Log,
    NoOp,
    OplogEntry,
    Restart,
    Revert,
    Suspend,
)
from emulator.oplog.store import SqliteStore


class ListStore:
    """Just enough of an OplogStore for OplogIndex.update: entries in a list (index 1 first)."""

    def __init__(self, entries: list[OplogEntry]) -> None:
        self.entries = entries

    def iter_entries(self, name: str, start: int = 1, end: int | None = None,
                     chunk: int = 1024) -> Iterator[tuple[int, OplogEntry]]:
        stop = len(self.entries) if end is None else end
        for i in range(start, stop + 1):
            yield i, self.entries[i - 1]


def _entry(draw: st.DrawFn, idx: int) -> OplogEntry:
    choice = draw(st.integers(0, 15))
    if choice == 0:
        return ExportedFunctionInvoked(function_name="f", request=(), idempotency_key=f"k{idx}")
    if choice == 1:
        return ExportedFunctionCompleted(response="1")
    if choice == 2:
        return Error(error=f"e{idx}", retriable=draw(st.booleans()))
    if choice == 3:
        return Suspend()
    if choice == 4:
        return Interrupted()
    if choice == 5:
        return Exited()
    if choice == 6:
        return Restart()
    if choice == 7:
        return ChangeRetryPolicy(max_attempts=idx, min_delay_ns=1, max_delay_ns=2, multiplier=2.0,
                                 max_jitter_factor=None)
    if choice == 8:
        return Log(level="stdout", context="", message="x")
    if choice == 9:
        return NoOp()
    if choice in (10, 11):
        start = draw(st.integers(2, idx))
        return Jump(start=start, end=idx) if choice == 10 else Revert(start=start, end=idx - 1)
    if choice == 12:
        return GrowMemory(delta=1)
    if choice == 13:
        return BeginAtomicRegion()
    if choice == 14:
        return EndAtomicRegion(begin_index=draw(st.integers(1, idx)))
    return ImportedFunctionInvoked(function_name="h", request=None, response=None, function_type=READ_LOCAL)


@st.composite
def oplogs(draw: st.DrawFn) -> list[OplogEntry]:
    entries: list[OplogEntry] = [Create(worker_name="w", component="c", component_hash="00")]
    for idx in range(2, draw(st.integers(1, 40)) + 2):
        entries.append(_entry(draw, idx))
    return entries


@settings(max_examples=400, deadline=None)
@given(oplogs())
def test_index_status_matches_summarize(entries: list[OplogEntry]) -> None:
    index = OplogIndex("w")
    assert index.update(ListStore(entries)) == len(entries)  # type: ignore[arg-type]
    expected = summarize(entries)
    assert index.status() == expected.status
    assert index.trailing_errors() == trailing_error_count(entries) == expected.trailing_errors
    err = index.last_error()
    last_error = None if err is None else entries[err - 1]
    assert (last_error.error if isinstance(last_error, Error) else None) == expected.last_error
    policy = index.last_retry_policy()
    last_policy = None if policy is None else entries[policy - 1]
    assert (last_policy.max_attempts if isinstance(last_policy, ChangeRetryPolicy) else None) == (
        None if expected.retry_policy is None else expected.retry_policy["max_attempts"])


@settings(max_examples=100, deadline=None)
@given(oplogs(), st.integers(1, 40))
def test_incremental_updates_equal_one_pass(entries: list[OplogEntry], cut: int) -> None:
    whole = OplogIndex("w")
    whole.update(ListStore(entries))  # type: ignore[arg-type]
    parts = OplogIndex("w")
    parts.update(ListStore(entries[:cut]))  # type: ignore[arg-type]
    parts.update(ListStore(entries))  # type: ignore[arg-type]
    assert parts.kinds == whole.kinds and parts.status() == whole.status()
    assert parts.brackets(1, len(entries)) == whole.brackets(1, len(entries))


def test_sample_brackets(sample_db: Path) -> None:
    with SqliteStore(sample_db, readonly=True) as store:
        index = OplogIndex("shop")
        index.update(store, chunk=4)
    assert index.length == 25
    b = index.brackets(1, 25)
    assert b["invocation"] == [Region(2, 12), Region(13, 20), Region(21, None)]
    assert b["atomic"] == [Region(5, 7)]
    assert b["remote-write"] == [Region(8, 11)]
    assert b["persist-nothing"] == [Region(15, 17)]
    assert b["skipped"] == [Region(16, 18)]
    assert index.brackets(13, 14)["atomic"] == []
    assert [index.is_skipped(i) for i in (15, 16, 18, 19)] == [False, True, True, False]
    assert index.invocation_of(10) == 2 and index.invocation_of(25) == 21 and index.invocation_of(1) is None
    assert (index.status(), index.trailing_errors(), index.last_error()) == ("retrying", 2, 25)
    assert list(index.matching_kinds({"error", "jump"})) == [18, 23, 25]
    assert list(index.matching_kinds({"error"}, 20, 24)) == [23]
