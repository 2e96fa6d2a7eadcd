"""Issue 2's acceptance: durable Python workers across processes, exact replay, and divergence detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import wasmtime

from emulator.errors import NondeterminismError, WorkerFailed
from emulator.oplog.entries import ChangeRetryPolicy
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.conftest import FIXTURES, golem_emu, guest, wat_component


def test_counter_counts_across_three_processes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    outputs = [golem_emu(data, "invoke", str(guest("counter")), "--worker", "c", "increment") for _ in range(3)]
    assert [(r.returncode, r.stdout.strip()) for r in outputs] == [(0, "1"), (0, "2"), (0, "3")], outputs[-1].stderr
    lines = golem_emu(data, "oplog", "c", "--json", check=True).stdout.splitlines()
    kinds = [json.loads(line)["$type"] for line in lines]
    assert kinds[0] == "create"
    assert kinds.count("exported-function-invoked") == 3
    assert kinds.count("exported-function-completed") == 3
    assert "imported-function-invoked" in kinds  # the Python runtime's entropy reads are journaled
    rows = golem_emu(data, "workers", "--json", check=True).stdout.splitlines()
    assert [(w["name"], w["status"]) for w in map(json.loads, rows)] == [("c", "idle")]


def test_nondeterministic_values_replay_exactly(runtime: Runtime, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "oplog.db") as store:
        first = Worker.open(runtime, store, "n", guest("nondeterminism"))
        a = first.invoke("sample", [], "key-a")
        b = first.invoke("sample", [], "key-b")
        tour = first.invoke("host-tour", [], "key-tour")
        first.close()
        assert a.response != b.response  # live values really are fresh each time
        # A new worker object (as a new process would) replays all three and gets identical results.
        replayed = Worker.open(runtime, store, "n", guest("nondeterminism")).recover()
    assert replayed == {"key-a": a.response, "key-b": b.response, "key-tour": tour.response}


def test_replay_in_a_new_process_reproduces_earlier_values(tmp_path: Path) -> None:
    data = tmp_path / "data"
    wasm = str(guest("nondeterminism"))
    first = golem_emu(data, "invoke", wasm, "--worker", "n", "-k", "first", "sample", check=True)
    # The second process must replay "first" (any difference would be a NondeterminismError) and run live.
    second = golem_emu(data, "invoke", wasm, "--worker", "n", "sample", check=True)
    assert second.stdout != first.stdout
    again = golem_emu(data, "invoke", wasm, "--worker", "n", "-k", "first", "sample", check=True)
    assert again.stdout == first.stdout  # a known idempotency key returns the recorded result


def test_divergent_component_fails_with_the_index(runtime: Runtime, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "oplog.db") as store:
        w = Worker.open(runtime, store, "d", guest("nondeterminism"))
        w.invoke("sample", [])
        w.close()
        entries = store.read("d")
        changed = Worker.open(runtime, store, "d", guest("divergent"))
        with pytest.raises(NondeterminismError) as caught:
            changed.invoke("sample", [])
    err = caught.value
    recorded = dict(entries)[err.index]
    assert recorded.kind == "imported-function-invoked"
    assert recorded.function_name in err.expected
    assert "generate_idempotency_key" in err.actual
    assert f"oplog index {err.index}" in str(err)


def test_divergence_through_the_cli_is_one_clear_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    golem_emu(data, "invoke", str(guest("nondeterminism")), "--worker", "d", "sample", check=True)
    r = golem_emu(data, "invoke", str(guest("divergent")), "--worker", "d", "sample")
    assert r.returncode == 1
    assert "oplog index" in r.stderr and "generate_idempotency_key" in r.stderr
    assert r.stdout == ""
    # The divergence is recorded as Golem records a failed invocation; the worker then refuses new work.
    later = golem_emu(data, "invoke", str(guest("nondeterminism")), "--worker", "d", "sample")
    assert later.returncode == 1 and "previous invocation failed" in later.stderr


def test_seed_example_durability_controls(runtime: Runtime, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "oplog.db") as store:
        w = Worker.open(runtime, store, "s", guest("seed-example"))
        assert w.invoke("run-transaction", ["5"]).response == "5"
        assert w.invoke("persist-nothing-section", []).response == '"smart>persist-nothing>smart"'
        assert w.invoke("commit", ["2"]).response == "true"
        w.close()
        kinds = [e.kind for _, e in store.read("s")]
        assert kinds.count("begin-atomic-region") == 1 and kinds.count("end-atomic-region") == 1
        assert "change-persistence-level" not in kinds  # golem-1.1 semantics record nothing
        again = Worker.open(runtime, store, "s", guest("seed-example"))
        assert again.invoke("balance", []).response == "5"  # state rebuilt by replay


def test_failed_worker_refuses_new_invocations(runtime: Runtime, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "oplog.db") as store:
        w = Worker.open(runtime, store, "d", guest("nondeterminism"))
        w.invoke("sample", [])
        w.close()
        with pytest.raises(NondeterminismError):
            Worker.open(runtime, store, "d", guest("divergent")).invoke("sample", [])
        with pytest.raises(WorkerFailed, match="previous invocation failed"):
            Worker.open(runtime, store, "d", guest("nondeterminism")).invoke("sample", [])


@pytest.mark.parametrize("version", ["0.2.0", "1.1.0", "1.1.6", "1.1.7"])
def test_every_host_version_links(version: str, runtime: Runtime, tmp_path: Path) -> None:
    wasm = tmp_path / "host.wasm"
    text = (FIXTURES / "host_versions.wat.tmpl").read_text().replace("VERSION", version)
    wasm.write_bytes(wasmtime.wat2wasm(text))
    with SqliteStore(tmp_path / "oplog.db") as store:
        w = Worker.open(runtime, store, "v", wasm)
        assert w.invoke("index", []).response == "3"  # Create, ExportedFunctionInvoked, then this NoOp


def test_set_retry_policy_at_0_2_has_no_jitter_factor(runtime: Runtime, tmp_path: Path) -> None:
    # golem:api@0.2.x's retry-policy record ends at multiplier; it used to fail on the missing field
    wasm = wat_component("retry_policy_020", tmp_path)
    with SqliteStore(tmp_path / "oplog.db") as store:
        Worker.open(runtime, store, "r", wasm).invoke("run", [])
        (policy,) = [e for _, e in store.read("r") if isinstance(e, ChangeRetryPolicy)]
    assert (policy.max_attempts, policy.min_delay_ns, policy.max_delay_ns) == (7, 10**6, 5 * 10**6)
    assert policy.multiplier == 1.5
    assert policy.max_jitter_factor is None


def test_unknown_import_is_a_load_error(runtime: Runtime, tmp_path: Path) -> None:
    wasm = tmp_path / "odd.wasm"
    text = (FIXTURES / "host_versions.wat.tmpl").read_text().replace("golem:api/host@VERSION", "acme:odd/thing@1.0.0")
    wasm.write_bytes(wasmtime.wat2wasm(text))
    with SqliteStore(tmp_path / "oplog.db") as store, pytest.raises(Exception, match="acme:odd/thing@1.0.0"):
        Worker.open(runtime, store, "u", wasm)
    assert not SqliteStore(tmp_path / "oplog.db").has_worker("u")
