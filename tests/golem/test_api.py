"""Golem's executor tests api.rs (v1.2.4), run against golem-emu with the same components, calls and expectations.

Each test names the Golem test it follows. Golem's tests drive a worker executor over gRPC; here the same steps
go through golem-emu's in-process API (emulator.testing.Emulator) or its real CLI in another process where a
second party (an interrupt, a kill) is part of the scenario. Cases that do not apply to a single-node emulator
are listed, with the reason, in docs/conformance.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
from pathlib import Path

import pytest

from emulator.errors import EmulatorError
from emulator.oplog.entries import ExportedFunctionInvoked
from emulator.runtime.catalog import component_uuid
from emulator.runtime.worker import Worker
from emulator.testing import Emulator
from tests.golem.conftest import component
from tests.golem.harness import cli, cli_background, has_worker, status, stdout_lines, wait_for

CART = "golem:it/api"
T_SHIRT = '{product-id: "G1000", name: "Golem T-Shirt M", price: 100.0, quantity: 5}'
SUBSCRIPTION = '{product-id: "G1001", name: "Golem Cloud Subscription 1y", price: 999999.0, quantity: 1}'
MUD_GOLEM = '{product-id: "G1002", name: "Mud Golem", price: 11.0, quantity: 10}'
T_SHIRT_OUT = '{product-id: "G1000", name: "Golem T-Shirt M", price: 100, quantity: 5}'


def _invoked(emu: Emulator, worker: str) -> int:
    return sum(isinstance(e, ExportedFunctionInvoked) for _, e in emu.oplog(worker))


# -- interruption, simulated crash, reconstructed status ---------------------------------------------------


def _start_interruption(data_dir: Path, name: str) -> object:
    proc = cli_background(data_dir, "invoke", str(component("interruption")), "--worker", name, "run")
    # `run` prints a line, then sleeps 100 x 100 ms: wait until it is inside that loop
    wait_for(lambda: has_worker(data_dir, name) and stdout_lines(data_dir, name) != [], "the worker to start")
    return proc


@pytest.mark.parametrize("golem_test", ["interruption", "reconstruct_interrupted_state"])
def test_interrupting_a_running_worker(data_dir: Path, golem_test: str) -> None:
    """interruption, reconstruct_interrupted_state: the caller gets Golem's interrupt message, and the status
    recomputed from the oplog alone is Interrupted."""
    proc = _start_interruption(data_dir, "interruption-1")
    assert cli(data_dir, "interrupt", "interruption-1").returncode == 0
    _, err = proc.communicate(timeout=60)  # type: ignore[attr-defined]
    assert "Interrupted via the Golem API" in err
    assert status(data_dir, "interruption-1") == "interrupted"


def test_simulated_crash(data_dir: Path) -> None:
    """simulated_crash: a real kill -9 in the middle of `run`; recovery finishes it with "done", and the
    line printed before the crash is not printed again."""
    proc = _start_interruption(data_dir, "simulated-crash-1")
    os.kill(proc.pid, signal.SIGKILL)  # type: ignore[attr-defined]
    proc.wait(timeout=30)  # type: ignore[attr-defined]
    resumed = cli(data_dir, "resume", "simulated-crash-1")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == '"done"'
    assert stdout_lines(data_dir, "simulated-crash-1") == ["Starting interruption test\n"]


# -- shopping cart, idempotency keys ------------------------------------------------------------------------


def test_shopping_cart_example(emu: Emulator) -> None:
    """shopping_cart_example: the cart holds the three items, the last one's quantity updated."""
    w = emu.worker("shopping-cart-1", component("shopping-cart"))
    w.invoke(f"{CART}.{{initialize-cart}}", ['"test-user-1"'])
    for item in (T_SHIRT, SUBSCRIPTION, MUD_GOLEM):
        w.invoke(f"{CART}.{{add-item}}", [item])
    w.invoke(f"{CART}.{{update-item-quantity}}", ['"G1002"', "20"])
    contents = w.invoke(f"{CART}.{{get-cart-contents}}", []).response
    w.invoke(f"{CART}.{{checkout}}", [])  # Golem's test does not look at the checkout's result
    assert contents == (
        f'[{T_SHIRT_OUT}, {{product-id: "G1001", name: "Golem Cloud Subscription 1y", price: 999999, quantity: 1}}, '
        '{product-id: "G1002", name: "Mud Golem", price: 11, quantity: 20}]'
    )


