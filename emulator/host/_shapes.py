"""Adapters between our canonical host values and wasmtime-py's value shapes, built once per function.

Host modules speak one canonical form: every variant and result is a `Variant(tag, payload)`, an option is
`None` or its value, records are `Record`s. wasmtime-py instead leaves a variant-like value untagged unless
two of its cases could be confused, which depends on the payload types. These adapters, derived from a
function's signature at link time, convert results on the way out and parameters on the way in; for the
many signatures without any variant-like type they are None and cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from emulator.wave.pyrepr import case_of, variant_cases
from emulator.wave.types import ListT, OptionT, RecordT, ResultT, TupleT, VariantT, WaveType, describe

Adapter = Callable[[Any], Any]


def _has_variant(t: WaveType | None) -> bool:
    if t is None:
        return False
    if isinstance(t, VariantT | ResultT):
        return True
    if isinstance(t, OptionT):
        return _has_variant(t.payload)
    if isinstance(t, ListT):
        return _has_variant(t.element)
    if isinstance(t, RecordT):
        return any(_has_variant(ft) for _, ft in t.fields)
    if isinstance(t, TupleT):
        return any(_has_variant(et) for et in t.elements)
    return False


def lowerer(ty: Any) -> Adapter | None:
    """Canonical -> wasmtime-py shape for values of `ty`; None when both shapes coincide."""
    t = describe(ty)
    return _lower(t) if _has_variant(t) else None


def raiser(ty: Any) -> Adapter | None:
    """wasmtime-py shape -> canonical for values of `ty`; None when both shapes coincide."""
    t = describe(ty)
    return _raise(t) if _has_variant(t) else None


def _lower(t: WaveType) -> Adapter:
    if isinstance(t, VariantT | ResultT):
        payloads = {name: (None if pt is None or not _has_variant(pt) else _lower(pt))
                    for name, pt in variant_cases(t)}
        tagged = t.tagged

        def lower_case(v: Any) -> Any:
            inner = payloads[v.tag]
            payload = v.payload if inner is None or v.payload is None else inner(v.payload)
            return Variant(v.tag, payload) if tagged else payload

        return lower_case
    if isinstance(t, OptionT):
        inner = _lower(t.payload)
        if t.tagged:  # option<option<..>>: never produced by our host modules, kept total anyway
            return lambda v: Variant("none") if v is None else Variant("some", inner(v))
        return lambda v: None if v is None else inner(v)
    if isinstance(t, ListT):
        element = _lower(t.element)
        return lambda v: [element(x) for x in v]
    if isinstance(t, TupleT):
        parts = [(_lower(et) if _has_variant(et) else None) for et in t.elements]
        return lambda v: tuple(x if f is None else f(x) for x, f in zip(v, parts, strict=True))
    if isinstance(t, RecordT):
        fields = [(name, _lower(ft)) for name, ft in t.fields if _has_variant(ft)]

        def lower_record(v: Any) -> Any:
            for name, f in fields:
                setattr(v, name, f(getattr(v, name)))
            return v

        return lower_record
    return lambda v: v


def _raise(t: WaveType) -> Adapter:
    if isinstance(t, VariantT | ResultT):
        payloads = {name: (None if pt is None or not _has_variant(pt) else _raise(pt))
                    for name, pt in variant_cases(t)}

        def raise_case(v: Any) -> Any:
            found = case_of(t, v)
            if found is None:
                raise TypeError(f"value {v!r} does not fit {t}")
            name, _, payload = found
            inner = payloads[name]
            return Variant(name, payload if inner is None or payload is None else inner(payload))

        return raise_case
    if isinstance(t, OptionT):
        inner = _raise(t.payload)
        if t.tagged:
            return lambda v: None if v.tag == "none" else inner(v.payload)
        return lambda v: None if v is None else inner(v)
    if isinstance(t, ListT):
        element = _raise(t.element)
        return lambda v: [element(x) for x in v]
    if isinstance(t, TupleT):
        parts = [(_raise(et) if _has_variant(et) else None) for et in t.elements]
        return lambda v: tuple(x if f is None else f(x) for x, f in zip(v, parts, strict=True))
    if isinstance(t, RecordT):
        fields = [(name, _raise(ft)) for name, ft in t.fields if _has_variant(ft)]

        def raise_record(v: Any) -> Any:
            for name, f in fields:
                setattr(v, name, f(getattr(v, name)))
            return v

        return raise_record
    return lambda v: v


def ok(value: Any = None) -> Variant:
    """Canonical `ok(value)` of a result."""
    return Variant("ok", value)


def err(value: Any = None) -> Variant:
    """Canonical `err(value)` of a result."""
    return Variant("err", value)


def case(tag: str, payload: Any = None) -> Variant:
    """Canonical variant case."""
    return Variant(tag, payload)
