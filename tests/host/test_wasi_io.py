"""wasi:io poll, streams and error over the Python base objects: results, stream errors, journaling."""

from __future__ import annotations

import threading
import time

import pytest

from emulator.errors import GuestTrap
from emulator.host._resources import get, own
from emulator.host.context import HostContext
from emulator.host.io import interfaces as io
from emulator.host.io.objects import (
    DeadlinePollable,
    InputStream,
    OutputStream,
    Pollable,
    ReadyPollable,
    StreamClosed,
    StreamFailed,
    notify_ready,
)
from emulator.oplog.store import SqliteStore
from tests.host.hostctx import journaled, make_ctx, ok, stream_error

MS = 1_000_000


class BytesInput(InputStream):
    """An input stream over fixed bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, length: int) -> bytes:
        if not self.data:
            raise StreamClosed()
        chunk, self.data = self.data[:length], self.data[length:]
        return chunk


class BrokenInput(InputStream):
    def read(self, length: int) -> bytes:
        raise StreamFailed("disk on fire")


class Sink(OutputStream):
    """Collects writes; accepts at most `permit` bytes per write."""

    def __init__(self, permit: int = 1 << 20) -> None:
        self.permit = permit
        self.data = b""
        self.flushes = 0

    def check_write(self) -> int:
        return self.permit

    def write(self, data: bytes) -> None:
        assert len(data) <= self.permit, "wrote more than check-write allowed"
        self.data += data

    def blocking_flush(self) -> None:
        self.flushes += 1


class Flag(Pollable):
    """Ready once set from another thread, which then calls notify_ready()."""

    def __init__(self) -> None:
        self.is_set = False

    def ready(self) -> bool:
        return self.is_set


@pytest.fixture
def ctx(store: SqliteStore) -> HostContext:
    return make_ctx(store)


def handles(ctx: HostContext, *pollables: Pollable) -> list[object]:
    return [own(ctx, "pollable", p) for p in pollables]


def test_poll_returns_every_ready_index_and_journals_it(ctx: HostContext) -> None:
    later = DeadlinePollable(time.monotonic_ns() + 10_000 * MS)
    assert io.poll(ctx, handles(ctx, ReadyPollable(), later, ReadyPollable())) == [0, 2]
    assert journaled(ctx) == ["golem io::poll::poll"]


def test_poll_sleeps_until_the_earliest_timer(ctx: HostContext) -> None:
    start = time.monotonic_ns()
    soon, late = DeadlinePollable(start + 30 * MS), DeadlinePollable(start + 10_000 * MS)
    assert io.poll(ctx, handles(ctx, late, soon)) == [1]
    assert 30 * MS <= time.monotonic_ns() - start < 2_000 * MS


def test_poll_wakes_when_a_producer_notifies(ctx: HostContext) -> None:
    flag = Flag()

    def produce() -> None:
        time.sleep(0.05)
        flag.is_set = True
        notify_ready()

    threading.Thread(target=produce).start()
    far = DeadlinePollable(time.monotonic_ns() + 10_000 * MS)
    start = time.monotonic()
    assert io.poll(ctx, handles(ctx, far, flag)) == [1]
    assert time.monotonic() - start < 2


def test_replayed_poll_returns_the_recorded_indices_without_waiting(store: SqliteStore) -> None:
    live = make_ctx(store)
    assert io.poll(live, handles(live, DeadlinePollable(time.monotonic_ns() + 100 * MS), ReadyPollable())) == [1]
    live.oplog.commit()
    replay = make_ctx(store)
    start = time.monotonic()
    never = DeadlinePollable(time.monotonic_ns() + 10_000 * MS)
    assert io.poll(replay, handles(replay, never, never)) == [1]  # the recorded answer, not a live wait
    assert time.monotonic() - start < 1
    assert replay.replay.is_live()


def test_poll_of_nothing_traps(ctx: HostContext) -> None:
    with pytest.raises(GuestTrap, match="empty list"):
        io.poll(ctx, [])


def test_block_is_a_journaled_poll_of_one_and_ready_is_not_journaled(ctx: HostContext) -> None:
    [soon] = handles(ctx, DeadlinePollable(time.monotonic_ns() + 20 * MS))
    assert io.pollable_ready(ctx, soon) is False
    io.pollable_block(ctx, soon)
    assert io.pollable_ready(ctx, soon) is True
    assert journaled(ctx) == ["golem io::poll::poll"]


def test_reads_skips_and_the_end_of_a_stream(ctx: HostContext) -> None:
    h = own(ctx, "input-stream", BytesInput(b"abcdefgh"))
    assert ok(io.read(ctx, h, 3)) == b"abc"
    assert ok(io.blocking_read(ctx, h, 2)) == b"de"
    assert ok(io.skip(ctx, h, 2)) == 2
    assert ok(io.blocking_skip(ctx, h, 99)) == 1
    assert stream_error(io.read(ctx, h, 1)).tag == "closed"
    assert stream_error(io.skip(ctx, h, 1)).tag == "closed"
    assert journaled(ctx) == []  # plain streams run live on every replay


def test_a_failure_becomes_an_error_resource_with_its_message(ctx: HostContext) -> None:
    h = own(ctx, "input-stream", BrokenInput())
    failed = stream_error(io.read(ctx, h, 1))
    assert failed.tag == "last-operation-failed"
    assert io.error_to_debug_string(ctx, failed.payload) == "disk on fire"


def test_writes_respect_check_write_and_flush(ctx: HostContext) -> None:
    sink = Sink(permit=4)
    h = own(ctx, "output-stream", sink)
    assert ok(io.check_write(ctx, h)) == 4
    assert ok(io.write(ctx, h, b"ab")) is None
    assert ok(io.blocking_write_and_flush(ctx, h, b"0123456789")) is None  # split into permitted chunks
    assert ok(io.write_zeroes(ctx, h, 3)) is None
    assert ok(io.blocking_write_zeroes_and_flush(ctx, h, 2)) is None
    assert ok(io.flush(ctx, h)) is None and ok(io.blocking_flush(ctx, h)) is None
    assert sink.data == b"ab0123456789\0\0\0\0\0"
    assert sink.flushes == 3


def test_a_closed_output_stream_reports_closed(ctx: HostContext) -> None:
    h = own(ctx, "output-stream", OutputStream())  # the base class accepts nothing
    assert stream_error(io.write(ctx, h, b"x")).tag == "closed"


def test_splice_moves_what_both_sides_allow(ctx: HostContext) -> None:
    sink = Sink(permit=3)
    dst = own(ctx, "output-stream", sink)
    src = own(ctx, "input-stream", BytesInput(b"hello"))
    assert ok(io.splice(ctx, dst, src, 10)) == 3
    assert ok(io.blocking_splice(ctx, dst, src, 1)) == 1
    assert ok(io.blocking_splice(ctx, dst, src, 10)) == 1
    assert stream_error(io.splice(ctx, dst, src, 10)).tag == "closed"
    assert sink.data == b"hello"


def test_subscribe_hands_out_pollables(ctx: HostContext) -> None:
    for fn, h in ((io.input_subscribe, own(ctx, "input-stream", BytesInput(b"x"))),
                  (io.output_subscribe, own(ctx, "output-stream", Sink()))):
        pollable = fn(ctx, h)
        assert isinstance(get(ctx, pollable), Pollable)
        assert io.pollable_ready(ctx, pollable)
