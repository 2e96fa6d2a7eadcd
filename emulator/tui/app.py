"""`golem-emu tui`: the Textual app that browses workers and their oplogs, read-only."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from emulator.inspect.index import OplogIndex
from emulator.oplog.store import SqliteStore
from emulator.tui.oplog_screen import OplogScreen
from emulator.tui.source import OplogSource
from emulator.tui.workers_screen import WorkersScreen

__all__ = ["OplogApp"]


class OplogApp(App[None]):
    """Workers and oplogs of one data directory; opens the database read-only and never writes to it.

    ``clock`` (seconds since the epoch) is injectable so that tests and snapshots see a frozen time.
    """

    CSS_PATH = "oplog.tcss"
    TITLE = "golem-emu"
    BINDINGS = [Binding("q", "quit", "quit")]

    def __init__(self, db_path: Path, *, worker: str | None = None, follow: bool = False,
                 export_dir: Path = Path("."), clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.db_path = db_path
        self.store = SqliteStore(db_path, readonly=True)
        self.start_worker = worker
        self.start_follow = follow
        self.export_dir = export_dir
        self.clock = clock
        self.indexes: dict[str, OplogIndex] = {}

    def index_for(self, name: str) -> OplogIndex:
        """The (shared, incrementally built) index of worker ``name``."""
        index = self.indexes.get(name)
        if index is None:
            index = self.indexes[name] = OplogIndex(name)
        return index

    def on_mount(self) -> None:
        """Start on the worker list, with the requested worker's oplog on top."""
        self.push_screen(WorkersScreen())
        if self.start_worker is not None:
            self.open_worker(self.start_worker, follow=self.start_follow)

    def open_worker(self, name: str, *, follow: bool = False) -> None:
        """Show the oplog of worker ``name``."""
        source = OplogSource(self.store, name, self.index_for(name))
        self.push_screen(OplogScreen(source, follow=follow))

    def on_unmount(self) -> None:
        """Close the read-only database."""
        self.store.close()
