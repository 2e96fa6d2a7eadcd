"""Assemble a wasmtime Linker for one worker instance, bound to the exact import names the component declares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import wasmtime
from wasmtime import component as wc

from emulator.errors import ComponentError, Unsupported
from emulator.host import golem_host, golem_workers, wasi_clocks, wasi_random
from emulator.host.context import HostContext
from emulator.runtime.engine import LoadedComponent


@dataclass(frozen=True)
class HostInterface:
    """What we serve for one WIT interface: plain functions, resource methods and resource types."""

    functions: dict[str, Callable[..., Any]]
    methods: dict[str, Callable[..., Any]] = field(default_factory=dict)  # take (ctx, store, *args)
    resources: dict[str, int] = field(default_factory=dict)
    later: str | None = None  # functions we know of but do not serve yet trap with this feature name


# Interfaces we implement ourselves, keyed by name without version: bound under whatever version is imported.
HOST_INTERFACES: dict[str, HostInterface] = {
    "golem:api/host": HostInterface(golem_host.FUNCTIONS, golem_workers.METHODS, golem_workers.RESOURCES),
    "golem:rpc/types": HostInterface({}, later="golem:rpc worker-to-worker calls"),
    "golem:api/oplog": HostInterface({}, later="golem:api/oplog (reading the oplog from a guest)"),
    "golem:api/context": HostInterface({}, later="golem:api/context (invocation context spans)"),
    "golem:durability/durability": HostInterface({}, later="golem:durability (guest-defined durable functions)"),
}

# WASI functions shadowed on top of wasmtime's WASI so that they are journaled.
WASI_SHADOWS: dict[str, dict[str, Callable[..., Any]]] = {
    "wasi:clocks/wall-clock": wasi_clocks.WALL_CLOCK,
    "wasi:clocks/monotonic-clock": wasi_clocks.MONOTONIC_CLOCK,
    "wasi:random/random": wasi_random.RANDOM,
    "wasi:random/insecure": wasi_random.INSECURE,
    "wasi:random/insecure-seed": wasi_random.INSECURE_SEED,
}


@cache
def registered_wasi_version(engine: wasmtime.Engine) -> str:
    """The wasi 0.2.x version wasmtime's add_wasip2 registers: the first one a plain definition clashes with.

    Shadowing only takes effect at that exact version, so it is detected rather than hard-coded.
    """
    for patch in range(0, 100):
        version = f"0.2.{patch}"
        linker = wc.Linker(engine)
        linker.add_wasip2()
        try:
            with linker.root() as root, root.add_instance(f"wasi:random/random@{version}") as inst:
                inst.add_func("get-random-u64", lambda store: 0)
        except wasmtime.WasmtimeError:
            return version
    raise ComponentError("could not find the wasi 0.2.x version wasmtime registers; is wasmtime 50 installed?")


def _guard(ctx: HostContext, fn: Callable[..., Any], with_store: bool) -> Callable[..., Any]:
    """Wrap a host callable: remember the first exception so the worker can classify the trap."""

    def call(store: Any, *args: Any) -> Any:
        try:
            return fn(ctx, store, *args) if with_store else fn(ctx, *args)
        except Exception as e:
            if ctx.trap_cause is None:
                ctx.trap_cause = e
            raise

    return call


def _unsupported(feature: str) -> Callable[..., Any]:
    def trap(ctx: HostContext, *args: Any) -> Any:
        raise Unsupported(feature)

    return trap


def _drop_resource(ctx: HostContext) -> Callable[[Any, int], None]:
    def drop(store: Any, rep: int) -> None:
        ctx.resources.pop(rep, None)

    return drop


def _bind_interface(
    root: wc.LinkerInstance, import_name: str, item: Any, iface: HostInterface, ctx: HostContext,
    engine: wasmtime.Engine,
) -> None:
    with root.add_instance(import_name) as inst:
        for name, ext in item.exports(engine).items():
            ty = ext.ty
            if isinstance(ty, wc.ResourceType):
                type_id = iface.resources.get(name, hash((import_name, name)) & 0x7FFF_FFFF)
                inst.add_resource(name, wc.ResourceType.host(type_id), _drop_resource(ctx))
            elif isinstance(ty, wc.FuncType):
                if name in iface.functions:
                    inst.add_func(name, _guard(ctx, iface.functions[name], with_store=False))
                elif name in iface.methods:
                    inst.add_func(name, _guard(ctx, iface.methods[name], with_store=True))
                else:
                    feature = iface.later or f"{import_name}.{{{name}}}"
                    inst.add_func(name, _guard(ctx, _unsupported(feature), with_store=False))


# WASI packages wasmtime's add_wasip2 serves; any other wasi import is refused at load time.
_WASMTIME_WASI = ("wasi:cli/", "wasi:clocks/", "wasi:filesystem/", "wasi:io/", "wasi:random/", "wasi:sockets/")


def check_imports(loaded: LoadedComponent) -> None:
    """ComponentError naming the first import golem-emu cannot serve, before anything is written."""
    for import_name, item in loaded.imports.items():
        iface_name = import_name.partition("@")[0]
        if iface_name in HOST_INTERFACES:
            if not isinstance(item, wc.ComponentInstanceType):
                raise ComponentError(f"import {import_name} of {loaded.path.name} is not an interface instance")
        elif not iface_name.startswith(_WASMTIME_WASI):
            raise ComponentError(
                f"{loaded.path.name} imports {import_name}, which golem-emu cannot serve; "
                "remove that import from the component's world"
            )


def build_linker(engine: wasmtime.Engine, loaded: LoadedComponent, ctx: HostContext) -> wc.Linker:
    """A Linker serving every import of `loaded`; ComponentError naming an import we cannot serve."""
    linker = wc.Linker(engine)
    linker.add_wasip2()
    linker.allow_shadowing = True
    version = registered_wasi_version(engine)
    check_imports(loaded)
    with linker.root() as root:
        for import_name, item in loaded.imports.items():
            iface_name = import_name.partition("@")[0]
            if iface_name in HOST_INTERFACES:
                _bind_interface(root, import_name, item, HOST_INTERFACES[iface_name], ctx, engine)
        for iface_name, table in WASI_SHADOWS.items():
            with root.add_instance(f"{iface_name}@{version}") as inst:
                for name, fn in table.items():
                    inst.add_func(name, _guard(ctx, fn, with_store=False))
    return linker
