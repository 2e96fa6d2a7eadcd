"""Storage faults with real files and real processes: a broken oplog.db is refused (never started over), a
read-only data directory can still be inspected, and a full disk is named as such with nothing half-written."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.cli.storage import fill, golem_emu_limited, read_only, small_disk
from tests.conftest import golem_emu, wat_component


def _state(data: Path) -> str:
    """The database's data: the file and its WAL (a reader may create an empty WAL and its -shm index)."""
    wal = data / "oplog.db-wal"
    parts = [(data / "oplog.db").read_bytes(), wal.read_bytes() if wal.exists() else b""]
    return hashlib.sha256(b"|".join(parts)).hexdigest()


@pytest.fixture
def three_invocations(tmp_path: Path) -> tuple[Path, Path]:
    wasm = wat_component("clock_loop", tmp_path)
    data = tmp_path / "data"
    for key in ("k1", "k2", "k3"):
        assert golem_emu(data, "invoke", str(wasm), "-w", "c", "-k", key, "spin", "3").returncode == 0
    return wasm, data


def _commands(wasm: Path) -> list[list[str]]:
    w = str(wasm)
    return [
        ["invoke", w, "-w", "c", "-k", "k1", "spin", "3"], ["invoke", w, "-w", "new", "spin", "1"],
        ["run", w, "spin", "1"], ["workers"], ["oplog", "c"], ["show", "c"], ["result", "c", "k1"],
        ["resume", "c"], ["fork", "c", "d", "--at", "2"], ["revert", "c", "--to-index", "2"],
        ["interrupt", "c"], ["promise", "complete", "c", "2", "x"], ["component", "add", w],
        ["update", "c", w],
    ]


