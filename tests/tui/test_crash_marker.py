"""The TUI marks the entry after which a process died, and the process that resumed the worker."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from emulator.oplog.entries import Create
from emulator.oplog.store import Crash, SqliteStore
from emulator.tui.rows import Columns, row_text
from emulator.tui.source import OplogSource


def test_the_source_knows_where_a_process_died_and_the_row_says_so(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "o.db")
    store.create_worker("w", Create(worker_name="w", component="c", component_hash="ab" * 32, timestamp=1))
    store.record_crash("w", Crash(died_after=1, pid=111, resumed_by=222, at=5))
    source = OplogSource(store, "w")
    crash = source.crashes[1]
    assert (crash.pid, crash.resumed_by) == (111, 222)
    line = row_text(Columns.fit(160, 1), 1, store.entry("w", 1), "", Text("     "), skipped=False,
                    crash="✝ process 111 died here; 222 resumed")
    assert "process 111 died here; 222 resumed" in line.plain
    store.close()
