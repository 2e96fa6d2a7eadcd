"""Running the TUI headless in a test: the app, a Pilot, the screen as plain text."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from emulator.tui.app import OplogApp
from emulator.tui.oplog_screen import OplogScreen
from tests.tui.sample import FROZEN_NOW as FROZEN


def make_app(db: Path, worker: str | None = "shop", **kwargs: Any) -> OplogApp:
    """An app on ``db`` with a frozen clock."""
    kwargs.setdefault("clock", lambda: FROZEN)
    return OplogApp(db, worker=worker, **kwargs)


def run_app(app: OplogApp, body: Callable[[Any], Awaitable[None]], size: tuple[int, int] = (120, 32)) -> None:
    """Run ``app`` headless and await ``body(pilot)`` inside it."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await body(pilot)

    asyncio.run(main())


def screen_text(app: OplogApp) -> str:
    """What the terminal shows, as plain text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)


def oplog_screen(app: OplogApp) -> OplogScreen:
    """The current screen, which must be an oplog."""
    screen = app.screen
    assert isinstance(screen, OplogScreen), screen
    return screen


async def settle(pilot: Any, until: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until ``until()`` holds (background workers, timers)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not until():
        assert loop.time() < deadline, "the app did not get there in time"
        await pilot.pause(0.02)
