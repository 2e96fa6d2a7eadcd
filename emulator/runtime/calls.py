"""What a worker is asked to run (an export and its arguments, checked before anything is written), the hooks
crash injection has into it, and where the code it runs is kept."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from emulator import values
from emulator.oplog.entries import OplogEntry
from emulator.runtime import component_files
from emulator.runtime.engine import ExportedFunction, LoadedComponent


class CrashHooks(Protocol):
    """Where crash injection (emulator.chaos.points.Chaos) hooks into a worker: after each commit, before each
    host call's result is journaled. The runtime knows only this, not the chaos package."""

    def on_commit(self, worker: str, first_index: int, entries: Sequence[OplogEntry]) -> None:
        """A batch of entries starting at `first_index` became durable."""

    def before_persist(self, worker: str, index: int, function: str) -> None:
        """A live host call ran; its entry would get `index`."""


@dataclass(frozen=True)
class PreparedCall:
    """An export and its arguments, parsed and re-printed as canonical WAVE: nothing left to reject."""

    export: ExportedFunction
    request: tuple[str, ...]


def prepare_call(loaded: LoadedComponent, function: str, args: Sequence[str]) -> PreparedCall:
    """Resolve `function` and parse its WAVE `args`; UsageError on bad input, before any oplog is touched."""
    export = loaded.find_export(function)
    parsed = values.parse_args(list(args), list(export.params), func_name=export.name)
    return PreparedCall(export, tuple(values.format(v, ty) for v, (_, ty) in zip(parsed, export.params, strict=True)))


def new_worker_name() -> str:
    """A name for a worker nobody named: a new UUID, as Golem's worker service picks one."""
    return str(uuid.uuid4())


def keep_component(loaded: LoadedComponent, components_dir: Path) -> Path:
    """Keep the exact wasm a worker runs under its hash, so later commands can load it without a path."""
    target = components_dir / f"{loaded.sha256}.wasm"
    component_files.share(loaded.path, target)
    return target
