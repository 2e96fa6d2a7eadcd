"""golem-cloud (Golem's Python library, PyPI) on golem-emu: transactions, host helpers, custom durability and
golem:api/oplog, against a real HTTP server answering as the servers of Golem's own tests do.

Expected outcomes are those of Golem's executor tests at v1.2.4: `transactions.rs`
(golem_rust_fallible_transaction, golem_rust_infallible_transaction) and `durability.rs` (custom_durability_1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from emulator.lifecycle.retry import VirtualClock
from emulator.oplog import entries as e
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.conftest import guest
from tests.step_server import StepServer, step_server

GOLEM_TX_EVENTS_FALLIBLE = ["=> 1", "=> 2", "=> 3", "<= 3", "<= 2", "<= 1"]
GOLEM_TX_EVENTS_INFALLIBLE = ["=> 1", "=> 2", "=> 3", "=> 1", "=> 2", "=> 3", "=> 4"]
FALLIBLE_ERROR = 'err("FailedAndRolledBackCompletely: fail after 3")'


@pytest.fixture
def steps() -> Iterator[StepServer]:
    """Step 3 answers "fail" once, the others never (Golem's transaction tests)."""
    with step_server({3: 1}) as server:
        yield server


def open_worker(runtime: Runtime, store: SqliteStore, name: str = "w", semantics: str | None = None) -> Worker:
    """The golem-cloud worker `name`, retrying without sleeping."""
    return Worker.open(runtime, store, name, guest("golem-cloud"), semantics=semantics, clock=VirtualClock())


def kinds(store: SqliteStore, name: str = "w") -> list[str]:
    """The kinds of the worker's oplog entries, in order."""
    return [entry.kind for _, entry in store.read(name)]


@pytest.mark.parametrize("semantics", ["golem-1.1", "golem-1.2"])
def test_fallible_transaction_undoes_steps_3_2_1_and_fails(
    runtime: Runtime, store: SqliteStore, steps: StepServer, semantics: str,
) -> None:
    result = open_worker(runtime, store, semantics=semantics).invoke(
        "fallible-transaction-test", [json.dumps(steps.base)])
    assert result.response == FALLIBLE_ERROR
    assert steps.events == GOLEM_TX_EVENTS_FALLIBLE
    # A replay serves every step and compensation from the oplog: the server sees nothing new.
    assert open_worker(runtime, store).recover() == {result.idempotency_key: FALLIBLE_ERROR}
    assert steps.events == GOLEM_TX_EVENTS_FALLIBLE


@pytest.mark.parametrize("semantics", ["golem-1.1", "golem-1.2"])
def test_infallible_transaction_retries_from_its_start(
    runtime: Runtime, store: SqliteStore, steps: StepServer, semantics: str,
) -> None:
    result = open_worker(runtime, store, semantics=semantics).invoke(
        "infallible-transaction-test", [json.dumps(steps.base)])
    assert result.response == "11"
    assert steps.events == GOLEM_TX_EVENTS_INFALLIBLE
    entries = kinds(store)
    # The raise after step 3 trapped once (one Error); the retry abandoned the unfinished region (Jump).
    assert entries.count("error") == 1 and entries.count("jump") == 1
    assert entries.count("begin-atomic-region") == 1 and entries.count("end-atomic-region") == 1
    assert open_worker(runtime, store).recover() == {result.idempotency_key: "11"}
    assert steps.events == GOLEM_TX_EVENTS_INFALLIBLE


@pytest.mark.parametrize("semantics", ["golem-1.1", "golem-1.2"])
def test_infallible_transaction_jumps_back_on_an_operation_error(
    runtime: Runtime, store: SqliteStore, steps: StepServer, semantics: str,
) -> None:
    result = open_worker(runtime, store, semantics=semantics).invoke(
        "infallible-transaction-jump-test", [json.dumps(steps.base)])
    assert result.response == "11"
    # golem-cloud 0.2.0 runs the compensations registered so far and then set-oplog-index(start), but its
    # InfallibleTransaction.execute registers each compensation inside the compensation itself, so none is
    # ever registered: no "<= n" before the second attempt. (golem-rust compensates steps 2 and 1 here.)
    assert steps.events == GOLEM_TX_EVENTS_INFALLIBLE
    entries = kinds(store)
    assert "error" not in entries  # a jump is no failure: no retry was spent
    assert entries.count("jump") == 2  # set-oplog-index, then the region abandoned on the jump's replay
    assert open_worker(runtime, store).recover() == {result.idempotency_key: "11"}
    assert steps.events == GOLEM_TX_EVENTS_INFALLIBLE


@pytest.mark.parametrize("semantics", ["golem-1.1", "golem-1.2"])
def test_custom_durable_function_is_replayed_not_called_again(
    runtime: Runtime, store: SqliteStore, semantics: str,
) -> None:
    with step_server() as server:
        first = open_worker(runtime, store, semantics=semantics).invoke(
            "callback", [json.dumps(server.base), '"a"'])
        assert first.response == '"0-a"'
        # A new instance replays the first call from its persisted result (Golem's custom_durability_1).
        second = open_worker(runtime, store).invoke("callback", [json.dumps(server.base), '"b"'])
        assert second.response == '"1-b"'
        assert server.callbacks == 2
    persisted = [x for _, x in store.read("w")
                 if isinstance(x, e.ImportedFunctionInvoked) and x.function_name == "golem-it:test-callback"]
    assert [p.function_type for p in persisted] == [e.WRITE_REMOTE, e.WRITE_REMOTE]
    assert "value-and-type" in persisted[0].request  # type: ignore[operator]
    levels = [x.level for _, x in store.read("w") if isinstance(x, e.ChangePersistenceLevel)]
    # golem-1.2 records the persist-nothing section (and skips it on replay); golem-1.1 records nothing.
    expected = ["persist-nothing", "smart"] * 2 if semantics == "golem-1.2" else []
    assert levels == expected


def test_host_helpers_set_and_restore(runtime: Runtime, store: SqliteStore) -> None:
    result = open_worker(runtime, store, semantics="golem-1.2").invoke("helpers", [])
    assert json.loads(result.response or "") == [
        "retry inside: 7", "retry after: 3",
        "idempotent inside: False", "idempotent after: True",
        "level inside: PersistenceLevel_PersistNothing", "level after: PersistenceLevel_Smart",
        "atomic inside", "atomic after",
    ]
    policies = [x for _, x in store.read("w") if isinstance(x, e.ChangeRetryPolicy)]
    assert [p.max_attempts for p in policies] == [7, 3]  # set, then restored to the default
    entries = kinds(store)
    assert entries.count("change-persistence-level") == 2
    assert entries.index("begin-atomic-region") + 1 == entries.index("end-atomic-region")


def test_oplog_read_and_search_from_the_guest(runtime: Runtime, store: SqliteStore, steps: StepServer) -> None:
    worker = open_worker(runtime, store)
    while store.last_index("w") <= 100:  # more than one page of entries
        worker.invoke("fallible-transaction-test", [json.dumps(steps.base)])
    seen = json.loads(worker.invoke("own-oplog", ["1"]).response or "")
    rows = store.read("w")
    # Everything up to the entry before this call's completion, over more than one page of 100.
    assert len(rows) > 100 and len(seen) == len(rows) - 1
    assert seen[0] == "Create" and seen[1] == "ExportedFunctionInvoked"
    names = [f"ImportedFunctionInvoked {x.function_name}" for _, x in rows[:len(seen)]
             if isinstance(x, e.ImportedFunctionInvoked)]
    assert [s for s in seen if s.startswith("ImportedFunctionInvoked")] == names
    assert json.loads(worker.invoke("own-oplog", ["60"]).response or "")[0] == seen[59]
    found = json.loads(worker.invoke("search-own-oplog", ['"kind:end-remote-write"']).response or "")
    assert found == [i for i, x in rows if isinstance(x, e.EndRemoteWrite)]


def test_raw_durable_function_in_a_remote_write_bracket(runtime: Runtime, store: SqliteStore) -> None:
    with step_server() as server:
        first = open_worker(runtime, store).invoke("raw-callback", [json.dumps(server.base), '"a"'])
        assert first.response == '"0-a"'
        second = open_worker(runtime, store).invoke("raw-callback", [json.dumps(server.base), '"b"'])
        assert second.response == '"1-b"'
        assert server.callbacks == 2
    rows = [x for _, x in store.read("w")]
    persisted = [i for i, x in enumerate(rows)
                 if isinstance(x, e.ImportedFunctionInvoked) and x.function_name == "raw-callback"]
    assert len(persisted) == 2
    # Idempotence off: begin-durable-function opened a bracket that end-durable-function closed (golem-1.1
    # records nothing of the persist-nothing call inside). rows[i] is oplog index i + 1.
    for i in persisted:
        assert isinstance(rows[i - 1], e.BeginRemoteWrite)
        end = rows[i + 1]
        assert isinstance(end, e.EndRemoteWrite) and end.begin_index == i


def test_lazy_initialized_pollable(runtime: Runtime, store: SqliteStore) -> None:
    result = open_worker(runtime, store).invoke("lazy-pollable", [])
    assert result.response == "[true, false, true]"
