"""TUI benchmark: a 100,000-entry oplog opened in `golem-emu tui`, headless.

Builds a synthetic but realistic oplog (invocations of a few exports, each with clock, random, key-value and HTTP
host calls, logs, atomic regions, remote-write brackets, retried errors and the odd Jump) in a temporary database,
then measures with Textual's ``run_test``: the time to the first screen of rows, the background index pass,
navigation (G, page down, jump to an index), a kind filter and a full-text query; and, in a second run under
tracemalloc, the peak Python memory and how many entries were decoded for display, against what loading the whole
oplog would take. ``python -m bench.tui_bench [--entries N]``; ``run()`` gives the rows to ``bench/__main__.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulator.oplog.entries import (
    READ_LOCAL,
    READ_REMOTE,
    WRITE_REMOTE,
    WRITE_REMOTE_BATCHED,
    BeginAtomicRegion,
    BeginRemoteWrite,
    Create,
    DurableFunctionType,
    EndAtomicRegion,
    EndRemoteWrite,
    Error,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    ImportedFunctionInvoked,
    Jump,
    Log,
    OplogEntry,
)
from emulator.oplog.store import SqliteStore

WORKER = "big"
ENTRIES = 100_000
_EXPORTS = ["shop:cart/api.{add-item}", "shop:cart/api.{checkout}", "shop:cart/api.{get-items}"]


def _host_call(rnd: random.Random, n: int, begin: int | None = None) -> ImportedFunctionInvoked:
    roll = rnd.random()
    if begin is not None:
        return ImportedFunctionInvoked(function_name="wasi:http/types::incoming-body-read", request=[65536],
                                       response={"ok": base64.b64encode(rnd.randbytes(48)).decode()},
                                       function_type=DurableFunctionType("write-remote-batched", begin))
    if roll < 0.4:
        return ImportedFunctionInvoked(function_name="wasi:clocks/wall-clock::now", request=None,
                                       response={"ok": {"seconds": 1_750_000_000 + n, "nanoseconds": n * 7919}},
                                       function_type=READ_LOCAL)
    if roll < 0.6:
        return ImportedFunctionInvoked(function_name="golem random::get_random_bytes", request=32,
                                       response={"ok": base64.b64encode(rnd.randbytes(32)).decode()},
                                       function_type=READ_LOCAL)
    if roll < 0.8:
        return ImportedFunctionInvoked(function_name="golem:kv/store::get", request=["carts", f"user-{n % 500}"],
                                       response={"ok": {"items": [f"sku-{n % 97}", f"sku-{n % 89}"], "total": n}},
                                       function_type=READ_REMOTE)
    return ImportedFunctionInvoked(function_name="golem:kv/store::set", request=["carts", f"user-{n % 500}", n],
                                   response={"ok": None}, function_type=WRITE_REMOTE)


def synthetic_entries(count: int, seed: int = 7) -> list[OplogEntry]:
    """``count`` entries after the Create: invocations with host calls, logs, regions, errors and jumps."""
    rnd = random.Random(seed)
    ts = 1_750_000_000_000
    out: list[OplogEntry] = []
    while len(out) < count:
        idx = len(out) + 2  # the index the next entry gets (the Create is 1)
        fn = rnd.choice(_EXPORTS)
        block: list[OplogEntry] = [ExportedFunctionInvoked(function_name=fn, request=(f'"sku-{idx % 97}"', "2"),
                                                           idempotency_key=f"key-{idx}")]
        for _ in range(rnd.randint(2, 8)):
            block.append(_host_call(rnd, idx + len(block)))
        if rnd.random() < 0.3:
            block.append(Log(level="stdout", context="", message=f"cart of user-{idx % 500} has {idx % 9} items\n"))
        if rnd.random() < 0.15:
            begin = idx + len(block)
            block += [BeginAtomicRegion(), _host_call(rnd, begin), _host_call(rnd, begin + 1),
                      EndAtomicRegion(begin_index=begin)]
        if rnd.random() < 0.1:
            begin = idx + len(block)
            block += [BeginRemoteWrite(),
                      ImportedFunctionInvoked(function_name="wasi:http/outgoing-handler::handle",
                                              request={"method": "POST", "uri": "https://pay.example/charge"},
                                              response={"ok": {"status": 200}}, function_type=WRITE_REMOTE_BATCHED),
                      _host_call(rnd, begin, begin), EndRemoteWrite(begin_index=begin)]
        if rnd.random() < 0.03:
            block.append(Error(error="guest trapped: payment service timed out\nstack: ...", retriable=True))
        if rnd.random() < 0.01:
            here = idx + len(block)
            block.append(Jump(start=here - 2, end=here))
        block.append(ExportedFunctionCompleted(response=str(idx % 1000)))
        for e in block:
            ts += rnd.randint(1, 40)
            out.append(dataclasses.replace(e, timestamp=ts))
    return out[:count]


def build(path: Path, entries: int = ENTRIES) -> None:
    """A database at ``path`` whose worker ``big`` has ``entries`` entries (Create included)."""
    with SqliteStore(path) as store:
        store.create_worker(WORKER, Create(worker_name=WORKER, component="shop", component_hash="ab" * 32,
                                           timestamp=1_750_000_000_000))
        body = synthetic_entries(entries - 1)
        for first in range(0, len(body), 5000):
            store.append(WORKER, first + 2, body[first:first + 5000])


async def _session(db: Path, measure: dict[str, float], memory: bool) -> dict[str, int]:
    from emulator.tui.app import OplogApp
    from emulator.tui.oplog_screen import OplogScreen

    t0 = time.perf_counter()
    app = OplogApp(db, worker=WORKER, clock=lambda: 1_750_000_000.0, export_dir=db.parent)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.screen
        assert isinstance(screen, OplogScreen)
        while screen.table.rows_rendered == 0:
            await pilot.pause(0.002)
        measure["first screen"] = time.perf_counter() - t0
        source = screen.source

        async def timed(label: str, action: Callable[[], Any], until: Callable[[], bool] = lambda: True,
                        repeat: int = 1) -> None:
            # Wall time includes Pilot's waits for the next frame; CPU time is the work a key press costs.
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(repeat):
                result = action()
                if asyncio.iscoroutine(result):
                    await result
                await pilot.pause()
                while not until():
                    await pilot.pause(0.005)
            measure[label] = (time.perf_counter() - wall) / repeat
            measure[label + " cpu"] = (time.process_time() - cpu) / repeat

        await timed("index pass", lambda: None, lambda: source.index.length >= source.last)
        await timed("G", lambda: pilot.press("G"))
        await timed("g", lambda: pilot.press("g"))
        await timed("page down", lambda: pilot.press("pagedown"), repeat=20)
        await timed("jump", lambda: screen.table.go_to_index(50_000))
        for n in range(1, 101):  # visit the whole oplog, a screen at 100 places
            screen.table.go_to_index(n * (source.last // 100))
            await pilot.pause()
        await timed("kind filter", lambda: screen._apply_filter(frozenset({"error"}), None),
                    lambda: source.filter_complete)
        measure["kind filter matches"] = source.row_count()
        await timed("query scan", lambda: screen._apply_filter(None, "fn:http AND 200"),
                    lambda: source.filter_complete)
        measure["query matches"] = source.row_count()
        stats = {"decoded": source.entries_read, "cached": source.cached(), "rows": source.last}
        await pilot.press("q")
    if memory:
        measure["peak"] = tracemalloc.get_traced_memory()[1]
    return stats


def _full_load_bytes(db: Path) -> int:
    with SqliteStore(db, readonly=True) as store:
        tracemalloc.start()
        entries = store.read(WORKER)
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del entries
    return size


def run(entries: int = ENTRIES, quick: bool = False) -> list[tuple[str, str]]:
    """Build the oplog, open it in the TUI twice (timing, then memory); one (label, value) row per figure."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "oplog.db"
        t = time.perf_counter()
        build(db, entries)
        built = time.perf_counter() - t
        t = time.perf_counter()
        import textual.app  # noqa: F401 - the import is part of what a user waits for, so time it once

        imported = time.perf_counter() - t
        timing: dict[str, float] = {}
        stats = asyncio.run(_session(db, timing, memory=False))
        memory: dict[str, float] = {}
        tracemalloc.start()
        asyncio.run(_session(db, memory, memory=True))
        tracemalloc.stop()
        full = _full_load_bytes(db)
    mb = 1024 * 1024
    ms = 1000
    def key(label: str) -> str:
        return f"{timing[label + ' cpu'] * ms:.0f} ms CPU ({timing[label] * ms:.0f} ms wall with Pilot's frame waits)"

    return [
        ("tui: oplog entries", f"{entries:,} (built in {built:.1f} s)"),
        ("tui: first screen (app start to rows drawn)", f"{timing['first screen'] * ms:.0f} ms"),
        ("tui: textual import (once per process)", f"{imported * ms:.0f} ms"),
        ("tui: index pass, in the background", f"{timing['index pass'] * ms:.0f} ms"),
        ("tui: G to the last entry", key("G")),
        ("tui: g to the first entry", key("g")),
        ("tui: page down", key("page down")),
        ("tui: jump to #50000", key("jump")),
        ("tui: kind filter error", f"{timing['kind filter'] * ms:.0f} ms, {int(timing['kind filter matches'])} rows"),
        ("tui: query fn:http AND 200 (full scan)",
         f"{timing['query scan'] * ms:.0f} ms, {int(timing['query matches'])} rows"),
        ("tui: entries decoded for display", f"{stats['decoded']:,} read in runs, {stats['cached']:,} cached "
                                              f"(of {stats['rows']:,})"),
        ("tui: peak Python memory, open + visit all + filters", f"{memory['peak'] / mb:.1f} MB"),
        ("tui: the whole oplog decoded in memory, for scale", f"{full / mb:.1f} MB"),
    ]


def main() -> None:
    """Print the benchmark as a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=ENTRIES)
    rows = run(parser.parse_args().entries)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
