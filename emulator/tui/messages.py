"""Messages the TUI's widgets and background workers send each other."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

__all__ = ["EntryHighlighted", "EntryOpened", "ExportFinished", "FilterProgress", "IndexProgress", "OplogGrew",
           "TableResized", "WorkerChosen", "WorkerIndexed"]


class WorkerChosen(Message):
    """The user picked a worker in the worker list."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class WorkerIndexed(Message):
    """A worker's index was built in the background (its status is known)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class TableResized(Message):
    """The oplog table changed width (its header must follow)."""


class EntryHighlighted(Message):
    """The oplog table's cursor moved to the entry at ``index``."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class EntryOpened(Message):
    """The user asked for the detail of the entry at ``index`` (enter)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class IndexProgress(Message):
    """The background index pass reached ``indexed`` of ``total`` entries (``done`` when finished)."""

    def __init__(self, indexed: int, total: int, done: bool) -> None:
        super().__init__()
        self.indexed = indexed
        self.total = total
        self.done = done


class FilterProgress(Message):
    """The background filter scan found more rows (``done`` when it has examined every entry)."""

    def __init__(self, done: bool) -> None:
        super().__init__()
        self.done = done


class OplogGrew(Message):
    """Follow mode saw ``added`` new entries."""

    def __init__(self, added: int) -> None:
        super().__init__()
        self.added = added


class ExportFinished(Message):
    """The view was written to ``path`` (``count`` entries)."""

    def __init__(self, path: Path, count: int) -> None:
        super().__init__()
        self.path = path
        self.count = count
