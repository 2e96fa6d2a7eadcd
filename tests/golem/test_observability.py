"""Golem's executor tests observability.rs (v1.2.4): searching a worker's oplog, and its length after a
component update. Golem's search_oplog is golem-emu's `oplog --query` (and emulator.inspect.query)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from emulator.inspect.query import parse
from emulator.testing import Emulator
from tests.golem.conftest import component
from tests.golem.harness import cli

CART = "golem:it/api"
ITEMS = [
    '{product-id: "G1000", name: "Golem T-Shirt M", price: 100.0, quantity: 5}',
    '{product-id: "G1001", name: "Golem Cloud Subscription 1y", price: 999999.0, quantity: 1}',
    '{product-id: "G1002", name: "Mud Golem", price: 11.0, quantity: 10}',
]


def test_search_oplog_1(data_dir: Path) -> None:
    """search_oplog_1: after the shopping-cart session, "G1002" finds its two invocations and their two log
    lines, "imported-function" the two host calls (preopens and random bytes), and
    "product-id:G1001 OR product-id:G1000" the two add-item invocations."""
    with Emulator(data_dir) as emu:
        w = emu.worker("searchoplog1", component("shopping-cart"))
        w.invoke(f"{CART}.{{initialize-cart}}", ['"test-user-1"'])
        for item in ITEMS:
            w.invoke(f"{CART}.{{add-item}}", [item])
        w.invoke(f"{CART}.{{update-item-quantity}}", ['"G1002"', "20"])
        w.invoke(f"{CART}.{{get-cart-contents}}", [])
        w.invoke(f"{CART}.{{checkout}}", [])
        oplog = emu.oplog("searchoplog1")

    def found(query: str) -> list[dict[str, object]]:
        done = cli(data_dir, "oplog", "searchoplog1", "--query", query, "--format", "jsonl")
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    g1002 = found("G1002")
    assert sorted(str(e["$type"]) for e in g1002) == ["exported-function-invoked"] * 2 + ["log"] * 2
    imported = found("imported-function")
    assert [e["function-name"] for e in imported] == ["cli::preopens::get_directories",
                                                       "golem random::get_random_bytes"]
    two = found("product-id:G1001 OR product-id:G1000")
    assert [e["function-name"] for e in two] == [f"{CART}.{{add-item}}"] * 2
    # the in-process API agrees with the CLI
    query = parse("product-id:G1001 OR product-id:G1000")
    assert [i for i, e in oplog if query.matches(i, e)] == [int(str(e["index"])) for e in two]


def test_get_oplog_starting_with_updated_component(emu: Emulator, tmp_path: Path) -> None:
    """get_oplog_starting_with_updated_component: a worker started after its component was updated to v2
    runs v2 from the start: f4 gives 11, and its oplog is create, invoked, completed."""
    wasm = tmp_path / "update-test.wasm"
    shutil.copyfile(component("update-test-v1"), wasm)
    assert emu.add_component(wasm) == 0
    shutil.copyfile(component("update-test-v2"), wasm)  # Golem's update_component: the component's new code
    assert emu.add_component(wasm) == 1
    w = emu.worker("get_oplog_starting_with_updated_component", wasm)
    assert w.invoke("golem:component/api.{f4}", []).response == "11"
    assert [e.kind for _, e in emu.oplog("get_oplog_starting_with_updated_component")] == [
        "create", "exported-function-invoked", "exported-function-completed",
    ]
    assert w.info.component_version == 1
