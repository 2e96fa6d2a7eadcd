"""Canonical WAVE output: wasmtime-py component value -> text.

The canonical form follows wasm-wave's writer: ``, `` separators, explicit ``some(..)``/``ok(..)``,
record fields holding ``none`` omitted (``{:}`` when nothing is left), flags in declaration order,
keyword case names prefixed with ``%``, floats printed like Rust's ``Display`` (shortest round-trip
digits, never an exponent, ``nan``/``inf``/``-inf``).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from emulator.wave.lexer import quote_char, quote_string
from emulator.wave.parser import round_f32
from emulator.wave.pyrepr import case_of, is_missing, record_field
from emulator.wave.types import (
    INT_RANGES,
    KEYWORDS,
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
    WaveError,
    WaveType,
    WorkerHandle,
    as_wave_type,
    format_type,
)


def format(value: Any, ty: Any) -> str:  # noqa: A001 - public API name requested by callers
    """Canonical WAVE text of ``value`` (wasmtime-py representation) of type ``ty``.

    A resource handle the worker keeps (a WorkerHandle) is written as Golem writes it, the string
    ``"<worker uri>/<resource id>"``; a bare wasmtime handle as ``<own resource>``/``<borrow resource>``
    (not parseable back).  Raises :class:`WaveError` (with a value path) for ill-typed values.
    """
    out: list[str] = []
    _write(value, as_wave_type(ty), "$", out)
    return "".join(out)


def format_float(x: float, bits: int = 64) -> str:
    """Rust ``Display``-style float text: shortest round-trip digits, positional notation."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if bits == 32:
        x = round_f32(x)
        digits = repr(x)
        for precision in range(1, 10):
            candidate = f"{x:.{precision}g}"
            if round_f32(float(candidate)) == x:
                digits = candidate
                break
    else:
        digits = repr(x)
    text = f"{Decimal(digits):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _label(name: str) -> str:
    return "%" + name if name in KEYWORDS else name


def _fail(path: str, t: WaveType, value: Any) -> WaveError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return WaveError(f"expected a value of type {format_type(t)}, got {shown}", path=path)


def _write(value: Any, t: WaveType, path: str, out: list[str]) -> None:
    if isinstance(t, Prim):
        out.append(_prim(value, t, path))
    elif isinstance(t, ListT):
        if t.element == U8:  # wasmtime-py uses bytes for list<u8>
            if not isinstance(value, (bytes, bytearray)):
                raise _fail(path, t, value)
            out.append("[" + ", ".join(str(b) for b in value) + "]")
            return
        if not isinstance(value, (list, tuple)):
            raise _fail(path, t, value)
        _seq("[", "]", [(v, t.element, f"{path}[{i}]") for i, v in enumerate(value)], out)
    elif isinstance(t, TupleT):
        if not isinstance(value, (tuple, list)) or len(value) != len(t.elements):
            raise _fail(path, t, value)
        pairs = enumerate(zip(value, t.elements, strict=True))
        _seq("(", ")", [(v, et, f"{path}.{i}") for i, (v, et) in pairs], out)
    elif isinstance(t, RecordT):
        _record(value, t, path, out)
    elif isinstance(t, FlagsT):
        if not isinstance(value, (set, frozenset, list, tuple)) or not all(f in t.names for f in value):
            raise _fail(path, t, value)
        out.append("{" + ", ".join(name for name in t.names if name in value) + "}")
    elif isinstance(t, EnumT):
        if not isinstance(value, str) or value not in t.names:
            raise _fail(path, t, value)
        out.append(_label(value))
    elif isinstance(t, (VariantT, OptionT, ResultT)):
        found = case_of(t, value)
        if found is None:
            raise _fail(path, t, value)
        name, pt, payload = found
        out.append(_label(name) if isinstance(t, VariantT) else name)
        if pt is not None:
            out.append("(")
            _write(payload, pt, f"{path}<{name}>", out)
            out.append(")")
        elif payload is not None:
            raise WaveError(f"case `{name}` of {format_type(t)} takes no payload, got {payload!r}", path=path)
    elif isinstance(t, HandleT):
        out.append(quote_string(value.text()) if isinstance(value, WorkerHandle) else f"<{t.kind} resource>")
    elif isinstance(t, OpaqueT):
        raise WaveError(f"{t.name} values are not supported", path=path)
    else:
        raise TypeError(f"unknown type description {t!r}")


def _seq(open_: str, close: str, items: list[tuple[Any, WaveType, str]], out: list[str]) -> None:
    out.append(open_)
    for i, (v, et, p) in enumerate(items):
        if i:
            out.append(", ")
        _write(v, et, p, out)
    out.append(close)


def _record(value: Any, t: RecordT, path: str, out: list[str]) -> None:
    if value is None or isinstance(value, (str, int, float, bytes, list, tuple, set)):
        raise _fail(path, t, value)
    parts: list[str] = []
    for name, ft in t.fields:
        v = record_field(value, name)
        if is_missing(v):
            if isinstance(ft, OptionT):
                continue
            raise WaveError(f"record value has no field `{name}`", path=path)
        if isinstance(ft, OptionT):
            found = case_of(ft, v)
            if found is not None and found[0] == "none":
                continue
        sub: list[str] = []
        _write(v, ft, f"{path}.{name}", sub)
        parts.append(f"{name}: {''.join(sub)}")
    out.append("{" + ", ".join(parts) + "}" if parts else "{:}")


def _prim(value: Any, t: Prim, path: str) -> str:
    k = t.kind
    if k == "bool":
        if not isinstance(value, bool):
            raise _fail(path, t, value)
        return "true" if value else "false"
    if k in INT_RANGES:
        lo, hi = INT_RANGES[k]
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise _fail(path, t, value)
        return str(value)
    if k in ("f32", "f64"):
        if not isinstance(value, (float, int)) or isinstance(value, bool):
            raise _fail(path, t, value)
        return format_float(float(value), 32 if k == "f32" else 64)
    if k == "char":
        if not isinstance(value, str) or len(value) != 1:
            raise _fail(path, t, value)
        return quote_char(value)
    if not isinstance(value, str):
        raise _fail(path, t, value)
    return quote_string(value)
