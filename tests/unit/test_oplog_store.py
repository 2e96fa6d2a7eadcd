"""SqliteStore on real files: round trips, conflicts between stores, read-only opening, bad files, promises."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.errors import OplogConflict, OplogError, WorkerNotFound
from emulator.oplog import READ_REMOTE, OplogEntry, OplogStore, PromiseState, SqliteStore
from emulator.oplog.entries import Create, ImportedFunctionInvoked, Log, NoOp

ROOT = Path(__file__).resolve().parents[2]


def create(name: str = "w") -> Create:
    return Create(worker_name=name, component="c.wasm", component_hash="ab" * 32, timestamp=1)


def call(i: int) -> ImportedFunctionInvoked:
    return ImportedFunctionInvoked(
        function_name=f"f{i}", request=[i], response={"ok": i}, function_type=READ_REMOTE, timestamp=i
    )


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path / "deep" / "dir" / "oplog.db")
    s.create_worker("w", create())
    return s


def test_is_an_oplog_store(store: SqliteStore) -> None:
    protocol_user: OplogStore = store  # mypy checks the structural match
    assert protocol_user.last_index("w") == 1


def test_round_trip(store: SqliteStore) -> None:
    entries: list[OplogEntry] = [call(i) for i in range(2, 12)]
    store.append("w", 2, entries)
    assert store.last_index("w") == 11
    assert store.read("w") == [(1, create())] + list(enumerate(entries, start=2))
    assert store.read("w", 3, 4) == [(3, entries[1]), (4, entries[2])]
    assert store.read("w", 11, 50) == [(11, entries[-1])]
    assert store.read("w", 12) == []
    assert store.entry("w", 5) == entries[3]
    assert list(store.iter_entries("w", 2, chunk=3)) == list(enumerate(entries, start=2))
    assert list(store.iter_entries("w", 4, 6, chunk=2)) == [(4, entries[2]), (5, entries[3]), (6, entries[4])]
    with pytest.raises(OplogError, match="no oplog entry 12"):
        store.entry("w", 12)


@pytest.mark.parametrize("count", [31, 32, 33, 129])
def test_a_batch_of_any_length_lands_whole_and_in_order(store: SqliteStore, count: int) -> None:
    """Batches go in as multi-row INSERTs of a fixed size plus a remainder: every row, once, in order."""
    entries: list[OplogEntry] = [call(i) if i % 3 else Log(level="stdout", context="", message=f"line {i}",
                                                           timestamp=i) for i in range(2, 2 + count)]
    store.append("w", 2, entries)
    assert store.read("w") == [(1, create())] + list(enumerate(entries, start=2))
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT idx, kind, timestamp FROM oplog WHERE idx > 1 ORDER BY idx").fetchall() == [
        (i, e.kind, e.timestamp) for i, e in enumerate(entries, start=2)]
    db.close()
    with pytest.raises(OplogConflict):
        store.append("w", 2, entries)
    assert store.last_index("w") == 1 + count


def test_kind_and_timestamp_columns(store: SqliteStore) -> None:
    store.append("w", 2, [Log(level="info", context="c", message="m", timestamp=77)])
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT idx, kind, timestamp FROM oplog ORDER BY idx").fetchall() == [
        (1, "create", 1), (2, "log", 77)
    ]
    db.close()


def test_workers(store: SqliteStore) -> None:
    store.create_worker("a", create("a"))
    assert store.worker_names() == ["a", "w"]
    assert store.has_worker("a") and not store.has_worker("zz")
    assert store.last_index("zz") == 0
    assert store.read("zz") == []
    with pytest.raises(OplogError, match="already exists"):
        store.create_worker("a", create("a"))
    with pytest.raises(OplogError, match="names worker 'b'"):
        store.create_worker("a2", create("b"))
    store.create_promise("a", 3)
    store.delete_worker("a")
    store.delete_worker("a")  # idempotent
    assert store.worker_names() == ["w"]
    assert store.promise_state("a", 3) is None
    with pytest.raises(WorkerNotFound):
        store.append("a", 2, [NoOp()])


def test_append_checks_the_index(store: SqliteStore) -> None:
    with pytest.raises(OplogConflict, match="expected last index 2, found 1"):
        store.append("w", 3, [NoOp()])
    store.append("w", 2, [])  # nothing to do
    assert store.last_index("w") == 1


def test_conflict_between_two_stores_on_one_file(store: SqliteStore) -> None:
    other = SqliteStore(store.path)
    assert other.last_index("w") == 1
    store.append("w", 2, [call(2), call(3)])
    with pytest.raises(OplogConflict, match="another process appended"):
        other.append("w", 2, [call(99)])
    assert other.read("w", 2) == [(2, call(2)), (3, call(3))]  # the loser changed nothing
    other.append("w", 4, [call(4)])  # after catching up it may continue
    assert store.last_index("w") == 4
    other.close()


def test_failed_write_rolls_back_and_keeps_the_original_error(store: SqliteStore) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with store._write() as db:
            db.execute("INSERT INTO oplog VALUES ('w', 2, 'no-op', 0, '{}')")
            raise Boom
    assert store.last_index("w") == 1
    with pytest.raises(TypeError, match="not an oplog entry"):
        store.append("w", 2, [call(2), "junk"])  # type: ignore[list-item]
    assert store.last_index("w") == 1
    store.append("w", 2, [call(2)])  # the connection is usable afterwards


def test_two_processes_append_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SqliteStore(path).close()
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from emulator.oplog import SqliteStore\n"
        "from emulator.oplog.entries import Create, NoOp\n"
        "s = SqliteStore(sys.argv[2]); name = sys.argv[3]\n"
        "s.create_worker(name, Create(worker_name=name, component='c', component_hash='0'))\n"
        "for i in range(2, 2002, 10): s.append(name, i, [NoOp(timestamp=j) for j in range(i, i + 10)])\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(ROOT), str(path), name]) for name in ("p1", "p2")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    s = SqliteStore(path)
    for name in ("p1", "p2"):
        assert [i for i, _ in s.read(name)] == list(range(1, 2002))


def test_readonly_refuses_writes_and_sees_commits(store: SqliteStore) -> None:
    ro = SqliteStore.open_readonly(store.path)
    store.append("w", 2, [call(2)])  # the writer keeps its connection open: the data is still in the WAL
    assert ro.read("w") == [(1, create()), (2, call(2))]
    writes: list[Callable[[], object]] = [
        lambda: ro.append("w", 3, [NoOp()]),
        lambda: ro.create_worker("x", create("x")),
        lambda: ro.delete_worker("w"),
        lambda: ro.create_promise("w", 1),
        lambda: ro.complete_promise("w", 1, b""),
        lambda: ro.delete_promise("w", 1),
    ]
    for write in writes:
        with pytest.raises(OplogError, match="read-only"):
            write()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro._db.execute("DELETE FROM oplog")  # even bypassing the store, SQLite itself refuses
    ro.close()
    assert store.last_index("w") == 2


def test_readonly_missing_file(tmp_path: Path) -> None:
    with pytest.raises(OplogError, match="no golem-emu database"):
        SqliteStore.open_readonly(tmp_path / "absent.db")
    assert not (tmp_path / "absent.db").exists()


@pytest.mark.parametrize("readonly", [False, True])
def test_corrupt_file(tmp_path: Path, readonly: bool) -> None:
    path = tmp_path / "oplog.db"
    path.write_bytes(b"this is not sqlite at all\n" * 200)
    with pytest.raises(OplogError, match="is not a golem-emu database .*move it away or pass another --data-dir"):
        SqliteStore(path, readonly=readonly)


def test_foreign_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes(text)")
    db.commit()
    db.close()
    with pytest.raises(OplogError, match="not a golem-emu database \\(it holds other data\\)"):
        SqliteStore(path)


def test_newer_and_unknown_schema(store: SqliteStore) -> None:
    store.close()
    db = sqlite3.connect(store.path)
    db.execute("UPDATE meta SET schema_version = 99")
    db.commit()
    with pytest.raises(OplogError, match="newer golem-emu .*upgrade golem-emu"):
        SqliteStore(store.path)
    db.execute("UPDATE meta SET schema_version = 0")
    db.commit()
    db.close()
    with pytest.raises(OplogError, match="unknown schema version 0"):
        SqliteStore(store.path)


def test_pragmas(store: SqliteStore) -> None:
    db = store._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_reopen_keeps_everything(store: SqliteStore) -> None:
    store.append("w", 2, [call(2)])
    store.close()
    with SqliteStore(store.path) as again:
        assert again.read("w") == [(1, create()), (2, call(2))]


def test_promises(store: SqliteStore) -> None:
    assert store.promise_state("w", 4) is None
    store.create_promise("w", 4)
    assert store.promise_state("w", 4) == PromiseState("pending", None)
    assert store.complete_promise("w", 4, b"first")
    assert not store.complete_promise("w", 4, b"second")
    store.create_promise("w", 4)  # SET NX: no reset to pending
    assert store.promise_state("w", 4) == PromiseState("completed", b"first")
    store.delete_promise("w", 4)
    assert store.promise_state("w", 4) is None
    assert store.complete_promise("w", 5, b"")  # like Golem, completing an unknown promise records it
    assert store.promise_state("w", 5) == PromiseState("completed", b"")


def test_a_worker_created_with_its_history_is_all_or_nothing(store: SqliteStore) -> None:
    # Forks write the Create and the copied history in one transaction: an entry that cannot be written
    # (here one that is not an entry at all) leaves no half-made worker behind.
    with pytest.raises(TypeError):
        store.create_worker("b", create("b"), then=[call(2), object()])  # type: ignore[list-item]
    assert not store.has_worker("b")
    store.create_worker("b", create("b"), then=[call(2), call(3)])
    assert [e.function_name for _, e in store.read("b", 2)] == ["f2", "f3"]  # type: ignore[attr-defined]


def test_a_fork_that_cannot_be_written_leaves_no_target(store: SqliteStore) -> None:
    from emulator.lifecycle.management import fork

    store.append("w", 2, [call(2), call(3)])
    with pytest.raises(TypeError):
        fork(store, "w", "child", 3, extra=[object()])  # type: ignore[list-item]
    assert not store.has_worker("child")
    fork(store, "w", "child", 3)
    assert store.last_index("child") == 3
