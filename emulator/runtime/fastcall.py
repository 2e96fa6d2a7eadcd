"""A faster host-function trampoline for wasmtime-py 50 (the hot path of every host call, live and replay).

wasmtime-py's own trampoline rebuilds the function's type from C on every call (a FuncType object, its
parameter list, its result type) before converting the values. Our host functions are bound from the
component's own import types, so the converters are known at link time: this trampoline takes them from
a table and only converts values. It uses wasmtime-py's internal ffi module, which is why wasmtime is
pinned to one major version; `add_func` falls back to the public API if that module changes shape.
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wasmtime import component as wc

from emulator.signals import UserInterrupt

_CALLBACK: Any
try:
    from wasmtime import _ffi as ffi
    from wasmtime.component._enter import catch_exceptions

    _CALLBACK = ffi.wasmtime_component_func_callback_t
    _ADD = ffi.wasmtime_component_linker_instance_add_func
except (ImportError, AttributeError):  # pragma: no cover - a wasmtime-py other than 50.x
    _CALLBACK = None

_Entry = tuple[Callable[..., Any], tuple[Callable[[Any], Any] | None, ...], Any]
_TABLE: dict[int, _Entry] = {}
_ids = itertools.count(1)


class HostHandle:
    """A resource handle the guest passed in, already resolved to our representation (what `ResourceHost.rep`
    gives): it saves building a ResourceAny and a ResourceHost, each with a finalizer, on every call."""

    __slots__ = ("rep",)

    def __init__(self, rep: int) -> None:
        self.rep = rep


def _resource_from_c(context: Any, c: Any) -> Any:
    """An own/borrow parameter: a HostHandle for a host resource, else the ResourceAny wasmtime-py would give."""
    any_ptr = ffi.take_pointer(c.of, "resource")
    host = ctypes.POINTER(ffi.wasmtime_component_resource_host_t)()
    error = ffi.wasmtime_component_resource_any_to_host(context, any_ptr, ctypes.byref(host))
    if error:
        ffi.wasmtime_error_delete(error)
        return wc.ResourceAny._from_ptr(any_ptr)
    rep = ffi.wasmtime_component_resource_host_rep(host)
    ffi.wasmtime_component_resource_host_delete(host)
    ffi.wasmtime_component_resource_any_delete(any_ptr)
    return HostHandle(rep)


def _trampoline(data: Any, context: Any, ty_raw: Any, args: Any, nargs: int, results: Any, nresults: int) -> Any:
    func, param_convs, result_ty = _TABLE[data or 0]

    def run(store: Any) -> None:
        try:
            result = func(store, *[_resource_from_c(context, args[i]) if conv is None else conv(args[i])
                                   for i, conv in enumerate(param_convs)])
        except KeyboardInterrupt:
            # A BaseException would be swallowed by the ctypes callback and the guest would run on.
            raise UserInterrupt("interrupted by the user") from None
        if result_ty is not None:
            result_ty.convert_to_c(store, result, results)

    return catch_exceptions(context, run)


def _finalize(data: Any) -> None:
    _TABLE.pop(data or 0, None)


if _CALLBACK is not None:
    _C_TRAMPOLINE = _CALLBACK(_trampoline)
    _C_FINALIZE = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(_finalize)


# The type properties wasmtime-py re-reads from C whenever it converts a value of that type.
_CACHED_PROPERTIES: dict[type, tuple[str, ...]] = {
    wc.ListType: ("element",),
    wc.RecordType: ("fields",),
    wc.TupleType: ("elements",),
    wc.VariantType: ("cases",),
    wc.EnumType: ("names",),
    wc.OptionType: ("payload",),
    wc.ResultType: ("ok", "err"),
    wc.FlagsType: ("names",),
}
_frozen_classes: dict[type, type] = {}


def _children(ty: Any, values: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for value in values.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, tuple):
                out.extend(x for x in item if not isinstance(x, str))
            elif item is not None and not isinstance(item, str):
                out.append(item)
    return out


def freeze(ty: Any) -> Any:
    """Cache a type's structure on the object itself (recursively), so converting values stops querying C.

    wasmtime-py exposes these as properties; the object's class is swapped for a subclass in which they are
    plain attributes. Only types we hold for the linker's lifetime are frozen, so the cache cannot go stale.
    """
    cls = type(ty)
    names = _CACHED_PROPERTIES.get(cls)
    if names is None:
        return ty
    values = {name: getattr(ty, name) for name in names}
    for child in _children(ty, values):
        freeze(child)
    frozen = _frozen_classes.get(cls)
    if frozen is None:
        frozen = type(f"Frozen{cls.__name__}", (cls,), dict.fromkeys(names))
        _frozen_classes[cls] = frozen
    ty.__class__ = frozen
    ty.__dict__.update(values)
    if hasattr(ty, "_cases"):  # variant-likes: compute the tagging decision once as well
        cases, tagged = ty._cases(), ty._tagged()
        ty._cases = lambda: cases
        ty._tagged = lambda: tagged
    return ty


@dataclass(frozen=True)
class Signature:
    """A host function's parameter and result types, frozen once (FuncType builds new objects per access)."""

    params: tuple[Any, ...]
    result: Any | None

    @classmethod
    def of(cls, ty: wc.FuncType) -> Signature:
        """Read and freeze `ty`'s types."""
        result = ty.result
        return cls(tuple(freeze(t) for _, t in ty.params), None if result is None else freeze(result))


def add_func(inst: wc.LinkerInstance, name: str, func: Callable[..., Any], sig: Signature) -> None:
    """Define `name` in `inst` as `func(store, *args)`, converting values by the signature `sig`."""
    if _CALLBACK is None:
        inst.add_func(name, func)
        return
    key = next(_ids)
    convs = tuple(None if isinstance(t, wc.OwnType | wc.BorrowType) else t.convert_from_c for t in sig.params)
    _TABLE[key] = (func, convs, sig.result)
    encoded = name.encode("utf-8")
    err = _ADD(inst.ptr(), ctypes.create_string_buffer(encoded), len(encoded), _C_TRAMPOLINE, key, _C_FINALIZE)
    if err:
        _TABLE.pop(key, None)
        from wasmtime import WasmtimeError

        raise WasmtimeError._from_ptr(err)