def test_invoking_with_same_idempotency_key_is_idempotent(emu: Emulator) -> None:
    """invoking_with_same_idempotency_key_is_idempotent: the second add-item with the same key does nothing."""
    w = emu.worker("shopping-cart-2", component("shopping-cart"))
    w.invoke(f"{CART}.{{add-item}}", [T_SHIRT], "key-1")
    assert w.invoke(f"{CART}.{{add-item}}", [T_SHIRT], "key-1").cached
    assert w.invoke(f"{CART}.{{get-cart-contents}}", []).response == f"[{T_SHIRT_OUT}]"


def test_invoking_with_same_idempotency_key_is_idempotent_after_restart(data_dir: Path) -> None:
    """..._after_restart: the executor restarts between the two calls; the key is still known."""
    with Emulator(data_dir) as emu:
        emu.worker("shopping-cart-4", component("shopping-cart")).invoke(f"{CART}.{{add-item}}", [T_SHIRT], "k")
    with Emulator(data_dir) as emu:
        w = emu.worker("shopping-cart-4", component("shopping-cart"))
        w.invoke(f"{CART}.{{add-item}}", [T_SHIRT], "k")
        assert w.invoke(f"{CART}.{{get-cart-contents}}", []).response == f"[{T_SHIRT_OUT}]"
        assert _invoked(emu, "shopping-cart-4") == 2  # the repeated add-item ran nowhere


# -- environment --------------------------------------------------------------------------------------------


def test_dynamic_worker_creation(emu: Emulator) -> None:
    """dynamic_worker_creation: no arguments, and exactly Golem's three identity variables."""
    w = emu.worker("dynamic-worker-creation-1", component("environment-service"))
    assert w.invoke(f"{CART}.{{get-arguments}}", []).response == "ok([])"
    env = w.invoke(f"{CART}.{{get-environment}}", []).response
    assert env == (
        f'ok([("GOLEM_WORKER_NAME", "dynamic-worker-creation-1"), ("GOLEM_COMPONENT_ID", "{w.info.component_uuid}"), '
        '("GOLEM_COMPONENT_VERSION", "0")])'
    )


# -- parameter and result types -----------------------------------------------------------------------------


@pytest.mark.parametrize(("golem_test", "name", "calls"), [
    ("optional_parameters", "option-service", [
        ("echo", ['some("Hello")'], 'some("Hello")'),
        ("echo", ["none"], "none"),
        ("todo", ['{name: "todo", description: some("description")}'], '"todo"'),
        ("todo", ['{name: "todo", description: none}'], '"todo"'),
    ]),
    ("flags_parameters", "flags-service", [
        ("create-task", ['{name: "t1", permissions: {read, write}}'], '{name: "t1", permissions: {read, write, exec}}'),
        ("get-tasks", [], '[{name: "t1", permissions: {read}}, {name: "t2", permissions: {read, exec, close}}]'),
    ]),
    ("variants_with_no_payloads", "variant-service", [("bid", [], "success")]),
])
def test_parameter_types(emu: Emulator, golem_test: str, name: str, calls: list[tuple[str, list[str], str]]) -> None:
    """optional_parameters, flags_parameters, variants_with_no_payloads: values cross the boundary intact."""
    w = emu.worker(f"{name}-1", component(name))
    for func, args, expected in calls:
        assert w.invoke(f"{CART}.{{{func}}}", args).response == expected


