"""A kept summary row gives the same listing as folding the whole oplog, however stale the row is."""

from __future__ import annotations

from pathlib import Path

from emulator.lifecycle.management import current_component_hash
from emulator.lifecycle.status import summarize
from emulator.lifecycle.summary_rows import listing, save
from emulator.oplog import SqliteStore
from emulator.oplog.entries import (
    Create,
    Error,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    OplogEntry,
    Revert,
)


def _invocation(key: str) -> list[OplogEntry]:
    return [ExportedFunctionInvoked(function_name="f", request=("1",), idempotency_key=key),
            ExportedFunctionCompleted(response="1")]


def _expected(store: SqliteStore) -> tuple[str, str | None, int, str]:
    entries = [e for _, e in store.read("w")]
    s = summarize(entries)
    return s.status, s.last_error, len(entries), current_component_hash(entries)


def _listed(store: SqliteStore) -> tuple[str, str | None, int, str]:
    found = listing(store, "w")
    return found.summary.status, found.summary.last_error, found.length, found.component_hash


def _keep(store: SqliteStore) -> None:
    entries = [e for _, e in store.read("w")]
    save(store, "w", len(entries), summarize(entries), current_component_hash(entries))


def test_a_row_plus_the_entries_after_it_equals_the_whole_fold(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "oplog.db") as store:
        store.create_worker("w", Create(worker_name="w", component="c", component_hash="ab" * 32))
        store.append("w", 2, _invocation("a"))
        assert _listed(store) == _expected(store) == ("idle", None, 3, "ab" * 32)  # no row yet
        _keep(store)
        store.append("w", 4, [ExportedFunctionInvoked(function_name="f", request=(), idempotency_key="b"),
                              Error(error="boom", retriable=True)])
        assert _listed(store) == _expected(store) == ("retrying", "boom", 5, "ab" * 32)  # a stale row
        _keep(store)
        assert store.summary_row("w") is not None and store.summary_row("w")[0] == 5  # type: ignore[index]
        store.append("w", 6, [ExportedFunctionCompleted(response=None)])
        assert _listed(store) == _expected(store)  # the open invocation was carried in the row


def test_an_entry_that_rewrites_history_after_the_row_means_the_whole_fold(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "oplog.db") as store:
        store.create_worker("w", Create(worker_name="w", component="c", component_hash="ab" * 32))
        store.append("w", 2, [ExportedFunctionInvoked(function_name="f", request=(), idempotency_key="a"),
                              Error(error="boom", retriable=False)])
        _keep(store)
        assert _listed(store)[0] == "failed"
        store.append("w", 4, [Revert(start=2, end=3)])  # drops the failed invocation
        assert _listed(store) == _expected(store) and _listed(store)[0] == "idle"


def test_an_older_row_never_replaces_a_newer_one_and_deleting_drops_it(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "oplog.db") as store:
        store.create_worker("w", Create(worker_name="w", component="c", component_hash="ab" * 32))
        store.set_summary_row("w", 5, "newer")
        store.set_summary_row("w", 3, "older")
        assert store.summary_row("w") == (5, "newer")
        store.delete_worker("w")
        assert store.summary_row("w") is None
