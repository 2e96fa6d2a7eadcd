"""Issue 4 against a real HTTP server: atomic regions that fail and persist-nothing under both semantics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.errors import NondeterminismError
from emulator.lifecycle.retry import VirtualClock
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.conftest import guest
from tests.http_server import CountingServer


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "oplog.db") as store:
        yield store


def effects(runtime: Runtime, store: SqliteStore, name: str, semantics: str | None = None) -> Worker:
    return Worker.open(runtime, store, name, guest("http-effects"), semantics=semantics, clock=VirtualClock())


def test_region_failing_twice_resends_only_the_region(runtime: Runtime, db: SqliteStore,
                                                       http_server: CountingServer) -> None:
    w = effects(runtime, db, "saga")
    assert w.invoke("saga", [f'"{http_server.base}"']).response == '"in-2 accepted on attempt 3"'
    counts = {p: http_server.count(f"/effect/{p}") for p in ("before", "in-1", "in-2", "after")}
    assert counts == {"before": 1, "in-1": 3, "in-2": 3, "after": 1}
    assert [e.kind for _, e in db.read("saga")].count("error") == 2


def test_persist_nothing_golem_1_1_repeats_its_side_effects(runtime: Runtime, db: SqliteStore,
                                                            http_server: CountingServer) -> None:
    w = effects(runtime, db, "pn11", "golem-1.1")
    w.invoke("persist-nothing-post", [f'"{http_server.base}"'])
    w.close()
    kinds = [e.kind for _, e in db.read("pn11")]
    assert "change-persistence-level" not in kinds
    assert (http_server.count("/effect/pn"), http_server.count("/effect/journaled")) == (1, 1)
    effects(runtime, db, "pn11").recover()  # a new process recovers the worker
    # The persist-nothing request ran again for real; the journaled one was served from the oplog.
    assert (http_server.count("/effect/pn"), http_server.count("/effect/journaled")) == (2, 1)


def test_persist_nothing_golem_1_2_records_and_diverges(runtime: Runtime, db: SqliteStore,
                                                       http_server: CountingServer) -> None:
    w = effects(runtime, db, "pn12", "golem-1.2")
    w.invoke("persist-nothing-post", [f'"{http_server.base}"'])
    w.close()
    levels = [e.level for _, e in db.read("pn12") if e.kind == "change-persistence-level"]  # type: ignore[attr-defined]
    assert levels == ["persist-nothing", "smart"]
    # The zone is skipped on replay, so a guest that enters it unconditionally diverges, as in Golem 1.2.2+.
    with pytest.raises(NondeterminismError, match="change-persistence-level") as diverged:
        effects(runtime, db, "pn12").recover()
    # The message names the cause (the section is skipped on replay), not a changed component.
    assert "skipped on replay" in str(diverged.value) and "code changed" not in str(diverged.value)
    assert (http_server.count("/effect/pn"), http_server.count("/effect/journaled")) == (1, 1)


def test_semantics_is_fixed_per_worker(runtime: Runtime, db: SqliteStore) -> None:
    effects(runtime, db, "fixed", "golem-1.2").close()
    with pytest.raises(Exception, match="created with --semantics golem-1.2"):
        effects(runtime, db, "fixed", "golem-1.1")
    assert effects(runtime, db, "fixed", "golem-1.2").create.semantics == "golem-1.2"
