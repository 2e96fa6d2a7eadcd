"""`golem-emu delete WORKER`: everything of the worker goes (oplog, files, promises), a new worker of the name
starts afresh, and bad input is one line with the oplog left as it was. Real processes, a real data dir."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from emulator.oplog import names
from tests.conftest import golem_emu, guest


def _db_digest(data: Path) -> str:
    parts = [(data / "oplog.db").read_bytes()] + [p.read_bytes() for p in sorted(data.glob("oplog.db-wal"))]
    return hashlib.sha256(b"".join(parts)).hexdigest()


def _rows(data: Path, worker: str) -> dict[str, int]:
    db = sqlite3.connect(data / "oplog.db")
    try:
        return {table: db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (worker,)).fetchone()[0]
                for table, column in (("workers", "name"), ("oplog", "worker"), ("summaries", "worker"),
                                      ("leases", "worker"), ("promises", "worker"))}
    finally:
        db.close()


def test_delete_removes_the_oplog_and_the_sandbox_and_the_name_starts_afresh(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fs = str(guest("fs-probe"))
    assert golem_emu(data, "invoke", fs, "-w", "p", "write-file", '"x"', '"1"').returncode == 0
    sandbox = names.sandbox_dir(data, "p")
    assert (sandbox / "x").is_file()
    assert _rows(data, "p")["oplog"] > 1
    r = golem_emu(data, "delete", "p")
    assert r.returncode == 0, r.stderr
    assert "deleted worker p" in r.stderr
    assert set(_rows(data, "p").values()) == {0}
    assert not sandbox.exists()
    # the same name again: a fresh worker, which has never written x
    again = golem_emu(data, "invoke", fs, "-w", "p", "read-file", '"x"')
    assert again.returncode == 0 and again.stdout.strip().startswith("err("), again.stdout
    assert "p" in golem_emu(data, "workers").stdout


@pytest.mark.parametrize(("name", "code", "needle"), [
    ("ghost", 2, "no worker named 'ghost' to delete (workers: p)"),
    ("../p", 2, "worker name"),
])
def test_deleting_what_is_not_there_is_one_line_and_writes_nothing(tmp_path: Path, name: str, code: int,
                                                                   needle: str) -> None:
    data = tmp_path / "data"
    assert golem_emu(data, "invoke", str(guest("fs-probe")), "-w", "p", "list-dir", '"."').returncode == 0
    before = _db_digest(data)
    r = golem_emu(data, "delete", name)
    assert r.returncode == code
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert _db_digest(data) == before


def test_a_bad_workers_filter_is_usage_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert golem_emu(data, "invoke", str(guest("fs-probe")), "-w", "p", "list-dir", '"."').returncode == 0
    before = _db_digest(data)
    r = golem_emu(data, "workers", "--filter", "status == sleeping")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "unknown status 'sleeping'" in r.stderr
    assert _db_digest(data) == before
    assert golem_emu(data, "workers", "--filter", "name == p", "--format", "jsonl").stdout.count('"name"') == 1
