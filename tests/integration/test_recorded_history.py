"""Replay compatibility across releases, as Temporal's replayer tests guard it: whole oplogs recorded by an
earlier build of golem-emu running our guests (tests/fixtures/histories, JSONL as `golem-emu oplog WORKER
--format jsonl` writes it) replay on the guests built today, every recorded result the same.

The files are fixtures, never rewritten by a test. They were recorded with the CLI, e.g. for resilience:
    golem-emu invoke resilience.wasm --worker res -k r1 --no-wait region-fails-twice
    golem-emu invoke resilience.wasm --worker res -k r2 infallible-transfer 3
    golem-emu invoke resilience.wasm --worker res -k r3 bump
    golem-emu oplog res --format jsonl
and for seed-example: run-transaction 5, persist-nothing-section, run-transaction 7, commit 1, balance (keys t1-t5).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.inspect.export import parse_jsonl
from emulator.lifecycle.status import summarize
from emulator.oplog.entries import Create, Error, Jump
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.conftest import FIXTURES, guest

# fixture -> (guest, a live call after replay, what it answers only if the replayed state is right)
HISTORIES = {
    "seed-example.jsonl": ("seed-example", "balance", "12"),
    "resilience.jsonl": ("resilience", "bump", "2"),
}


def _load(store: SqliteStore, name: str) -> tuple[str, list[tuple[int, object]]]:
    entries = parse_jsonl((FIXTURES / "histories" / name).read_text())
    assert [i for i, _ in entries] == list(range(1, len(entries) + 1))
    create = entries[0][1]
    assert isinstance(create, Create)
    store.create_worker(create.worker_name, create)
    store.append(create.worker_name, 2, [e for _, e in entries[1:]])
    return create.worker_name, list(entries)


@pytest.mark.parametrize("history", sorted(HISTORIES))
def test_a_recorded_history_replays_on_todays_guest(runtime: Runtime, tmp_path: Path, history: str) -> None:
    component, function, answer = HISTORIES[history]
    with SqliteStore(tmp_path / "oplog.db") as store:
        name, entries = _load(store, history)
        recorded = {key: o.response for key, o in summarize([e for _, e in entries]).invocations.items()
                    if o.completed_at is not None}
        assert recorded  # the fixture holds finished invocations to compare
        worker = Worker(runtime, store, name, runtime.load(guest(component)))
        try:
            assert worker.recover() == recorded
            assert store.read(name) == entries  # replay reads the history and writes nothing
            assert worker.invoke(function, []).response == answer
        finally:
            worker.close()


def test_the_histories_cover_retries_jumps_and_regions() -> None:
    kinds = set()
    for history in HISTORIES:
        kinds |= {e.kind for _, e in parse_jsonl((FIXTURES / "histories" / history).read_text())}
    assert {Error.kind, Jump.kind, "begin-atomic-region", "end-atomic-region", "no-op", "log",
            "imported-function-invoked"} <= kinds
