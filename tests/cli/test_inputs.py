"""Bad or large input from real command lines: the wrong component for a worker is refused before anything
is written, and WAVE arguments can come from a file (@FILE) or standard input (-)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from emulator.cli.common import cache_dir
from tests.conftest import golem_emu, guest


def _db(data: Path) -> str:
    """Everything the database holds (a checkpoint may move bytes from the WAL into the file: not a change)."""
    with closing(sqlite3.connect(f"file:{data / 'oplog.db'}?mode=ro", uri=True)) as db:
        return hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()


def test_the_wrong_component_for_an_existing_worker_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert golem_emu(data, "invoke", str(guest("counter")), "-w", "c", "increment").stdout.strip() == "1"
    before = _db(data)
    kept = sorted(p.name for p in (data / "components").iterdir())
    r = golem_emu(data, "invoke", str(guest("types")), "-w", "c", "echo-bool", "true")
    assert r.returncode == 2, r.stderr
    # The first use of a component on a machine also says that it is compiling it (and where it is cached).
    lines = [x for x in r.stderr.strip().splitlines() if not x.startswith(("compiling ", "compiled "))]
    line = "\n".join(lines)
    assert len(lines) == 1 and "worker c runs component counter (sha256 " in line, line
    assert "lacks emu:counter/api.{increment}" in line, line
    assert "golem-emu update" in line
    assert _db(data) == before  # oplog untouched: no error entries, the worker is not failed
    assert sorted(p.name for p in (data / "components").iterdir()) == kept
    assert golem_emu(data, "invoke", str(guest("counter")), "-w", "c", "increment").stdout.strip() == "2"


def _invoke_with_stdin(data: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    return subprocess.run([sys.executable, "-m", "emulator", "--data-dir", str(data), "invoke", *args],
                          input=stdin, capture_output=True, text=True, env=env, timeout=120)


def test_wave_arguments_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    big = "x" * (1024 * 1024)  # 1 MB: Linux takes at most 128 KiB in one command-line argument
    arg = tmp_path / "big.wave"
    arg.write_text(f'"{big}"\n')
    fs = str(guest("fs-probe"))
    r = golem_emu(data, "invoke", fs, "-w", "f", "write-file", '"big.txt"', f"@{arg}")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-500:]
    r = _invoke_with_stdin(data, '"big.txt"', fs, "-w", "f", "read-file", "-")
    assert r.returncode == 0 and r.stdout.strip() == f'ok("{big}")', r.stderr[-500:]
    missing = golem_emu(data, "invoke", fs, "-w", "f", "read-file", f"@{tmp_path / 'absent.wave'}")
    assert missing.returncode == 2 and "argument 1: cannot read" in missing.stderr, missing.stderr
    twice = _invoke_with_stdin(data, '"a"', fs, "-w", "f", "write-file", "-", "-")
    assert twice.returncode == 2 and "standard input can give only one argument" in twice.stderr, twice.stderr
