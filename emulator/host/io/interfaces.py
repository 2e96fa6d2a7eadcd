"""wasi:io error, poll and streams, served over the Python objects of io/objects.py.

Only `poll` (and `pollable.block`, which Golem implements as a poll of one) is journaled: on replay it returns
the recorded indices without waiting, so a replayed sleep takes no time. Stream calls run live every time;
streams whose reads must be durable (HTTP bodies) journal inside their own `read`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from emulator.errors import GuestTrap
from emulator.host import _fastbytes
from emulator.host import _resources as res
from emulator.host._shapes import case, err, ok
from emulator.host.context import HostContext
from emulator.host.io.objects import (
    InputStream,
    IoError,
    OutputStream,
    Pollable,
    StreamClosed,
    StreamFailed,
    wait_for_change,
)
from emulator.oplog.entries import READ_LOCAL

# Stream data crosses the host boundary as list<u8>: without this, wasmtime-py converts it byte by byte.
_fastbytes.install()

POLL = "golem io::poll::poll"
_RECHECK_S = 0.001  # how often a poll re-checks pollables that never call notify_ready()
_MAX_READ = 1 << 24  # a guest may ask for u64-max bytes; no single read hands back more than this


def wait_any(pollables: list[Pollable]) -> list[int]:
    """Block until at least one pollable is ready; the indices of all that are ready then."""
    while True:
        ready = [i for i, p in enumerate(pollables) if p.ready()]
        if ready:
            return ready
        if len(pollables) == 1:
            pollables[0].block()  # a subclass may wait on its own event rather than be re-checked
            continue
        deadlines = [d for p in pollables if (d := p.deadline_ns()) is not None]
        until_timer = (min(deadlines) - time.monotonic_ns()) / 1e9 if deadlines else None
        if until_timer is not None and len(deadlines) == len(pollables):
            wait_for_change(until_timer)  # only timers: sleep until the first fires
        else:
            wait_for_change(_RECHECK_S if until_timer is None else min(until_timer, _RECHECK_S))


def poll_pollables(ctx: HostContext, pollables: list[Pollable]) -> list[int]:
    """The journaled poll shared by `poll` and `pollable.block`."""
    if not pollables:
        raise GuestTrap("wasi:io/poll.poll was called with an empty list")
    ready = ctx.durability.call(POLL, READ_LOCAL, None, lambda: wait_any(pollables))
    return [int(i) for i in ready]


# -- wasi:io/poll -------------------------------------------------------------------------------------------


def poll(ctx: HostContext, handles: list[Any]) -> list[int]:
    return poll_pollables(ctx, [res.get(ctx, h) for h in handles])


def pollable_ready(ctx: HostContext, handle: Any) -> bool:
    return bool(res.get(ctx, handle).ready())


def pollable_block(ctx: HostContext, handle: Any) -> None:
    poll_pollables(ctx, [res.get(ctx, handle)])


# -- wasi:io/error ------------------------------------------------------------------------------------------


def error_to_debug_string(ctx: HostContext, handle: Any) -> str:
    error: IoError = res.get(ctx, handle)
    return error.to_debug_string()


# -- wasi:io/streams ----------------------------------------------------------------------------------------


def stream_result(ctx: HostContext, op: Callable[[], Any]) -> Variant:
    """Run a stream operation; its value as ok, or the `stream-error` it ended with as err."""
    try:
        return ok(op())
    except (StreamClosed, StreamFailed) as e:
        return stream_error(ctx, e)


def stream_error(ctx: HostContext, e: StreamClosed | StreamFailed) -> Variant:
    """The `stream-error` a failed stream operation returns."""
    if isinstance(e, StreamClosed):
        return err(case("closed"))
    # A stream may attach its own error resource (HTTP bodies do, so http-error-code can read it back).
    error = getattr(e, "io_error", None) or IoError(str(e) or "stream operation failed")
    return err(case("last-operation-failed", res.own(ctx, "error", error)))


def _in(ctx: HostContext, handle: Any) -> InputStream:
    stream: InputStream = res.get(ctx, handle)
    return stream


def _out(ctx: HostContext, handle: Any) -> OutputStream:
    stream: OutputStream = res.get(ctx, handle)
    return stream


def read(ctx: HostContext, handle: Any, length: int) -> Variant:
    s = _in(ctx, handle)
    return stream_result(ctx, lambda: s.read(min(length, _MAX_READ)))


def blocking_read(ctx: HostContext, handle: Any, length: int) -> Variant:
    s = _in(ctx, handle)
    return stream_result(ctx, lambda: s.blocking_read(min(length, _MAX_READ)))


def skip(ctx: HostContext, handle: Any, length: int) -> Variant:
    s = _in(ctx, handle)
    return stream_result(ctx, lambda: len(s.read(min(length, _MAX_READ))))


def blocking_skip(ctx: HostContext, handle: Any, length: int) -> Variant:
    s = _in(ctx, handle)
    return stream_result(ctx, lambda: len(s.blocking_read(min(length, _MAX_READ))))


def input_subscribe(ctx: HostContext, handle: Any) -> Any:
    return res.own(ctx, "pollable", _in(ctx, handle).subscribe())


# check-write, write and flush are the three calls of every line a guest prints: no closure per call.

def check_write(ctx: HostContext, handle: Any) -> Variant:
    try:
        return ok(_out(ctx, handle).check_write())
    except (StreamClosed, StreamFailed) as e:
        return stream_error(ctx, e)


def write(ctx: HostContext, handle: Any, contents: bytes) -> Variant:
    try:
        _out(ctx, handle).write(contents)
    except (StreamClosed, StreamFailed) as e:
        return stream_error(ctx, e)
    return ok()


def blocking_write_and_flush(ctx: HostContext, handle: Any, contents: bytes) -> Variant:
    s = _out(ctx, handle)
    return stream_result(ctx, lambda: s.blocking_write_and_flush(contents))


def flush(ctx: HostContext, handle: Any) -> Variant:
    return stream_result(ctx, _out(ctx, handle).flush)


def blocking_flush(ctx: HostContext, handle: Any) -> Variant:
    try:
        _out(ctx, handle).blocking_flush()
    except (StreamClosed, StreamFailed) as e:
        return stream_error(ctx, e)
    return ok()


def output_subscribe(ctx: HostContext, handle: Any) -> Any:
    return res.own(ctx, "pollable", _out(ctx, handle).subscribe())


def write_zeroes(ctx: HostContext, handle: Any, length: int) -> Variant:
    s = _out(ctx, handle)
    return stream_result(ctx, lambda: s.write(bytes(min(length, _MAX_READ))))


def blocking_write_zeroes_and_flush(ctx: HostContext, handle: Any, length: int) -> Variant:
    s = _out(ctx, handle)
    return stream_result(ctx, lambda: s.blocking_write_and_flush(bytes(min(length, _MAX_READ))))


def _splice(dst: OutputStream, src: InputStream, length: int, blocking: bool) -> int:
    if blocking:
        dst.subscribe().block()
    permit = min(dst.check_write(), length, _MAX_READ)
    if permit == 0:
        return 0
    data = src.blocking_read(permit) if blocking else src.read(permit)
    if data:
        dst.write(data)
    return len(data)


def splice(ctx: HostContext, handle: Any, src: Any, length: int) -> Variant:
    dst, source = _out(ctx, handle), _in(ctx, src)
    return stream_result(ctx, lambda: _splice(dst, source, length, blocking=False))


def blocking_splice(ctx: HostContext, handle: Any, src: Any, length: int) -> Variant:
    dst, source = _out(ctx, handle), _in(ctx, src)
    return stream_result(ctx, lambda: _splice(dst, source, length, blocking=True))


POLL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "poll": poll, "[method]pollable.ready": pollable_ready, "[method]pollable.block": pollable_block,
}
ERROR_FUNCTIONS: dict[str, Callable[..., Any]] = {"[method]error.to-debug-string": error_to_debug_string}
STREAMS_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "[method]input-stream.read": read,
    "[method]input-stream.blocking-read": blocking_read,
    "[method]input-stream.skip": skip,
    "[method]input-stream.blocking-skip": blocking_skip,
    "[method]input-stream.subscribe": input_subscribe,
    "[method]output-stream.check-write": check_write,
    "[method]output-stream.write": write,
    "[method]output-stream.blocking-write-and-flush": blocking_write_and_flush,
    "[method]output-stream.flush": flush,
    "[method]output-stream.blocking-flush": blocking_flush,
    "[method]output-stream.subscribe": output_subscribe,
    "[method]output-stream.write-zeroes": write_zeroes,
    "[method]output-stream.blocking-write-zeroes-and-flush": blocking_write_zeroes_and_flush,
    "[method]output-stream.splice": splice,
    "[method]output-stream.blocking-splice": blocking_splice,
}
