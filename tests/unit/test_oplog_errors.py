"""The error tree in emulator/errors.py: one root, one-line messages that say how to fix things."""

from __future__ import annotations

import pickle

from emulator import errors
from emulator.errors import EmulatorError, NondeterminismError, OplogConflict, OplogError, Unsupported


def test_one_root() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert {c.__name__ for c in classes} == {
        "EmulatorError", "UsageError", "ComponentError", "OplogError", "OplogConflict", "NondeterminismError",
        "WorkerFailed", "WorkerNotFound", "Unsupported", "GuestTrap",
    }
    assert all(issubclass(c, EmulatorError) and c.__doc__ for c in classes)
    assert issubclass(OplogConflict, OplogError)
    for c in classes:  # the tree in the module docstring stays complete
        assert c.__name__ in (errors.__doc__ or "")


def test_nondeterminism_message() -> None:
    e = NondeterminismError(7, "golem random::get_random_bytes", "wall_clock::now")
    assert str(e) == (
        "oplog index 7: the component called wall_clock::now but the oplog recorded golem random::get_random_bytes; "
        "the component's code changed since this worker ran (use a new worker, or `golem-emu update`)"
    )
    assert "\n" not in str(e)
    again = pickle.loads(pickle.dumps(e))
    assert (again.index, again.expected, again.actual, str(again)) == (e.index, e.expected, e.actual, str(e))
    result = pickle.loads(pickle.dumps(NondeterminismError(3, "1", "2 from increment", verb="returned")))
    assert str(result).startswith("oplog index 3: the component returned 2 from increment but the oplog recorded 1;")


def test_unsupported_message() -> None:
    e = Unsupported("wasi:sockets")
    assert str(e) == "golem-emu does not support wasi:sockets yet"
    assert str(pickle.loads(pickle.dumps(e))) == str(e)
