"""Oplog: Golem's buffering semantics (indices at add time, commit flushes, auto-commit past 128)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.errors import OplogConflict, WorkerNotFound
from emulator.oplog import MAX_OPERATIONS_BEFORE_COMMIT, Oplog, OplogEntry, SqliteStore
from emulator.oplog.entries import Create, Log, NoOp


def create(name: str = "w") -> Create:
    return Create(worker_name=name, component="c.wasm", component_hash="ab" * 32, timestamp=1)


def log(i: int) -> Log:
    return Log(level="info", context="t", message=str(i), timestamp=i)


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "oplog.db")


def test_indices_are_assigned_at_add_time(store: SqliteStore) -> None:
    oplog = Oplog.create(store, create())
    assert oplog.current_index() == 1 and oplog.pending() == 0
    assert oplog.add(log(2)) == 2
    assert oplog.add(log(3)) == 3
    assert oplog.current_index() == 3 and oplog.committed_index() == 1 and oplog.pending() == 2
    assert store.last_index("w") == 1  # nothing durable yet
    assert oplog.entry(3) == log(3)
    assert oplog.read(1) == [(1, create()), (2, log(2)), (3, log(3))]
    assert oplog.read(2, 2) == [(2, log(2))]
    oplog.commit()
    assert store.last_index("w") == 3 and oplog.pending() == 0
    assert oplog.add_and_commit(log(4)) == 4
    assert store.read("w", 4) == [(4, log(4))]
    oplog.commit()  # empty commit is a no-op
    with pytest.raises(IndexError):
        oplog.entry(5)
    with pytest.raises(IndexError):
        oplog.entry(0)


def test_reads_span_store_and_buffer(store: SqliteStore) -> None:
    oplog = Oplog.create(store, create())
    for i in range(2, 6):
        oplog.add(log(i))
    oplog.commit()
    for i in range(6, 9):
        oplog.add(log(i))
    assert oplog.read(4, 7) == [(i, log(i)) for i in range(4, 8)]
    assert oplog.read(7) == [(7, log(7)), (8, log(8))]
    assert oplog.read(9) == []
    assert oplog.entry(5) == log(5)


def test_auto_commit_past_128(store: SqliteStore) -> None:
    assert MAX_OPERATIONS_BEFORE_COMMIT == 128
    oplog = Oplog.create(store, create())
    for i in range(2, 130):
        oplog.add(log(i))
    assert oplog.pending() == 128 and store.last_index("w") == 1
    assert oplog.add(log(130)) == 130  # the 129th buffered entry triggers the commit
    assert oplog.pending() == 0 and store.last_index("w") == 130


def test_unknown_worker(store: SqliteStore) -> None:
    with pytest.raises(WorkerNotFound, match="no worker named 'ghost'"):
        Oplog(store, "ghost")


def test_two_views_conflict_and_keep_their_buffer(store: SqliteStore) -> None:
    first = Oplog.create(store, create())
    second = Oplog(SqliteStore(store.path), "w")
    first.add_and_commit(NoOp(timestamp=2))
    assert second.add(NoOp(timestamp=3)) == 2
    with pytest.raises(OplogConflict):
        second.commit()
    assert second.pending() == 1 and second.current_index() == 2


ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.text(max_size=8)),
        st.tuples(st.just("commit"), st.just("")),
        st.tuples(st.just("add_and_commit"), st.text(max_size=8)),
        st.tuples(st.just("reopen"), st.just("")),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(ops, st.integers(min_value=1, max_value=5))
def test_random_sequences_keep_indices_contiguous(operations: list[tuple[str, str]], max_buffered: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "oplog.db")
        oplog = Oplog.create(store, create(), max_buffered=max_buffered)
        model: list[OplogEntry] = [create()]
        durable = 1
        for n, (op, text) in enumerate(operations):
            if op == "reopen":  # a restart: whatever was not committed is gone
                durable = store.last_index("w")
                model = model[:durable]
                oplog = Oplog(store, "w", max_buffered=max_buffered)
                continue
            if op == "commit":
                oplog.commit()
                continue
            entry = Log(level="stdout", context=str(n), message=text, timestamp=n)
            index = oplog.add_and_commit(entry) if op == "add_and_commit" else oplog.add(entry)
            model.append(entry)
            assert index == len(model)
            assert oplog.pending() <= max_buffered
            assert oplog.current_index() == len(model)
            assert oplog.committed_index() == store.last_index("w") >= durable
        assert oplog.read() == list(enumerate(model, start=1))
        committed = store.read("w")
        assert [i for i, _ in committed] == list(range(1, len(committed) + 1))
        assert committed == list(enumerate(model[: len(committed)], start=1))
        store.close()
