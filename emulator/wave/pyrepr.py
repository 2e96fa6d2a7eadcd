"""The Python value representation used by wasmtime-py 50 for component values.

Measured against wasmtime-py 50.0.1 (``ValType.convert_to_c`` / ``convert_from_c``):

* bool -> ``bool``; s8..u64 -> ``int``; f32/f64 -> ``float``; char -> 1-char ``str``; string -> ``str``
* ``list<u8>`` -> ``bytes``; any other list -> ``list``; tuple -> ``tuple``
* record -> ``wasmtime.component.Record`` with one attribute per field, named exactly like the WIT
  field (kebab-case, so use ``getattr(r, "field-a")``)
* enum -> ``str`` (case name); flags -> ``set[str]``
* variant / option / result are *untagged* unless two cases could be confused: each case contributes
  the Python classes of its payload (``object`` for a case without payload) and if any class is shared
  by two cases the value is *tagged*: ``Variant(tag, payload)`` (payload ``None`` for no payload).
  Untagged values are the bare payload (``None`` for the payload-less case).  Examples:
  ``option<u32>``: ``None`` / ``5``;  ``option<option<u32>>``: ``Variant('none')`` /
  ``Variant('some', None)`` / ``Variant('some', 5)``;  ``result<u32, string>``: ``5`` / ``"oops"``;
  ``result<_, string>``: ``None`` / ``"oops"``;  ``result`` and ``result<string, string>``: tagged;
  ``variant { days(u32), forever }``: ``30`` / ``None``.
* own/borrow -> ``ResourceAny`` (``ResourceHost`` also accepted when lowering).

wasmtime-py lowers an untagged value by taking the first case whose payload classes match with
``isinstance``; that misroutes ``bool`` payloads when an earlier case holds an integer (``bool`` is an
``int``) and values whose earlier case's classes include ``object``.  :func:`wasmtime_case` reproduces
that choice so the parser can refuse values wasmtime-py would silently turn into another case.
"""

from __future__ import annotations

from typing import Any

from wasmtime.component import Record, ResourceAny, ResourceHost, Variant

from emulator.wave.types import (
    INT_RANGES,
    U8,
    EnumT,
    FlagsT,
    HandleT,
    ListT,
    OpaqueT,
    OptionT,
    Prim,
    RecordT,
    ResultT,
    TupleT,
    VariantT,
    WaveType,
    WorkerHandle,
)

Cases = tuple[tuple[str, WaveType | None], ...]

_PRIM_CLASSES: dict[str, type] = {"bool": bool, "f32": float, "f64": float, "char": str, "string": str}


def variant_cases(t: WaveType) -> Cases:
    """The (name, payload type) cases of a variant, option or result."""
    if isinstance(t, VariantT):
        return t.cases
    if isinstance(t, OptionT):
        return (("none", None), ("some", t.payload))
    if isinstance(t, ResultT):
        return (("ok", t.ok), ("err", t.err))
    raise TypeError(f"not a variant-like type: {t}")


def py_classes(t: WaveType) -> frozenset[type]:
    if isinstance(t, Prim):
        return frozenset({_PRIM_CLASSES.get(t.kind, int)})
    if isinstance(t, ListT):
        return frozenset({bytes if t.element == U8 else list})
    if isinstance(t, RecordT):
        return frozenset({Record})
    if isinstance(t, TupleT):
        return frozenset({tuple})
    if isinstance(t, EnumT):
        return frozenset({str})
    if isinstance(t, FlagsT):
        return frozenset({set})
    if isinstance(t, HandleT):
        return frozenset({ResourceAny, ResourceHost, WorkerHandle})
    if isinstance(t, OpaqueT):
        return frozenset()
    if t.tagged:
        return frozenset({Variant})
    out: set[type] = set()
    for _, pt in variant_cases(t):
        out |= {object} if pt is None else pt.py_classes
    return frozenset(out)


