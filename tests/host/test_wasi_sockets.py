"""wasi:sockets is denied: no sockets, no name lookups, and the socket methods answer as for a dead socket."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from wasmtime.component import Variant

from emulator.host._resources import get, own
from emulator.host.context import HostContext, WorkerInfo
from emulator.host.io.objects import Pollable
from emulator.host.registry import HOST_INTERFACES
from emulator.host.sockets import interfaces as ws
from emulator.oplog.entries import Create, ImportedFunctionInvoked
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import SqliteStore
from emulator.replay.durability import Durability
from emulator.replay.state import ReplayState
from emulator.runtime.engine import Runtime
from tests.conftest import guest


@pytest.fixture
def ctx(store: SqliteStore, tmp_path: Path) -> HostContext:
    oplog = Oplog.create(store, Create(worker_name="w", component="s", component_hash="0" * 64))
    info = WorkerInfo(name="w", component_uuid=uuid.uuid4(), component_version=0, args=(), env=(), created_at=0)
    durability = Durability(oplog, ReplayState([e for _, e in oplog.read()]))
    return HostContext(worker=info, durability=durability, store=store, sandbox=tmp_path / "sandbox")


def err(v: Any) -> str:
    assert isinstance(v, Variant) and v.tag == "err", v
    assert isinstance(v.payload, str)
    return v.payload


def test_creating_sockets_and_resolving_names_is_denied(ctx: HostContext) -> None:
    network = ws.instance_network(ctx)
    assert isinstance(get(ctx, network), ws.Network)
    assert err(ws.TCP_CREATE_SOCKET["create-tcp-socket"](ctx, "ipv4")) == "access-denied"
    assert err(ws.UDP_CREATE_SOCKET["create-udp-socket"](ctx, "ipv6")) == "access-denied"
    assert err(ws.IP_NAME_LOOKUP["resolve-addresses"](ctx, network, "example.com")) == "access-denied"
    assert ws.network_error_code(ctx, None) is None
    ctx.oplog.commit()
    assert not [e for _, e in ctx.oplog.read() if isinstance(e, ImportedFunctionInvoked)]  # nothing to journal


def test_socket_methods_answer_without_touching_the_network(ctx: HostContext) -> None:
    tcp = own(ctx, "tcp-socket", ws.Socket("ipv6"))
    udp = own(ctx, "udp-socket", ws.Socket("ipv4"))
    network = ws.instance_network(ctx)
    address = Variant("ipv4", None)
    assert err(ws.TCP["[method]tcp-socket.start-connect"](ctx, tcp, network, address)) == "access-denied"
    assert err(ws.TCP["[method]tcp-socket.start-bind"](ctx, tcp, network, address)) == "access-denied"
    assert err(ws.TCP["[method]tcp-socket.finish-connect"](ctx, tcp)) == "not-in-progress"
    assert err(ws.TCP["[method]tcp-socket.accept"](ctx, tcp)) == "invalid-state"
    assert err(ws.TCP["[method]tcp-socket.set-keep-alive-enabled"](ctx, tcp, True)) == "not-supported"
    assert ws.TCP["[method]tcp-socket.is-listening"](ctx, tcp) is False
    assert ws.TCP["[method]tcp-socket.address-family"](ctx, tcp) == "ipv6"
    assert err(ws.UDP["[method]udp-socket.stream"](ctx, udp, None)) == "invalid-state"
    assert err(ws.UDP["[method]udp-socket.set-unicast-hop-limit"](ctx, udp, 3)) == "not-supported"
    assert ws.UDP["[method]udp-socket.address-family"](ctx, udp) == "ipv4"
    stream = own(ctx, "resolve-address-stream", object())
    assert ws.IP_NAME_LOOKUP["[method]resolve-address-stream.resolve-next-address"](ctx, stream).payload is None
    for table, method, handle in ((ws.TCP, "[method]tcp-socket.subscribe", tcp),
                                  (ws.UDP, "[method]udp-socket.subscribe", udp)):
        pollable = get(ctx, table[method](ctx, handle))
        assert isinstance(pollable, Pollable) and pollable.ready()


def test_every_function_a_real_guest_imports_is_served(runtime: Runtime) -> None:
    loaded = runtime.load(guest("counter"))
    for import_name, item in loaded.imports.items():
        iface = import_name.partition("@")[0]
        if not iface.startswith(("wasi:sockets/", "wasi:filesystem/")):
            continue
        functions = HOST_INTERFACES[iface].functions
        for name, ext in item.exports(runtime.engine).items():
            if type(ext.ty).__name__ == "FuncType":
                assert name in functions, f"{import_name} {name}"
