"""Rich renderables shared by the CLI and the TUI: one-line summaries and tables of oplog entries and workers.

Every cell is a ``rich.text.Text``, never markup: oplog payloads are user data and may contain ``[brackets]``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from emulator.inspect import http_view
from emulator.oplog.entries import (
    ChangePersistenceLevel,
    ChangeRetryPolicy,
    Create,
    CreateResource,
    DescribeResource,
    DropResource,
    EndAtomicRegion,
    EndRemoteWrite,
    Error,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    FailedUpdate,
    GrowMemory,
    ImportedFunctionInvoked,
    Jump,
    Log,
    OplogEntry,
    PendingUpdate,
    PendingWorkerInvocation,
    Revert,
    SuccessfulUpdate,
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
    "restart": "yellow",
    "log": "bright_black",
    "no-op": "bright_black",
    "change-retry-policy": "bold yellow",
    "begin-atomic-region": "blue",
    "end-atomic-region": "blue",
    "begin-remote-write": "cyan",
    "end-remote-write": "cyan",
    "change-persistence-level": "bright_magenta",
    "pending-worker-invocation": "green",
    "cancel-invocation": "yellow",
    "pending-update": "bright_blue",
    "successful-update": "bright_blue",
    "failed-update": "red",
    "grow-memory": "bright_black",
    "create-resource": "bright_black",
    "drop-resource": "bright_black",
    "describe-resource": "bright_black",
}
"""A colour per entry kind; errors and retries stand out, hints recede."""

SKIPPED_STYLE = "dim strike"
"""Entries a Jump or Revert skips."""


def _short(value: Any, limit: int | None = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    text = text.replace("\n", "⏎")
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def function_of(entry: OplogEntry) -> str:
    """The function an entry is about (host or exported), or the empty string."""
    if isinstance(entry, ImportedFunctionInvoked | ExportedFunctionInvoked | PendingWorkerInvocation):
        return entry.function_name
    return ""


def brief(entry: OplogEntry, full: bool = False) -> str:
    """A one-line summary of an entry that leaves out its function name (shown in a column of its own);
    ``full`` keeps long values whole instead of cutting them."""
    if isinstance(entry, ExportedFunctionInvoked | PendingWorkerInvocation):
        return f"({', '.join(entry.request)})  key={entry.idempotency_key}"
    if isinstance(entry, ImportedFunctionInvoked):
        http = http_view.summary(entry)
        if http is not None:
            return http
        resp = entry.response
        if isinstance(resp, dict) and len(resp) == 1 and ("ok" in resp or "err" in resp):
            tag = next(iter(resp))
            resp = resp[tag] if tag == "ok" else {"err": resp[tag]}
        req = "" if entry.request is None else _short(entry.request, None if full else 30) + " "
        return f"{req}→ {_short(resp, None if full else 60)}"
    return summary(entry, full)


def summary(entry: OplogEntry, full: bool = False) -> str:
    """A one-line human summary of what an entry records (``full``: long values are not cut)."""
    cut = (lambda n: None) if full else (lambda n: n)  # noqa: E731 - the limit of each field, or none
    if isinstance(entry, Create):
        return f"{entry.worker_name} running {entry.component} ({entry.component_hash[:12]}, {entry.semantics})"
    if isinstance(entry, ExportedFunctionInvoked):
        return f"{entry.function_name}({', '.join(entry.request)})  key={entry.idempotency_key}"
    if isinstance(entry, ExportedFunctionCompleted):
        return "→ " + ("(no result)" if entry.response is None else _short(entry.response, cut(60)))
    if isinstance(entry, ImportedFunctionInvoked):
        http = http_view.summary(entry)
        if http is not None:
            return f"{entry.function_name} {http}"
        resp = entry.response.get("ok") if isinstance(entry.response, dict) else entry.response
        return f"{entry.function_name} → {_short(resp, cut(60))}"
    if isinstance(entry, Jump | Revert):
        return f"skip {entry.start}..={entry.end}"
    if isinstance(entry, EndAtomicRegion | EndRemoteWrite):
        return f"begin={entry.begin_index}"
    if isinstance(entry, Error):
        return ("" if entry.retriable else "[not retriable] ") + _short(entry.error, cut(100))
    if isinstance(entry, ChangeRetryPolicy):
        return f"max-attempts={entry.max_attempts} min={entry.min_delay_ns // 1_000_000}ms ×{entry.multiplier}"
    if isinstance(entry, ChangePersistenceLevel):
        return entry.level
    if isinstance(entry, Log):
        ctx = f" {entry.context}" if entry.context else ""
        return f"[{entry.level}{ctx}] {_short(entry.message.rstrip(), cut(80))}"
    if isinstance(entry, PendingWorkerInvocation):
        return f"{entry.function_name}({', '.join(entry.request)})  key={entry.idempotency_key}"
    if isinstance(entry, PendingUpdate | SuccessfulUpdate):
        return f"→ {entry.target_component} ({entry.target_hash[:12]})"
    if isinstance(entry, FailedUpdate):
        return f"{entry.target_hash[:12]}: {entry.details or 'failed'}"
    if isinstance(entry, GrowMemory):
        return f"+{entry.delta} bytes"
    if isinstance(entry, CreateResource | DropResource):
        return f"resource {entry.id}"
    if isinstance(entry, DescribeResource):
        return f"resource {entry.id} = {entry.resource_name}({', '.join(entry.resource_params)})"
    key = getattr(entry, "idempotency_key", None)
    return f"key={key}" if key else ""


def timestamp(ms: int) -> str:
    """An entry's timestamp as UTC wall time with milliseconds."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%H:%M:%S.%f")[:-3]


