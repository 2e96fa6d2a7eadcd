"""Counter guest, version 2: counts in steps of two, for update tests.

Replaying a version-1 history of increments on it diverges (automatic updates fail), while a snapshot
update carries the count over.

"""

from componentize_py_types import Err
from wit_world import exports

_count = 0


class Api(exports.Api):
    """emu:counter/api."""

    def increment(self) -> int:
        """Add two and return the new value."""
        global _count
        _count += 2
        return _count

    def get(self) -> int:
        """Return the current value."""
        return _count


class SaveSnapshot(exports.SaveSnapshot):
    """golem:api/save-snapshot@1.1.0: the counter as 8 big-endian bytes."""

    def save(self) -> bytes:
        """Serialize the counter."""
        return _count.to_bytes(8, "big")


class LoadSnapshot(exports.LoadSnapshot):
    """golem:api/load-snapshot@1.1.0: the inverse of SaveSnapshot."""

    def load(self, bytes: bytes) -> None:  # the parameter name comes from the WIT
        """Restore the counter; reject anything that is not 8 bytes."""
        global _count
        if len(bytes) != 8:
            raise Err(f"counter snapshot must be 8 bytes, got {len(bytes)}")
        _count = int.from_bytes(bytes, "big")
