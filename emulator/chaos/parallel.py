"""Run an exploration's trials in forked processes that share the loaded component, the parent among them.

With `jobs` N the parent forks N-1 children and runs trials itself as well: every process inherits the
compiled component, its linker and the crash-free run's snapshots, so none loads, compiles or links anything.
The processes take the next trial from a shared counter (trials differ in length, so a fixed split would
leave one idle), and each child sends its results back through a pipe as it finishes them; the parent reads
them between its own trials, so progress is reported as it happens. A multiprocessing Pool did the same
with two more forked processes' start-up and three threads in the parent, a fifth of a small exploration.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import select
import signal
import struct
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
P = TypeVar("P")

_HEADER = struct.Struct("!iI")  # (trial index or -1 for a failure report, payload length)


def run_parallel(run: Callable[[P], T], plans: Sequence[P], jobs: int,
                 on_result: Callable[[int, T], None]) -> None:
    """`run(plans[i])` for every i, in `jobs` processes (this one included); `on_result(i, result)` in this
    process as each result arrives. A child that fails raises here, with its traceback."""
    context = multiprocessing.get_context("fork")
    counter = context.RawValue("l", 0)
    lock = context.Lock()

    def take() -> int:
        with lock:
            i = int(counter.value)
            counter.value = i + 1
        return i

    children: dict[int, int] = {}  # pid -> read end of its pipe
    try:
        for _ in range(jobs - 1):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read_end)
                _child(run, plans, take, write_end)
            os.close(write_end)
            children[pid] = read_end
        readers = {fd: _Reader(fd) for fd in children.values()}
        while (i := take()) < len(plans):
            on_result(i, run(plans[i]))
            _drain(readers, on_result, block=False)
        while readers:
            _drain(readers, on_result, block=True)
    finally:
        for pid, fd in children.items():
            try:
                os.kill(pid, signal.SIGKILL)  # done already, normally; on an error here, do not leave it running
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            os.close(fd)


def _child(run: Callable[[Any], Any], plans: Sequence[Any], take: Callable[[], int], out: int) -> None:
    code = 0
    try:
        while (i := take()) < len(plans):
            _send(out, i, pickle.dumps(run(plans[i])))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        code = 1
        try:
            _send(out, -1, traceback.format_exc().encode())
        except OSError:
            pass
    finally:
        os.close(out)
        os._exit(code)


def _send(fd: int, index: int, payload: bytes) -> None:
    data = _HEADER.pack(index, len(payload)) + payload
    while data:
        data = data[os.write(fd, data):]


class _Reader:
    """Frames from one child's pipe, as they arrive."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.closed = False

    def frames(self) -> list[tuple[int, bytes]]:
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            self.closed = True
        self.buffer += chunk
        out = []
        while len(self.buffer) >= _HEADER.size:
            index, length = _HEADER.unpack_from(self.buffer)
            if len(self.buffer) < _HEADER.size + length:
                break
            out.append((index, self.buffer[_HEADER.size:_HEADER.size + length]))
            self.buffer = self.buffer[_HEADER.size + length:]
        return out


def _drain(readers: dict[int, _Reader], on_result: Callable[[int, Any], None], *, block: bool) -> None:
    ready, _, _ = select.select(list(readers), [], [], None if block else 0)
    for fd in ready:
        reader = readers[fd]
        for index, payload in reader.frames():
            if index < 0:
                raise RuntimeError(f"a trial process failed:\n{payload.decode(errors='replace')}")
            on_result(index, pickle.loads(payload))  # noqa: S301 - from our own forked child
        if reader.closed:
            del readers[fd]
