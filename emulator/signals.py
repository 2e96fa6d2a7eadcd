"""Control-flow signals raised inside host functions and caught by the worker's invocation loop.

They derive from Exception on purpose: wasmtime-py swallows a BaseException raised in a host function, while
an Exception traps the guest and is re-raised, unchanged, where the export was called.
"""

from __future__ import annotations


class Signal(Exception):
    """Base of the signals; never shown to users as an error."""


class JumpSignal(Signal):
    """set-oplog-index wrote a Jump: restart the instance at once and replay up to the target."""


class SuspendSignal(Signal):
    """The worker waits for something (a promise): stop the instance, the invocation is unfinished."""

    def __init__(self, reason: str, promise: tuple[str, int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.promise = promise  # (worker, oplog index) of the awaited promise, if that is the reason


class ExitSignal(Signal):
    """The guest called wasi:cli/exit."""

    def __init__(self, code: int) -> None:
        super().__init__(f"process exited with code {code}")
        self.code = code


class CrashSignal(Signal):
    """An injected crash: the process 'dies' here, leaving the oplog exactly as committed so far."""


class UserInterrupt(Signal):
    """Ctrl-C arrived during a host call: stop the guest (a KeyboardInterrupt there would be swallowed)."""
