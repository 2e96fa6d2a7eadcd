"""Rich renderables shared by the CLI and the TUI: one-line summaries and tables of oplog entries."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from rich.table import Table

from emulator.oplog.entries import (
    ChangePersistenceLevel,
    ChangeRetryPolicy,
    Create,
    EndAtomicRegion,
    EndRemoteWrite,
    Error,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    ImportedFunctionInvoked,
    Jump,
    Log,
    OplogEntry,
    Revert,
)

KIND_STYLES: dict[str, str] = {
    "create": "bold cyan",
    "exported-function-invoked": "bold green",
    "exported-function-completed": "green",
    "imported-function-invoked": "white",
    "error": "bold red",
    "jump": "magenta",
    "revert": "magenta",
    "suspend": "yellow",
    "interrupted": "yellow",
    "exited": "yellow",
    "log": "dim",
    "begin-atomic-region": "blue",
    "end-atomic-region": "blue",
    "begin-remote-write": "cyan",
    "end-remote-write": "cyan",
    "change-persistence-level": "bright_magenta",
}


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary(entry: OplogEntry) -> str:
    """A one-line human summary of what an entry records."""
    if isinstance(entry, Create):
        return f"{entry.worker_name} running {entry.component} ({entry.component_hash[:12]}, {entry.semantics})"
    if isinstance(entry, ExportedFunctionInvoked):
        return f"{entry.function_name}({', '.join(entry.request)})  key={entry.idempotency_key}"
    if isinstance(entry, ExportedFunctionCompleted):
        return "→ " + ("(no result)" if entry.response is None else _short(entry.response))
    if isinstance(entry, ImportedFunctionInvoked):
        resp = entry.response.get("ok") if isinstance(entry.response, dict) else entry.response
        return f"{entry.function_name} → {_short(resp)}"
    if isinstance(entry, Jump | Revert):
        return f"skip {entry.start}..={entry.end}"
    if isinstance(entry, EndAtomicRegion | EndRemoteWrite):
        return f"begin={entry.begin_index}"
    if isinstance(entry, Error):
        return _short(entry.error, 100)
    if isinstance(entry, ChangeRetryPolicy):
        return f"max-attempts={entry.max_attempts} min={entry.min_delay_ns // 1_000_000}ms ×{entry.multiplier}"
    if isinstance(entry, ChangePersistenceLevel):
        return entry.level
    if isinstance(entry, Log):
        return f"[{entry.level}] {_short(entry.message.rstrip(), 80)}"
    return ""


def timestamp(ms: int) -> str:
    """An entry's timestamp as UTC wall time with milliseconds."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%H:%M:%S.%f")[:-3]


def oplog_table(entries: Iterable[tuple[int, OplogEntry]], title: str | None = None) -> Table:
    """A rich table with one row per oplog entry."""
    table = Table(title=title, show_lines=False, header_style="bold")
    table.add_column("#", justify="right", style="dim")
    table.add_column("time", style="dim")
    table.add_column("kind")
    table.add_column("summary", overflow="fold")
    for idx, entry in entries:
        style = KIND_STYLES.get(entry.kind, "")
        table.add_row(str(idx), timestamp(entry.timestamp), f"[{style}]{entry.kind}[/]" if style else entry.kind,
                      summary(entry))
    return table


STATUS_STYLES = {"idle": "green", "running": "cyan", "suspended": "yellow", "interrupted": "yellow",
                 "retrying": "bold yellow", "failed": "bold red", "exited": "dim"}


def workers_table(rows: Iterable[dict[str, Any]]) -> Table:
    """A rich table with one row per worker."""
    table = Table(header_style="bold")
    for col in ("worker", "component", "status", "oplog", "semantics"):
        table.add_column(col, justify="right" if col == "oplog" else "left")
    for r in rows:
        style = STATUS_STYLES.get(r["status"], "")
        table.add_row(r["name"], r["component"], f"[{style}]{r['status']}[/]", str(r["oplog_length"]),
                      r["semantics"])
    return table
