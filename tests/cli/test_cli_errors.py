"""Bad input: one clear line on stderr, a non-zero exit, and the oplog exactly as it was."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from emulator.cli import cli
from emulator.cli.common import cache_dir
from tests.conftest import golem_emu, wat_component


def _db_digest(data: Path) -> str:
    db = data / "oplog.db"
    # WAL mode: fold the main file and the log so an unflushed append would show too.
    parts = [db.read_bytes()] + [p.read_bytes() for p in sorted(data.glob("oplog.db-wal"))]
    return hashlib.sha256(b"".join(parts)).hexdigest()


@pytest.fixture
def worker(tmp_path: Path) -> tuple[Path, Path]:
    wasm = wat_component("clock_loop", tmp_path)
    data = tmp_path / "data"
    assert golem_emu(data, "invoke", str(wasm), "--worker", "w", "spin", "3").returncode == 0
    return wasm, data


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["spin", "abc"], "argument 1 (n: u32)"),
        (["spin", "-1"], "argument 1 (n: u32)"),
        (["spin"], "takes 1 argument"),
        (["spin", "1", "2"], "takes 1 argument"),
        (["nope"], "exports no function 'nope'"),
    ],
)
def test_bad_invocation_is_one_line_and_writes_nothing(worker: tuple[Path, Path], args: list[str], needle: str) -> None:
    wasm, data = worker
    before = _db_digest(data)
    r = golem_emu(data, "invoke", str(wasm), "--worker", "w", *args)
    assert r.returncode == 2
    assert needle in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stdout == ""
    assert _db_digest(data) == before


def test_bad_input_to_a_new_worker_creates_nothing(worker: tuple[Path, Path]) -> None:
    wasm, data = worker
    r = golem_emu(data, "invoke", str(wasm), "--worker", "fresh", "spin", "x")
    assert r.returncode == 2
    assert "fresh" not in golem_emu(data, "workers").stdout


def test_missing_component_file(tmp_path: Path) -> None:
    r = golem_emu(tmp_path / "data", "invoke", str(tmp_path / "missing.wasm"), "--worker", "w", "f")
    assert r.returncode == 2
    assert "does not exist" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_not_a_component(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.wasm"
    bogus.write_bytes(b"definitely not wasm")
    r = golem_emu(tmp_path / "data", "invoke", str(bogus), "--worker", "w", "f")
    assert r.returncode == 2  # bad input (tests/cli/test_exit_codes.py has the whole policy)
    assert "is not WebAssembly" in r.stderr


def test_corrupt_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    wasm = wat_component("clock_loop", tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "oplog.db").write_bytes(b"garbage" * 100)
    before = (data / "oplog.db").read_bytes()
    r = golem_emu(data, "invoke", str(wasm), "--worker", "w", "spin", "1")
    assert r.returncode == 1
    assert "golem-emu database" in r.stderr
    assert (data / "oplog.db").read_bytes() == before


def test_unknown_worker_oplog(worker: tuple[Path, Path]) -> None:
    _, data = worker
    r = golem_emu(data, "oplog", "ghost")
    assert r.returncode == 2
    assert "no worker named 'ghost'" in r.stderr


def test_env_must_be_key_value(worker: tuple[Path, Path]) -> None:
    wasm, data = worker
    r = golem_emu(data, "invoke", str(wasm), "--worker", "n", "--env", "NOEQUALS", "spin", "1")
    assert r.returncode == 2 and "KEY=VALUE" in r.stderr


def test_every_command_has_help() -> None:
    runner = CliRunner()
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None, name
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        first_line = (command.help or "").split("\n")[0]
        assert " ".join(first_line.split()) in " ".join(result.output.split())  # click re-wraps long lines
        assert command.help, f"command {name} has no help text"


def test_crash_points_are_listed_and_a_listed_point_is_killed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    wasm = str(wat_component("clock_loop", tmp_path))
    listed = golem_emu(data, "invoke", wasm, "-w", "a", "--show-crash-points", "spin", "2", check=True)
    points = [line for line in listed.stderr.splitlines() if " (#" in line]
    assert [p.split(": ", 1)[-1].strip() for p in points] == [
        "exported-function-invoked", "monotonic_clock::now", "monotonic_clock::now", "exported-function-completed",
    ]
    assert [p.split()[0] for p in points] == [
        "after:commit@2", "before:monotonic_clock.now#1", "before:monotonic_clock.now#2", "after:commit@5",
    ]
    env_crash = {**os.environ, "GOLEM_EMU_CRASH_AT": "before:monotonic_clock.now#1"}  # a name, or its number 2
    killed = subprocess.run([sys.executable, "-m", "emulator", "--data-dir", str(data), "invoke", wasm, "-w", "b",
                             "-k", "k", "spin", "2"], capture_output=True, text=True, env=env_crash)
    assert killed.returncode == -9  # a real SIGKILL, before the first clock read was journaled
    again = golem_emu(data, "invoke", wasm, "-w", "b", "-k", "k", "spin", "2", check=True)
    # Recovered: the started invocation finished on replay (once), and the key answers its recorded result.
    assert golem_emu(data, "result", "b", "k", check=True).stdout == again.stdout
    kinds = golem_emu(data, "oplog", "b", "--format", "jsonl", check=True).stdout.count('"exported-function-invoked"')
    assert kinds == 1


def _wait_until_running(db: Path, worker: str, proc: subprocess.Popen[str]) -> None:
    """Until the process holds the worker's lease and has journaled a host call (the guest is running)."""
    import sqlite3
    import time
    from contextlib import closing

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
                    leased = conn.execute("SELECT 1 FROM leases WHERE worker = ?", (worker,)).fetchone()
                    calls = conn.execute("SELECT COUNT(*) FROM oplog WHERE worker = ?", (worker,)).fetchone()
                if leased and calls[0] > 3:
                    return
            except sqlite3.Error:
                pass  # being created by the other process
        time.sleep(0.05)
    raise AssertionError(f"worker {worker} never started running")


def test_ctrl_c_stops_the_guest_and_resume_continues(tmp_path: Path) -> None:
    import signal

    data = tmp_path / "data"
    wasm = str(wat_component("clock_loop", tmp_path))
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "--data-dir", str(data), "invoke", wasm, "-w", "c",
                             "-k", "long", "spin", "300000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    _wait_until_running(data / "oplog.db", "c", proc)  # Ctrl-C in the guest, not while Python starts up
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and out == ""
    assert '"running"' in golem_emu(data, "workers", "--format", "jsonl", check=True).stdout
    assert golem_emu(data, "resume", "c").returncode == 0
    assert golem_emu(data, "oplog", "c", "--format", "jsonl", check=True).stdout.count("monotonic_clock::now") \
        == 300_000


def test_exports_lists_the_api_without_componentize_py_internals() -> None:
    runner = CliRunner()
    from tests.conftest import guest

    result = runner.invoke(cli, ["exports", str(guest("counter"))])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "emu:counter/api.{increment}() -> u64" in lines
    assert not any(line.startswith("exports.{init}") for line in lines)
