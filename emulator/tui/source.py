"""The TUI's view of one worker's oplog: rows on demand, filters, follow polling; no Textual in here.

Nothing holds the whole oplog: entries are read in short runs when rows become visible and kept in a bounded
LRU cache; the ``OplogIndex`` (a byte per entry) supplies kinds, brackets and skipped regions; a filtered view
is an array of matching indices, filled by ``filter_step`` a chunk at a time.
"""

from __future__ import annotations

import shlex
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

from emulator.inspect.index import OplogIndex
from emulator.inspect.noise import is_noise
from emulator.inspect.query import Query
from emulator.inspect.query import parse as parse_query
from emulator.oplog.entries import ExportedFunctionCompleted, ExportedFunctionInvoked, OplogEntry
from emulator.oplog.store import SqliteStore

__all__ = ["OplogSource"]

_GAP = 16  # indices this close together are fetched in one read


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Sorted indices grouped into ranges worth one read each (gaps of up to ``_GAP`` are read through)."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and i - runs[-1][1] <= _GAP:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


class OplogSource:
    """Rows of one worker's oplog for a virtualized table, optionally filtered by kinds and a query."""

    def __init__(self, store: SqliteStore, worker: str, index: OplogIndex | None = None,
                 cache_size: int = 4096) -> None:
        self.store = store
        self.worker = worker
        self.index = index if index is not None else OplogIndex(worker)
        self.last = store.last_index(worker)
        self.kinds: frozenset[str] | None = None
        self.query: Query | None = None
        self.fold_noise = False  # leave runtime noise (emulator.inspect.noise) out of the view
        self.folded = 0  # noise entries left out so far
        self._rows: array[int] | None = None  # None: every entry, row r is index r + 1
        self._filtered_to = 0  # the filter has examined entries 1..=_filtered_to
        self._cache: OrderedDict[int, OplogEntry] = OrderedDict()
        self._cache_size = cache_size
        self.lock = threading.RLock()
        self.entries_read = 0  # decoded for display (not counting the index pass), for the benchmark
        # Where processes died holding the worker (a side table beside the oplog), by the last durable index.
        self.crashes = {c.died_after: c for c in store.crashes(worker)}

    # -- rows -----------------------------------------------------------------------------------------------

    @property
    def filtered(self) -> bool:
        """Whether a kind filter or a query is active."""
        return self.kinds is not None or self.query is not None

    @property
    def narrowed(self) -> bool:
        """Whether the view leaves entries out (a filter, or folded noise): its rows come from filter_step."""
        return self._rows is not None

    @property
    def filter_complete(self) -> bool:
        """Whether the filter has examined every known entry."""
        return self._rows is None or self._filtered_to >= self.last

    def row_count(self) -> int:
        """How many rows the view has now."""
        with self.lock:
            return self.last if self._rows is None else len(self._rows)

    def index_at(self, row: int) -> int:
        """The oplog index shown at ``row`` (0-based)."""
        with self.lock:
            return row + 1 if self._rows is None else self._rows[row]

    def row_of(self, index: int) -> int:
        """The row showing ``index``, or the first row after it (clamped to the last row)."""
        with self.lock:
            if self._rows is None:
                row = index - 1
            else:
                row = bisect_left(self._rows, index)
            return max(0, min(row, self.row_count() - 1))

    def view_indices(self, chunk: int = 4096) -> Iterator[array[int]]:
        """The indices of the whole view, a chunk at a time (for export)."""
        count = self.row_count()
        for first in range(0, count, chunk):
            with self.lock:
                if self._rows is None:
                    yield array("q", range(first + 1, min(first + chunk, count) + 1))
                else:
                    yield self._rows[first:first + chunk]

    def iter_view_entries(self) -> Iterator[tuple[int, OplogEntry]]:
        """Every entry of the view, read in runs straight from the store (the cache is left alone)."""
        for chunk in self.view_indices():
            wanted = set(chunk)
            for first, last in _runs(list(chunk)):
                for i, e in self.store.iter_entries(self.worker, first, last):
                    if i in wanted:
                        yield i, e

    # -- entries --------------------------------------------------------------------------------------------

    def entry(self, index: int) -> OplogEntry:
        """The entry at ``index``, from the cache or the store."""
        with self.lock:
            hit = self._cache.get(index)
            if hit is not None:
                self._cache.move_to_end(index)
                return hit
        self.fetch([index])
        with self.lock:
            return self._cache[index]

    def fetch(self, indices: list[int]) -> None:
        """Make sure ``indices`` (sorted) are cached, reading close ones together."""
        with self.lock:
            missing = [i for i in indices if i not in self._cache]
        for first, last in _runs(missing):
            got = self.store.read(self.worker, first, last)
            with self.lock:
                self.entries_read += len(got)
                for i, e in got:
                    self._cache[i] = e
                    self._cache.move_to_end(i)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)

    def prefetch(self, first_row: int, count: int) -> None:
        """Cache the entries of rows ``first_row..first_row+count`` (and their invocations' starts)."""
        last_row = min(first_row + count, self.row_count())
        indices = [self.index_at(r) for r in range(max(0, first_row), last_row)]
        self.fetch(indices)

    def cached(self) -> int:
        """How many decoded entries the cache holds."""
        return len(self._cache)

    def function_of(self, index: int, entry: OplogEntry) -> str:
        """The function an entry belongs to; a completion borrows it from its invocation's start."""
        name = getattr(entry, "function_name", None)
        if isinstance(name, str):
            return name
        if isinstance(entry, ExportedFunctionCompleted):
            with self.index.lock:
                start = self.index.invocation_of(index) if index <= self.index.length else None
            if start is not None:
                started = self.entry(start)
                if isinstance(started, ExportedFunctionInvoked):
                    return started.function_name
        return ""

    # -- filters --------------------------------------------------------------------------------------------

    def set_filter(self, kinds: frozenset[str] | None, query: str | None) -> None:
        """Filter the view by kinds and a query (None: no such filter); QueryError for a bad query."""
        compiled = parse_query(query) if query else None
        with self.lock:
            self.kinds = kinds or None
            self.query = compiled
            self._rows = None if self.kinds is None and compiled is None and not self.fold_noise else array("q")
            self._filtered_to = 0
            self.folded = 0

    def set_fold_noise(self, fold: bool) -> None:
        """Fold runtime noise out of the view, or show it again; the filters stay as they are."""
        with self.lock:
            self.fold_noise = fold
            kinds, query = self.kinds, self.query
        self.set_filter(kinds, None if query is None else query.text)

    def filter_step(self, budget: int = 4096) -> bool:
        """Examine up to ``budget`` more entries for the filter; False once every known entry is examined."""
        with self.lock:
            if self._rows is None or self._filtered_to >= self.last:
                return False
            first, last = self._filtered_to + 1, min(self._filtered_to + budget, self.last)
            kinds, query, fold = self.kinds, self.query, self.fold_noise
        folded = 0
        if query is None and kinds is not None and not fold and self.index.length >= last:
            with self.index.lock:  # kinds alone: the index answers without reading entries
                found = list(self.index.matching_kinds(set(kinds), first, last))
        else:
            found = []
            for i, e in self.store.iter_entries(self.worker, first, last, chunk=budget):
                if fold and is_noise(e):
                    folded += 1
                elif (kinds is None or e.kind in kinds) and (query is None or query.matches(i, e)):
                    found.append(i)
        with self.lock:
            if self._rows is None or (kinds, query, fold) != (self.kinds, self.query, self.fold_noise):
                return False  # the filter changed meanwhile
            if self._filtered_to != first - 1:  # another thread examined these entries first
                return self._filtered_to < self.last
            self._rows.extend(found)
            self.folded += folded
            self._filtered_to = last
            return self._filtered_to < self.last

    def filter_text(self) -> str | None:
        """The whole filter as one query (kinds and query combined), None without a filter."""
        parts = []
        if self.kinds:
            parts.append("kind:" + (next(iter(self.kinds)) if len(self.kinds) == 1
                                    else "(" + " OR ".join(sorted(self.kinds)) + ")"))
        if self.query is not None:
            parts.append(f"({self.query.text})" if self.kinds else self.query.text)
        return " AND ".join(parts) if parts else None

    def cli_command(self, data_dir: Path) -> str:
        """The `golem-emu oplog` command line that prints this view."""
        words = ["golem-emu", "--data-dir", str(data_dir), "oplog", self.worker]
        text = self.filter_text()
        if text:
            words += ["--query", text]
        return shlex.join(words)

    # -- follow ---------------------------------------------------------------------------------------------

    def poll(self) -> int:
        """Pick up entries another process appended; returns how many are new. Safe from a thread."""
        last = self.store.last_index(self.worker)
        with self.lock:
            added = last - self.last
            if added <= 0:
                return 0
            self.last = last
        self.crashes = {c.died_after: c for c in self.store.crashes(self.worker)}  # a resume may have added one
        if self.index.length >= last - added:  # keep an up-to-date index current; a first pass catches up itself
            self.index.update(self.store)
        while self.filter_step():
            pass
        return added
