"""Rich renderables for one entry in full (decoded request and response) and for one worker's facts."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from emulator.inspect import http_view, render
from emulator.oplog.entries import (
    DurableFunctionType,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    ImportedFunctionInvoked,
    OplogEntry,
    PendingWorkerInvocation,
)

__all__ = ["entry_detail", "facts_view", "pretty_wave"]


# -- WAVE pretty-printing (untyped: the oplog holds WAVE text, not the types) ------------------------------------


@dataclass
class _Group:
    open: str
    items: list[list[str | _Group]]
    close: str


_PAIRS = {"{": "}", "[": "]", "(": ")"}


def _parse_wave(text: str, pos: int, close: str) -> tuple[list[list[str | _Group]], int]:
    items: list[list[str | _Group]] = [[]]
    atom: list[str] = []

    def flush(end_of_item: bool) -> None:
        word = "".join(atom)
        atom.clear()
        if not items[-1]:
            word = word.lstrip()
        if word:
            items[-1].append(word)
        last = items[-1][-1] if items[-1] else None
        if end_of_item and isinstance(last, str):
            items[-1][-1] = last.rstrip()

    while pos < len(text):
        c = text[pos]
        if c in "\"'":  # a string or char literal: copy it whole, escapes included
            end = pos + 1
            while end < len(text) and text[end] != c:
                end += 2 if text[end] == "\\" else 1
            atom.append(text[pos:end + 1])
            pos = end + 1
        elif c in _PAIRS:
            flush(False)
            inner, pos = _parse_wave(text, pos + 1, _PAIRS[c])
            items[-1].append(_Group(c, inner, _PAIRS[c]))
        elif c == close:
            flush(True)
            return [i for i in items if i], pos + 1
        elif c == ",":
            flush(True)
            items.append([])
            pos += 1
        else:
            atom.append(c)
            pos += 1
    flush(True)
    return [i for i in items if i], pos


def _flat(parts: list[str | _Group]) -> str:
    return "".join(p if isinstance(p, str) else p.open + ", ".join(_flat(i) for i in p.items) + p.close
                   for p in parts)


def _layout(parts: list[str | _Group], indent: int, width: int) -> str:
    flat = _flat(parts)
    if indent + len(flat) <= width:
        return flat
    out = []
    for p in parts:
        if isinstance(p, _Group) and p.items:
            pad = " " * (indent + 2)
            body = ",\n".join(pad + _layout(i, indent + 2, width) for i in p.items)
            out.append(f"{p.open}\n{body}\n{' ' * indent}{p.close}")
        else:
            out.append(_flat([p]))
    return "".join(out)


def pretty_wave(text: str, width: int = 80) -> str:
    """WAVE text with long records, lists and tuples broken over indented lines (short values unchanged)."""
    if len(text) <= width:
        return text
    items, _ = _parse_wave(text, 0, "")
    return ",\n".join(_layout(i, 0, width) for i in items)


# -- one entry --------------------------------------------------------------------------------------------------


def _scalar(value: Any) -> Text:
    if isinstance(value, DurableFunctionType):
        extra = f" (batch begun at #{value.begin_index})" if value.begin_index is not None else ""
        return Text(value.kind + extra)
    if isinstance(value, str):
        return Text(value)
    return Text(json.dumps(value))


def _is_block(value: Any) -> bool:
    return isinstance(value, dict | list) or (isinstance(value, tuple) and bool(value)
                                                and not isinstance(value[0], tuple)) or (
        isinstance(value, str) and (len(value) > 100 or "\n" in value))


def entry_detail(index: int, entry: OplogEntry, *, skipped: bool = False, invocation: str | None = None,
                 width: int = 80) -> RenderableType:
    """An entry in full: a header line, its scalar fields, then each payload decoded and pretty-printed.

    Exported-function arguments and results are WAVE text; host-call requests and responses are JSON.
    """
    head = Text.assemble((f"#{index} ", "bold"), render.kind_text(entry.kind), "  ",
                         (render.datetime_text(entry.timestamp).replace(" UTC", ""), "dim"),
                         (f".{entry.timestamp % 1000:03d} UTC", "dim"))
    if skipped:
        head.append("  skipped by a Jump or Revert", style="magenta")
    parts: list[RenderableType] = [head]
    if invocation:
        parts.append(Text(f"in invocation {invocation}", style="dim"))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    blocks: list[tuple[str, RenderableType]] = []
    wave_fields = isinstance(entry, ExportedFunctionInvoked | ExportedFunctionCompleted | PendingWorkerInvocation)
    for f in fields(entry):
        if f.name == "timestamp":
            continue
        key = f.name.replace("_", "-")
        value = getattr(entry, f.name)
        if wave_fields and f.name in ("request", "response"):
            blocks.append((f"{key} (WAVE)", _wave_block(value, width)))
        elif isinstance(entry, ImportedFunctionInvoked) and f.name in ("request", "response"):
            shown = http_view.readable(entry.function_name, value)
            blocks.append((f"{key} (JSON{', text decoded' if shown != value else ''})", _json_block(shown)))
        elif f.name == "env" and value:
            table.add_row(key, Text("\n".join(f"{k}={v}" for k, v in value)))
        elif _is_block(value):
            blocks.append((key, _json_block(value) if not isinstance(value, str) else Text(value)))
        else:
            table.add_row(key, _scalar(value))
    if table.row_count:
        parts.append(table)
    for title, block in blocks:
        parts.extend([Text(title, style="bold underline"), block])
    return Group(*parts)


def _json_block(value: Any) -> Text:
    text = JSON.from_data(value, indent=2).text
    text.no_wrap = False
    text.overflow = "fold"  # long strings (base64 payloads) wrap instead of vanishing at the edge
    return text


def _wave_block(value: Any, width: int) -> RenderableType:
    if value is None:
        return Text("(no result)", style="dim")
    if isinstance(value, str):
        return Text(pretty_wave(value, width))
    if not value:
        return Text("(no arguments)", style="dim")
    return Text("\n".join(f"{n}: {pretty_wave(v, width - 4)}" for n, v in enumerate(value, start=1)))


# -- one worker -------------------------------------------------------------------------------------------------


def facts_view(facts: dict[str, Any]) -> RenderableType:
    """`golem-emu show`: a worker's status, component, environment, retry state, promises and replicas."""
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column(overflow="fold")
    t.add_row("worker", Text(facts["name"]))
    t.add_row("status", render.status_text(facts["status"]))
    t.add_row("component", Text(f"{facts['component']} (version {facts['component_version']}, "
                                f"{facts['component_hash'][:16]}…, {facts['semantics']})"))
    t.add_row("args", Text(" ".join(facts["args"]) or "(none)"))
    env = facts["env"]
    t.add_row("env", Text("\n".join(f"{k}={v}" for k, v in env.items()) if env else "(none)"))
    t.add_row("created", Text(render.datetime_text(facts["created_at"])))
    t.add_row("last activity", Text(render.datetime_text(facts["last_activity"])))
    t.add_row("oplog", Text(f"{facts['oplog_length']} entries"))
    inv = facts["invocations"]
    running = inv["open"]
    t.add_row("invocations", Text(f"{inv['completed']} completed" + (
        f", running #{running['index']} {running['function']} (key {running['idempotency_key']})"
        if running else "")))
    queued = facts.get("queued", [])
    if queued:
        t.add_row("queued", Text("\n".join(f"{q['function']} (key {q['idempotency_key']})" for q in queued)))
    retry = facts["retry"]
    policy = retry["policy"]
    t.add_row("retry policy", Text("default" if policy is None else (
        f"max {policy['max_attempts']} attempts, delay {policy['min_delay_ns'] / 1e6:g}.."
        f"{policy['max_delay_ns'] / 1e6:g} ms ×{policy['multiplier']:g} (set at #{retry['policy_index']})")))
    errors = Text(str(retry["trailing_errors"]), style="bold red" if retry["trailing_errors"] else "")
    if retry["last_error"] is not None:
        errors.append(f"  last error at #{retry['last_error_index']}: ", style="")
        errors.append(retry["last_error"].strip().splitlines()[0] if retry["last_error"].strip() else "",
                      style="red")
    t.add_row("trailing errors", errors)
    rest = (retry["last_error"] or "").strip().splitlines()[1:]
    if rest:  # the whole trap: wasmtime's text with the guest's backtrace, then its stderr
        t.add_row("last error in full", Text("\n".join(rest), style="red"))
    owned = facts.get("resources", [])
    t.add_row("resources", Text("\n".join(
        f"{r['id']}" + ("" if r["indexed"] is None else
                        f" {r['indexed']['resource_name']}({', '.join(r['indexed']['resource_params'])})")
        for r in owned) if owned else "none"))
    promises = facts["pending_promises"]
    t.add_row("pending promises", Text(", ".join(f"#{i}" for i in promises) if promises else "none"))
    reps = facts["replicas"]
    if not reps:
        t.add_row("replicas", Text("none"))
    else:
        t.add_row("replicas", Text("\n".join(
            f"{r['name']}: index {r['last_index']} ({r['lag']} behind), lag {r.get('delay') or '?'}"
            + (f", partitioned for {r['partition']}" if r.get("partition") else "") for r in reps)))
    return t