def datetime_text(ms: int) -> str:
    """A timestamp as a full UTC date and time (for worker facts)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(ms: int, now_s: float) -> str:
    """How long before ``now_s`` (seconds since the epoch) the timestamp ``ms`` lies, coarsely."""
    seconds = max(0, int(now_s - ms / 1000))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def kind_text(kind: str, *, skipped: bool = False) -> Text:
    """An entry kind in its colour (struck through when skipped)."""
    return Text(kind, style=SKIPPED_STYLE if skipped else KIND_STYLES.get(kind, ""))


def oplog_table(entries: Iterable[tuple[int, OplogEntry]], title: str | None = None, *,
                skipped: Any = None, show_header: bool = True, index_width: int | None = None,
                functions: Callable[[int, OplogEntry], str] | None = None, fit: bool = True) -> Table:
    """A rich table with one line per oplog entry: index, time, kind, function, summary.

    ``skipped`` (anything with ``contains(index)``) dims the entries a Jump or Revert skips; ``show_header``
    and ``index_width`` let a caller print a long oplog as consecutive tables that line up; ``functions``
    names the function of entries that do not carry one (a completion's invocation). ``fit`` False (output
    piped to a file or program) sizes every column to its content instead of the console: nothing is cut.
    """
    table = Table(title=title, show_header=show_header, header_style="bold", box=None, pad_edge=False,
                  padding=(0, 1), expand=fit)
    table.add_column("#", justify="right", style="dim", no_wrap=True, min_width=index_width)
    table.add_column("time", style="dim", no_wrap=True, min_width=12)
    table.add_column("kind", no_wrap=True, min_width=27)
    if fit:
        table.add_column("function", no_wrap=True, overflow="ellipsis", min_width=8, max_width=36, ratio=2)
        table.add_column("summary", no_wrap=True, overflow="ellipsis", min_width=10, ratio=5)
    else:  # consecutive chunks line up as long as no function name is longer than the usual wasi:http ones
        table.add_column("function", no_wrap=True, min_width=44)
        table.add_column("summary", no_wrap=True)
    for idx, entry in entries:
        dim = skipped is not None and skipped.contains(idx)
        row_style = SKIPPED_STYLE if dim else ("bold red" if entry.kind == "error" else "")
        table.add_row(Text(str(idx)), Text(timestamp(entry.timestamp)), kind_text(entry.kind, skipped=dim),
                      Text(functions(idx, entry) if functions else function_of(entry)), Text(brief(entry, not fit)),
                      style=row_style)
    return table


STATUS_STYLES = {"idle": "green", "running": "cyan", "suspended": "yellow", "interrupted": "yellow",
                 "retrying": "bold yellow", "failed": "bold red", "exited": "dim"}


def status_text(status: str) -> Text:
    """A worker status in its colour."""
    return Text(status, style=STATUS_STYLES.get(status, ""))


def workers_table(rows: Iterable[dict[str, Any]], now_s: float | None = None) -> Table:
    """A rich table with one row per worker (with last activity when rows carry ``last_activity``)."""
    table = Table(header_style="bold")
    rows = list(rows)
    activity = any("last_activity" in r for r in rows)
    cols = ["worker", "component", "status", "oplog", "semantics"] + (["last activity"] if activity else [])
    for col in cols:
        table.add_column(col, justify="right" if col == "oplog" else "left")
    for r in rows:
        cells = [Text(r["name"]), Text(r["component"]), status_text(r["status"]), Text(str(r["oplog_length"])),
                 Text(r["semantics"])]
        if activity:
            ms = r.get("last_activity")
            when = "" if ms is None else (datetime_text(ms) if now_s is None else ago(ms, now_s))
            cells.append(Text(when))
        table.add_row(*cells)
    return table
