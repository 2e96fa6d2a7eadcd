"""wasi:clocks wall-clock and monotonic-clock readings, journaled so replay sees the same times."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from emulator.host import _convert as cv
from emulator.host.context import HostContext
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


WALL_CLOCK: dict[str, Callable[..., Any]] = {"now": wall_now, "resolution": wall_resolution}
MONOTONIC_CLOCK: dict[str, Callable[..., Any]] = {"now": monotonic_now, "resolution": monotonic_resolution}
