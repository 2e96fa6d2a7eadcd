"""The first screen: every worker; statuses fill in as their oplogs are indexed in the background."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from emulator.oplog.entries import Create
from emulator.tui.messages import WorkerChosen, WorkerIndexed
from emulator.tui.widgets.worker_list import WorkerList

if TYPE_CHECKING:
    from emulator.tui.app import OplogApp

__all__ = ["WorkersScreen"]


class WorkersScreen(Screen[None]):
    """A list of workers (status, oplog length, last activity); enter opens one."""

    BINDINGS = [Binding("r", "reload", "reload")]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []

    @property
    def oplog_app(self) -> OplogApp:
        """The app, typed."""
        from emulator.tui.app import OplogApp

        assert isinstance(self.app, OplogApp)
        return self.app

    def compose(self) -> ComposeResult:
        """Title, worker list, key footer."""
        yield Static("workers", id="workers-title")
        yield WorkerList(self.oplog_app.clock, id="workers")
        yield Footer()

    def on_screen_resume(self) -> None:
        """Refresh whenever the list comes (back) into view."""
        self.action_reload()

    def action_reload(self) -> None:
        """Re-read the worker list, then refresh statuses in the background."""
        store = self.oplog_app.store
        rows = []
        for name in store.worker_names():
            last = store.last_index(name)
            create = store.entry(name, 1)
            index = self.oplog_app.indexes.get(name)
            known = index is not None and index.length >= last
            rows.append({"name": name, "oplog_length": last, "last_activity": store.entry(name, last).timestamp,
                         "component": create.component if isinstance(create, Create) else "?",
                         "status": index.status() if known and index is not None else None})
        self.rows = rows
        self.query_one(WorkerList).set_workers(rows)
        self.query_one("#workers-title", Static).update(
            f"{len(rows)} workers in {self.oplog_app.db_path.parent}" if rows else "no workers yet")
        self._index_all([r["name"] for r in rows if r["status"] is None])

    @work(thread=True, exclusive=True, group="workers")
    def _index_all(self, names: list[str]) -> None:
        for name in names:
            index = self.oplog_app.index_for(name)
            index.update(self.oplog_app.store)
            self.post_message(WorkerIndexed(name))

    def on_worker_indexed(self, message: WorkerIndexed) -> None:
        """Fill in a worker's status once its index is built."""
        index = self.oplog_app.indexes[message.name]
        for r in self.rows:
            if r["name"] == message.name:
                with index.lock:
                    r["status"] = index.status()
                    r["oplog_length"] = max(r["oplog_length"], index.length)
                    r["last_activity"] = index.last_timestamp
        self.query_one(WorkerList).set_workers(self.rows)

    def on_worker_chosen(self, message: WorkerChosen) -> None:
        """Open the chosen worker's oplog."""
        self.oplog_app.open_worker(message.name)
