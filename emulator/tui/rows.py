"""One line of the oplog table as rich Text: bracket gutter, index, time, kind, function, summary."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from emulator.inspect import render
from emulator.inspect.index import LANES, OplogIndex, Region
from emulator.oplog.entries import OplogEntry

__all__ = ["LANE_STYLES", "Columns", "gutter", "header", "row_text"]

LANE_STYLES = {"invocation": "green", "atomic": "blue", "remote-write": "cyan", "persist-nothing": "magenta",
               "skipped": "bright_black"}
"""The colour of each bracket lane."""
LANE_LETTERS = "IAWPS"  # header of the gutter: Invocation, Atomic, remote Write, Persist-nothing, Skipped
_TIME = 12
_KIND = 27


@dataclass(frozen=True)
class Columns:
    """Column widths of the oplog table for one terminal width."""

    width: int
    index: int
    kind: int
    function: int
    summary: int

    @classmethod
    def fit(cls, width: int, last_index: int) -> Columns:
        """Widths that fill ``width`` cells: fixed time and kind, the rest shared by function and summary."""
        index = max(3, len(str(last_index)))
        kind = min(_KIND, max(10, width // 4))
        rest = max(0, width - (len(LANES) + 1) - (index + 1) - (_TIME + 1) - (kind + 1))
        function = min(36, rest * 2 // 5)
        return cls(width, index, kind, function, max(0, rest - function - 1))


def _cell(text: str | Text, width: int, style: str = "", *, right: bool = False) -> Text:
    cell = text if isinstance(text, Text) else Text(text, style=style)
    cell = cell.copy()
    cell.truncate(width, overflow="ellipsis")
    if right:
        cell.pad_left(width - cell.cell_len)
    else:
        cell.pad_right(width - cell.cell_len)
    return cell


def header(cols: Columns) -> Text:
    """The header line, aligned with ``row_text``."""
    line = Text(style="bold")
    line.append(LANE_LETTERS + " ", style="dim")
    line.append_text(_cell("#", cols.index, right=True))
    line.append(" ")
    line.append_text(_cell("time (UTC)", _TIME))
    line.append(" ")
    line.append_text(_cell("kind", cols.kind))
    line.append(" ")
    line.append_text(_cell("function", cols.function))
    line.append(" ")
    line.append_text(_cell("summary", cols.summary))
    return line


def _glyph(region: Region | None, idx: int) -> str:
    if region is None:
        return " "
    if region.start == idx:
        return "╶" if region.end == idx else "┌"
    return "└" if region.end == idx else "│"


def gutter(index: OplogIndex, idx: int) -> Text:
    """The bracket lanes at entry ``idx`` (blank where the index has not reached it yet)."""
    out = Text()
    with index.lock:
        known = idx <= index.length
        for lane in LANES[:-1]:
            region = index.lanes[lane].containing(idx) if known else None
            out.append(_glyph(region, idx), style=LANE_STYLES[lane])
        skip = index.skipped.region_at(idx)
    out.append(_glyph(None if skip is None else Region(skip.start, skip.end), idx), style=LANE_STYLES["skipped"])
    out.append(" ")
    return out


def row_text(cols: Columns, idx: int, entry: OplogEntry, function: str, lanes: Text, *, skipped: bool,
             crash: str | None = None) -> Text:
    """One table line; skipped entries dim and struck through, errors in red; `crash` marks where a process
    died (after this entry) and which one resumed the worker."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append_text(lanes)
    line.append_text(_cell(str(idx), cols.index, "dim", right=True))
    line.append(" ")
    line.append_text(_cell(render.timestamp(entry.timestamp), _TIME, "dim"))
    line.append(" ")
    line.append_text(_cell(render.kind_text(entry.kind, skipped=skipped), cols.kind))
    line.append(" ")
    line.append_text(_cell(function, cols.function))
    line.append(" ")
    summary_style = "red" if entry.kind == "error" else ""
    summary = Text(render.brief(entry), style=summary_style)
    if crash is not None:
        summary = Text(f"{crash} ", style="bold red") + summary
    line.append_text(_cell(summary, cols.summary))
    if skipped:
        line.stylize(render.SKIPPED_STYLE, len(lanes))
    return line