def is_tagged(t: WaveType) -> bool:
    if not isinstance(t, (VariantT, OptionT, ResultT)):
        return False
    seen: set[type] = set()
    for _, pt in variant_cases(t):
        case = {object} if pt is None else pt.py_classes
        if case & seen:
            return True
        seen |= case
    return False


def make_case(t: WaveType, tag: str, payload: Any) -> Any:
    """Build the wasmtime-py value of case ``tag`` of a variant/option/result."""
    return Variant(tag, payload) if t.tagged else payload


def wasmtime_case(t: WaveType, value: Any) -> str | None:
    """The case wasmtime-py would lower ``value`` as (mirrors its ``VariantLikeType._lower``)."""
    cases = variant_cases(t)
    if t.tagged:
        if isinstance(value, Variant) and any(name == value.tag for name, _ in cases):
            return value.tag
        return None
    for name, pt in cases:
        if pt is None:
            if value is None:
                return name
        elif isinstance(value, tuple(pt.py_classes)):
            return name
    return None


def case_of(t: WaveType, value: Any) -> tuple[str, WaveType | None, Any] | None:
    """Decompose a variant/option/result value into (case, payload type, payload), or None.

    Untagged values are matched by deep conformance (stricter than wasmtime-py's isinstance test), so
    a value lifted by wasmtime-py is always attributed to the case it came from.
    """
    cases = variant_cases(t)
    if t.tagged:
        if not isinstance(value, Variant):
            return None
        for name, pt in cases:
            if name == value.tag:
                return name, pt, value.payload
        return None
    for name, pt in cases:
        if pt is None:
            if value is None:
                return name, None, None
        elif conforms(value, pt):
            return name, pt, value
    return None


def make_record(values: dict[str, Any]) -> Record:
    rec = Record()
    for name, v in values.items():
        setattr(rec, name, v)
    return rec


_MISSING = object()


def record_field(value: Any, name: str) -> Any:
    """Field of a record value (a ``Record``/any object with attributes, or a ``dict``); may be _MISSING."""
    if isinstance(value, dict):
        return value.get(name, _MISSING)
    return getattr(value, name, _MISSING)


def is_missing(v: Any) -> bool:
    return v is _MISSING


def conforms(value: Any, t: WaveType) -> bool:
    """Whether ``value`` is a valid wasmtime-py representation of a value of type ``t``."""
    if isinstance(t, Prim):
        k = t.kind
        if k == "bool":
            return isinstance(value, bool)
        if k in INT_RANGES:
            lo, hi = INT_RANGES[k]
            return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
        if k in ("f32", "f64"):
            return isinstance(value, float)
        if k == "char":
            return isinstance(value, str) and len(value) == 1
        return isinstance(value, str)
    if isinstance(t, ListT):
        if t.element == U8:
            return isinstance(value, (bytes, bytearray))
        return isinstance(value, list) and all(conforms(v, t.element) for v in value)
    if isinstance(t, TupleT):
        return (isinstance(value, tuple) and len(value) == len(t.elements)
                and all(conforms(v, et) for v, et in zip(value, t.elements, strict=True)))
    if isinstance(t, RecordT):
        if value is None or isinstance(value, (str, int, float, bytes, list, tuple, set)):
            return False
        return all(conforms(record_field(value, name), ft) for name, ft in t.fields)
    if isinstance(t, EnumT):
        return isinstance(value, str) and value in t.names
    if isinstance(t, FlagsT):
        return isinstance(value, (set, frozenset)) and all(isinstance(f, str) and f in t.names for f in value)
    if isinstance(t, HandleT):
        return isinstance(value, (ResourceAny, ResourceHost, WorkerHandle))
    if isinstance(t, OpaqueT):
        return False
    found = case_of(t, value)
    if found is None:
        return False
    _, pt, payload = found
    return payload is None if pt is None else conforms(payload, pt)
