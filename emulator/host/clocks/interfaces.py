"""wasi:clocks wall-clock and monotonic-clock, journaled so replay sees the same times.

The monotonic clock is the host's CLOCK_MONOTONIC, which is system-wide: an instant recorded by one process
still means the same moment to the next process that replays it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from emulator.host import _convert as cv
from emulator.host import _resources as res
from emulator.host.context import HostContext
from emulator.host.io.objects import DeadlinePollable
from emulator.oplog.entries import READ_LOCAL


def _datetime(ns: int) -> Any:
    return cv.record(seconds=ns // 1_000_000_000, nanoseconds=ns % 1_000_000_000)


def wall_now(ctx: HostContext) -> Any:
    ns = ctx.durability.call("wall_clock::now", READ_LOCAL, None, time.time_ns)
    return _datetime(int(ns))


def wall_resolution(ctx: HostContext) -> Any:
    return _datetime(int(ctx.durability.call("wall_clock::resolution", READ_LOCAL, None, lambda: 1)))


def monotonic_now(ctx: HostContext) -> int:
    return int(ctx.durability.call("monotonic_clock::now", READ_LOCAL, None, time.monotonic_ns))


def monotonic_resolution(ctx: HostContext) -> int:
    return int(ctx.durability.call("monotonic_clock::resolution", READ_LOCAL, None, lambda: 1))


def subscribe_instant(ctx: HostContext, when: int) -> Any:
    # Not journaled (as in Golem): the instant came from a journaled reading, so it is already deterministic.
    return res.own(ctx, "pollable", DeadlinePollable(when))


def subscribe_duration(ctx: HostContext, duration: int) -> Any:
    # Golem journals the "now" the duration is added to and commits, so a replayed sleep ends at the same instant.
    now = int(ctx.durability.call("monotonic_clock::subscribe_duration", READ_LOCAL, None, time.monotonic_ns))
    if ctx.durability.is_live():
        ctx.oplog.commit()
    return res.own(ctx, "pollable", DeadlinePollable(now + duration))


WALL_CLOCK: dict[str, Callable[..., Any]] = {"now": wall_now, "resolution": wall_resolution}
MONOTONIC_CLOCK: dict[str, Callable[..., Any]] = {"now": monotonic_now, "resolution": monotonic_resolution}
# Only our own WASI can serve the pollables; wasmtime's built-in one keeps its own subscribe functions.
MONOTONIC_CLOCK_FULL: dict[str, Callable[..., Any]] = {
    **MONOTONIC_CLOCK, "subscribe-instant": subscribe_instant, "subscribe-duration": subscribe_duration,
}
