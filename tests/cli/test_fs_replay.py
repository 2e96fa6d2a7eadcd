"""A worker's files are rebuilt by replay, as in Golem: every process that recovers a worker starts from an
empty directory and re-runs the guest's filesystem calls (Golem journals none but stat's times). Golem's own
file-service component and our fs-probe guest, real processes, and a real kill -9 in the middle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from emulator.cli.common import cache_dir
from emulator.oplog.names import sandbox_dir
from tests.conftest import ROOT, golem_emu, guest

# Golem's corpus, where the conformance suite finds it (GOLEM_TEST_COMPONENTS, else ../shared beside the clone).
FILE_SERVICE = Path(os.environ.get("GOLEM_TEST_COMPONENTS") or ROOT.parent / "shared" / "golem-test-components") \
    / "file-service.wasm"


def _ok(data: Path, *args: str) -> str:
    r = golem_emu(data, *args)
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout.strip()


def test_make_dir_then_any_later_invocation(tmp_path: Path) -> None:
    # The campaign's case: the second process replayed make-dir against the directory the first had left
    # and failed the worker with FileExistsError.
    data = tmp_path / "data"
    fs = str(guest("fs-probe"))
    assert _ok(data, "invoke", fs, "-w", "p", "make-dir", '"d"') == "ok"
    assert _ok(data, "invoke", fs, "-w", "p", "write-file", '"d/x"', '"1"') == "ok"
    assert _ok(data, "invoke", fs, "-w", "p", "list-dir", '"d"') == 'ok(["x"])'
    assert '"failed"' not in _ok(data, "workers", "--format", "jsonl")


def test_golem_file_service_creates_writes_lists_and_deletes_across_processes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fs = str(FILE_SERVICE)
    steps = [
        (["create-directory", '"/d"'], "ok"),
        (["write-file", '"/d/a.txt"', '"one"'], "ok"),
        (["write-file", '"/d/b.txt"', '"two"'], "ok"),
        (["write-file", '"/d/c.txt"', '"three"'], "ok"),
        (["remove-file", '"/d/a.txt"'], "ok"),
        (["remove-file", '"/d/c.txt"'], "ok"),
        (["write-file", '"/d/c.txt"', '"four"'], "ok"),  # replay must not find the old c.txt in the way
        (["read-file", '"/d/b.txt"'], 'ok("two")'),
    ]
    for args, expected in steps:  # each in a new process, which first replays everything before it
        assert _ok(data, "invoke", fs, "-w", "f", *args) == expected, args
    assert _ok(data, "invoke", fs, "-w", "f", "read-file", '"/d/a.txt"').startswith("err(")
    root = sandbox_dir(data, "f")
    assert sorted(p.name for p in (root / "d").iterdir()) == ["b.txt", "c.txt"]
    assert (root / "d" / "c.txt").read_text() == "four"


def test_files_survive_a_kill_9_mid_invocation(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fs = str(FILE_SERVICE)
    assert _ok(data, "invoke", fs, "-w", "f", "create-directory", '"/d"') == "ok"
    assert _ok(data, "invoke", fs, "-w", "f", "write-file", '"/d/a.txt"', '"one"') == "ok"
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir()), "GOLEM_EMU_CRASH_AT": "1",
           "GOLEM_EMU_CRASH_MODE": "kill"}
    # crash point 1: the invocation is journaled as started, the write has not happened yet
    killed = subprocess.run([sys.executable, "-m", "emulator", "--data-dir", str(data), "invoke", fs, "-w", "f",
                             "-k", "third", "write-file", '"/d/b.txt"', '"two"'],
                            capture_output=True, text=True, env=env, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert _ok(data, "resume", "f") == "ok"  # a new process replays the first two, then writes b.txt live
    assert _ok(data, "result", "f", "third") == "ok"
    assert _ok(data, "invoke", fs, "-w", "f", "read-file", '"/d/a.txt"') == 'ok("one")'
    assert _ok(data, "invoke", fs, "-w", "f", "read-file", '"/d/b.txt"') == 'ok("two")'
    assert '"failed"' not in _ok(data, "workers", "--format", "jsonl")
