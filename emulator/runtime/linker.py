"""Assemble a wasmtime Linker for a component, bound to the exact import names it declares.

One Linker per component and WASI mode serves every instance of it: building one defines a few hundred host
functions (a large share of an instance's start-up), so it is built once. Its host functions find the instance
they serve from the Store the call comes from: `bind` records which HostContext a Store's calls go to, and
Instance.close forgets it.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import wasmtime
from wasmtime import component as wc

from emulator.errors import ComponentError
from emulator.host import _resources as res
from emulator.host import _shapes
from emulator.host.context import HostContext, unsupported
from emulator.host.registry import HOST_INTERFACES, HostInterface, wasi_shadows
from emulator.runtime import fastcall
from emulator.runtime.engine import LoadedComponent

GOLEM_WASI = "golem"  # our own durable WASI (the default)
WASMTIME_WASI = "wasmtime"  # wasmtime's built-in WASI with journaled clocks and random: a baseline for benches

# WASI packages wasmtime's add_wasip2 serves, for the baseline mode.
_WASMTIME_WASI_PACKAGES = ("wasi:cli/", "wasi:clocks/", "wasi:filesystem/", "wasi:io/", "wasi:random/", "wasi:sockets/")


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


def _served(iface_name: str, wasi: str) -> bool:
    if wasi == WASMTIME_WASI and iface_name.startswith(_WASMTIME_WASI_PACKAGES):
        return True
    return iface_name in HOST_INTERFACES


def check_imports(loaded: LoadedComponent, wasi: str = GOLEM_WASI) -> None:
    """ComponentError naming the first import golem-emu cannot serve, before anything is written."""
    for import_name, item in loaded.imports.items():
        iface_name = import_name.partition("@")[0]
        if not _served(iface_name, wasi):
            raise ComponentError(
                f"{loaded.path.name} imports {import_name}, which golem-emu cannot serve; "
                "remove that import from the component's world"
            )
        if iface_name in HOST_INTERFACES and not isinstance(item, wc.ComponentInstanceType):
            raise ComponentError(f"import {import_name} of {loaded.path.name} is not an interface instance")


@dataclass(frozen=True)
class _Func:
    """One host function to bind: the implementation and what converting its values needs."""

    name: str
    fn: Callable[..., Any]
    sig: fastcall.Signature | None  # None for shadowed wasmtime WASI functions
    raisers: tuple[_shapes.Adapter | None, ...] = ()
    lower: _shapes.Adapter | None = None


# (import name, resource names, functions) per bound interface: everything a component's imports need that
# does not depend on the instance, derived once per component (type walking costs more than instantiating).
_Plan = list[tuple[str, list[str], list[_Func]]]


# The HostContext each live Store's host calls serve, by the address of the Store's native context (the same
# pointer wasmtime hands to every host call made in that Store).
_CONTEXTS: dict[int, HostContext] = {}


def _address(store: Any) -> int:
    try:
        return ctypes.addressof(store._context().contents)  # a fifth of ctypes.cast's cost: on every host call
    except ValueError:  # a closed Store
        return 0


def bind(store: wasmtime.Store, ctx: HostContext) -> None:
    """Host calls made in `store` serve `ctx` from now on."""
    _CONTEXTS[_address(store)] = ctx


def unbind(store: wasmtime.Store) -> None:
    """Forget `store` (before it is freed: a new Store may get its address)."""
    _CONTEXTS.pop(_address(store), None)


def _guard(f: _Func) -> Callable[..., Any]:
    """A host function for every instance: shape adapters, the call's context and store, and the trap cause."""
    fn, raisers, lower = f.fn, f.raisers, f.lower
    adapt = any(raisers) or lower is not None
    raise_args = any(raisers)
    contexts, addressof = _CONTEXTS, ctypes.addressof  # addressof(p.contents): a sixth of ctypes.cast's cost

    def call(store: Any, *args: Any) -> Any:
        ctx = contexts[addressof(store._context().contents)]
        ctx.call_store = store
        try:
            if not adapt:
                return fn(ctx, *args)
            if raise_args:
                args = tuple(a if r is None else r(a) for a, r in zip(args, raisers, strict=True))
            value = fn(ctx, *args)
            return value if lower is None else lower(value)
        except Exception as e:
            if ctx.trap_cause is None:
                ctx.trap_cause = e
            raise

    return call


