"""Real processes racing on one data directory: first invocations that all create things at once, and three
processes invoking one worker, where only a clear "running in process N" may tell the losers apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from emulator.cli.common import cache_dir
from tests.conftest import golem_emu, wat_component


def _start(data: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    return subprocess.Popen([sys.executable, "-m", "emulator", "--data-dir", str(data), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    """(exit code, stdout, stderr) of each process, in order."""
    done = [p.communicate(timeout=300) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, done, strict=True)]


def test_twenty_parallel_first_invocations_of_one_data_dir_all_succeed(tmp_path: Path) -> None:
    # Nothing exists yet: the database, the kept component and (for a new copy of the wasm) its cache entry
    # are all created by whichever processes get there first.
    wasm = wat_component("clock_loop", tmp_path)
    data = tmp_path / "data"
    procs = [_start(data, "invoke", str(wasm), "-w", f"w{i}", "spin", "50") for i in range(20)]
    outcomes = _finish(procs)
    failed = [(i, code, err) for i, (code, _, err) in enumerate(outcomes) if code != 0]
    assert failed == [], failed[:3]
    assert all(out.strip().isdigit() for _, out, _ in outcomes)
    names = golem_emu(data, "workers", "--format", "jsonl", check=True).stdout
    assert all(f'"w{i}"' in names for i in range(20)), names
    assert [p.name for p in (data / "components").iterdir()] == [f"{_sha(wasm)}.wasm"]  # no temporary left


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_three_processes_invoking_one_worker_get_the_lease_or_a_clear_refusal(tmp_path: Path) -> None:
    wasm = wat_component("clock_loop", tmp_path)
    data = tmp_path / "data"
    assert golem_emu(data, "invoke", str(wasm), "-w", "warm", "spin", "1").returncode == 0
    refused = 0
    for round_ in range(2):
        worker = f"w{round_}"
        if round_ % 2:  # odd rounds: the worker exists already, so only the lease is contended
            assert golem_emu(data, "invoke", str(wasm), "-w", worker, "spin", "1").returncode == 0
        procs = [_start(data, "invoke", str(wasm), "-w", worker, "-k", f"k{i}", "spin", "5000")
                 for i in range(3)]
        pids = {p.pid for p in procs}
        for p, (code, _, err) in zip(procs, _finish(procs), strict=True):
            if code == 0:
                continue
            others = sorted(pids - {p.pid})
            assert code == 1 and len(err.strip().splitlines()) == 1, err
            assert any(f"is running in process {pid}" in err for pid in others), err
            refused += 1
        oplog = golem_emu(data, "oplog", worker, "--format", "jsonl", check=True).stdout
        winners = sum(1 for p in procs if p.returncode == 0)
        assert oplog.count('"exported-function-completed"') == winners + round_ % 2
        assert "error" not in {json.loads(line)["$type"] for line in oplog.splitlines()}
    assert refused > 0  # three long invocations started together overlap: some were refused
