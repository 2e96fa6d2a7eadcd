"""Every error golem-emu raises on purpose; each message says what went wrong and how to fix it.

The tree::

    EmulatorError                  root: catch this to handle anything golem-emu raises on purpose
    ├── UsageError                 bad input from the user (arguments, WAVE values, names)
    ├── ComponentError             a component cannot be loaded, compiled or linked
    ├── OplogError                 the oplog database is corrupt, foreign or inconsistent
    │   └── OplogConflict          another process appended to the same worker concurrently
    ├── NondeterminismError        replay diverged from the recorded oplog
    ├── WorkerFailed               the worker failed permanently (retries exhausted or not retriable)
    ├── WorkerNotFound             no worker with that name exists
    ├── Unsupported                a Golem feature golem-emu does not emulate yet
    └── GuestTrap                  the guest trapped (wasm trap or an exception escaping the component)
"""

from __future__ import annotations


class EmulatorError(Exception):
    """Root of every error golem-emu raises on purpose."""


class UsageError(EmulatorError):
    """Bad input from the user; the message says which input and what is expected."""


class ComponentError(EmulatorError):
    """A component cannot be loaded, compiled or linked."""


class OplogError(EmulatorError):
    """The oplog database is corrupt, foreign or inconsistent."""


class OplogConflict(OplogError):
    """Another process appended to the same worker's oplog concurrently."""


class NondeterminismError(EmulatorError):
    """Replay diverged: the component did something other than what the oplog recorded."""

    CODE_CHANGED = "the component's code changed since this worker ran (use a new worker, or `golem-emu update`)"

    def __init__(self, index: int, expected: str, actual: str, verb: str = "called", why: str = CODE_CHANGED) -> None:
        self.index = index
        self.expected = expected
        self.actual = actual
        self.verb = verb  # what the component did: "called" a host function, "returned" a result
        self.why = why  # the likely cause, and what to do
        super().__init__(f"oplog index {index}: the component {verb} {actual} but the oplog recorded {expected}; {why}")

    def __reduce__(self) -> tuple[type[NondeterminismError], tuple[int, str, str, str, str]]:
        # Custom __init__ arguments: without this, pickling (e.g. across processes) would lose them.
        return (type(self), (self.index, self.expected, self.actual, self.verb, self.why))


class WorkerFailed(EmulatorError):
    """The worker failed permanently (retries exhausted or a non-retriable error)."""


class WorkerNotFound(EmulatorError):
    """No worker with that name exists."""


class Unsupported(EmulatorError):
    """A Golem feature that golem-emu does not emulate yet."""

    def __init__(self, feature: str) -> None:
        self.feature = feature
        super().__init__(f"golem-emu does not support {feature} yet")

    def __reduce__(self) -> tuple[type[Unsupported], tuple[str]]:
        return (type(self), (self.feature,))


class GuestTrap(EmulatorError):
    """The guest trapped (a wasm trap or an exception escaping the component)."""
