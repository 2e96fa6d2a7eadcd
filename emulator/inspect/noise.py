"""Runtime noise: oplog entries every componentize-py worker writes that say nothing about its own logic.

A componentize-py guest seeds Python's hash and random state with ten `get-random-bytes` calls when it starts,
and the Python runtime and `requests` read the clocks around every request. The entries matter for replay, and
golem-emu keeps them; the TUI folds them out of sight by default (a key shows them) and counts them.
"""

from __future__ import annotations

from emulator.oplog.entries import ImportedFunctionInvoked, OplogEntry

NOISE_FUNCTIONS = frozenset({
    "golem random::get_random_bytes",
    "random::get_random_bytes",
    "wall_clock::now",
    "monotonic_clock::now",
})


def is_noise(entry: OplogEntry) -> bool:
    """Whether an entry is a randomness or clock read (journaled, but rarely what a person is looking for)."""
    return isinstance(entry, ImportedFunctionInvoked) and entry.function_name in NOISE_FUNCTIONS