@pytest.mark.parametrize(("golem_test", "function", "args"), [
    ("error_handling_when_worker_is_invoked_with_fewer_than_expected_parameters", f"{CART}.{{echo}}", []),
    ("error_handling_when_worker_is_invoked_with_more_than_expected_parameters", f"{CART}.{{echo}}",
     ['some("Hello")', '"extra parameter"']),
    ("invoke_with_non_existing_function", "WRONG", []),
    ("invoke_with_wrong_parameters", f"{CART}.{{echo}}", []),
])
def test_invalid_requests_leave_the_worker_usable(emu: Emulator, golem_test: str, function: str,
                                                  args: list[str]) -> None:
    """Golem rejects a bad call without writing anything; the next good call works."""
    w = emu.worker("option-service-1", component("option-service"))
    before = emu.oplog("option-service-1")
    with pytest.raises(EmulatorError):
        w.invoke(function, args)
    assert emu.oplog("option-service-1") == before
    assert w.invoke(f"{CART}.{{echo}}", ['some("Hello")']).response == 'some("Hello")'


# -- worker metadata while sleeping -------------------------------------------------------------------------


def test_get_worker_metadata(data_dir: Path) -> None:
    """get_worker_metadata: while `sleep 2` runs the worker is Running (or Suspended), afterwards Idle, at
    component version 0."""
    proc = cli_background(data_dir, "invoke", str(component("clock-service")), "--worker", "get-worker-metadata-1",
                          f"{CART}.{{sleep}}", "2")
    wait_for(lambda: has_worker(data_dir, "get-worker-metadata-1")
             and status(data_dir, "get-worker-metadata-1") in ("running", "suspended"), "the worker to sleep")
    assert proc.wait(timeout=60) == 0
    assert status(data_dir, "get-worker-metadata-1") == "idle"
    shown = cli(data_dir, "show", "get-worker-metadata-1")
    assert "idle" in shown.stdout and "version 0" in shown.stdout.replace(":", ""), shown.stdout


# -- component versions and bad wasm ------------------------------------------------------------------------


def _rebuild(wasm: Path, source: str) -> None:
    """Golem's update-component: a new version of the component file, written as a new file (as a build
    does). Rewriting it in place would change the worker's kept copy too, a hard link to it."""
    wasm.unlink(missing_ok=True)
    shutil.copyfile(component(source), wasm)


def test_recovering_an_old_worker_after_updating_a_component(data_dir: Path, tmp_path: Path) -> None:
    """recovering_an_old_worker_after_updating_a_component: the component file is replaced by an incompatible
    one; a new worker runs the new code, the old worker recovers (after a restart) on its own code."""
    wasm = tmp_path / "cart.wasm"
    _rebuild(wasm, "shopping-cart")
    with Emulator(data_dir) as emu:
        assert emu.worker("old-1", wasm).invoke(f"{CART}.{{add-item}}", [T_SHIRT]).response is None
        _rebuild(wasm, "option-service")
        assert emu.worker("new-2", wasm).invoke(f"{CART}.{{echo}}", ['some("Hello")']).response == 'some("Hello")'
    with Emulator(data_dir) as emu:
        old = Worker.load(emu.runtime, emu.store, "old-1", data_dir / "components")
        assert old.invoke(f"{CART}.{{get-cart-contents}}", []).response == f"[{T_SHIRT_OUT}]"
        old.close()


def test_trying_to_use_an_old_wasm_provides_good_error_message(emu: Emulator) -> None:
    """trying_to_use_an_old_wasm_provides_good_error_message: a pre-1.0 component is refused
    with "failed to parse WebAssembly module", and no worker is created."""
    with pytest.raises(EmulatorError, match="failed to parse WebAssembly module"):
        emu.worker("old-component-1", component("old-component"))
    assert not emu.store.has_worker("old-component-1")


