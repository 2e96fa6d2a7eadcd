"""``Oplog``: one worker's oplog with Golem's buffering semantics (golem-semantics.md §2).

``add`` assigns the index at once and buffers the entry; ``commit`` makes the buffer durable in one
transaction. Reads see buffered entries too, exactly as Golem's ``PrimaryOplog`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from emulator.errors import WorkerNotFound
from emulator.oplog.entries import Create, OplogEntry
from emulator.oplog.store import OplogStore

__all__ = ["MAX_OPERATIONS_BEFORE_COMMIT", "Oplog"]

MAX_OPERATIONS_BEFORE_COMMIT = 128
"""Golem's ``max_operations_before_commit`` default: more buffered entries than this trigger a commit."""


class Oplog:
    """The oplog of one worker: index assignment, buffering, commit, and reads across store and buffer."""

    def __init__(
        self, store: OplogStore, worker: str, *, max_buffered: int = MAX_OPERATIONS_BEFORE_COMMIT
    ) -> None:
        last = store.last_index(worker)
        if last == 0:
            raise WorkerNotFound(f"no worker named {worker!r}; create it first (e.g. with Oplog.create)")
        self.store = store
        self.worker = worker
        self.max_buffered = max_buffered
        self._committed = last
        self._buffer: list[OplogEntry] = []
        # Crash-injection hook: (index of the batch's first entry, the batch) after each durable commit.
        self.on_commit: Callable[[int, Sequence[OplogEntry]], None] | None = None

    @classmethod
    def create(
        cls, store: OplogStore, create_entry: Create, *, max_buffered: int = MAX_OPERATIONS_BEFORE_COMMIT
    ) -> Oplog:
        """Create the worker named by ``create_entry`` (index 1, committed) and return its oplog."""
        store.create_worker(create_entry.worker_name, create_entry)
        return cls(store, create_entry.worker_name, max_buffered=max_buffered)

    def add(self, entry: OplogEntry) -> int:
        """Buffer ``entry`` and return its index; commits when more than ``max_buffered`` are pending."""
        self._buffer.append(entry)
        index = self._committed + len(self._buffer)
        if len(self._buffer) > self.max_buffered:
            self.commit()
        return index

    def commit(self) -> None:
        """Make the buffered entries durable in one transaction (OplogConflict if another process wrote)."""
        if not self._buffer:
            return
        # On failure the buffer is kept: the indices handed out stay valid and nothing is silently lost.
        first = self._committed + 1
        self.store.append(self.worker, first, self._buffer)
        self._committed += len(self._buffer)
        batch = self._buffer
        self._buffer = []
        if self.on_commit is not None:
            self.on_commit(first, batch)

    def add_and_commit(self, entry: OplogEntry) -> int:
        """``add`` then ``commit``; returns the entry's index."""
        index = self.add(entry)
        self.commit()
        return index

    def current_index(self) -> int:
        """Index of the last added entry, buffered or not."""
        return self._committed + len(self._buffer)

    def committed_index(self) -> int:
        """Index of the last durable entry."""
        return self._committed

    def pending(self) -> int:
        """How many entries are buffered, not yet durable."""
        return len(self._buffer)

    def entry(self, index: int) -> OplogEntry:
        """The entry at ``index``, buffered or not; IndexError past the current index."""
        if index > self._committed:
            offset = index - self._committed - 1
            if offset >= len(self._buffer):
                last = self.current_index()
                raise IndexError(f"worker {self.worker!r} has no oplog entry {index} (last is {last})")
            return self._buffer[offset]
        if index < 1:
            raise IndexError(f"oplog indices start at 1, got {index}")
        return self.store.entry(self.worker, index)

    def read(self, start: int = 1, end: int | None = None) -> list[tuple[int, OplogEntry]]:
        """Entries ``start..=end`` (``end`` None: to the current index), buffered ones included."""
        last = self.current_index() if end is None else min(end, self.current_index())
        committed = self._committed
        result = self.store.read(self.worker, start, min(last, committed)) if start <= committed else []
        buffer = self._buffer
        result.extend((i, buffer[i - committed - 1]) for i in range(max(start, committed + 1), last + 1))
        return result
