"""The TUI's data layer: rows map to indices, reads stay bounded, filters fill in steps, rows render right."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.errors import UsageError
from emulator.oplog.entries import Log
from emulator.oplog.store import SqliteStore
from emulator.tui.rows import Columns, gutter, header, row_text
from emulator.tui.source import OplogSource
from tests.tui.sample import build_sample


@pytest.fixture
def source(sample_db: Path) -> OplogSource:
    return OplogSource(SqliteStore(sample_db, readonly=True), "shop", cache_size=8)


def test_rows_map_to_indices_and_back(source: OplogSource) -> None:
    assert source.row_count() == 25 and source.index_at(0) == 1 and source.row_of(25) == 24
    source.set_filter(frozenset({"error", "jump"}), None)
    assert source.row_count() == 0 and not source.filter_complete
    while source.filter_step(budget=5):
        pass
    assert [source.index_at(r) for r in range(source.row_count())] == [18, 23, 25]
    assert source.row_of(20) == 1 and source.row_of(1) == 0 and source.row_of(99) == 2
    source.set_filter(None, None)
    assert not source.filtered and source.row_count() == 25


def test_reads_are_bounded_by_the_cache(source: OplogSource) -> None:
    source.prefetch(0, 5)
    assert source.entries_read == 5 and source.cached() == 5
    source.prefetch(0, 5)
    assert source.entries_read == 5  # all cached: nothing read again
    for idx in range(1, 26):
        source.entry(idx)
    assert source.cached() == 8  # the LRU bound, however much was visited


def test_kind_filter_uses_the_index_once_built(source: OplogSource) -> None:
    source.index.update(source.store)
    source.set_filter(frozenset({"log"}), None)
    before = source.entries_read
    while source.filter_step():
        pass
    assert [source.index_at(r) for r in range(source.row_count())] == [4, 24]
    assert source.entries_read == before  # answered from the kinds, no entry decoded


def test_query_filter_and_the_equivalent_command(source: OplogSource) -> None:
    source.set_filter(frozenset({"imported-function-invoked", "log"}), "now OR retrying")
    while source.filter_step(budget=3):
        pass
    assert [source.index_at(r) for r in range(source.row_count())] == [3, 16, 19, 24]
    assert source.filter_text() == "kind:(imported-function-invoked OR log) AND (now OR retrying)"
    assert source.cli_command(Path("/d d")) == (
        "golem-emu --data-dir '/d d' oplog shop --query 'kind:(imported-function-invoked OR log) AND "
        "(now OR retrying)'")
    with pytest.raises(UsageError):
        source.set_filter(None, "(")
    assert [i for i, _ in source.iter_view_entries()] == [3, 16, 19, 24]


def test_poll_picks_up_appended_entries_and_extends_the_filter(sample_db: Path, source: OplogSource) -> None:
    source.index.update(source.store)
    source.set_filter(None, "level:stdout")
    while source.filter_step():
        pass
    assert source.poll() == 0
    with SqliteStore(sample_db) as writer:
        writer.append("shop", 26, [Log(level="stdout", context="", message="a"),
                                   Log(level="stderr", context="", message="b")])
    assert source.poll() == 2
    assert source.last == 27 and source.index.length == 27
    assert [source.index_at(r) for r in range(source.row_count())] == [4, 26]


def test_function_of_a_completion_comes_from_its_invocation(source: OplogSource) -> None:
    source.index.update(source.store)
    assert source.function_of(12, source.entry(12)) == "shop:cart/api.{add}"
    assert source.function_of(4, source.entry(4)) == ""


def test_row_text_dims_skipped_entries_and_reds_errors(tmp_path: Path) -> None:
    build_sample(tmp_path / "oplog.db")
    with SqliteStore(tmp_path / "oplog.db", readonly=True) as store:
        src = OplogSource(store, "shop")
        src.index.update(store)
        cols = Columns.fit(120, 25)
        assert header(cols).cell_len == 120
        skipped = row_text(cols, 16, src.entry(16), "f", gutter(src.index, 16), skipped=True)
        assert skipped.cell_len == 120 and skipped.plain.startswith("│  │┌  16 ")
        assert any("strike" in str(span.style) for span in skipped.spans)
        error = row_text(cols, 23, src.entry(23), "", gutter(src.index, 23), skipped=False)
        assert any(str(span.style) == "bold red" for span in error.spans)
        assert not any("strike" in str(span.style) for span in error.spans)
        narrow = Columns.fit(40, 25)
        assert row_text(narrow, 1, src.entry(1), "", gutter(src.index, 1), skipped=False).cell_len <= 40
