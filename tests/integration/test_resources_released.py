"""A process that opens many workers and data dirs one after another (an exploration runs every trial in a
data dir of its own) gives back each one's memory, files and database connections when it is done with it."""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

from emulator.chaos.harness import Emulator
from tests.conftest import guest


def _open_under(dirs: list[Path]) -> list[str]:
    """The open file descriptors of this process that point into any of `dirs`."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile (listdir's own descriptor)
        if any(target.startswith(str(d)) for d in dirs):
            found.append(target)
    return found


def test_closed_emulators_keep_no_files_or_stores_open(tmp_path: Path) -> None:
    probe = guest("fs-probe")
    dirs = []
    for i in range(6):
        data = tmp_path / f"trial-{i}"
        dirs.append(data)
        with Emulator(data) as emu:
            w = emu.worker("w", probe)
            w.invoke("write-file", ['"a.txt"', '"x"'])
            w.invoke("read-file", ['"a.txt"'])
    gc.collect()
    # The sandboxes' directory handles belong to the instances: freed as soon as the worker is closed.
    assert [t for t in _open_under(dirs) if "sandbox" in t] == []
    # The interrupt poller of each data dir retires shortly after its last invocation, closing its connection.
    deadline = time.monotonic() + 30
    while _open_under(dirs) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _open_under(dirs) == []