def _drop_resource(store: Any, rep: int) -> None:
    ctx = _CONTEXTS.get(_address(store))
    obj = ctx.resources.pop(rep, None) if ctx is not None else None
    close = getattr(obj, "drop", None)
    if close is not None:
        close()


# Resources that wasi:io owns; with wasmtime's WASI they are wasmtime's types, which Python cannot name.
_WASI_RESOURCES = frozenset({"pollable", "input-stream", "output-stream", "error"})


def _plan_interface(import_name: str, item: Any, iface: HostInterface, engine: wasmtime.Engine,
                    wasi: str) -> tuple[str, list[str], list[_Func]]:
    resources: list[str] = []
    funcs: list[_Func] = []
    for name, ext in item.exports(engine).items():
        ty = ext.ty
        if isinstance(ty, wc.ResourceType):
            if not (wasi == WASMTIME_WASI and name in _WASI_RESOURCES):
                resources.append(name)
        elif isinstance(ty, wc.FuncType):
            fn = iface.functions.get(name) or unsupported(iface.later or f"{import_name}.{{{name}}}")
            sig = fastcall.Signature.of(ty)
            funcs.append(_Func(name, fn, sig, tuple(_shapes.raiser(t) for t in sig.params),
                               None if sig.result is None else _shapes.lowerer(sig.result)))
    return import_name, resources, funcs


def _plan(engine: wasmtime.Engine, loaded: LoadedComponent, wasi: str) -> _Plan:
    plan: _Plan | None = loaded.link_plans.get(wasi)
    if plan is None:
        plan = []
        for import_name, item in loaded.imports.items():
            iface_name = import_name.partition("@")[0]
            builtin = wasi == WASMTIME_WASI and iface_name.startswith(_WASMTIME_WASI_PACKAGES)
            if iface_name in HOST_INTERFACES and not builtin:  # e.g. wasi:logging is ours in both modes
                plan.append(_plan_interface(import_name, item, HOST_INTERFACES[iface_name], engine, wasi))
        loaded.link_plans[wasi] = plan
    return plan


def shared_linker(engine: wasmtime.Engine, loaded: LoadedComponent, wasi: str = GOLEM_WASI) -> wc.Linker:
    """The Linker serving every import of `loaded` (built on first use); ComponentError naming an import we
    cannot serve. Instantiate with it only in a Store given its context by `bind`."""
    check_imports(loaded, wasi)
    linker: wc.Linker | None = loaded.linkers.get(wasi)
    if linker is None:
        linker = loaded.linkers[wasi] = _build_linker(engine, loaded, wasi)
    return linker


def _build_linker(engine: wasmtime.Engine, loaded: LoadedComponent, wasi: str) -> wc.Linker:
    linker = wc.Linker(engine)
    if wasi == WASMTIME_WASI:
        linker.add_wasip2()
        linker.allow_shadowing = True
    with linker.root() as root:
        for import_name, resources, funcs in _plan(engine, loaded, wasi):
            with root.add_instance(import_name) as inst:
                for name in resources:
                    inst.add_resource(name, wc.ResourceType.host(res.type_id(name)), _drop_resource)
                for f in funcs:
                    assert f.sig is not None
                    fastcall.add_func(inst, f.name, _guard(f), f.sig)
        if wasi == WASMTIME_WASI:
            version = registered_wasi_version(engine)
            for iface_name, table in wasi_shadows().items():
                with root.add_instance(f"{iface_name}@{version}") as inst:
                    for name, fn in table.items():
                        inst.add_func(name, _guard(_Func(name, fn, None)))  # no variant-like types here
    return linker
