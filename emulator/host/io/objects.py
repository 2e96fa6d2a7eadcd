"""The Python objects behind wasi:io resources: pollables, input and output streams, errors.

Every module that hands out a pollable or a stream (clocks, cli stdio, filesystem, http) subclasses these;
io/interfaces.py serves the wasi:io interfaces over them. Streams signal the end with StreamClosed and failures
with StreamFailed, which wasi_io turns into the interface's `stream-error`.
"""

from __future__ import annotations

import threading
import time

# Background producers (an HTTP response arriving, a socket becoming readable) call notify_ready() so that a
# `poll` waiting on several pollables wakes at once instead of at its next re-check.
_changed = threading.Condition()


def notify_ready() -> None:
    """Wake every poll in progress: some pollable may have become ready (safe from any thread)."""
    with _changed:
        _changed.notify_all()


def wait_for_change(timeout: float) -> None:
    """Sleep until notify_ready() is called or `timeout` seconds pass."""
    if timeout <= 0:
        return
    with _changed:
        _changed.wait(timeout)


class StreamClosed(Exception):
    """The stream has ended (input) or can take no more data (output)."""


class StreamFailed(Exception):
    """The last operation failed; the message becomes a wasi:io `error` resource."""


class IoError:
    """A wasi:io `error` resource."""

    def __init__(self, message: str) -> None:
        self.message = message

    def to_debug_string(self) -> str:
        """The text the guest sees."""
        return self.message


class Pollable:
    """Something a guest can wait for."""

    def ready(self) -> bool:
        """Whether the event has happened (never blocks)."""
        return True

    def block(self) -> None:
        """Wait until ready."""
        while not self.ready():
            time.sleep(0.001)

    def deadline_ns(self) -> int | None:
        """For timers: the monotonic time (ns) at which this becomes ready, so poll can sleep precisely."""
        return None


class ReadyPollable(Pollable):
    """Always ready (streams over in-memory data, finished futures)."""


class DeadlinePollable(Pollable):
    """Ready once the monotonic clock reaches a deadline (time.monotonic_ns scale)."""

    def __init__(self, deadline: int) -> None:
        self.deadline = deadline

    def ready(self) -> bool:
        return time.monotonic_ns() >= self.deadline

    def block(self) -> None:
        remaining = self.deadline - time.monotonic_ns()
        if remaining > 0:
            time.sleep(remaining / 1e9)

    def deadline_ns(self) -> int | None:
        return self.deadline


class InputStream:
    """A wasi:io input-stream."""

    def read(self, length: int) -> bytes:
        """Up to `length` bytes available now (may be empty); StreamClosed at the end."""
        raise StreamClosed()

    def blocking_read(self, length: int) -> bytes:
        """Wait for at least one byte (or the end), then read like `read`."""
        self.subscribe().block()
        return self.read(length)

    def subscribe(self) -> Pollable:
        """A pollable that is ready when data (or the end) is available."""
        return ReadyPollable()

    def drop(self) -> None:
        """The guest dropped the stream."""


class OutputStream:
    """A wasi:io output-stream."""

    def check_write(self) -> int:
        """How many bytes may be written now."""
        return 1 << 20

    def write(self, data: bytes) -> None:
        """Accept `data` (at most check_write bytes)."""
        raise StreamClosed()

    def flush(self) -> None:
        """Start flushing what was written."""

    def blocking_flush(self) -> None:
        """Flush and wait until done."""
        self.flush()

    def blocking_write_and_flush(self, data: bytes) -> None:
        """Write all of `data` as check_write permits, then flush and wait (override to do it in one go)."""
        view = memoryview(data)
        while view:
            permit = self.check_write()
            if permit == 0:
                self.subscribe().block()
                continue
            self.write(bytes(view[:permit]))
            view = view[permit:]
        self.blocking_flush()

    def subscribe(self) -> Pollable:
        """A pollable that is ready when writing is possible."""
        return ReadyPollable()

    def drop(self) -> None:
        """The guest dropped the stream."""
