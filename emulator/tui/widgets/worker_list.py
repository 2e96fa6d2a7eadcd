"""The worker list: every worker with its status, oplog length and last activity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from emulator.inspect import render
from emulator.tui.messages import WorkerChosen

__all__ = ["WorkerList"]

_COLUMNS = ("worker", "status", "oplog", "last activity", "component")
_WIDTHS = {"status": 11, "last activity": 13}  # known up front: statuses arrive later, the layout must not jump


class WorkerList(DataTable[Text]):
    """A row per worker; enter (or a click) opens its oplog."""

    BINDINGS = [
        Binding("j", "cursor_down", "down", show=False),
        Binding("k", "cursor_up", "up", show=False),
        Binding("g", "scroll_top", "top", show=False),
        Binding("G", "scroll_bottom", "bottom", show=False),
    ]

    def __init__(self, clock: Callable[[], float], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.clock = clock

    def on_mount(self) -> None:
        """Create the columns."""
        for col in _COLUMNS:
            self.add_column(col, key=col, width=_WIDTHS.get(col))

    def set_workers(self, rows: list[dict[str, Any]]) -> None:
        """Show ``rows`` (name, status or None while unknown, oplog_length, last_activity, component)."""
        keep = self.cursor_row
        self.clear()
        now = self.clock()
        for r in rows:
            status = render.status_text(r["status"]) if r["status"] else Text("…", style="dim")
            self.add_row(Text(r["name"], style="bold"), status, Text(str(r["oplog_length"]), justify="right"),
                         Text(render.ago(r["last_activity"], now)), Text(r["component"]), key=r["name"])
        if rows:
            self.move_cursor(row=min(keep, len(rows) - 1))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Announce the chosen worker."""
        event.stop()
        if event.row_key.value is not None:
            self.post_message(WorkerChosen(event.row_key.value))
