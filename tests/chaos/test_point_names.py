"""Crash points are named by what happens there, and identical runs give identical names."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.chaos.points import Chaos, parse_target, select
from emulator.errors import UsageError
from emulator.lifecycle.retry import VirtualClock
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.conftest import guest
from tests.http_server import CountingServer
from tests.integration.test_http_durability import effects_args


def _names(runtime: Runtime, db: Path, args: list[str], function: str = "post-effects") -> list[str]:
    store = SqliteStore(db)
    chaos = Chaos()
    try:
        Worker.open(runtime, store, "w", guest("http-effects"), chaos=chaos, clock=VirtualClock()).invoke(
            function, args, "key-1")
    finally:
        store.close()
    return [p.name for p in chaos.points]


@pytest.mark.parametrize("client", ["requests", "poll-loop"])
def test_five_identical_http_runs_give_identical_names(
    runtime: Runtime, tmp_path: Path, http_server: CountingServer, client: str,
) -> None:
    args = effects_args(http_server.base, client=client, atomic=True)
    runs = [_names(runtime, tmp_path / f"run-{i}.db", args) for i in range(5)]
    assert all(run == runs[0] for run in runs), [len(r) for r in runs]
    names = runs[0]
    assert len(set(names)) == len(names), "names must be unique within a run"
    assert "before:http::types::future_incoming_response.get#1" in names
    assert any(n.startswith("in-region:") for n in names)
    assert any(n.startswith("after:commit@") for n in names)


def test_a_crash_target_is_a_number_or_a_name() -> None:
    assert parse_target("7") == 7
    assert parse_target("after:commit@7") == "after:commit@7"
    with pytest.raises(UsageError, match="neither a point number nor a point name"):
        parse_target("seven")


def test_only_selects_by_glob_or_substring(runtime: Runtime, tmp_path: Path, http_server: CountingServer) -> None:
    chaos = Chaos()
    store = SqliteStore(tmp_path / "o.db")
    try:
        Worker.open(runtime, store, "w", guest("http-effects"), chaos=chaos, clock=VirtualClock()).invoke(
            "post-effects", effects_args(http_server.base), "k")
    finally:
        store.close()
    gets = select(chaos.points, "before:http::*get#*")
    assert gets and all(".get#" in p.name for p in gets)
    assert select(chaos.points, "commit@") == [p for p in chaos.points if "commit@" in p.name]
