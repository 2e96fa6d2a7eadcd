"""Printer guest: stdout, stderr, wasi:logging, sleep and exit, for tests of golem-emu's own WASI.

`shout` commits the oplog after every line, so a crash test can stop it right after any line was journaled.
"""

import os
import sys
import time

from wit_world import exports
from wit_world.imports import host, logging


class Api(exports.Api):
    """emu:printer/api."""

    def shout(self, lines: int) -> int:
        """Print one numbered line at a time, committing after each."""
        for i in range(lines):
            print(f"line {i}", flush=True)
            host.oplog_commit(1)
        return lines

    def complain(self, text: str) -> None:
        """Write `text` to stderr and to wasi:logging."""
        print(text, file=sys.stderr, flush=True)
        logging.log(logging.Level.WARN, "printer", text)

    def nap(self, ms: int) -> int:
        """Sleep and measure."""
        start = time.monotonic()
        time.sleep(ms / 1000)
        return int((time.monotonic() - start) * 1000)

    def quit(self, code: int) -> None:
        """Exit the whole guest."""
        os._exit(code)