def _corrupt(path: Path) -> None:
    """Golem's tests overwrite the first four bytes. Here the file is replaced instead: a kept component may
    be a hard link to the corpus file, which must stay as it is."""
    data = bytearray(path.read_bytes())
    data[0:4] = bytes([1, 2, 3, 4])
    path.unlink()
    path.write_bytes(bytes(data))


def test_trying_to_use_a_wasm_that_wasmtime_cannot_load(emu: Emulator, tmp_path: Path) -> None:
    """trying_to_use_a_wasm_that_wasmtime_cannot_load_provides_good_error_message: the first four bytes
    overwritten."""
    wasm = tmp_path / "write-stdout.wasm"
    shutil.copyfile(component("write-stdout"), wasm)
    _corrupt(wasm)
    with pytest.raises(EmulatorError, match="is not WebAssembly"):  # Golem: "failed to parse WebAssembly module"
        emu.worker("bad-wasm-1", wasm)


def test_trying_to_use_a_wasm_that_wasmtime_cannot_load_after_recovery(data_dir: Path) -> None:
    """..._after_recovery: the worker exists; its kept component is corrupted before the next invocation."""
    with Emulator(data_dir) as emu:
        emu.worker("bad-wasm-2", component("write-stdout"))
    for kept in (data_dir / "components").glob("*.wasm"):
        _corrupt(kept)
    # Golem reports the parse failure; golem-emu checks the kept file's hash first and says it was rewritten
    with Emulator(data_dir) as emu, pytest.raises(EmulatorError, match="no longer holds the component"):
        Worker.load(emu.runtime, emu.store, "bad-wasm-2", data_dir / "components").invoke("run", [])


# -- failures -----------------------------------------------------------------------------------------------

PANIC = ("thread '<unnamed>' panicked at src/lib.rs:30:17:\nvalue is too large\n"
         "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n")


def test_stderr_returned_for_failed_component(emu: Emulator) -> None:
    """stderr_returned_for_failed_component: add(50) panics; the error (and the failed worker's last error)
    ends with what the guest wrote to stderr; the next call is refused as the previous invocation failed."""
    w = emu.worker("failing-worker-1", component("failing-component"))
    w.invoke("golem:component/api.{add}", ["5"])
    with pytest.raises(EmulatorError) as failed:
        w.invoke("golem:component/api.{add}", ["50"])
    assert str(failed.value).endswith(PANIC)
    with pytest.raises(EmulatorError) as refused:
        w.invoke("golem:component/api.{get}", [])
    assert "previous invocation failed" in str(refused.value)
    summary = w.summary()
    assert summary.status == "failed"
    assert summary.last_error is not None and summary.last_error.endswith(PANIC)


# -- resolving components and workers by name ----------------------------------------------------------------


def test_resolve_components_from_name(emu: Emulator, tmp_path: Path) -> None:
    """resolve_components_from_name: resolve-component-id("component-resolve-target") finds the counters
    component, resolve-worker-id-strict finds its worker counter-1, an unknown one is none."""
    target = tmp_path / "component-resolve-target.wasm"
    shutil.copyfile(component("counters"), target)
    counter = emu.worker("counter-1", target)
    resolver = emu.worker("resolver-1", component("component-resolve"))
    result = resolver.invoke("golem:it/component-resolve-api.{run}", []).response
    uuid = counter.info.component_uuid
    cid = f"{{uuid: {{high-bits: {uuid.int >> 64}, low-bits: {uuid.int & (2**64 - 1)}}}}}"
    assert result == f'(some({cid}), some({{component-id: {cid}, worker-name: "counter-1"}}), none)'


