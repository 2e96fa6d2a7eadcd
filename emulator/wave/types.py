"""A small, hashable description of component-model value types.

wasmtime-py's ``ValType`` objects can only be obtained from a compiled component, are not hashable,
and re-query the C API on every property access.  The WAVE codec therefore works on the immutable
description defined here; :func:`describe` converts a wasmtime-py ``ValType`` into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from wasmtime import component as wc

from emulator.errors import UsageError

__all__ = [
    "WaveError", "WaveType", "Prim", "ListT", "RecordT", "TupleT", "VariantT", "EnumT", "OptionT",
    "ResultT", "FlagsT", "HandleT", "WorkerHandle", "OpaqueT", "BOOL", "S8", "S16", "S32", "S64", "U8", "U16", "U32",
    "U64", "F32", "F64", "CHAR", "STRING", "INT_RANGES", "KEYWORDS", "describe", "as_wave_type",
    "format_type",
]

#: WAVE keywords; a case/field name equal to one of these is written with a ``%`` prefix.
KEYWORDS = frozenset({"true", "false", "some", "none", "ok", "err", "inf", "nan"})

#: Inclusive value ranges of the integer types.
INT_RANGES: dict[str, tuple[int, int]] = {
    "s8": (-(2**7), 2**7 - 1),
    "s16": (-(2**15), 2**15 - 1),
    "s32": (-(2**31), 2**31 - 1),
    "s64": (-(2**63), 2**63 - 1),
    "u8": (0, 2**8 - 1),
    "u16": (0, 2**16 - 1),
    "u32": (0, 2**32 - 1),
    "u64": (0, 2**64 - 1),
}


class WaveError(UsageError, ValueError):
    """A WAVE text / value could not be parsed, formatted or converted.

    ``reason`` is the message without location; ``line``/``column`` (1-based) are set for
    text-parsing errors, ``path`` (e.g. ``.field[2]``) for value-conversion errors.
    A :class:`~emulator.errors.UsageError` (bad user input) and also a ``ValueError``.
    """

    def __init__(self, reason: str, *, line: int | None = None, column: int | None = None,
                 path: str = "", multiline: bool = False) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        self.path = path
        if column is not None:
            where = f"line {line}, column {column}" if multiline else f"column {column}"
            message = f"at {where}: {reason}"
        elif path:
            message = f"at {path}: {reason}"
        else:
            message = reason
        self.multiline = multiline
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword-only __init__ arguments: keep them when pickled (e.g. across processes)
        return (_rebuild_wave_error, (self.reason, self.line, self.column, self.path, self.multiline))


def _rebuild_wave_error(reason: str, line: int | None, column: int | None, path: str,
                        multiline: bool) -> WaveError:
    return WaveError(reason, line=line, column=column, path=path, multiline=multiline)


class WaveType:
    """Base class of the type description nodes (all are frozen, hashable dataclasses)."""

    @cached_property
    def py_classes(self) -> frozenset[type]:
        """Python classes wasmtime-py uses for values of this type (its ``add_classes``)."""
        from emulator.wave.pyrepr import py_classes

        return py_classes(self)

    @cached_property
    def tagged(self) -> bool:
        """For variant/option/result: whether wasmtime-py wraps values in ``Variant(tag, payload)``."""
        from emulator.wave.pyrepr import is_tagged

        return is_tagged(self)

    def __str__(self) -> str:
        return format_type(self)


@dataclass(frozen=True, eq=True)
class Prim(WaveType):
    """bool, s8..s64, u8..u64, f32, f64, char or string."""

    kind: str


@dataclass(frozen=True)
class WorkerHandle:
    """A resource handle as Golem writes it in an invocation: the owning worker's URI and the worker-level
    resource id, in WAVE the string ``"urn:worker:<component-id>/<worker-name>/<id>"``."""

    uri: str
    resource_id: int

    def text(self) -> str:
        """The handle's string form (without WAVE quotes)."""
        return f"{self.uri}/{self.resource_id}"

    @classmethod
    def from_text(cls, text: str) -> WorkerHandle | None:
        """The handle a string names, if it has the form ``<uri>/<u64 id>``."""
        uri, slash, rid = text.rpartition("/")
        if not slash or not uri or not rid.isdigit() or not rid.isascii() or int(rid) >= 2**64:
            return None
        return cls(uri, int(rid))


@dataclass(frozen=True, eq=True)
class ListT(WaveType):
    element: WaveType


@dataclass(frozen=True, eq=True)
class RecordT(WaveType):
    fields: tuple[tuple[str, WaveType], ...]


@dataclass(frozen=True, eq=True)
class TupleT(WaveType):
    elements: tuple[WaveType, ...]


@dataclass(frozen=True, eq=True)
class VariantT(WaveType):
    cases: tuple[tuple[str, WaveType | None], ...]


@dataclass(frozen=True, eq=True)
class EnumT(WaveType):
    names: tuple[str, ...]


