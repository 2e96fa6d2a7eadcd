"""The incremental status fold gives exactly what a fold of the whole oplog gives."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.lifecycle.status import SummaryCache, summarize
from emulator.oplog.entries import OplogEntry
from tests.tui.test_oplog_index import oplogs


@settings(max_examples=300, deadline=None)
@given(oplogs(), st.lists(st.integers(1, 45), max_size=6))
def test_incremental_summary_equals_full_fold(entries: list[OplogEntry], cuts: list[int]) -> None:
    cache = SummaryCache()
    reads: list[tuple[int, int]] = []

    def read(start: int, end: int) -> list[OplogEntry]:
        reads.append((start, end))
        return entries[start - 1:end]

    for cut in [*sorted(min(c, len(entries)) for c in cuts), len(entries)]:
        got = cache.get(cut, read)
        assert dataclasses.asdict(got) == dataclasses.asdict(summarize(entries[:cut]))


def test_appends_without_jumps_read_only_the_new_entries() -> None:
    from emulator.oplog.entries import Create, ExportedFunctionCompleted, ExportedFunctionInvoked

    entries: list[OplogEntry] = [Create(worker_name="w", component="c", component_hash="0")]
    cache = SummaryCache()
    reads: list[tuple[int, int]] = []

    def read(start: int, end: int) -> list[OplogEntry]:
        reads.append((start, end))
        return entries[start - 1:end]

    cache.get(1, read)
    entries += [ExportedFunctionInvoked(function_name="f", request=(), idempotency_key="k"),
                ExportedFunctionCompleted(response="1")]
    summary = cache.get(3, read)
    assert reads == [(1, 1), (2, 3)]
    assert summary.status == "idle" and summary.invocations["k"].response == "1"
