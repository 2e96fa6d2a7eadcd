"""SVG snapshots of the TUI with a frozen clock, compared with the files in tests/tui/snapshots/.

After an intended change of the look, regenerate them with ``GOLEM_EMU_UPDATE_SNAPSHOTS=1 pytest tests/tui``
and look at the new SVGs (a browser shows them) before committing. A mismatch leaves ``<name>.actual.svg`` in
pytest's temporary directory and names it in the failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import SelectionList

from tests.tui.harness import make_app, oplog_screen, run_app, settle

SNAPSHOTS = Path(__file__).parent / "snapshots"
SIZE = (110, 30)


def _normalize(svg: str) -> str:
    # Rich names its CSS classes after a hash of the content ("terminal-1234-r5"); keep only what they style.
    return re.sub(r"\bterminal-\d+-", "terminal-", svg)


def _snapshot(name: str, db: Path, tmp_path: Path, steps: Callable[[Any, Any], Awaitable[None]],
              worker: str | None = "shop") -> None:
    app = make_app(db, worker=worker)
    shots: list[str] = []

    async def body(pilot: Any) -> None:
        await steps(pilot, app)
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        shots.append(app.export_screenshot(title="golem-emu"))

    run_app(app, body, size=SIZE)
    actual = _normalize(shots[0])
    path = SNAPSHOTS / f"{name}.svg"
    if os.environ.get("GOLEM_EMU_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path.name}; create it with GOLEM_EMU_UPDATE_SNAPSHOTS=1 and review it")
    if path.read_text(encoding="utf-8") != actual:
        out = tmp_path / f"{name}.actual.svg"
        out.write_text(actual, encoding="utf-8")
        pytest.fail(f"{name} looks different from {path}; see {out} "
                    "(if the change is intended: GOLEM_EMU_UPDATE_SNAPSHOTS=1)")


async def _indexed(pilot: Any, app: Any) -> None:
    screen = oplog_screen(app)
    await settle(pilot, lambda: screen.source.index.length == screen.source.last)


def test_oplog(sample_db: Path, tmp_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await _indexed(pilot, app)
        await pilot.press("j", "j", "j", "j")  # the cursor on the log line

    _snapshot("oplog", sample_db, tmp_path, steps)


def test_detail(sample_db: Path, tmp_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await _indexed(pilot, app)
        await pilot.press("colon", "9", "enter", "enter")

    _snapshot("detail", sample_db, tmp_path, steps)


def test_filtered(sample_db: Path, tmp_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await _indexed(pilot, app)
        await pilot.press("slash", *"error OR fn:now", "enter")
        await settle(pilot, lambda: oplog_screen(app).source.filter_complete)

    _snapshot("filtered", sample_db, tmp_path, steps)


def test_kind_picker(sample_db: Path, tmp_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await _indexed(pilot, app)
        await pilot.press("t")
        app.screen.query_one(SelectionList).select("error")

    _snapshot("kind_picker", sample_db, tmp_path, steps)


def test_workers(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(sample_db.parent.parent)  # the title names the data dir: keep it the same in every run

    async def steps(pilot: Any, app: Any) -> None:
        await settle(pilot, lambda: all(r["status"] for r in app.screen.rows))

    _snapshot("workers", Path("data") / "oplog.db", tmp_path, steps, worker=None)
