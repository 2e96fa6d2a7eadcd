"""Follow mode tails a worker another thread or process appends to; the TUI never writes the database."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.errors import OplogError
from emulator.oplog.entries import Log
from emulator.oplog.store import SqliteStore
from tests.tui.harness import make_app, oplog_screen, run_app, screen_text, settle


def _append_logs(db: Path, batches: int, per_batch: int, pause: float) -> None:
    with SqliteStore(db) as store:
        for _ in range(batches):
            first = store.last_index("shop") + 1
            store.append("shop", first, [Log(level="stdout", context="", message=f"line {first + n}")
                                         for n in range(per_batch)])
            time.sleep(pause)


def test_follow_tails_a_worker_another_thread_appends_to(sample_db: Path) -> None:
    app = make_app(sample_db, follow=True)
    writer = threading.Thread(target=_append_logs, args=(sample_db, 6, 10, 0.15))

    async def body(pilot: Any) -> None:
        screen = oplog_screen(app)
        assert screen.following and screen.table.current_index() == 25
        writer.start()
        await settle(pilot, lambda: screen.source.last == 85 and screen.table.current_index() == 85)
        await pilot.pause()
        assert "line 85" in screen_text(app) and "following" in screen_text(app)
        with screen.source.index.lock:
            assert screen.source.index.length == 85  # the index keeps up too
        await pilot.press("f")  # stop following: new entries no longer move the cursor
        assert not screen.following

    run_app(app, body, size=(120, 20))
    writer.join()


def test_follow_with_a_filter_and_a_writer_process(sample_db: Path) -> None:
    app = make_app(sample_db)
    script = (
        "import sys, time\n"
        "from emulator.oplog.entries import Error, Log\n"
        "from emulator.oplog.store import SqliteStore\n"
        "with SqliteStore(sys.argv[1]) as s:\n"
        "    for n in range(5):\n"
        "        s.append('shop', s.last_index('shop') + 1, [Log(level='stdout', context='', message='tick'),\n"
        "                                                   Error(error=f'crash {n}')])\n"
        "        time.sleep(0.1)\n"
    )

    async def body(pilot: Any) -> None:
        screen = oplog_screen(app)
        await pilot.press("slash", *"kind:error", "enter", "f")
        await settle(pilot, lambda: screen.source.filter_complete and screen.source.row_count() == 2)
        proc = subprocess.Popen([sys.executable, "-c", script, str(sample_db)])
        await settle(pilot, lambda: proc.poll() is not None and screen.source.last == 35
                     and screen.source.row_count() == 7, timeout=30)
        assert proc.returncode == 0
        assert screen.table.current_index() == 35  # the last error, as the view is filtered
        assert "crash 4" in screen_text(app)

    run_app(app, body)


def _digest(db: Path) -> str:
    parts = [p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists()]
    return hashlib.sha256(b"".join(parts)).hexdigest()


def test_the_tui_never_writes_the_database(sample_db: Path, tmp_path: Path) -> None:
    before = _digest(sample_db)
    app = make_app(sample_db, worker=None, export_dir=tmp_path)
    assert app.store.readonly

    async def body(pilot: Any) -> None:
        await pilot.press("enter")
        screen = oplog_screen(app)
        await pilot.press("j", "enter", "G", "slash", *"error", "enter", "f", "e", "c", "escape", "escape")
        await settle(pilot, lambda: any(tmp_path.glob("*.json")))
        await settle(pilot, lambda: screen.source.index.length == screen.source.last)
        with pytest.raises(OplogError, match="read-only"):
            app.store.append("shop", 26, [Log(level="stdout", context="", message="x")])

    run_app(app, body)
    assert _digest(sample_db) == before
