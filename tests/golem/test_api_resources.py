"""Golem's executor tests api.rs (v1.2.4) on exported resources: shopping_cart_resource_example,
counter_resource_test_1 and counter_resource_test_2, with the same components, calls and expectations.

A constructor's result is a handle the worker keeps ("urn:worker:<component>/<worker>/<id>", ids 0, 1, ...),
passed back as `self`; an indexed name (`counter("counter1").inc-by`) constructs the resource on first use.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.errors import UsageError
from emulator.inspect.facts import owned_resources
from emulator.testing import Emulator
from tests.golem.conftest import component
from tests.golem.harness import cli

CART = "golem:it/api"
COUNTERS = "rpc:counters-exports/api"
ITEMS = [
    '{product-id: "G1000", name: "Golem T-Shirt M", price: 100.0, quantity: 5}',
    '{product-id: "G1001", name: "Golem Cloud Subscription 1y", price: 999999.0, quantity: 1}',
    '{product-id: "G1002", name: "Mud Golem", price: 11.0, quantity: 10}',
]


def test_shopping_cart_resource_example(emu: Emulator) -> None:
    """shopping_cart_resource_example: a cart constructed for a user holds the three items added through
    its handle, the last one's quantity updated to 20."""
    w = emu.worker("shopping-cart-resource-1", component("shopping-cart-resource"))
    cart = w.invoke(f"{CART}.{{[constructor]cart}}", ['"test-user-1"']).response
    assert cart is not None and cart.startswith('"urn:worker:') and cart.endswith('/shopping-cart-resource-1/0"')
    for item in ITEMS:
        w.invoke(f"{CART}.{{[method]cart.add-item}}", [cart, item])
    w.invoke(f"{CART}.{{[method]cart.update-item-quantity}}", [cart, '"G1002"', "20"])
    contents = w.invoke(f"{CART}.{{[method]cart.get-cart-contents}}", [cart]).response
    w.invoke(f"{CART}.{{[method]cart.checkout}}", [cart])
    assert contents == (
        '[{product-id: "G1000", name: "Golem T-Shirt M", price: 100, quantity: 5}, '
        '{product-id: "G1001", name: "Golem Cloud Subscription 1y", price: 999999, quantity: 1}, '
        '{product-id: "G1002", name: "Mud Golem", price: 11, quantity: 20}]'
    )


def test_counter_resource_test_1(emu: Emulator) -> None:
    """counter_resource_test_1: a counter's handle takes inc-by 5 and gives 5; while it lives the worker owns
    resource 0 (not indexed), after [drop]counter it owns none and the counter reported itself dropped."""
    w = emu.worker("counters-1", component("counters"))
    counter = w.invoke(f"{COUNTERS}.{{[constructor]counter}}", ['"counter1"']).response
    assert counter is not None
    w.invoke(f"{COUNTERS}.{{[method]counter.inc-by}}", [counter, "5"])
    assert w.invoke(f"{COUNTERS}.{{[method]counter.get-value}}", [counter]).response == "5"
    assert emu.summary("counters-1").owned_resources == {0: None}
    w.invoke(f"{COUNTERS}.{{[drop]counter}}", [counter])
    assert w.invoke(f"{COUNTERS}.{{get-all-dropped}}", []).response == '[("counter1", 5)]'
    assert emu.summary("counters-1").owned_resources == {}


def test_counter_resource_test_2(emu: Emulator) -> None:
    """counter_resource_test_2: indexed invocations construct counter1 and counter2 on first use (5 and 1+2);
    the worker owns resources 0 and 1 under their indexed names until both are dropped."""
    w = emu.worker("counters-2", component("counters"))
    w.invoke(f'{COUNTERS}.{{counter("counter1").inc-by}}', ["5"])
    w.invoke(f'{COUNTERS}.{{counter("counter2").inc-by}}', ["1"])
    w.invoke(f'{COUNTERS}.{{counter("counter2").inc-by}}', ["2"])
    assert w.invoke(f'{COUNTERS}.{{counter("counter1").get-value}}', []).response == "5"
    assert w.invoke(f'{COUNTERS}.{{counter("counter2").get-value}}', []).response == "3"
    assert owned_resources(emu.store, "counters-2") == [
        {"id": 0, "indexed": {"resource_name": "counter", "resource_params": ['"counter1"']}},
        {"id": 1, "indexed": {"resource_name": "counter", "resource_params": ['"counter2"']}},
    ]
    w.invoke(f'{COUNTERS}.{{counter("counter1").drop}}', [])
    w.invoke(f'{COUNTERS}.{{counter("counter2").drop}}', [])
    assert w.invoke(f"{COUNTERS}.{{get-all-dropped}}", []).response == '[("counter1", 5), ("counter2", 3)]'
    assert owned_resources(emu.store, "counters-2") == []


# -- golem-emu's own checks of the same feature: replay, the CLI, bad handles --------------------------------


def test_resources_are_rebuilt_by_replay_in_another_process(data_dir: Path) -> None:
    """A restarted executor (here: the real CLI, one process per call) replays the invocations, so the
    handle from the first process and the indexed counter still name the same resources."""
    wasm = str(component("counters"))
    made = cli(data_dir, "invoke", wasm, "--worker", "counters-3", f"{COUNTERS}.{{[constructor]counter}}", '"a"')
    assert made.returncode == 0, made.stderr
    handle = made.stdout.strip()
    for call in ([f"{COUNTERS}.{{[method]counter.inc-by}}", handle, "4"], [f'{COUNTERS}.{{counter("b").inc-by}}', "6"]):
        done = cli(data_dir, "invoke", wasm, "--worker", "counters-3", *call)
        assert done.returncode == 0, done.stderr
    got = cli(data_dir, "invoke", wasm, "--worker", "counters-3", f"{COUNTERS}.{{[method]counter.get-value}}", handle)
    assert got.stdout.strip() == "4", got.stderr
    again = cli(data_dir, "invoke", wasm, "--worker", "counters-3", f'{COUNTERS}.{{counter("b").get-value}}')
    assert again.stdout.strip() == "6", again.stderr
    shown = json.loads(cli(data_dir, "show", "counters-3", "--format", "json").stdout)
    assert shown["resources"] == [
        {"id": 0, "indexed": None}, {"id": 1, "indexed": {"resource_name": "counter", "resource_params": ['"b"']}},
    ]


@pytest.mark.parametrize("bad", ["another worker's", "not held", "not a handle"])
def test_a_bad_handle_is_refused_before_anything_is_written(emu: Emulator, bad: str) -> None:
    """A handle of another worker, of a resource the worker does not hold, or not a handle at all, is a
    usage error naming the argument; the oplog is left as it was."""
    w = emu.worker("counters-4", component("counters"))
    held = w.invoke(f"{COUNTERS}.{{[constructor]counter}}", ['"a"']).response
    assert held is not None and held.endswith('/counters-4/0"')
    handle = {
        "another worker's": held.replace("/counters-4/", "/counters-5/"),
        "not held": held.replace("/counters-4/0", "/counters-4/7"),
        "not a handle": '"counter-a"',
    }[bad]
    before = emu.oplog("counters-4")
    with pytest.raises(UsageError, match="self"):
        w.invoke(f"{COUNTERS}.{{[method]counter.get-value}}", [handle])
    assert emu.oplog("counters-4") == before
