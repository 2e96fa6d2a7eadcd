"""Bench guest: workloads for bench/ (durable clock reads, stdout volume)."""

import sys
import time

from wit_world import exports


class Api(exports.Api):
    """emu:bench/api."""

    def spin(self, n: int) -> int:
        """n durable clock reads."""
        last = 0
        for _ in range(n):
            last = time.monotonic_ns()
        return last

    def shout(self, count: int, width: int) -> int:
        """count lines of width characters on stdout."""
        line = "x" * width + "\n"
        for _ in range(count):
            sys.stdout.write(line)
        sys.stdout.flush()
        return count * (width + 1)