def _in_process(data: Path, args: list[str], capsys: pytest.CaptureFixture[str],
                monkeypatch: pytest.MonkeyPatch) -> tuple[object, str]:
    """The CLI's entry point in this process (the same path as the console script): exit code, stderr."""
    from emulator.cli import main

    monkeypatch.setattr(sys, "argv", ["golem-emu", "--data-dir", str(data), *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr().err


@pytest.mark.parametrize(("damage", "why"), [
    (lambda db: db.write_bytes(b""), "it is empty"),
    (lambda db: db.write_bytes(b"this is not a database at all" * 100), "not a database"),
    (lambda db: db.write_bytes(db.read_bytes()[:3000]), "not a golem-emu database"),
], ids=["empty", "garbage", "truncated"])
def test_a_broken_oplog_db_is_refused_by_every_command(three_invocations: tuple[Path, Path], damage: object,
                                                       why: str, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    wasm, data = three_invocations
    db = data / "oplog.db"
    with closing(sqlite3.connect(db)) as conn:  # everything into the one file, as a copy of it would be
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in data.glob("oplog.db-*"):
        extra.unlink()
    damage(db)  # type: ignore[operator]
    before = _state(data)
    commands = _commands(wasm)
    for n, args in enumerate(commands):
        if n < 3:  # real processes for the first few
            r = golem_emu(data, *args)
            code, err = r.returncode, r.stderr
        elif why == "it is empty":  # and every command once, through the same entry point in this process
            code, err = _in_process(data, args, capsys, monkeypatch)
        else:
            continue
        lines = err.strip().splitlines()
        assert code == 1 and len(lines) == 1 and str(db) in lines[0] and why in lines[0], (args, err)
        assert _state(data) == before, args  # never re-created, never written to


def test_a_database_is_created_only_where_there_is_none(tmp_path: Path) -> None:
    wasm = wat_component("clock_loop", tmp_path)
    data = tmp_path / "data"
    assert golem_emu(data, "invoke", str(wasm), "-w", "c", "spin", "1").returncode == 0
    assert {p.name for p in data.iterdir()} >= {"oplog.db"}
    assert not [p for p in data.iterdir() if p.name.endswith(".new")]  # the temporary file is gone


@pytest.fixture
def finished_worker(tmp_path: Path) -> tuple[Path, Path, str]:
    wasm = wat_component("clock_loop", tmp_path)
    data = tmp_path / "data"
    r = golem_emu(data, "invoke", str(wasm), "-w", "c", "-k", "k1", "spin", "4")
    assert r.returncode == 0
    return wasm, data, r.stdout.strip()


def test_read_only_commands_work_on_a_read_only_data_dir(finished_worker: tuple[Path, Path, str]) -> None:
    wasm, data, response = finished_worker
    # as a copy or a backup would be: one file, no write-ahead log or shared-memory index beside it
    with closing(sqlite3.connect(data / "oplog.db")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in data.glob("oplog.db-*"):
        extra.unlink()
    expected = {
        ("workers", "--format", "jsonl"): '"name": "c"',
        ("oplog", "c", "--format", "jsonl"): "monotonic_clock::now",
        ("show", "c"): "idle",
        ("result", "c", "k1"): response,
    }
    with read_only(data) as ro:
        for args, needle in expected.items():
            r = golem_emu(ro, *args)
            assert r.returncode == 0 and needle in r.stdout, (args, r.stderr)
        r = golem_emu(ro, "invoke", str(wasm), "-w", "c", "spin", "1")
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "read-only" in r.stderr or "readonly" in r.stderr, r.stderr


def _integrity(data: Path) -> str:
    with closing(sqlite3.connect(data / "oplog.db")) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def _fault_then_recover(tmp_path: Path, data: Path, wasm: Path, run_limited: object) -> None:
    r = run_limited("invoke", str(wasm), "-w", "c", "-k", "big", "spin", "20000")  # type: ignore[operator]
    assert r.returncode == 1, r.stderr
    line = r.stderr.strip().splitlines()
    assert len(line) == 1 and ("disk is full" in line[0] or "file-size limit" in line[0]), r.stderr
    assert str(data) in line[0] and "Traceback" not in r.stderr
    assert _integrity(data) == "ok"
    # nothing half-written: the earlier invocation reads back, and with room again the big one completes
    assert golem_emu(data, "result", "c", "k1").returncode == 0
    resumed = golem_emu(data, "invoke", str(wasm), "-w", "c", "-k", "big", "spin", "20000")
    assert resumed.returncode == 0, resumed.stderr
    assert golem_emu(data, "oplog", "c", "--format", "jsonl").stdout.count("monotonic_clock::now") == 20004


def test_a_full_disk_is_named_and_nothing_is_half_written(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with small_disk(disk, 16384) as mounted:
        if not mounted:
            pytest.skip("cannot mount a tmpfs here; the file-size-limit test covers this machine")
        wasm = wat_component("clock_loop", tmp_path)
        data = disk / "data"
        assert golem_emu(data, "invoke", str(wasm), "-w", "c", "-k", "k1", "spin", "4").returncode == 0
        ballast = fill(disk, 64 * 1024)

        def limited(*args: str) -> object:
            return golem_emu(data, *args)

        r = limited("invoke", str(wasm), "-w", "c", "-k", "big", "spin", "20000")
        assert r.returncode == 1 and "disk is full" in r.stderr and str(data) in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and _integrity(data) == "ok"
        ballast.unlink()
        assert golem_emu(data, "result", "c", "k1").returncode == 0
        again = golem_emu(data, "invoke", str(wasm), "-w", "c", "-k", "big", "spin", "20000")
        assert again.returncode == 0, again.stderr
        assert golem_emu(data, "oplog", "c", "--format", "jsonl").stdout.count("monotonic_clock::now") == 20004


def test_a_file_size_limit_is_named_and_nothing_is_half_written(finished_worker: tuple[Path, Path, str],
                                                              tmp_path: Path) -> None:
    wasm, data, _ = finished_worker
    golem_emu(data, "workers", check=True)
    size = (data / "oplog.db").stat().st_size

    def limited(*args: str) -> object:
        return golem_emu_limited(data, size + 256 * 1024, *args)

    _fault_then_recover(tmp_path, data, wasm, limited)
