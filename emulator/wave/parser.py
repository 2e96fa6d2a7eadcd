"""Typed WAVE parser: text -> wasmtime-py component value."""

from __future__ import annotations

import math
import struct
from typing import Any

from emulator.wave.lexer import Token, decode_char, decode_string, error_at, tokenize
from emulator.wave.pyrepr import make_case, make_record, variant_cases, wasmtime_case
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


def parse(text: str, ty: Any) -> Any:
    """Parse WAVE ``text`` as a value of type ``ty`` (a WaveType or wasmtime-py ValType).

    Returns the value in wasmtime-py's representation (see :mod:`emulator.wave.pyrepr`), ready to be
    passed to a component ``Func`` call.  Raises :class:`WaveError` with a line/column on failure.
    """
    p = _Parser(text)
    value = p.value(as_wave_type(ty))
    tok = p.peek()
    if tok.kind != "eof":
        raise p.err(tok, f"unexpected {describe_token(tok)} after the value")
    return value


def round_f32(x: float) -> float:
    """Round a Python float to the nearest f32 (overflowing to +-inf, as Rust's parser does)."""
    try:
        return float(struct.unpack("<f", struct.pack("<f", x))[0])
    except OverflowError:
        return math.copysign(math.inf, x)


def describe_token(tok: Token) -> str:
    if tok.kind == "eof":
        return "end of input"
    if tok.kind in ("number", "label", "char"):
        return tok.text
    if tok.kind in ("string", "mstring"):
        return "string " + (tok.text if len(tok.text) <= 24 else tok.text[:20] + '..."')
    return f"'{tok.text}'"


