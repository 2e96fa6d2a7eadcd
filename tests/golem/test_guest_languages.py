"""Golem's executor tests guest_languages1.rs (v1.2.4): components built with Zig, TinyGo, C, Grain and Java.

Golem's output events are the Log entries of the worker's oplog here. Golem itself marks grain_example_1,
java_example_1, java_shopping_cart, c_example_3 and c_example_4 as ignored; they are run here too where the
component exists, and docs/conformance.md says how they fare.
"""

from __future__ import annotations

import datetime
import time

import pytest

from emulator.testing import Emulator
from tests.golem.conftest import component
from tests.golem.harness import Reply, serve, stdout_lines


def test_zig_example_3(emu: Emulator) -> None:
    """zig_example_3: add 10, add 11, get is 21."""
    w = emu.worker("zig-3", component("zig-3"))
    w.invoke("golem:it/api.{add}", ["10"])
    w.invoke("golem:it/api.{add}", ["11"])
    assert w.invoke("golem:it/api.{get}", []).response == "21"


def test_tinygo_example(emu: Emulator) -> None:
    """tinygo_example: it echoes its input, prints a line with this year and a number it returns, its
    arguments, and its environment including Golem's identity variables."""
    w = emu.worker("tinygo-wasi-1", component("tinygo-wasi"), args=["arg-1", "arg-2"],
                   env=[("ENV_VAR_1", "ENV_VAR_VALUE_1")])
    result = w.invoke("example1", ['"Hello Go-lem"']).response
    lines = stdout_lines(emu.data_dir, "tinygo-wasi-1")  # one output event per write, as Golem's
    assert lines[0] == "Hello Go-lem\n"
    assert lines[1].startswith(f"test {datetime.date.today().year}")
    assert result == lines[1].split(" ")[-1].strip()
    assert "arg-1 arg-2" in lines[2]
    for expected in ("ENV_VAR_1=ENV_VAR_VALUE_1", "GOLEM_WORKER_NAME=tinygo-wasi-1", "GOLEM_COMPONENT_ID=",
                     "GOLEM_COMPONENT_VERSION=0"):
        assert expected in lines[3], expected


def test_tinygo_http_client(emu: Emulator) -> None:
    """tinygo_http_client: a JSON POST answered with JSON; the body sent once, exactly as Go encodes it."""
    def route(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        if method == "POST" and path == "/post-example":
            header = headers.get("x-test", "no X-Test header")
            return 200, f'{{ "percentage" : 0.25, "message": "response message {header}" }}'.encode(), []
        return None

    with serve(route) as server:
        w = emu.worker("tinygo-wasi-http-1", component("tinygo-wasi-http"), env=[("PORT", str(server.port))])
        result = w.invoke("example1", ['"hello tinygo!"']).response
        posts = [body for _, path, _, body in server.received if path == "/post-example"]
    assert result == '"200 percentage: 0.250000, message: response message no X-Test header"'
    assert posts == [b'{"Name":"Something","Amount":42,"Comments":["Hello","World"]}']


def test_c_example_1(emu: Emulator) -> None:
    """c_example_1: run prints Hello World! and returns 100."""
    w = emu.worker("c-example-1", component("c-1"))
    assert w.invoke("run", []).response == "100"
    assert "".join(stdout_lines(emu.data_dir, "c-example-1")).splitlines()[0] == "Hello World!"


def test_c_example_2(emu: Emulator) -> None:
    """c_example_2: print writes its argument and the current year."""
    w = emu.worker("c-example-2", component("c-1"))
    w.invoke("print", ['"Hello C!"'])
    assert "".join(stdout_lines(emu.data_dir, "c-example-2")).splitlines()[0] == \
        f"Hello C! {datetime.date.today().year}"


@pytest.mark.xfail(strict=True, reason="grain-1 traps with an out-of-bounds memory access (see docs/conformance.md)")
def test_grain_example_1(emu: Emulator) -> None:
    """grain_example_1 (ignored in Golem): prints hello world, a number, and the time in seconds."""
    emu.worker("grain-1", component("grain-1")).invoke("wasi:cli/run@0.2.0.{run}", [])
    lines = "".join(stdout_lines(emu.data_dir, "grain-1")).splitlines()
    assert lines[0] == "hello world"
    int(lines[1])
    assert abs(int(lines[2]) - time.time()) < 3600


@pytest.mark.xfail(strict=True, reason="java-1 traps in its first write (see docs/conformance.md)")
def test_java_example_1(emu: Emulator) -> None:
    """java_example_1 (ignored in Golem): echoes its input in a line and returns its length."""
    w = emu.worker("java-1", component("java-1"))
    assert w.invoke("run-example1", ['"Hello Golem!"']).response == "12"
    assert "".join(stdout_lines(emu.data_dir, "java-1")).splitlines()[0] == "Hello world, input is Hello Golem!"


@pytest.mark.xfail(strict=True, reason="java-2 traps in its first write (see docs/conformance.md)")
def test_java_shopping_cart(emu: Emulator) -> None:
    """java_shopping_cart (ignored in Golem): the shopping cart of api.rs, written in Java."""
    w = emu.worker("java-2", component("java-2"))
    w.invoke("initialize-cart", ['"test-user-1"'])
    w.invoke("add-item", ['{product-id: "G1000", name: "Golem T-Shirt M", price: 100.0, quantity: 5}'])
    w.invoke("add-item", ['{product-id: "G1001", name: "Golem Cloud Subscription 1y", price: 999999.0, quantity: 1}'])
    w.invoke("add-item", ['{product-id: "G1002", name: "Mud Golem", price: 11.0, quantity: 10}'])
    w.invoke("update-item-quantity", ['"G1002"', "20"])
    assert w.invoke("get-cart-contents", []).response == (
        '[{product-id: "G1000", name: "Golem T-Shirt M", price: 100, quantity: 5}, '
        '{product-id: "G1001", name: "Golem Cloud Subscription 1y", price: 999999, quantity: 1}, '
        '{product-id: "G1002", name: "Mud Golem", price: 11, quantity: 20}]'
    )
    w.invoke("checkout", [])


@pytest.mark.parametrize(("golem_test", "name", "expected"), [
    ("c_example_3", "large-initial-memory", "536870912"),
    ("c_example_4", "large-dynamic-memory", "0"),
])
def test_large_memory(emu: Emulator, golem_test: str, name: str, expected: str) -> None:
    """c_example_3, c_example_4 (ignored in Golem): a component with a large initial memory, and one that
    grows its memory at run time."""
    assert emu.worker(name, component(name)).invoke("run", []).response == expected
