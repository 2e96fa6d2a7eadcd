"""The oplog shows crashes: where a process died holding a worker and where the next one took it over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from emulator.cli.common import cache_dir
from tests.conftest import golem_emu, guest


def test_a_kill_and_the_recovery_are_marked_beside_the_oplog(tmp_path: Path) -> None:
    data, wasm = tmp_path / "data", str(guest("counter"))
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir()), "GOLEM_EMU_CRASH_AT": "after:commit@2"}
    killed = subprocess.run([sys.executable, "-m", "emulator", "--data-dir", str(data), "invoke", wasm, "-w", "c",
                             "-k", "k1", "increment"], capture_output=True, text=True, env=env)
    assert killed.returncode == -9
    assert golem_emu(data, "resume", "c", check=True).stdout.strip() == "1"
    table = golem_emu(data, "oplog", "c", "--width", "200", check=True).stdout
    assert "died after entry 2; process" in table and "resumed the worker from there" in table
    exported = golem_emu(data, "oplog", "c", "--format", "jsonl", check=True).stdout
    assert "died" not in exported and exported.count('"exported-function-invoked"') == 1  # still Golem-shaped
    again = golem_emu(data, "oplog", "c", "--width", "200", check=True).stdout
    assert again.count("died after entry") == 1, "a clean run leaves no stale lease, so no second marker"
