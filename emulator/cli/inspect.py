"""Commands that inspect workers and oplogs without running anything: workers, oplog, show, tui."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from emulator.cli.common import (
    UNLIMITED_WIDTH,
    Env,
    checked_name,
    err_console,
    out_console,
    stdout_console,
    width_option,
)
from emulator.errors import UsageError
from emulator.inspect import export, render
from emulator.inspect.facts import worker_facts
from emulator.inspect.query import parse as parse_query
from emulator.inspect.render_detail import facts_view
from emulator.oplog.entries import OplogEntry
from emulator.oplog.store import SqliteStore
from emulator.replay.state import REGION_KINDS, SkippedRegions
from emulator.runtime.catalog import page_workers

_TABLE_CHUNK = 1000  # a long oplog prints as consecutive tables, so rich never holds it all
_FIRST_CHUNK = 60  # about a screen: printed before the next rows are even read


_Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _format_option(choices: tuple[str, ...] = export.FORMATS) -> _Decorator:
    return click.option("--format", "fmt", type=click.Choice(choices), default="table", show_default=True,
                        help="table for people; json (an array) or jsonl (a document per line) for programs.")


def _json_alias() -> _Decorator:
    return click.option("--json", "as_json", is_flag=True, hidden=True, help="Same as --format jsonl.")


def _open_worker(env: Env, name: str) -> SqliteStore:
    store = env.readonly_store()
    if not store.has_worker(name):
        names = ", ".join(store.worker_names()) or "(none)"
        raise UsageError(f"no worker named {name!r} in {env.data_dir}; workers: {names}")
    return store


def _json_default(value: object) -> str:
    return str(value)  # component ids are UUIDs


@click.command()
@_format_option()
@_json_alias()
@click.option("--filter", "filter_text", metavar="FILTER",
              help='Golem\'s worker filter, e.g. "name like test and (status == idle or status == running) and '
                   'version == 0" (also not, env.KEY, component, created-at).')
@click.option("--count", type=click.IntRange(min=1), help="At most this many workers (a page); the next page's "
                                                          "--cursor is printed on stderr.")
@click.option("--cursor", type=click.IntRange(min=0), default=0, help="Where a page starts (from --count's line).")
@click.pass_obj
def workers(env: Env, fmt: str, as_json: bool, filter_text: str | None, count: int | None, cursor: int) -> None:
    """List workers with their status, oplog length and last activity, derived from their oplogs."""
    from emulator.inspect import worker_filter

    fmt = "jsonl" if as_json else fmt
    matches = None if filter_text is None else worker_filter.parse(filter_text).matches
    if not (env.data_dir / "oplog.db").exists():
        if fmt == "json":
            click.echo("[]")
        elif fmt == "table":
            err_console.print(f"no workers yet in {env.data_dir}", soft_wrap=True)
        return
    store = env.readonly_store()
    rows, next_cursor = page_workers(store, matches, cursor, count)
    if next_cursor is not None:
        err_console.print(f"more workers: --cursor {next_cursor}", soft_wrap=True)
    for r in rows:
        r["last_activity"] = store.entry(r["name"], store.last_index(r["name"])).timestamp
    if fmt == "table":
        out_console.print(render.workers_table(rows))
    elif fmt == "json":
        click.echo(json.dumps(rows, default=_json_default, indent=2))
    else:
        for r in rows:
            click.echo(json.dumps(r, default=_json_default))


def _selected(store: SqliteStore, name: str, start: int, end: int | None,
              query: str | None) -> Iterator[tuple[int, OplogEntry]]:
    entries = store.iter_entries(name, start, end)
    if query is None:
        return entries
    compiled = parse_query(query)
    return ((i, e) for i, e in entries if compiled.matches(i, e))


@click.command()
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@click.option("--from", "start", type=click.IntRange(min=1), default=1, show_default=True,
              help="First oplog index to show.")
@click.option("--to", "end", type=click.IntRange(min=1), default=None, help="Last oplog index to show.")
@click.option("--query", "-q", metavar="QUERY",
              help="Keep matching entries: terms, \"phrases\", /regex/, field:value, kind:error, index:10..20, "
                   "AND/OR/NOT (see docs/oplog-json.md).")
@_format_option()
@_json_alias()
@width_option()
@click.pass_obj
def oplog(env: Env, worker_name: str, start: int, end: int | None, query: str | None, fmt: str,
          as_json: bool, width: int | None) -> None:
    """Show a worker's oplog, or the part of it selected by --from/--to and --query."""
    fmt = "jsonl" if as_json else fmt
    if query is not None:
        parse_query(query)  # a bad query fails before anything is printed
    store = _open_worker(env, worker_name)
    entries = _selected(store, worker_name, start, end, query)
    if fmt != "table":
        export.write_entries(sys.stdout, entries, fmt)
        return
    # Only what the table needs beyond the rows it prints: the skipped regions (from the few entries that make
    # them, found by their kind column) and, for a completion, its invocation's name (the last one seen, or
    # looked up once before --from). Nothing scales with the part of the oplog not shown yet.
    skipped = SkippedRegions.from_indexed(store.read_kinds(worker_name, REGION_KINDS))
    length = store.last_index(worker_name)
    digits = len(str(length))
    title = f"oplog of {worker_name}" + (f" matching {query}" if query else "")
    before = store.read_kinds(worker_name, ("exported-function-invoked",), before=start, last=True)
    invoked = render.function_of(before[0][1]) if before else ""

    def function(idx: int, entry: OplogEntry) -> str:
        nonlocal invoked
        if entry.kind == "exported-function-invoked":
            invoked = render.function_of(entry)
        named = render.function_of(entry)
        return invoked if not named and entry.kind == "exported-function-completed" else named

    with _paged(width) as console:
        fit = console.width < UNLIMITED_WIDTH
        shown = 0
        chunk_size = _FIRST_CHUNK  # a first screen at once, then larger tables
        if not fit:  # piped: the title on its own line, not centred over the widest row
            console.print(title, soft_wrap=True, style="italic")
        while chunk := list(islice(entries, chunk_size)):
            table = render.oplog_table(chunk, title if shown == 0 and fit else None, skipped=skipped,
                                       show_header=shown == 0, index_width=digits, functions=function, fit=fit)
            if fit:
                console.print(table)
            else:
                _print_unpadded(console, table)
            shown += len(chunk)
            chunk_size = _TABLE_CHUNK
        for crash in store.crashes(worker_name):  # kept beside the oplog, so exports stay Golem-shaped
            if start <= crash.died_after and (end is None or crash.died_after <= end):
                console.print(f"[bold red]process {crash.pid} died[/] after entry {crash.died_after}; process "
                              f"{crash.resumed_by} resumed the worker from there", soft_wrap=True)
    if query is not None or shown == 0:
        err_console.print(f"{shown} of {length} entries" + (" match" if query else ""), style="dim")


