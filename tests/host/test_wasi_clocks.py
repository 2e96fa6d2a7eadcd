"""wasi:clocks: journaled readings, and subscribe-duration's journaled "now" that makes replayed sleeps exact."""

from __future__ import annotations

import time

from emulator.host._resources import get
from emulator.host.clocks import interfaces as clocks
from emulator.host.io.objects import DeadlinePollable
from emulator.oplog.store import SqliteStore
from tests.host.hostctx import journaled, make_ctx

MS = 1_000_000


def test_readings_are_journaled_and_replayed(store: SqliteStore) -> None:
    live = make_ctx(store)
    wall = clocks.wall_now(live)
    mono = clocks.monotonic_now(live)
    assert abs(wall.seconds - time.time()) < 5 and 0 <= wall.nanoseconds < 1_000_000_000
    assert clocks.monotonic_resolution(live) == 1 and clocks.wall_resolution(live).nanoseconds == 1
    assert journaled(live) == ["wall_clock::now", "monotonic_clock::now", "monotonic_clock::resolution",
                               "wall_clock::resolution"]
    live.oplog.commit()
    replay = make_ctx(store)
    assert (clocks.wall_now(replay).seconds, clocks.monotonic_now(replay)) == (wall.seconds, mono)


def test_subscribe_duration_journals_its_now_and_commits(store: SqliteStore) -> None:
    ctx = make_ctx(store)
    before = time.monotonic_ns()
    pollable = get(ctx, clocks.subscribe_duration(ctx, 50 * MS))
    assert isinstance(pollable, DeadlinePollable)
    assert before + 50 * MS <= pollable.deadline <= time.monotonic_ns() + 50 * MS
    assert journaled(ctx) == ["monotonic_clock::subscribe_duration"]
    assert ctx.oplog.pending() == 0  # committed at once, as Golem does


def test_a_replayed_subscribe_duration_ends_at_the_recorded_instant(store: SqliteStore) -> None:
    live = make_ctx(store)
    first = get(live, clocks.subscribe_duration(live, 10_000 * MS)).deadline
    time.sleep(0.01)
    replay = make_ctx(store)
    assert get(replay, clocks.subscribe_duration(replay, 10_000 * MS)).deadline == first


def test_subscribe_instant_is_not_journaled(store: SqliteStore) -> None:
    ctx = make_ctx(store)
    when = time.monotonic_ns() + 5 * MS
    pollable = get(ctx, clocks.subscribe_instant(ctx, when))
    assert pollable.deadline_ns() == when and not pollable.ready()
    assert journaled(ctx) == []
