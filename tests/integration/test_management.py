"""Issue 4: revert, fork and update, from the CLI and from inside a guest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.errors import UsageError
from emulator.lifecycle import management
from emulator.lifecycle.retry import VirtualClock
from emulator.oplog.entries import FailedUpdate, PendingUpdate, Revert, SuccessfulUpdate
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.conftest import golem_emu, guest


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "oplog.db") as store:
        yield store


def counter(runtime: Runtime, store: SqliteStore, name: str, wasm: str = "counter") -> Worker:
    return Worker.open(runtime, store, name, guest(wasm), clock=VirtualClock())


def test_revert_last_invocations_forgets_them(runtime: Runtime, db: SqliteStore) -> None:
    w = counter(runtime, db, "r")
    for key in ("a", "b", "c"):
        w.invoke("increment", [], key)
    w.close()
    entry = management.revert(db, "r", last_invocations=2)
    assert isinstance(entry, Revert)
    again = counter(runtime, db, "r")
    assert set(again.summary().invocations) == {"a"}
    assert again.invoke("increment", [], "b").response == "2"  # "b" is forgotten: it runs again, from 1


def test_revert_to_index_and_bad_targets(runtime: Runtime, db: SqliteStore) -> None:
    w = counter(runtime, db, "t")
    w.invoke("increment", [])
    w.close()
    last = db.last_index("t")
    with pytest.raises(UsageError, match="between 1 and"):
        management.revert(db, "t", to_index=last)
    management.revert(db, "t", to_index=1)
    with pytest.raises(UsageError, match="already skipped"):
        management.revert(db, "t", to_index=1)
    assert counter(runtime, db, "t").invoke("get", []).response == "0"


def test_fork_in_the_middle_of_history(tmp_path: Path) -> None:
    data = tmp_path / "data"
    wasm = str(guest("counter"))
    for _ in range(3):
        golem_emu(data, "invoke", wasm, "-w", "src", "increment", check=True)
    entries = golem_emu(data, "oplog", "src", "--format", "jsonl", check=True).stdout.splitlines()
    # Cut right after the second ExportedFunctionCompleted: the fork has counted to 2.
    completed = [i + 1 for i, line in enumerate(entries) if '"exported-function-completed"' in line]
    fork = golem_emu(data, "fork", "src", "child", "--at", str(completed[1]))
    assert fork.returncode == 0, fork.stderr
    assert golem_emu(data, "invoke", wasm, "-w", "child", "increment", check=True).stdout.strip() == "3"
    assert golem_emu(data, "invoke", wasm, "-w", "src", "increment", check=True).stdout.strip() == "4"
    bad = golem_emu(data, "fork", "src", "child", "--at", "2")
    assert bad.returncode == 2 and "already exists" in bad.stderr


def test_fork_inside_an_invocation_continues_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    wasm = str(guest("counter"))
    golem_emu(data, "invoke", wasm, "-w", "src", "increment", check=True)
    # Cut right after the second invocation started: the fork finishes that invocation itself.
    golem_emu(data, "invoke", wasm, "-w", "src", "increment", check=True)
    lines = golem_emu(data, "oplog", "src", "--format", "jsonl", check=True).stdout.splitlines()
    started = [i + 1 for i, line in enumerate(lines) if '"exported-function-invoked"' in line]
    r = golem_emu(data, "fork", "src", "mid", "--at", str(started[1]))
    assert r.returncode == 0 and r.stdout.strip() == "2", r.stderr


def test_automatic_update_that_fits_and_one_that_diverges(runtime: Runtime, db: SqliteStore) -> None:
    quiet = counter(runtime, db, "q")
    quiet.invoke("get", [])  # both versions answer 0 here, so v2 can replay this history
    assert quiet.update(runtime.load(guest("counter-v2"))) == (True, None)
    assert quiet.invoke("increment", []).response == "2"  # now running v2: steps of two
    busy = counter(runtime, db, "b")
    busy.invoke("increment", [])
    ok, details = busy.update(runtime.load(guest("counter-v2")))
    assert not ok and details is not None
    # The replayed increment returns 2 on v2 where v1 recorded 1 in its ExportedFunctionCompleted.
    assert re.match(r"oplog index \d+: the component returned 2 from emu:counter/api\.\{increment\} "
                    r"but the oplog recorded 1;", details), details
    assert busy.invoke("increment", []).response == "2"  # still v1
    kinds = [type(e) for _, e in db.read("b")]
    assert PendingUpdate in kinds and FailedUpdate in kinds and SuccessfulUpdate not in kinds


def test_snapshot_update_carries_state_and_survives_replay(runtime: Runtime, db: SqliteStore) -> None:
    w = counter(runtime, db, "s")
    for _ in range(3):
        w.invoke("increment", [])
    assert w.update(runtime.load(guest("counter-v2")), "snapshot") == (True, None)
    assert w.invoke("increment", []).response == "5"
    # A later recovery loads the snapshot, skips the replaced history, then replays what came after.
    again = Worker(runtime, db, "s", runtime.load(guest("counter-v2")))
    assert again.invoke("get", []).response == "5"


def test_update_through_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"
    golem_emu(data, "invoke", str(guest("counter")), "-w", "u", "increment", check=True)
    failed = golem_emu(data, "update", "u", str(guest("counter-v2")))
    assert failed.returncode == 1 and "stays on" in failed.stderr
    done = golem_emu(data, "update", "u", str(guest("counter-v2")), "--mode", "snapshot")
    assert done.returncode == 0, done.stderr
    assert golem_emu(data, "resume", "u").returncode == 0
    assert golem_emu(data, "invoke", str(guest("counter-v2")), "-w", "u", "get", check=True).stdout.strip() == "1"


def test_fork_from_inside_a_guest(runtime: Runtime, db: SqliteStore) -> None:
    parent = Worker.open(runtime, db, "parent", guest("resilience"), clock=VirtualClock())
    r = parent.invoke("split", ['"child"'], "split-key")
    assert r.response == '"original 2"'
    child = Worker.open(runtime, db, "child", guest("resilience"), clock=VirtualClock())
    assert child.summary().invocations["split-key"].response == '"forked 2"'  # it finished on its own side
    assert child.invoke("bump", []).response == "3"
    assert Worker.open(runtime, db, "parent", guest("resilience")).invoke("bump", []).response == "3"


def test_revert_worker_from_inside_a_guest(runtime: Runtime, db: SqliteStore) -> None:
    victim = Worker.open(runtime, db, "victim", guest("resilience"))
    for _ in range(3):
        victim.invoke("bump", [])
    victim.close()
    Worker.open(runtime, db, "admin", guest("resilience")).invoke("revert-other", ['"victim"', "2"])
    assert Worker.open(runtime, db, "victim", guest("resilience")).invoke("bump", []).response == "2"


def test_update_worker_from_a_guest_applies_when_the_worker_next_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    golem_emu(data, "invoke", str(guest("counter")), "-w", "c", "increment", check=True)
    golem_emu(data, "invoke", str(guest("counter")), "-w", "c", "increment", check=True)
    added = golem_emu(data, "component", "add", str(guest("counter-v2")), "--name", "counter", check=True)
    assert added.stdout.strip() == "1"  # counter.wasm itself is version 0
    golem_emu(data, "invoke", str(guest("resilience")), "-w", "admin", "update-other", '"c"', "1", "true",
              check=True)
    # The request is recorded at once; the snapshot update happens when "c" next runs.
    after = golem_emu(data, "invoke", str(guest("counter")), "-w", "c", "increment", check=True)
    assert after.stdout.strip() == "4"  # state carried over, and now counting in steps of two
    rows = [line for line in golem_emu(data, "workers", "--format", "jsonl", check=True).stdout.splitlines()]
    assert any('"c"' in r and '"component_version": 1' in r for r in rows), rows
    bad = golem_emu(data, "invoke", str(guest("resilience")), "-w", "admin2", "--no-wait", "update-other",
                    '"c"', "7", "false")
    assert bad.returncode == 1 and "has no version 7" in bad.stderr
    # Naming the old version's file afterwards still runs the worker's current code.
    again = golem_emu(data, "invoke", str(guest("counter")), "-w", "c", "increment", check=True)
    assert again.stdout.strip() == "6"