@dataclass(frozen=True, eq=True)
class OptionT(WaveType):
    payload: WaveType


@dataclass(frozen=True, eq=True)
class ResultT(WaveType):
    ok: WaveType | None = None
    err: WaveType | None = None


@dataclass(frozen=True, eq=True)
class FlagsT(WaveType):
    names: tuple[str, ...]


@dataclass(frozen=True, eq=True)
class HandleT(WaveType):
    """A resource handle (``own`` or ``borrow``); has no WAVE encoding."""

    kind: str


@dataclass(frozen=True, eq=True)
class OpaqueT(WaveType):
    """future / stream / error-context: not supported by wasmtime-py value conversion."""

    name: str


BOOL, CHAR, STRING = Prim("bool"), Prim("char"), Prim("string")
S8, S16, S32, S64 = Prim("s8"), Prim("s16"), Prim("s32"), Prim("s64")
U8, U16, U32, U64 = Prim("u8"), Prim("u16"), Prim("u32"), Prim("u64")
F32, F64 = Prim("f32"), Prim("f64")

_PRIMS: dict[type, Prim] = {
    wc.Bool: BOOL, wc.S8: S8, wc.S16: S16, wc.S32: S32, wc.S64: S64, wc.U8: U8, wc.U16: U16,
    wc.U32: U32, wc.U64: U64, wc.F32: F32, wc.F64: F64, wc.Char: CHAR, wc.String: STRING,
}


def describe(valtype: Any) -> WaveType:
    """Convert a wasmtime-py component ``ValType`` (e.g. from ``FuncType.params``) to a WaveType."""
    if isinstance(valtype, WaveType):
        return valtype
    prim = _PRIMS.get(type(valtype))
    if prim is not None:
        return prim
    if isinstance(valtype, wc.ListType):
        return ListT(describe(valtype.element))
    if isinstance(valtype, wc.RecordType):
        return RecordT(tuple((name, describe(t)) for name, t in valtype.fields))
    if isinstance(valtype, wc.TupleType):
        return TupleT(tuple(describe(t) for t in valtype.elements))
    if isinstance(valtype, wc.VariantType):
        return VariantT(tuple((name, None if t is None else describe(t)) for name, t in valtype.cases))
    if isinstance(valtype, wc.EnumType):
        return EnumT(tuple(valtype.names))
    if isinstance(valtype, wc.OptionType):
        return OptionT(describe(valtype.payload))
    if isinstance(valtype, wc.ResultType):
        ok, err = valtype.ok, valtype.err
        return ResultT(None if ok is None else describe(ok), None if err is None else describe(err))
    if isinstance(valtype, wc.FlagsType):
        return FlagsT(tuple(valtype.names))
    if isinstance(valtype, wc.OwnType):
        return HandleT("own")
    if isinstance(valtype, wc.BorrowType):
        return HandleT("borrow")
    if isinstance(valtype, wc.FutureType):
        return OpaqueT("future")
    if isinstance(valtype, wc.StreamType):
        return OpaqueT("stream")
    if isinstance(valtype, wc.ErrorContext):
        return OpaqueT("error-context")
    raise TypeError(f"not a component value type: {valtype!r}")


def as_wave_type(ty: Any) -> WaveType:
    """Accept either a WaveType or a wasmtime-py ValType."""
    return ty if isinstance(ty, WaveType) else describe(ty)


def format_type(ty: Any) -> str:
    """WIT-like text for a type, e.g. ``list<u8>``, ``option<string>``, ``record { a: u32 }``."""
    t = as_wave_type(ty)
    if isinstance(t, Prim):
        return t.kind
    if isinstance(t, ListT):
        return f"list<{format_type(t.element)}>"
    if isinstance(t, OptionT):
        return f"option<{format_type(t.payload)}>"
    if isinstance(t, TupleT):
        return "tuple<" + ", ".join(format_type(e) for e in t.elements) + ">"
    if isinstance(t, ResultT):
        if t.ok is None and t.err is None:
            return "result"
        if t.err is None:
            return f"result<{format_type(t.ok)}>"
        ok = "_" if t.ok is None else format_type(t.ok)
        return f"result<{ok}, {format_type(t.err)}>"
    if isinstance(t, RecordT):
        body = ", ".join(f"{name}: {format_type(ft)}" for name, ft in t.fields)
        return f"record {{ {body} }}" if body else "record {}"
    if isinstance(t, VariantT):
        body = ", ".join(name if ct is None else f"{name}({format_type(ct)})" for name, ct in t.cases)
        return f"variant {{ {body} }}"
    if isinstance(t, EnumT):
        return "enum { " + ", ".join(t.names) + " }"
    if isinstance(t, FlagsT):
        return "flags { " + ", ".join(t.names) + " }" if t.names else "flags {}"
    if isinstance(t, HandleT):
        return f"{t.kind}<resource>"
    if isinstance(t, OpaqueT):
        return t.name
    raise TypeError(f"unknown type description {t!r}")
