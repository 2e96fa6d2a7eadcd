"""The TUI driven by Pilot: navigation keys, the detail pane, jump, search, kind filter, copy and export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import SelectionList

from emulator.tui.kind_picker import KindPicker
from emulator.tui.widgets.replica_panel import ReplicaPanel
from emulator.tui.workers_screen import WorkersScreen
from tests.replica_files import hold
from tests.tui.harness import make_app, oplog_screen, run_app, screen_text, settle


def test_first_screen_shows_rows_brackets_and_status(sample_db: Path) -> None:
    app = make_app(sample_db)

    async def body(pilot: Any) -> None:
        screen = oplog_screen(app)
        await settle(pilot, lambda: screen.source.index.length == 25)
        await pilot.pause()
        text = screen_text(app)
        assert "IAWPS" in text and "summary" in text  # the header with the lanes
        assert "shop:cart/api.{add}" in text and "wasi:clocks/wall-clock::now" in text
        assert "│┌      5 " in text  # inside an invocation, an atomic region opens at #5
        assert "adding [bold]5[/bold] items" in text  # payload text is never taken for markup
        assert "#1  25 entries" in text

    run_app(app, body)


def test_keys_move_the_cursor(sample_db: Path) -> None:
    app = make_app(sample_db)

    async def body(pilot: Any) -> None:
        table = oplog_screen(app).table
        await pilot.press("j", "j", "down")
        assert table.current_index() == 4
        await pilot.press("k")
        assert table.current_index() == 3
        await pilot.press("G")
        assert table.current_index() == 25
        await pilot.press("g")
        assert table.current_index() == 1
        await pilot.press("end", "up", "home")
        assert table.current_index() == 1

    run_app(app, body, size=(120, 12))


def test_enter_shows_the_decoded_entry_and_esc_walks_back(sample_db: Path) -> None:
    app = make_app(sample_db)

    async def body(pilot: Any) -> None:
        screen = oplog_screen(app)
        await pilot.press("colon", "9", "enter")
        assert screen.table.current_index() == 9
        await pilot.press("enter")
        assert screen.detail.display and screen.detail.index == 9
        text = screen_text(app)
        assert "request (JSON)" in text and '"method": "POST"' in text and '"status": 200' in text
        assert "in invocation #2 shop:cart/api.{add}" in text
        await pilot.press("j", "j", "j")  # the detail follows the cursor
        assert screen.detail.index == 12
        assert "response (WAVE)" in screen_text(app) and 'items: ["sku-1"]' in screen_text(app)
        await pilot.press("escape")
        assert not screen.detail.display
        await pilot.press("escape")  # nothing filtered: back to the worker list
        assert isinstance(app.screen, WorkersScreen)

    run_app(app, body)


def test_search_filters_the_view_and_esc_clears_it(sample_db: Path) -> None:
    app = make_app(sample_db)

    async def body(pilot: Any) -> None:
        screen = oplog_screen(app)
        await pilot.press("slash", *"fn:now", "enter")
        await settle(pilot, lambda: screen.source.filter_complete)
        assert [screen.source.index_at(r) for r in range(screen.source.row_count())] == [3, 16, 19]
        assert "3 of 25 match fn:now" in screen_text(app)
        await pilot.press("G")
        assert screen.table.current_index() == 19
        await pilot.press("escape")
        assert screen.source.row_count() == 25 and screen.table.current_index() == 19

    run_app(app, body)


def test_a_bad_query_is_reported_and_keeps_the_view(sample_db: Path) -> None:
    app = make_app(sample_db)

    async def body(pilot: Any) -> None:
        screen = oplog_screen(app)
        await pilot.press("slash", *"a AND", "enter")
        assert not screen.source.filtered
        assert any("keyword AND" in n.message for n in app._notifications)

    run_app(app, body)


def test_kind_filter(sample_db: Path) -> None:
    app = make_app(sample_db)

    async def body(pilot: Any) -> None:
        screen = oplog_screen(app)
        await settle(pilot, lambda: screen.source.index.length == 25)
        await pilot.press("t")
        picker = app.screen
        assert isinstance(picker, KindPicker)
        options = picker.query_one(SelectionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "error (2)" in prompts and "create-resource (0)" not in prompts
        options.select("error")
        options.select("jump")
        await pilot.press("enter")
        await settle(pilot, lambda: screen.source.filter_complete)
        assert [screen.source.index_at(r) for r in range(screen.source.row_count())] == [18, 23, 25]
        await pilot.press("c")
        assert app.clipboard.endswith("oplog shop --query 'kind:(error OR jump)'")

    run_app(app, body)


def test_copy_gives_the_equivalent_cli_command(sample_db: Path) -> None:
    app = make_app(sample_db)

    async def body(pilot: Any) -> None:
        await pilot.press("c")
        assert app.clipboard == f"golem-emu --data-dir {sample_db.parent} oplog shop"
        await pilot.press("slash", *"level:stderr", "enter", "c")
        assert app.clipboard.endswith("oplog shop --query level:stderr")

    run_app(app, body)


def test_export_writes_the_current_view(sample_db: Path, tmp_path: Path) -> None:
    app = make_app(sample_db, export_dir=tmp_path / "exports")

    async def body(pilot: Any) -> None:
        screen = oplog_screen(app)
        await pilot.press("slash", *"imported-function", "enter")
        await settle(pilot, lambda: screen.source.filter_complete)
        await pilot.press("e")
        await settle(pilot, lambda: any((tmp_path / "exports").glob("*.json")))

    run_app(app, body)
    (path,) = (tmp_path / "exports").glob("*.json")
    assert path.name == "shop-oplog-20231114-221450.json"  # named after the frozen clock
    docs = json.loads(path.read_text())
    assert [d["index"] for d in docs] == [3, 6, 9, 10, 16, 19]
    assert {d["$type"] for d in docs} == {"imported-function-invoked"}


def test_worker_list_shows_statuses_and_opens_a_worker(sample_db: Path) -> None:
    app = make_app(sample_db, worker=None)

    async def body(pilot: Any) -> None:
        screen = app.screen
        assert isinstance(screen, WorkersScreen)
        await settle(pilot, lambda: all(r["status"] for r in screen.rows))
        text = screen_text(app)
        assert "retrying" in text and "idle" in text
        assert "1m ago" in text  # the frozen clock: shop's last entry was 86 s before it
        await pilot.press("j", "enter")  # "idle" is second
        assert oplog_screen(app).source.worker == "shop" or oplog_screen(app).source.worker == "idle"
        assert oplog_screen(app).source.worker == sorted(["idle", "shop"])[1]

    run_app(app, body)


def test_replica_panel_appears_only_with_replicas(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(sample_db)

    async def without(pilot: Any) -> None:
        assert not app.screen.query_one(ReplicaPanel).display

    run_app(app, without)
    hold(sample_db.parent, "shop", [21])  # a real replica file holding entries 1..21
    app = make_app(sample_db)

    async def with_one(pilot: Any) -> None:
        assert app.screen.query_one(ReplicaPanel).display
        row = next(line for line in screen_text(app).splitlines() if "replica-1" in line)
        assert row.replace("│", " ").split() == ["replica-1", "21", "4", "0", "ms"]  # 25 entries, replica at 21

    run_app(app, with_one)
