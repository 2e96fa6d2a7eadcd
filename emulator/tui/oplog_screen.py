"""One worker's oplog: the virtualized table, the detail pane, filters, follow mode, export and copy."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from emulator.errors import EmulatorError
from emulator.inspect import export
from emulator.inspect.facts import replicas
from emulator.inspect.index import KINDS
from emulator.oplog import names
from emulator.tui.kind_picker import KindPicker
from emulator.tui.messages import (
    EntryHighlighted,
    EntryOpened,
    ExportFinished,
    FilterProgress,
    IndexProgress,
    OplogGrew,
    TableResized,
)
from emulator.tui.rows import header
from emulator.tui.source import OplogSource
from emulator.tui.widgets.entry_detail import EntryDetail
from emulator.tui.widgets.oplog_table import OplogTable
from emulator.tui.widgets.prompt_bar import PromptBar
from emulator.tui.widgets.replica_panel import ReplicaPanel
from emulator.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from emulator.tui.app import OplogApp

__all__ = ["OplogScreen"]

POLL_SECONDS = 0.5
"""How often follow mode looks for new entries."""


class OplogScreen(Screen[None]):
    """The oplog of one worker, read-only, as a table you can filter, search, follow and export."""

    BINDINGS = [
        Binding("escape", "back", "back"),
        Binding("slash", "search", "search"),
        Binding("colon", "jump", "jump to #"),
        Binding("t", "kinds", "kinds"),
        Binding("f", "follow", "follow"),
        Binding("e", "export", "export"),
        Binding("c", "copy", "copy cmd"),
        Binding("n", "noise", "noise"),
    ]

    def __init__(self, source: OplogSource, *, follow: bool = False, fold_noise: bool = True) -> None:
        super().__init__()
        self.source = source
        self._fold_at_start = fold_noise
        self.following = follow
        self._poll_timer: Timer | None = None
        self._last_progress = 0.0

    @property
    def oplog_app(self) -> OplogApp:
        """The app, typed."""
        from emulator.tui.app import OplogApp

        assert isinstance(self.app, OplogApp)
        return self.app

    def compose(self) -> ComposeResult:
        """Header, table and detail side by side, replica panel, prompt, status line, key footer."""
        yield Static("", id="oplog-header")
        with Horizontal(id="oplog-body"):
            yield OplogTable(self.source, id="oplog-table")
            yield EntryDetail(self.source, id="detail")
        yield ReplicaPanel(id="replicas")
        yield PromptBar(id="prompt")
        yield StatusLine(id="status")
        yield Footer()

    @property
    def table(self) -> OplogTable:
        """The oplog table."""
        return self.query_one(OplogTable)

    @property
    def detail(self) -> EntryDetail:
        """The detail pane."""
        return self.query_one(EntryDetail)

    def on_mount(self) -> None:
        """Focus the table, start polling if following, and index the oplog once the first screen is up."""
        self.query_one(PromptBar).display = False
        self.query_one(ReplicaPanel).show_replicas(self._replicas())
        self.table.focus()
        if self.following:
            self.table.cursor = max(0, self.source.row_count() - 1)
        self._poll_timer = self.set_interval(POLL_SECONDS, self._poll_tick, pause=not self.following)
        if self._fold_at_start and not self.source.fold_noise:
            self.source.fold_noise = True
            self._apply_filter(self.source.kinds, None if self.source.query is None else self.source.query.text)
        self.update_status()
        self.call_after_refresh(self._index)  # the first screen comes before the index pass

    def _replicas(self) -> list[dict[str, object]]:
        return replicas(self.oplog_app.store, self.source.worker, self.source.last)

    # -- background work ------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="index")
    def _index(self) -> None:
        total = self.source.last

        def progress(indexed: int) -> None:
            now = time.monotonic()
            if now - self._last_progress > 0.2:
                self._last_progress = now
                self.post_message(IndexProgress(indexed, total, False))

        self.source.index.update(self.source.store, chunk=4096, progress=progress,
                                 stop=lambda: not self.is_attached)
        self.post_message(IndexProgress(self.source.index.length, total, True))

    def on_index_progress(self, message: IndexProgress) -> None:
        """Redraw brackets and dimming as the index grows."""
        self.table.refresh_rows()
        self.update_status()

    @work(thread=True, exclusive=True, group="filter")
    def _filter(self) -> None:
        last = time.monotonic()
        while self.source.filter_step():
            if time.monotonic() - last > 0.1:
                last = time.monotonic()
                self.post_message(FilterProgress(False))
        self.post_message(FilterProgress(True))

    def on_filter_progress(self, message: FilterProgress) -> None:
        """Show the rows the filter found so far."""
        self.table.refresh_rows()
        self.update_status()

    def _poll_tick(self) -> None:
        self._poll()

    @work(thread=True, exclusive=True, group="poll")
    def _poll(self) -> None:
        added = self.source.poll()
        if added:
            self.post_message(OplogGrew(added))

    def on_oplog_grew(self, message: OplogGrew) -> None:
        """Take in entries another process appended (and follow them if following)."""
        self.table.refresh_rows(keep_end=self.following)
        self._update_header()
        self.query_one(ReplicaPanel).show_replicas(self._replicas())
        self.update_status()

    # -- display --------------------------------------------------------------------------------------------

    def _update_header(self) -> None:
        self.query_one("#oplog-header", Static).update(header(self.table.columns()))

    def on_table_resized(self, message: TableResized) -> None:
        """Realign the header with the table's columns."""
        self._update_header()

    def update_status(self) -> None:
        """Redraw the status line."""
        with self.source.index.lock:
            indexed = self.source.index.length
        self.query_one(StatusLine).show_state(
            worker=self.source.worker, rows=self.source.row_count(), total=self.source.last,
            cursor=self.table.current_index(), filter_text=self.source.filter_text(),
            filter_done=self.source.filter_complete, following=self.following, indexed=indexed,
            folded=self.source.folded if self.source.fold_noise else None)

    def on_entry_highlighted(self, message: EntryHighlighted) -> None:
        """Keep the detail pane and the status line on the cursor's entry."""
        if self.detail.display:
            self.detail.show(message.index)
        self.update_status()

    def on_entry_opened(self, message: EntryOpened) -> None:
        """Open the detail pane on an entry."""
        self.detail.display = True
        self.detail.show(message.index)

    # -- actions --------------------------------------------------------------------------------------------

    def action_back(self) -> None:
        """Close the detail pane, else clear the filters, else go back to the worker list."""
        if self.detail.display:
            self.detail.display = False
        elif self.source.filtered:
            self._apply_filter(None, None)
        elif len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_search(self) -> None:
        """Ask for a query (empty: no query)."""
        self.query_one(PromptBar).ask("query", "" if self.source.query is None else self.source.query.text)

    def action_jump(self) -> None:
        """Ask for an oplog index to move to."""
        self.query_one(PromptBar).ask("jump")

    def on_prompt_bar_answered(self, message: PromptBar.Answered) -> None:
        """Apply a query or jump to an index."""
        self.table.focus()
        if message.mode == "jump":
            if message.value:
                self.table.go_to_index(int(message.value))
        else:
            self._apply_filter(self.source.kinds, message.value or None)

    def on_prompt_bar_cancelled(self, message: PromptBar.Cancelled) -> None:
        """Give the keys back to the table."""
        self.table.focus()

    def action_kinds(self) -> None:
        """Pick the kinds to show."""
        index = self.source.index
        with index.lock:
            complete = index.length >= self.source.last
            counts = {k: index.counts[n] for n, k in enumerate(KINDS)} if complete else None

        def picked(kinds: frozenset[str] | None) -> None:
            if kinds is not None:
                self._apply_filter(kinds or None, None if self.source.query is None else self.source.query.text)

        self.app.push_screen(KindPicker(counts, self.source.kinds), picked)

    def _apply_filter(self, kinds: frozenset[str] | None, query: str | None) -> None:
        at = self.table.current_index()
        try:
            self.source.set_filter(kinds, query)
        except EmulatorError as e:
            self.notify(str(e), title="query", severity="error", timeout=8)
            return
        if self.source.narrowed:
            while self.source.filter_step(budget=2048) and self.source.row_count() < 200:
                pass  # fill the first screen at once; the rest comes in the background
            self._filter()
        self.table.refresh_rows()
        if at is not None:
            self.table.go_to_index(at)
        self.update_status()

    def action_noise(self) -> None:
        """Show the runtime-noise entries (randomness and clock reads) folded out of the view, or fold them."""
        at = self.table.current_index()
        self.source.set_fold_noise(not self.source.fold_noise)
        if self.source.narrowed:
            while self.source.filter_step(budget=2048) and self.source.row_count() < 200:
                pass
            self._filter()
        self.table.refresh_rows()
        if at is not None:
            self.table.go_to_index(at)
        self.update_status()

    def action_follow(self) -> None:
        """Toggle follow mode: poll for new entries and keep the cursor on the last one."""
        self.following = not self.following
        if self._poll_timer is not None:
            if self.following:
                self._poll_timer.resume()
                self._poll()
                self.table.action_bottom()
            else:
                self._poll_timer.pause()
        self.update_status()

    def action_copy(self) -> None:
        """Copy the `golem-emu oplog` command that prints this view."""
        command = self.source.cli_command(self.oplog_app.db_path.parent)
        self.app.copy_to_clipboard(command)
        self.notify(command, title="copied")

    def action_export(self) -> None:
        """Write the current view to a JSON file in the export directory."""
        stamp = datetime.fromtimestamp(self.oplog_app.clock(), tz=UTC).strftime("%Y%m%d-%H%M%S")
        path = self.oplog_app.export_dir / f"{names.file_stem(self.source.worker)}-oplog-{stamp}.json"
        self._export(path)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            count = export.write_entries(out, self.source.iter_view_entries(), "json")
        self.post_message(ExportFinished(path, count))

    def on_export_finished(self, message: ExportFinished) -> None:
        """Say where the export went."""
        self.notify(f"{message.count} entries → {message.path}", title="exported")