def test_promise(data_dir: Path) -> None:
    """promise: create gives the promise at oplog index 3; poll is none; await suspends the worker; completing
    it with [42] resumes it with [42]; poll then gives some([42])."""
    wasm = str(component("promise"))
    created = cli(data_dir, "invoke", wasm, "--worker", "promise-1", f"{CART}.{{create}}")
    assert created.returncode == 0, created.stderr
    promise_id = created.stdout.strip()
    assert promise_id.endswith('worker-name: "promise-1"}, oplog-idx: 3}')
    assert cli(data_dir, "invoke", wasm, "--worker", "promise-1", f"{CART}.{{poll}}", promise_id).stdout.strip() \
        == "none"
    waiting = cli(data_dir, "invoke", wasm, "--worker", "promise-1", f"{CART}.{{await}}", promise_id)
    assert status(data_dir, "promise-1") == "suspended", waiting.stderr
    completed = cli(data_dir, "promise", "complete", "promise-1", "3", "*")  # "*" is the byte 42
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[42]"
    assert cli(data_dir, "invoke", wasm, "--worker", "promise-1", f"{CART}.{{poll}}", promise_id).stdout.strip() \
        == "some([42])"



# -- deleting workers ---------------------------------------------------------------------------------------


def test_delete_worker(emu: Emulator, tmp_path: Path) -> None:
    """delete_worker: a worker that ran echo is there (exactly one by its name) before the deletion, and its
    metadata is gone after it."""
    emu.worker("delete-worker-1", component("option-service")).invoke(f"{CART}.{{echo}}", ['some("Hello")'])
    assert emu.store.worker_names() == ["delete-worker-1"]
    emu.delete("delete-worker-1")
    assert not emu.store.has_worker("delete-worker-1")
    assert emu.store.worker_names() == []
    shown = cli(emu.data_dir, "show", "delete-worker-1")
    assert shown.returncode == 2 and "no worker named 'delete-worker-1'" in shown.stderr


def test_create_invoke_delete_create_invoke(emu: Emulator) -> None:
    """create_invoke_delete_create_invoke: add-item works before and after the worker is deleted and made
    again under the same name, whose oplog can be read (and starts afresh: one invocation, one item)."""
    name = "create-invoke-delete-create-invoke-1"
    assert emu.worker(name, component("shopping-cart")).invoke(f"{CART}.{{add-item}}", [T_SHIRT]).response is None
    emu.delete(name)
    again = emu.worker(name, component("shopping-cart"))
    assert again.invoke(f"{CART}.{{add-item}}", [T_SHIRT]).response is None
    assert cli(emu.data_dir, "oplog", name).returncode == 0
    assert _invoked(emu, name) == 1
    assert again.invoke(f"{CART}.{{get-cart-contents}}", []).response == f"[{T_SHIRT_OUT}]"


def test_recreating_a_worker_after_it_got_deleted_with_a_different_version(emu: Emulator, tmp_path: Path) -> None:
    """recreating_a_worker_after_it_got_deleted_with_a_different_version: the component is updated to an
    incompatible version (option-service's code) after the worker ran add-item; the worker is deleted, and one
    made under that name runs the new version: echo answers."""
    wasm = tmp_path / "cart.wasm"
    _rebuild(wasm, "shopping-cart")
    name = "recreating-an-worker-after-it-got-deleted-with-a-different-version-1"
    assert emu.worker(name, wasm).invoke(f"{CART}.{{add-item}}", [T_SHIRT]).response is None
    _rebuild(wasm, "option-service")
    added = cli(emu.data_dir, "component", "add", str(wasm))
    assert added.returncode == 0 and added.stdout.strip() == "1", added.stderr
    emu.delete(name)
    again = emu.worker(name, wasm)
    assert again.invoke(f"{CART}.{{echo}}", ['some("Hello")']).response == 'some("Hello")'
    assert again.info.component_version == 1
    assert cli(emu.data_dir, "oplog", name).returncode == 0


# -- component-level environment ----------------------------------------------------------------------------

ENV_API = f"{CART}.{{get-environment}}"


