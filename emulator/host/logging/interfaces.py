"""wasi:logging/logging: each live `log` call is a Log oplog entry, shown once like stdout (semantics §4.8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.host import _convert as cv
from emulator.host.cli.interfaces import emit_log
from emulator.host.context import HostContext


def log(ctx: HostContext, level: Any, context: str, message: str) -> None:
    name = cv.tag(level)  # an enum: a plain str from wasmtime-py
    shown = f"[{name}] {context}: {message}\n" if context else f"[{name}] {message}\n"
    emit_log(ctx, name, context, message, shown)


LOGGING: dict[str, Callable[..., Any]] = {"log": log}
