"""wasi:filesystem/preopens: the sandbox directory, preopened as "/" (the list of names is journaled)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.host import _resources as res
from emulator.host.context import HostContext
from emulator.host.filesystem.objects import PREOPEN, open_preopen
from emulator.oplog.entries import READ_LOCAL


def get_directories(ctx: HostContext) -> list[tuple[Any, str]]:
    """The preopened directories: "/" for the sandbox (the list of names is journaled, as Golem does)."""
    sandbox = ctx.sandbox
    names = ctx.durability.call(
        "cli::preopens::get_directories", READ_LOCAL, None, lambda: [] if sandbox is None else [PREOPEN],
    )
    if sandbox is None:
        return []
    return [(res.own(ctx, "descriptor", open_preopen(sandbox)), name) for name in names if name == PREOPEN]


PREOPENS: dict[str, Callable[..., Any]] = {"get-directories": get_directories}
