"""A real crash: a process appending in a loop is killed with SIGKILL; the oplog must be a clean prefix."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.oplog import SqliteStore
from emulator.oplog.entries import ImportedFunctionInvoked

ROOT = Path(__file__).resolve().parents[2]

# Entry i records the last index of its batch, so a torn batch would show up as a wrong last entry.
ENTRY_FOR = """
from emulator.oplog.entries import READ_LOCAL, ImportedFunctionInvoked

def entry_for(i: int, batch_end: int) -> ImportedFunctionInvoked:
    return ImportedFunctionInvoked(
        function_name=f"f{i}", request=[i, batch_end], response={"ok": "x" * (i % 97), "f": i / 7},
        function_type=READ_LOCAL, timestamp=i,
    )
"""

CHILD = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from emulator.oplog import Oplog, SqliteStore
from emulator.oplog.entries import Create
{ENTRY_FOR}
store = SqliteStore(sys.argv[1])
if store.has_worker("w"):
    oplog = Oplog(store, "w")
else:
    oplog = Oplog.create(store, Create(worker_name="w", component="c.wasm", component_hash="0" * 64))
n = 0
while True:
    n += 1
    first = oplog.current_index() + 1
    last = first + n % 23  # batches of 1..23 entries
    for i in range(first, last + 1):
        oplog.add(entry_for(i, last))
    oplog.commit()
    print(last, flush=True)
"""

namespace: dict[str, Any] = {}
exec(ENTRY_FOR, namespace)
entry_for: Callable[[int, int], ImportedFunctionInvoked] = namespace["entry_for"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_leaves_a_contiguous_committed_prefix(tmp_path: Path) -> None:
    path = tmp_path / "oplog.db"
    rng = random.Random(1234)
    reported = 0
    for _round in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert child.stdout is not None
        target = reported + rng.randint(200, 3000)
        deadline = time.monotonic() + 60
        while reported < target and time.monotonic() < deadline:
            line = child.stdout.readline()
            assert line, "the appending process died on its own"
            reported = int(line)
        time.sleep(rng.random() / 50)  # kill at a random point, likely in the middle of a batch
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL

        store = SqliteStore(path)
        last = store.last_index("w")
        assert last >= reported  # everything the child saw committed survived
        entries = store.read("w")
        assert [i for i, _ in entries] == list(range(1, last + 1))
        for i, entry in entries[1:]:
            assert isinstance(entry, ImportedFunctionInvoked) and isinstance(entry.request, list)
            batch_end = entry.request[1]
            assert isinstance(batch_end, int) and entry == entry_for(i, batch_end)
        final = entries[-1][1]
        assert isinstance(final, ImportedFunctionInvoked)
        assert final.request == [last, last]  # the last batch is complete: commits are atomic
        store.close()
        reported = last
