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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wasmtime import component as wc
from wasmtime.component import Variant

from emulator.signals import UserInterrupt

_CALLBACK: Any
try:
    from wasmtime import StoreContext, WasmtimeError
    from wasmtime import _bindings as raw
    from wasmtime import _ffi as ffi
    from wasmtime.component import _enter

    _CALLBACK = ffi.wasmtime_component_func_callback_t
    _ADD = ffi.wasmtime_component_linker_instance_add_func
    # The C functions themselves, not wasmtime-py's one-line Python wrappers around them: the stream functions
    # of every guest line of output call these three times.
    _ANY_TO_HOST = raw._wasmtime_component_resource_any_to_host
    _HOST_REP = raw._wasmtime_component_resource_host_rep
    _HOST_DELETE = raw._wasmtime_component_resource_host_delete
    _ERROR_DELETE = raw._wasmtime_error_delete
    _VAL_NEW = raw._wasmtime_component_val_new
    _VAL_DELETE = raw._wasmtime_component_val_delete
    _FUNC_CALL = raw._wasmtime_component_func_call
    _POST_RETURN = raw._wasmtime_component_func_post_return
    _HOST_PTR = ctypes.POINTER(ffi.wasmtime_component_resource_host_t)
    _RESULT = ffi.WASMTIME_COMPONENT_RESULT.value
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
    """An own/borrow parameter: a HostHandle for a host resource, else the ResourceAny wasmtime-py would give.

    For a host resource the argument's ResourceAny stays where it is: wasmtime drops the argument values
    after the call, so only the foreign case takes it over (as wasmtime-py does, nulling the field)."""
    host = _HOST_PTR()
    error = _ANY_TO_HOST(context, c.of.resource, ctypes.byref(host))
    if error:
        _ERROR_DELETE(error)
        return wc.ResourceAny._from_ptr(ffi.take_pointer(c.of, "resource"))
    rep = _HOST_REP(host)
    _HOST_DELETE(host)
    return HostHandle(rep)


def _trampoline(data: Any, context: Any, ty_raw: Any, args: Any, nargs: int, results: Any, nresults: int) -> Any:
    # wasmtime-py's catch_exceptions, inlined: no closure and one frame less per call.
    func, param_convs, to_c = _TABLE[data or 0]
    store = StoreContext(context)
    exception = None
    try:
        result = func(store, *[_resource_from_c(context, args[i]) if conv is None else conv(args[i])
                               for i, conv in enumerate(param_convs)])
        if to_c is not None:
            to_c(store, result, results)
    except WasmtimeError as e:
        exception = e
    except KeyboardInterrupt:
        # A BaseException would be swallowed by the ctypes callback and the guest would run on.
        _enter.LAST_EXCEPTION = UserInterrupt("interrupted by the user")
        exception = WasmtimeError("python exception")
    except Exception as e:
        _enter.LAST_EXCEPTION = e
        exception = WasmtimeError("python exception")
    finally:
        store._invalidate()
    if exception is not None:
        return ctypes.cast(exception._consume(), ctypes.c_void_p).value
    return 0


def _finalize(data: Any) -> None:
    _TABLE.pop(data or 0, None)


# Integer types whose value a result's ok case can carry without wasmtime-py's generic lowering.
_INT_FIELDS: dict[type, tuple[str, int]] = {}
if _CALLBACK is not None:
    _INT_FIELDS = {t: (field, kind.value) for t, field, kind in (
        (wc.U8, "u8", ffi.WASMTIME_COMPONENT_U8), (wc.U16, "u16", ffi.WASMTIME_COMPONENT_U16),
        (wc.U32, "u32", ffi.WASMTIME_COMPONENT_U32), (wc.U64, "u64", ffi.WASMTIME_COMPONENT_U64),
        (wc.S32, "s32", ffi.WASMTIME_COMPONENT_S32), (wc.S64, "s64", ffi.WASMTIME_COMPONENT_S64))}


def _result_writer(ty: Any) -> Callable[[Any, Any, Any], None]:
    """How a function's result is written back: for a `result<_, E>` or `result<integer, E>` (what every
    stream call returns) an Ok is written directly; everything else goes through wasmtime-py's conversion."""
    generic: Callable[[Any, Any, Any], None] = ty.convert_to_c
    if not isinstance(ty, wc.ResultType):
        return generic
    ok, tagged = ty.ok, ty._tagged()  # tagged: the value is a Variant; else the bare payload
    if ok is None:
        field, kind = "", 0
    elif type(ok) in _INT_FIELDS:
        field, kind = _INT_FIELDS[type(ok)]
    else:
        return generic

    def write_ok(store: Any, value: Any, results: Any) -> None:
        if tagged:
            if type(value) is not Variant or value.tag != "ok":
                generic(store, value, results)
                return
            value = value.payload
        # An Err, or a payload for wasmtime-py to check (and reject) goes the generic way.
        if (value is not None) if ok is None else (type(value) is not int):
            generic(store, value if not tagged else Variant("ok", value), results)
            return
        c = results[0]
        c.kind = _RESULT
        r = c.of.result
        r.is_ok = True
        if ok is None:
            r.val = None
            return
        payload = ffi.wasmtime_component_val_t()
        payload.kind = kind
        setattr(payload.of, field, value)
        r.val = _VAL_NEW(ctypes.byref(payload))

    return write_ok


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
    _TABLE[key] = (func, convs, None if sig.result is None else _result_writer(sig.result))
    encoded = name.encode("utf-8")
    err = _ADD(inst.ptr(), ctypes.create_string_buffer(encoded), len(encoded), _C_TRAMPOLINE, key, _C_FINALIZE)
    if err:
        _TABLE.pop(key, None)
        raise WasmtimeError._from_ptr(err)


def _check(error: Any) -> None:
    """enter_wasm's error handling: a Python exception a host function raised comes out as itself."""
    if error:
        wrapped = WasmtimeError._from_ptr(error)
        _enter.maybe_raise_last_exn()
        raise wrapped


def call_export(func: wc.Func, store: Any, args: Sequence[Any]) -> Any:
    """``func(store, *args)`` then ``func.post_return(store)``, with the function's types read once per Func.

    wasmtime-py's Func.__call__ rebuilds the function's type from C on every call (a FuncType, its parameter
    list, its result type); a worker replaying its history calls the same export thousands of times."""
    if _CALLBACK is None:
        result = func(store, *args)
        func.post_return(store)
        return result
    sig: Signature | None = getattr(func, "_emu_signature", None)
    if sig is None:
        sig = Signature.of(func.type(store))
        func._emu_signature = sig  # type: ignore[attr-defined]
    n = len(args)
    if n != len(sig.params):
        raise TypeError(f"wrong number of parameters provided: given {n}, expected {len(sig.params)}")
    params = (ffi.wasmtime_component_val_t * n)()
    converted = 0
    try:
        for ty, value in zip(sig.params, args, strict=True):
            ty.convert_to_c(store, value, ctypes.pointer(params[converted]))
            converted += 1
        raw_func = ctypes.byref(func._func)
        if sig.result is None:
            _check(_FUNC_CALL(raw_func, store._context(), params, n, None, 0))
            result = None
        else:
            space = ffi.wasmtime_component_val_t()
            _check(_FUNC_CALL(raw_func, store._context(), params, n, ctypes.byref(space), 1))
            result = sig.result.convert_from_c(space)
    finally:
        for i in range(converted):
            _VAL_DELETE(ctypes.byref(params[i]))
    _check(_POST_RETURN(raw_func, store._context()))
    return result
