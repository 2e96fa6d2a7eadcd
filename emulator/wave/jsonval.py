"""Typed JSON encoding of component values (for oplogs, APIs and snapshots).

Given the type, the encoding is unambiguous and round-trips (``from_json(to_json(v, t), t) == v``):

===================  ==========================================================================
type                 JSON
===================  ==========================================================================
bool, s*/u*          ``true`` / ``42``
f32, f64             number; the non-finite values as the strings ``"nan"``, ``"inf"``, ``"-inf"``
char, string         string
list<u8>             **base64** string (standard alphabet, padded)
list<T>, tuple<..>   array
record               object with every field (``option`` fields that are none -> ``null``)
variant              ``{"tag": "case"}`` or ``{"tag": "case", "value": <payload>}``
enum                 string (case name)
option<T>            ``null`` for none; some(v) -> ``v``, except when T is itself an option:
                     then ``{"some": v}`` (so ``some(none)`` stays distinct from ``none``)
result               ``{"ok": v}`` / ``{"err": e}`` (``null`` when the case has no payload)
flags                array of set flag names, in declaration order
own/borrow, future   not encodable: :class:`WaveError`
===================  ==========================================================================
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from emulator.wave.parser import round_f32
from emulator.wave.pyrepr import (
    case_of,
    conforms,
    is_missing,
    make_case,
    make_record,
    record_field,
    variant_cases,
    wasmtime_case,
)
from emulator.wave.types import (
    INT_RANGES,
    U8,
    EnumT,
    FlagsT,
    ListT,
    OptionT,
    Prim,
    RecordT,
    ResultT,
    TupleT,
    VariantT,
    WaveError,
    WaveType,
    as_wave_type,
    format_type,
)


def to_json(value: Any, ty: Any) -> Any:
    """Encode a wasmtime-py value of type ``ty`` as JSON-able data (see module docstring)."""
    return _to(value, as_wave_type(ty), "$")


def from_json(obj: Any, ty: Any) -> Any:
    """Decode :func:`to_json` output back into the wasmtime-py representation."""
    return _from(obj, as_wave_type(ty), "$")


def _bad(path: str, t: WaveType, value: Any, what: str = "value") -> WaveError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return WaveError(f"expected a {what} of type {format_type(t)}, got {shown}", path=path)


def _to(value: Any, t: WaveType, path: str) -> Any:
    if isinstance(t, Prim):
        k = t.kind
        if k in ("f32", "f64"):
            if not isinstance(value, (float, int)) or isinstance(value, bool):
                raise _bad(path, t, value)
            x = float(value)
            if math.isnan(x):
                return "nan"
            return ("inf" if x > 0 else "-inf") if math.isinf(x) else x
        if not conforms(value, t):
            raise _bad(path, t, value)
        return value
    if isinstance(t, ListT):
        if t.element == U8:
            if not isinstance(value, (bytes, bytearray)):
                raise _bad(path, t, value)
            return base64.b64encode(bytes(value)).decode("ascii")
        if not isinstance(value, (list, tuple)):
            raise _bad(path, t, value)
        return [_to(v, t.element, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(t, TupleT):
        if not isinstance(value, (list, tuple)) or len(value) != len(t.elements):
            raise _bad(path, t, value)
        return [_to(v, et, f"{path}.{i}") for i, (v, et) in enumerate(zip(value, t.elements, strict=True))]
    if isinstance(t, RecordT):
        if value is None or isinstance(value, (str, int, float, bytes, list, tuple, set)):
            raise _bad(path, t, value)
        out: dict[str, Any] = {}
        for name, ft in t.fields:
            v = record_field(value, name)
            if is_missing(v):
                raise WaveError(f"record value has no field `{name}`", path=path)
            out[name] = _to(v, ft, f"{path}.{name}")
        return out
    if isinstance(t, EnumT):
        if not isinstance(value, str) or value not in t.names:
            raise _bad(path, t, value)
        return value
    if isinstance(t, FlagsT):
        if not isinstance(value, (set, frozenset, list, tuple)) or not all(f in t.names for f in value):
            raise _bad(path, t, value)
        return [name for name in t.names if name in value]
    if isinstance(t, (VariantT, OptionT, ResultT)):
        found = case_of(t, value)
        if found is None:
            raise _bad(path, t, value)
        name, pt, payload = found
        if pt is None and payload is not None:
            raise WaveError(f"case `{name}` of {format_type(t)} takes no payload", path=path)
        inner = None if pt is None else _to(payload, pt, f"{path}<{name}>")
        if isinstance(t, OptionT):
            if name == "none":
                return None
            return {"some": inner} if isinstance(t.payload, OptionT) else inner
        if isinstance(t, ResultT):
            return {name: inner}
        return {"tag": name} if pt is None else {"tag": name, "value": inner}
    raise WaveError(f"{format_type(t)} values cannot be encoded as JSON", path=path)


def _from(obj: Any, t: WaveType, path: str) -> Any:
    if isinstance(t, Prim):
        return _prim_from(obj, t, path)
    if isinstance(t, ListT):
        if t.element == U8:
            if isinstance(obj, str):
                try:
                    return base64.b64decode(obj, validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise WaveError(f"invalid base64 for list<u8>: {exc}", path=path) from None
            raise _bad(path, t, obj, "base64 string")
        if not isinstance(obj, list):
            raise _bad(path, t, obj, "JSON array")
        return [_from(v, t.element, f"{path}[{i}]") for i, v in enumerate(obj)]
    if isinstance(t, TupleT):
        if not isinstance(obj, list) or len(obj) != len(t.elements):
            raise _bad(path, t, obj, f"JSON array of {len(t.elements)} elements")
        pairs = enumerate(zip(obj, t.elements, strict=True))
        return tuple(_from(v, et, f"{path}.{i}") for i, (v, et) in pairs)
    if isinstance(t, RecordT):
        if not isinstance(obj, dict):
            raise _bad(path, t, obj, "JSON object")
        extra = set(obj) - {name for name, _ in t.fields}
        if extra:
            raise WaveError(f"unknown field(s) {sorted(extra)} for {format_type(t)}", path=path)
        values: dict[str, Any] = {}
        for name, ft in t.fields:
            if name not in obj and not isinstance(ft, OptionT):
                raise WaveError(f"missing field `{name}`", path=path)
            values[name] = _from(obj.get(name), ft, f"{path}.{name}")
        return make_record(values)
    if isinstance(t, EnumT):
        if not isinstance(obj, str) or obj not in t.names:
            raise _bad(path, t, obj)
        return obj
    if isinstance(t, FlagsT):
        if not isinstance(obj, list) or not all(isinstance(f, str) and f in t.names for f in obj):
            raise _bad(path, t, obj, "JSON array of flag names")
        return set(obj)
    if isinstance(t, OptionT):
        if obj is None:
            return make_case(t, "none", None)
        if isinstance(t.payload, OptionT):
            if not isinstance(obj, dict) or set(obj) != {"some"}:
                raise _bad(path, t, obj, '`null` or {"some": ...} object')
            obj = obj["some"]
        return _case(t, "some", t.payload, obj, path)
    if isinstance(t, ResultT):
        if not isinstance(obj, dict) or len(obj) != 1 or next(iter(obj)) not in ("ok", "err"):
            raise _bad(path, t, obj, '{"ok": ...} or {"err": ...} object')
        name, payload = next(iter(obj.items()))
        return _case(t, name, dict(variant_cases(t))[name], payload, path)
    if isinstance(t, VariantT):
        cases = dict(t.cases)
        if not isinstance(obj, dict) or obj.get("tag") not in cases or set(obj) - {"tag", "value"}:
            raise _bad(path, t, obj, '{"tag": ..., "value": ...} object')
        return _case(t, obj["tag"], cases[obj["tag"]], obj.get("value"), path)
    raise WaveError(f"{format_type(t)} values cannot be decoded from JSON", path=path)


def _case(t: WaveType, name: str, pt: WaveType | None, obj: Any, path: str) -> Any:
    if pt is None:
        if obj is not None:
            raise WaveError(f"case `{name}` of {format_type(t)} takes no payload", path=path)
        payload = None
    else:
        payload = _from(obj, pt, f"{path}<{name}>")
    value = make_case(t, name, payload)
    if not t.tagged and wasmtime_case(t, value) != name:
        raise WaveError(f"`{name}(..)` of {format_type(t)} cannot be represented for wasmtime-py "
                        "(its untagged value would be read as another case)", path=path)
    return value


def _prim_from(obj: Any, t: Prim, path: str) -> Any:
    k = t.kind
    if k in INT_RANGES:
        if isinstance(obj, float) and obj.is_integer():
            obj = int(obj)
        lo, hi = INT_RANGES[k]
        if not isinstance(obj, int) or isinstance(obj, bool) or not lo <= obj <= hi:
            raise _bad(path, t, obj)
        return obj
    if k in ("f32", "f64"):
        if isinstance(obj, str) and obj in ("nan", "inf", "-inf"):
            x = float(obj)
        elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
            x = float(obj)
        else:
            raise _bad(path, t, obj)
        return round_f32(x) if k == "f32" else x
    if k == "bool":
        ok = isinstance(obj, bool)
    elif k == "char":
        ok = isinstance(obj, str) and len(obj) == 1
    else:
        ok = isinstance(obj, str)
    if not ok:
        raise _bad(path, t, obj)
    return obj