def test_component_env_variables(emu: Emulator) -> None:
    """component_env_variables: a component stored with FOO=bar; its new worker sees FOO first, then Golem's
    three identity variables, at version 0."""
    assert emu.add_component(component("environment-service"), env=[("FOO", "bar")]) == 0
    w = emu.worker("component-env-variables-1", component("environment-service"))
    assert w.invoke(ENV_API, []).response == (
        f'ok([("FOO", "bar"), ("GOLEM_WORKER_NAME", "component-env-variables-1"), '
        f'("GOLEM_COMPONENT_ID", "{w.info.component_uuid}"), ("GOLEM_COMPONENT_VERSION", "0")])'
    )


def _env_of(response: str | None) -> dict[str, str]:
    """The pairs of get-environment's ok([...]) answer (Golem's test turns them into a map too)."""
    assert response is not None and response.startswith("ok(["), response
    return dict(re.findall(r'\("([^"]*)", "([^"]*)"\)', response))


def test_component_env_variables_update(emu: Emulator) -> None:
    """component_env_variables_update: the worker's metadata env is the component's FOO=bar; the component is
    updated (same wasm, env BAR=baz: version 1) and the worker auto-updated to it; then it sees FOO and BAR."""
    wasm = component("environment-service")
    emu.add_component(wasm, env=[("FOO", "bar")])
    w = emu.worker("component-env-variables-1", wasm)
    shown = cli(emu.data_dir, "show", "component-env-variables-1", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["env"] == {"FOO": "bar"}
    added = cli(emu.data_dir, "component", "add", str(wasm), "--env", "BAR=baz")
    assert added.returncode == 0 and added.stdout.strip() == "1", added.stderr
    ok, details = w.update(emu.runtime.load(wasm), "automatic")
    assert ok, details
    env = _env_of(w.invoke(ENV_API, []).response)
    assert env["FOO"] == "bar" and env["BAR"] == "baz"
    assert env["GOLEM_WORKER_NAME"] == "component-env-variables-1"
    assert env["GOLEM_COMPONENT_VERSION"] == "1"


def test_component_env_and_worker_env_priority(emu: Emulator) -> None:
    """component_env_and_worker_env_priority: the component says FOO=bar, the worker FOO=baz; the worker's
    metadata env is FOO=baz alone."""
    emu.add_component(component("environment-service"), env=[("FOO", "bar")])
    created = cli(emu.data_dir, "invoke", str(component("environment-service")), "--worker",
                  "component-env-variables-1", "--env", "FOO=baz", ENV_API)
    assert created.returncode == 0, created.stderr
    shown = cli(emu.data_dir, "show", "component-env-variables-1", "--format", "json")
    assert json.loads(shown.stdout)["env"] == {"FOO": "baz"}
    assert '("FOO", "baz")' in created.stdout and '"bar"' not in created.stdout


# -- enumerating workers ------------------------------------------------------------------------------------


def test_get_workers(emu: Emulator) -> None:
    """get_workers: ten workers test-worker-0..9 of option-service, each found alone by its name once it ran
    echo; `name like test` finds all ten, and so does it with (Idle or Running) and version 0; its negation
    none; no filter all ten. Pages of five: the first has a cursor and at least five, the second the rest;
    a third page, if the second had a cursor, is empty. After deleting them all, none."""
    names = [f"test-worker-{i}" for i in range(10)]
    for name in names:
        emu.worker(name, component("option-service"))
    for name in names:
        emu.worker(name, component("option-service")).invoke(f"{CART}.{{echo}}", ['some("Hello")'])
        found, cursor = emu.workers(f"name == {name}", count=20)
        assert [w["name"] for w in found] == [name] and cursor is None
    for flt, expected in [("name like test", 10),
                          ("name like test and (status == idle or status == running) and version == 0", 10),
                          ("not name like test", 0), (None, 10)]:
        found, cursor = emu.workers(flt, count=20)
        assert len(found) == expected and cursor is None, flt
    first, cursor1 = emu.workers(count=5)
    assert cursor1 is not None and len(first) >= 5
    second, cursor2 = emu.workers(cursor=cursor1, count=10 - len(first))
    assert len(second) == 10 - len(first)
    assert sorted(w["name"] for w in first + second) == sorted(names)
    if cursor2 is not None:
        assert emu.workers(cursor=cursor2, count=10) == ([], None)
    # the same through the CLI, in another process
    listed = cli(emu.data_dir, "workers", "--format", "jsonl", "--filter",
                 "name like test and (status == idle or status == running) and version == 0")
    assert listed.returncode == 0, listed.stderr
    assert sorted(json.loads(line)["name"] for line in listed.stdout.splitlines()) == sorted(names)
    paged = cli(emu.data_dir, "workers", "--format", "jsonl", "--count", "5")
    assert len(paged.stdout.splitlines()) == 5 and "more workers: --cursor 5" in paged.stderr
    for name in names:
        emu.delete(name)
    assert emu.workers(count=20) == ([], None)


# -- workers without a name, ephemeral components -----------------------------------------------------------


def _nameless_twice(emu: Emulator) -> list[dict[str, str]]:
    envs = [_env_of(emu.worker(None, component("environment-service")).invoke(ENV_API, []).response)
            for _ in range(2)]
    for env in envs:
        assert "GOLEM_WORKER_NAME" in env
        assert env["GOLEM_COMPONENT_ID"] == str(component_uuid("environment-service"))
        assert env["GOLEM_COMPONENT_VERSION"] == "0"
    assert envs[0]["GOLEM_WORKER_NAME"] != envs[1]["GOLEM_WORKER_NAME"]
    return envs


def test_dynamic_worker_creation_without_name(emu: Emulator) -> None:
    """dynamic_worker_creation_without_name: two get-environment calls on no named worker run on two workers
    with names of their own, of the component at version 0."""
    _nameless_twice(emu)
    nameless = cli(emu.data_dir, "invoke", str(component("environment-service")), ENV_API)
    assert nameless.returncode == 0, nameless.stderr
    made = nameless.stderr.split("new worker ", 1)[1].split()[0]
    assert f'("GOLEM_WORKER_NAME", "{made}")' in nameless.stdout
    assert len(emu.store.worker_names()) == 3


def test_ephemeral_worker_creation_without_name(emu: Emulator) -> None:
    """ephemeral_worker_creation_without_name: the same with an ephemeral component."""
    assert emu.add_component(component("environment-service"), ephemeral=True) == 0
    _nameless_twice(emu)


def test_ephemeral_worker_creation_with_name_is_not_persistent(emu: Emulator, tmp_path: Path) -> None:
    """ephemeral_worker_creation_with_name_is_not_persistent: counters stored ephemeral; inc-global-by(2) and
    then get-global-value on the worker "test" gives 0: the second call ran on a fresh instance."""
    added = cli(emu.data_dir, "component", "add", str(component("counters")), "--ephemeral")
    assert added.returncode == 0 and added.stdout.strip() == "0", added.stderr
    w = emu.worker("test", component("counters"))
    w.invoke("rpc:counters-exports/api.{inc-global-by}", ["2"])
    assert w.invoke("rpc:counters-exports/api.{get-global-value}", []).response == "0"
    assert [e.kind for _, e in emu.oplog("test")].count("restart") == 1  # Golem's marker: nothing replayed
    with pytest.raises(EmulatorError, match="ephemeral workers cannot be updated"):  # Golem refuses it too
        w.update(emu.runtime.load(component("counters")))
    # the same code as a durable component (another name) keeps its state: the contrast the type makes
    durable_wasm = tmp_path / "counters-durable.wasm"
    shutil.copyfile(component("counters"), durable_wasm)
    durable = emu.worker("durable-1", durable_wasm)
    durable.invoke("rpc:counters-exports/api.{inc-global-by}", ["2"])
    assert durable.invoke("rpc:counters-exports/api.{get-global-value}", []).response == "2"