def _expected(t: WaveType) -> str:
    text = format_type(t)
    if len(text) > 60:
        text = text[:57] + "..."
    if isinstance(t, Prim) and t.kind in INT_RANGES:
        lo, hi = INT_RANGES[t.kind]
        text = f"{text} ({lo}..{hi})"
    elif isinstance(t, Prim) and t.kind == "bool":
        text = "bool (true or false)"
    an = text[0] in "aeio" or (text[0] in "sf" and text[1:2].isdigit())
    return f"expected {'an' if an else 'a'} {text}"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def err(self, tok: Token, reason: str) -> WaveError:
        return error_at(self.text, tok.pos, reason)

    def expect(self, kind: str, context: str) -> Token:
        tok = self.next()
        if tok.kind != kind:
            raise self.err(tok, f"expected '{kind}' {context}, got {describe_token(tok)}")
        return tok

    def mismatch(self, t: WaveType, tok: Token) -> WaveError:
        return self.err(tok, f"{_expected(t)}, got {describe_token(tok)}")

    def items(self, close: str) -> bool:
        """Between items of a sequence: consume a separator; True when the sequence has ended."""
        tok = self.peek()
        if tok.kind == close:
            self.next()
            return True
        if tok.kind != ",":
            raise self.err(tok, f"expected ',' or '{close}', got {describe_token(tok)}")
        self.next()
        if self.peek().kind == close:
            self.next()
            return True
        return False

    # -- dispatch -------------------------------------------------------------------------------------

    def value(self, t: WaveType) -> Any:
        if isinstance(t, Prim):
            return self.prim(t)
        if isinstance(t, ListT):
            return self.list_value(t)
        if isinstance(t, TupleT):
            return self.tuple_value(t)
        if isinstance(t, RecordT):
            return self.record(t)
        if isinstance(t, FlagsT):
            return self.flags(t)
        if isinstance(t, EnumT):
            tok, name = self.label(t, t.names, "enum case")
            if self.peek().kind == "(":
                raise self.err(self.peek(), f"enum case `{name}` takes no payload")
            return name
        if isinstance(t, VariantT):
            return self.variant(t)
        if isinstance(t, OptionT):
            return self.option(t)
        if isinstance(t, ResultT):
            return self.result(t)
        if isinstance(t, HandleT):
            return self.handle(t)
        if isinstance(t, OpaqueT):
            raise self.err(self.peek(), f"{t.name} values are not supported")
        raise TypeError(f"unknown type description {t!r}")

    def handle(self, t: HandleT) -> WorkerHandle:
        """A resource handle, written as Golem writes one: the string "<worker uri>/<resource id>"."""
        tok = self.next()
        found = WorkerHandle.from_text(decode_string(self.text, tok)) if tok.kind == "string" else None
        if found is None:
            raise self.err(tok, f"expected a {format_type(t)} handle, written as the string "
                                f"\"urn:worker:<component-id>/<worker-name>/<resource-id>\", got {describe_token(tok)}")
        return found

    def prim(self, t: Prim) -> Any:
        tok = self.next()
        k = t.kind
        if k == "bool":
            if tok.kind == "label" and tok.text in ("true", "false"):
                return tok.text == "true"
            raise self.mismatch(t, tok)
        if k in INT_RANGES:
            if tok.kind != "number" or not tok.text.lstrip("-").isdigit():
                raise self.mismatch(t, tok)
            v = int(tok.text)
            lo, hi = INT_RANGES[k]
            if not lo <= v <= hi:
                raise self.mismatch(t, tok)
            return v
        if k in ("f32", "f64"):
            if tok.kind == "number" or (tok.kind == "label" and tok.text in ("inf", "nan")):
                x = float(tok.text)
                return round_f32(x) if k == "f32" else x
            raise self.mismatch(t, tok)
        if k == "char":
            if tok.kind != "char":
                raise self.mismatch(t, tok)
            return decode_char(self.text, tok)
        if tok.kind not in ("string", "mstring"):
            raise self.mismatch(t, tok)
        return decode_string(self.text, tok)

    def list_value(self, t: ListT) -> Any:
        tok = self.next()
        if tok.kind != "[":
            raise self.mismatch(t, tok)
        out: list[Any] = []
        if self.peek().kind == "]":
            self.next()
        else:
            while True:
                out.append(self.value(t.element))
                if self.items("]"):
                    break
        return bytes(out) if t.element == U8 else out

    def tuple_value(self, t: TupleT) -> Any:
        start = self.next()
        if start.kind != "(":
            raise self.mismatch(t, start)
        out: list[Any] = []
        if self.peek().kind == ")":
            self.next()
        else:
            while True:
                if len(out) == len(t.elements):
                    raise self.err(self.peek(), f"too many tuple elements: {format_type(t)} has "
                                   f"{len(t.elements)}")
                out.append(self.value(t.elements[len(out)]))
                if self.items(")"):
                    break
        if len(out) != len(t.elements):
            raise self.err(start, f"{format_type(t)} needs {len(t.elements)} elements, got {len(out)}")
        return tuple(out)

    def record(self, t: RecordT) -> Any:
        start = self.next()
        if start.kind != "{":
            raise self.mismatch(t, start)
        types = dict(t.fields)
        values: dict[str, Any] = {}
        if self.peek().kind == ":":
            self.next()
            self.expect("}", "to close the empty record `{:}`")
        elif self.peek().kind == "}":
            self.next()  # lenient: `{}` for a record whose fields are all options
        else:
            while True:
                tok = self.next()
                if tok.kind != "label":
                    raise self.err(tok, f"expected a field name, got {describe_token(tok)}")
                name = tok.text.removeprefix("%")
                if name not in types:
                    raise self.err(tok, f"unknown field `{name}` in {format_type(t)}")
                if name in values:
                    raise self.err(tok, f"duplicate field `{name}`")
                self.expect(":", f"after field name `{name}`")
                values[name] = self.value(types[name])
                if self.items("}"):
                    break
        for name, ft in t.fields:
            if name not in values:
                if not isinstance(ft, OptionT):
                    raise self.err(start, f"missing field `{name}` ({format_type(ft)}) in record")
                values[name] = make_case(ft, "none", None)
        return make_record({name: values[name] for name, _ in t.fields})

    def flags(self, t: FlagsT) -> Any:
        start = self.next()
        if start.kind != "{":
            raise self.mismatch(t, start)
        out: set[str] = set()
        if self.peek().kind == "}":
            self.next()
            return out
        while True:
            tok = self.next()
            if tok.kind != "label":
                raise self.err(tok, f"expected a flag name, got {describe_token(tok)}")
            name = tok.text.removeprefix("%")
            if name not in t.names:
                raise self.err(tok, f"unknown flag `{name}` (expected one of: {', '.join(t.names)})")
            if name in out:
                raise self.err(tok, f"duplicate flag `{name}`")
            out.add(name)
            if self.items("}"):
                return out

    def label(self, t: WaveType, names: tuple[str, ...] | list[str], what: str) -> tuple[Token, str]:
        tok = self.next()
        if tok.kind != "label":
            raise self.mismatch(t, tok)
        name = tok.text.removeprefix("%")
        if name not in names:
            raise self.err(tok, f"unknown {what} `{name}` (expected one of: {', '.join(names)})")
        if tok.text in KEYWORDS:
            raise self.err(tok, f"`{name}` is a WAVE keyword; write the case name as `%{name}`")
        return tok, name

    def payload(self, t: WaveType, tok: Token, name: str, pt: WaveType | None) -> Any:
        has = self.peek().kind == "("
        if pt is None:
            if has:
                raise self.err(self.peek(), f"case `{name}` takes no payload")
            return self.build(t, tok, name, None)
        if not has:
            raise self.err(tok, f"case `{name}` requires a payload: {name}({format_type(pt)})")
        self.next()
        value = self.value(pt)
        self.expect(")", f"to close the payload of `{name}`")
        return self.build(t, tok, name, value)

    def build(self, t: WaveType, tok: Token, name: str, payload: Any) -> Any:
        value = make_case(t, name, payload)
        if not t.tagged:
            routed = wasmtime_case(t, value)
            if routed != name:
                raise self.err(tok, f"`{name}(..)` of {format_type(t)} cannot be passed through "
                               f"wasmtime-py: its untagged value would be read as case `{routed}`")
        return value

    def variant(self, t: VariantT) -> Any:
        tok, name = self.label(t, [n for n, _ in t.cases], "variant case")
        return self.payload(t, tok, name, dict(t.cases)[name])

    def option(self, t: OptionT) -> Any:
        tok = self.peek()
        if tok.kind == "label" and tok.text in ("some", "none"):
            self.next()
            return self.payload(t, tok, tok.text, None if tok.text == "none" else t.payload)
        if isinstance(t.payload, (OptionT, ResultT)):
            raise self.err(tok, f"{_expected(t)} (`some(...)` or `none`), got {describe_token(tok)}")
        return self.build(t, tok, "some", self.value(t.payload))

    def result(self, t: ResultT) -> Any:
        tok = self.peek()
        if tok.kind == "label" and tok.text in ("ok", "err"):
            self.next()
            return self.payload(t, tok, tok.text, dict(variant_cases(t))[tok.text])
        if t.ok is None or isinstance(t.ok, (OptionT, ResultT)):
            raise self.err(tok, f"{_expected(t)} (`ok`/`err` form), got {describe_token(tok)}")
        return self.build(t, tok, "ok", self.value(t.ok))