def _print_unpadded(console: Any, table: Any) -> None:
    """Print a table sized to its content without the padding that lines its rows up with the widest one: one
    long cell (a 4 KiB text body) would otherwise end every line with thousands of spaces."""
    with console.capture() as captured:
        console.print(table)
    console.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


@contextmanager
def _paged(width: int | None) -> Iterator[Any]:
    """Where the table goes: on a terminal, a pager (`$PAGER`, else `less -R`) fed as the rows are made, so its
    first screen shows before the rest is read; otherwise (a pipe, a file) stdout, streamed."""
    pager = os.environ.get("PAGER", "less -R -F -X")
    if not sys.stdout.isatty() or not pager.strip() or shutil.which(shlex.split(pager)[0]) is None:
        yield stdout_console(width)
        return
    proc = subprocess.Popen(shlex.split(pager), stdin=subprocess.PIPE, text=True)
    assert proc.stdin is not None
    console = Console(file=proc.stdin, force_terminal=True, width=width or shutil.get_terminal_size().columns,
                      highlight=False)
    try:
        yield console
    except BrokenPipeError:
        pass  # the user quit the pager before the end
    finally:
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        proc.wait()


@click.command()
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@_format_option(("table", "json"))
@width_option()
@click.pass_obj
def show(env: Env, worker_name: str, fmt: str, width: int | None) -> None:
    """Show one worker: status, component, env, retry state, pending promises and replicas."""
    store = _open_worker(env, worker_name)
    facts = worker_facts(store, worker_name)
    if fmt == "json":
        click.echo(json.dumps(facts, indent=2))
    else:
        stdout_console(width).print(facts_view(facts))


@click.command()
@click.argument("worker_name", metavar="[WORKER]", required=False, callback=checked_name)
@click.option("--follow", "-f", is_flag=True, help="Start following the worker's oplog as it grows.")
@click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where the `e` key writes exported views.")
@click.pass_obj
def tui(env: Env, worker_name: str | None, follow: bool, export_dir: Path) -> None:
    """Browse workers and oplogs in a terminal UI (read-only; keeps working while workers run)."""
    if worker_name is not None:
        _open_worker(env, worker_name).close()
    else:
        env.readonly_store().close()
    from emulator.tui.app import OplogApp  # Textual loads only for this command

    app = OplogApp(env.data_dir / "oplog.db", worker=worker_name, follow=follow, export_dir=export_dir,
                   clock=time.time)
    app.run()


COMMANDS = [workers, oplog, show, tui]
