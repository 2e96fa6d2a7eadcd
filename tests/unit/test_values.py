"""Tests for emulator.values (WAVE text / typed JSON <-> wasmtime-py component values)."""

from __future__ import annotations

import ctypes
import json
import math
import pickle
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wasmtime import Engine, Store
from wasmtime import _ffi as ffi
from wasmtime.component import (
    Component,
    ComponentInstanceType,
    FuncType,
    Linker,
    ListType,
    Record,
    Variant,
)

from emulator.errors import UsageError
from emulator.values import (
    WaveError,
    describe,
    format,
    format_type,
    from_json,
    parse,
    parse_args,
    to_json,
)
from emulator.wave.pyrepr import conforms, make_case, make_record, variant_cases
from emulator.wave.types import (
    BOOL,
    CHAR,
    F32,
    F64,
    INT_RANGES,
    S8,
    S64,
    STRING,
    U8,
    U32,
    U64,
    EnumT,
    FlagsT,
    HandleT,
    ListT,
    OptionT,
    Prim,
    RecordT,
    ResultT,
    TupleT,
    VariantT,
    WaveType,
)

ENGINE = Engine()


def rec(**fields: Any) -> Record:
    return make_record({k.replace("_", "-"): v for k, v in fields.items()})


def same(a: Any, b: Any) -> bool:
    """Structural equality that treats NaN as equal to NaN and compares Records both ways."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, Record) or isinstance(b, Record):
        return (type(a) is type(b) and vars(a).keys() == vars(b).keys()
                and all(same(v, getattr(b, k)) for k, v in vars(a).items()))
    if isinstance(a, Variant) and isinstance(b, Variant):
        return a.tag == b.tag and same(a.payload, b.payload)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


# --- real wasmtime-py types, built from component WAT -------------------------------------------------

_WAT_PRIMS = {"bool", "s8", "s16", "s32", "s64", "u8", "u16", "u32", "u64", "f32", "f64", "char", "string"}


def _wat(t: WaveType, defs: list[str]) -> str:
    """Type expression for ``t``; nominal types are defined and exported (required by the validator)."""
    if isinstance(t, Prim):
        return t.kind
    if isinstance(t, ListT):
        return f"(list {_wat(t.element, defs)})"
    if isinstance(t, OptionT):
        return f"(option {_wat(t.payload, defs)})"
    if isinstance(t, TupleT):
        return "(tuple " + " ".join(_wat(e, defs) for e in t.elements) + ")"
    if isinstance(t, ResultT):
        ok = "" if t.ok is None else " " + _wat(t.ok, defs)
        err = "" if t.err is None else f" (error {_wat(t.err, defs)})"
        return f"(result{ok}{err})"
    if isinstance(t, RecordT):
        body = " ".join(f'(field "{n}" {_wat(ft, defs)})' for n, ft in t.fields)
        body = f"(record {body})"
    elif isinstance(t, VariantT):
        body = " ".join(f'(case "{n}")' if ct is None else f'(case "{n}" {_wat(ct, defs)})' for n, ct in t.cases)
        body = f"(variant {body})"
    elif isinstance(t, EnumT):
        body = "(enum " + " ".join(f'"{n}"' for n in t.names) + ")"
    elif isinstance(t, FlagsT):
        body = "(flags " + " ".join(f'"{n}"' for n in t.names) + ")"
    else:
        raise TypeError(t)
    i = len(defs)
    defs.append(f'(type $d{i} {body}) (export $e{i} "t{i}" (type $d{i}))')
    return f"$e{i}"


def real_type(t: WaveType) -> Any:
    """A wasmtime-py ValType equal to ``t`` (exported from a freshly compiled component)."""
    defs: list[str] = []
    expr = _wat(ListT(t), defs)  # wrap so the root is never nominal; unwrap with .element below
    wat = "(component " + " ".join(defs) + f' (type $root {expr}) (export "root" (type $root)))'
    component = Component(ENGINE, wat)
    root = component.type.exports(ENGINE)["root"].ty
    assert isinstance(root, ListType)
    return root.element


def through_wasmtime(valtype: Any, value: Any) -> Any:
    """Lower a value with wasmtime-py and lift it back (exactly what a component call does)."""
    store = Store(ENGINE)
    raw = ffi.wasmtime_component_val_t()
    valtype.convert_to_c(store, value, ctypes.pointer(raw))
    return valtype.convert_from_c(raw)


# --- measured representation facts --------------------------------------------------------------------

OPT_OPT = OptionT(OptionT(U32))
DAYS = VariantT((("days", U32), ("forever", None)))


@pytest.mark.parametrize(("t", "value"), [
    (RecordT((("a-b", U32), ("c", STRING))), rec(a_b=5, c="x")),
    (ListT(U8), b"\x00\xff"),
    (ListT(U32), [1, 2]),
    (TupleT((U8, STRING)), (1, "x")),
    (OptionT(U32), None), (OptionT(U32), 7),
    (OPT_OPT, Variant("none")), (OPT_OPT, Variant("some", None)), (OPT_OPT, Variant("some", 3)),
    (ResultT(U32, STRING), 5), (ResultT(U32, STRING), "oops"),
    (ResultT(None, STRING), None), (ResultT(), Variant("ok")), (ResultT(), Variant("err")),
    (ResultT(STRING, STRING), Variant("err", "e")),
    (DAYS, 30), (DAYS, None),
    (EnumT(("north", "south")), "south"),
    (FlagsT(("read", "write")), {"write"}),
    (CHAR, "é"), (F32, 1.5), (BOOL, True), (S64, -(2**63)),
])
def test_wasmtime_representation(t: WaveType, value: Any) -> None:
    real = real_type(t)
    assert describe(real) == t
    assert same(through_wasmtime(real, value), value)
    assert same(parse(format(value, real), real), value)


def test_tagging_rules() -> None:
    assert not OptionT(U32).tagged and OPT_OPT.tagged
    assert not ResultT(U32, STRING).tagged and ResultT(U32, U64).tagged and ResultT().tagged
    assert not ResultT(None, STRING).tagged and ResultT(OptionT(U8), None).tagged
    assert not DAYS.tagged and VariantT((("a", None), ("b", None))).tagged


def test_wasmtime_misroutes_bool_after_int_and_parse_refuses() -> None:
    vb = VariantT((("a", U32), ("b", BOOL)))
    assert through_wasmtime(real_type(vb), True) == 1  # wasmtime-py's own behaviour: lowered as a(1)
    assert format(True, vb) == "b(true)"  # a lifted b(true) is still printed correctly
    with pytest.raises(WaveError, match="would be read as case `a`"):
        parse("b(true)", vb)
    with pytest.raises(WaveError, match="cannot be represented"):
        from_json({"tag": "b", "value": True}, vb)
    # an earlier case whose payload may be None (an untagged option) captures every value
    vo = VariantT((("a", OptionT(U32)), ("b", STRING)))
    assert not vo.tagged and format("x", vo) == 'b("x")' and parse("a(none)", vo) is None
    with pytest.raises(WaveError, match="would be read as case `a`"):
        parse('b("x")', vo)


# --- parsing and canonical formatting per type kind ----------------------------------------------------

@pytest.mark.parametrize(("t", "text", "value", "canonical"), [
    (BOOL, "true", True, "true"), (BOOL, " false ", False, "false"),
    (U8, "255", 255, "255"), (S8, "-128", -128, "-128"), (U64, str(2**64 - 1), 2**64 - 1, None),
    (F64, "3.14", 3.14, "3.14"), (F64, "1e3", 1000.0, "1000"), (F64, "-0", -0.0, "-0"),
    (F64, "6.022e+23", 6.022e23, "602200000000000000000000"), (F64, "1.5e-7", 1.5e-7, "0.00000015"),
    (F64, "inf", math.inf, "inf"), (F64, "-inf", -math.inf, "-inf"), (F64, "nan", math.nan, "nan"),
    (F32, "3.14", 3.140000104904175, "3.14"), (F32, "1e39", math.inf, "inf"), (F32, "0.1", 0.10000000149011612, "0.1"),
    (CHAR, "'x'", "x", None), (CHAR, "'\\''", "'", None), (CHAR, "'\"'", '"', "'\\\"'"),
    (CHAR, "'\\u{1F600}'", "😀", "'😀'"), (CHAR, "'\\n'", "\n", None), (CHAR, "'\\u{0}'", "\0", None),
    (STRING, '"abc\\t123"', "abc\t123", None), (STRING, '""', "", None),
    (STRING, "\"it's\"", "it's", "\"it\\'s\""), (STRING, '"\\\\ \\" \\r \\u{41}"', '\\ " \r A', '"\\\\ \\" \\r A"'),
    (STRING, '"\x7f\u200b\u0301x"', "\x7f\u200b\u0301x", '"\\u{7f}\\u{200b}\\u{301}x"'),
    (ListT(U32), "[1, 2, 3,]", [1, 2, 3], "[1, 2, 3]"), (ListT(U32), "[ ]", [], "[]"),
    (ListT(U8), "[104, 105]", b"hi", None), (ListT(ListT(U8)), "[[], [1]]", [b"", b"\x01"], None),
    (TupleT((STRING, U8)), '("abc", 123)', ("abc", 123), None),
    (EnumT(("north", "ok")), "north", "north", None), (EnumT(("north", "ok")), "%ok", "ok", "%ok"),
    (EnumT(("north", "ok")), "%north", "north", "north"),
    (DAYS, "days(30)", 30, None), (DAYS, "forever", None, None),
    (VariantT((("none", None), ("x-Y2", STRING))), "%none", None, None),
    (OptionT(U32), "123", 123, "some(123)"), (OptionT(U32), "none", None, None),
    (OptionT(STRING), 'some("x")', "x", None),
    (OPT_OPT, "some(none)", Variant("some", None), None), (OPT_OPT, "some(5)", Variant("some", 5), "some(some(5))"),
    (ResultT(U8), "123", 123, "ok(123)"), (ResultT(None, STRING), "ok", None, None),
    (ResultT(None, STRING), 'err("oops")', "oops", None), (ResultT(), "err", Variant("err"), None),
    (ResultT(STRING, STRING), '"flat"', Variant("ok", "flat"), 'ok("flat")'),
    (FlagsT(("read", "write", "exec")), "{write, read,}", {"read", "write"}, "{read, write}"),
    (FlagsT(("read", "write")), "{}", set(), None), (FlagsT(("none", "b")), "{%none}", {"none"}, "{none}"),
])
def test_parse_and_canonical_format(t: WaveType, text: str, value: Any, canonical: str | None) -> None:
    parsed = parse(text, t)
    assert same(parsed, value)
    expected = text.strip() if canonical is None else canonical
    assert format(parsed, t) == expected
    assert same(parse(expected, t), value)


def test_records() -> None:
    t = RecordT((("must-have", U8), ("optional", OptionT(U8)), ("true", BOOL)))
    value = parse("{ must-have: 123, true: false }", t)
    assert same(value, make_record({"must-have": 123, "optional": None, "true": False}))
    assert format(value, t) == "{must-have: 123, true: false}"
    assert same(parse("{%true: false, optional: none, must-have: 123,}", t), value)
    everything_optional = RecordT((("optional", OptionT(U8)),))
    assert format(parse("{:}", everything_optional), everything_optional) == "{:}"
    assert same(parse("{}", everything_optional), parse("{optional: none}", everything_optional))
    assert format(rec(optional=4), everything_optional) == "{optional: some(4)}"


def test_comments_whitespace_multiline() -> None:
    assert parse("// list\n[1, // one\n 2]\n", ListT(U8)) == b"\x01\x02"
    assert parse('"""\n  Indentation determined\n    by ending delimiter\n  """', STRING) == \
        "Indentation determined\n  by ending delimiter"
    assert parse('"""\n"""', STRING) == ""


@pytest.mark.parametrize(("t", "text", "message"), [
    (U8, "-1", "at column 1: expected a u8 (0..255), got -1"),
    (U8, "256", "expected a u8 (0..255), got 256"), (U8, "1.5", "got 1.5"),
    (S8, '"x"', 'expected an s8 (-128..127), got string "x"'),
    (BOOL, "True", "invalid label `True`"), (BOOL, "1", "expected a bool (true or false), got 1"),
    (F64, '"1"', "expected an f64"), (ListT(U8), "[1, 2 3]", "at column 7: expected ',' or ']', got 3"),
    (ListT(U8), "[1,\n 2 x]", "at line 2, column 4"), (U8, "1 2", "unexpected 2 after the value"),
    (U8, "", "got end of input"), (U8, "@", "unexpected character '@'"),
    (CHAR, "'ab'", "exactly one character"), (CHAR, "''", "exactly one character"),
    (STRING, '"a\\qb"', "at column 3: invalid escape `\\q`"), (STRING, '"\\u{D800}"', "not a Unicode scalar"),
    (STRING, '"abc', "unterminated string"), (STRING, "abc", "expected a string, got abc"),
    (STRING, '"""\nx\n  """', "indented at least"), (STRING, '"""x\n"""', "followed immediately"),
    (TupleT((U8, U8)), "(1)", "needs 2 elements, got 1"), (TupleT((U8,)), "(1, 2)", "too many tuple elements"),
    (RecordT((("a", U8),)), "{a: 1, b: 2}", "unknown field `b`"), (RecordT((("a", U8),)), "{:}", "missing field `a`"),
    (RecordT((("a", U8),)), "{a: 1, a: 1}", "duplicate field `a`"),
    (FlagsT(("r", "w")), "{r, x}", "unknown flag `x` (expected one of: r, w)"),
    (FlagsT(("r", "w")), "{r, r}", "duplicate flag `r`"),
    (EnumT(("a", "b")), "c", "unknown enum case `c` (expected one of: a, b)"),
    (EnumT(("a", "none")), "none", "write the case name as `%none`"),
    (EnumT(("a", "b")), "a(1)", "takes no payload"),
    (DAYS, "days", "requires a payload: days(u32)"), (DAYS, "forever(1)", "case `forever` takes no payload"),
    (OPT_OPT, "5", "`some(...)` or `none`"), (OptionT(U8), "none(1)", "takes no payload"),
    (ResultT(None, STRING), '"x"', "`ok`/`err` form"), (ResultT(U8), "ok", "requires a payload"),
    (HandleT("own"), "1", "written as the string"), (HandleT("borrow"), "\"w/x\"", "written as the string"),
])
def test_parse_errors(t: WaveType, text: str, message: str) -> None:
    with pytest.raises(WaveError) as info:
        parse(text, t)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, UsageError)


def test_error_positions() -> None:
    with pytest.raises(WaveError) as info:
        parse("[1, 2, 300]", ListT(U8))
    assert (info.value.line, info.value.column, info.value.reason) == (1, 8, "expected a u8 (0..255), got 300")
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value) == "at column 8: expected a u8 (0..255), got 300"
    assert copy.column == 8


@pytest.mark.parametrize(("t", "value"), [
    (U8, 256), (U8, True), (BOOL, 1), (STRING, b"x"), (CHAR, "ab"), (ListT(U8), [1]),
    (EnumT(("a",)), "b"), (FlagsT(("a",)), {"b"}), (DAYS, "x"), (RecordT((("a", U8),)), rec(b=1)),
    (TupleT((U8,)), (1, 2)), (ResultT(), None), (OPT_OPT, 5),
])
def test_format_rejects_ill_typed_values(t: WaveType, value: Any) -> None:
    with pytest.raises(WaveError):
        format(value, t)
    with pytest.raises(WaveError):
        to_json(value, t)


def test_format_nested_error_path() -> None:
    t = RecordT((("items", ListT(TupleT((U8, STRING)))),))
    with pytest.raises(WaveError, match=r"at \$\.items\[1\]\.0: expected a value of type u8, got 300"):
        format(rec(items=[(1, "a"), (300, "b")]), t)


def test_format_type() -> None:
    assert format_type(ListT(U8)) == "list<u8>"
    assert format_type(OptionT(STRING)) == "option<string>"
    assert format_type(RecordT((("a", U32),))) == "record { a: u32 }"
    assert format_type(ResultT()) == "result" and format_type(ResultT(U8)) == "result<u8>"
    assert format_type(ResultT(None, STRING)) == "result<_, string>"
    assert format_type(ResultT(U8, STRING)) == "result<u8, string>"
    assert format_type(TupleT((U8, CHAR))) == "tuple<u8, char>"
    assert format_type(DAYS) == "variant { days(u32), forever }"
    assert format_type(EnumT(("a", "b"))) == "enum { a, b }"
    assert format_type(FlagsT(("r",))) == "flags { r }"
    assert format_type(HandleT("borrow")) == "borrow<resource>"
    assert format_type(real_type(OptionT(ListT(U8)))) == "option<list<u8>>"


# --- parse_args ----------------------------------------------------------------------------------------

def test_parse_args() -> None:
    params = [("a", U64), ("b", STRING)]
    assert parse_args(["1", '"x y"'], params) == [1, "x y"]
    assert parse_args(["1", "hello"], params) == [1, "hello"]  # lenient bare string
    assert parse_args(["1", "two words"], params) == [1, "two words"]
    with pytest.raises(WaveError, match=r"^f takes 2 arguments \(a: u64, b: string\), got 1$"):
        parse_args(["1"], params, func_name="f")
    with pytest.raises(WaveError, match=r"^argument 2 \(b: string\): at column 1: unterminated string"):
        parse_args(["1", '"x'], params)
    with pytest.raises(WaveError, match=r"^argument 1 \(a: u64\): at column 1: expected a u64"):
        parse_args(["x", "y"], params)
    with pytest.raises(WaveError, match=r"takes 1 argument \(a: u8\), got 0"):
        parse_args([], [("a", U8)])
    opt = [("a", U8), ("b", OptionT(STRING)), ("c", OptionT(U8))]
    assert parse_args(["1", "none", "some(2)"], opt) == [1, None, 2]
    assert parse_args(["1", '"x"', "none"], opt) == [1, "x", None]
    with pytest.raises(WaveError, match="argument 2"):
        parse_args(["1", "x", "none"], opt)  # leniency applies to `string` parameters only
    with pytest.raises(WaveError, match=r"takes 3 arguments .* got 1"):  # as Golem: an option needs its none
        parse_args(["1"], opt)


def test_parse_args_with_real_function_type() -> None:
    wat = """(component
      (core module $m (func (export "f") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
      (core instance $i (instantiate $m))
      (func $f (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "f")))
      (instance $api (export "add" (func $f)))
      (export "golem:it/api" (instance $api)))"""
    component = Component(ENGINE, wat)
    api_type = component.type.exports(ENGINE)["golem:it/api"].ty
    assert isinstance(api_type, ComponentInstanceType)
    func_type = api_type.exports(ENGINE)["add"].ty
    assert isinstance(func_type, FuncType)
    store = Store(ENGINE)
    instance = Linker(ENGINE).instantiate(store, component)
    api = instance.get_export_index(store, "golem:it/api")
    add = instance.get_export_index(store, "add", api)
    assert add is not None
    func = instance.get_func(store, add)
    assert func is not None
    params = func.type(store).params
    assert [(n, describe(t)) for n, t in params] == [(n, describe(t)) for n, t in func_type.params]
    result = func(store, *parse_args(["40", "2"], params))
    assert format(result, func.type(store).result) == "42"


# --- typed JSON ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("t", "value", "encoded"), [
    (BOOL, True, True), (S64, -5, -5), (F64, math.inf, "inf"), (F64, -math.inf, "-inf"), (F32, 0.5, 0.5),
    (CHAR, "x", "x"), (STRING, "s", "s"), (ListT(U8), b"abc", "YWJj"), (ListT(U32), [1, 2], [1, 2]),
    (TupleT((U8, STRING)), (1, "a"), [1, "a"]),
    (RecordT((("a-b", U8), ("o", OptionT(U8)))), rec(a_b=1, o=None), {"a-b": 1, "o": None}),
    (DAYS, 3, {"tag": "days", "value": 3}), (DAYS, None, {"tag": "forever"}),
    (EnumT(("n", "s")), "s", "s"), (OptionT(U8), None, None), (OptionT(U8), 4, 4),
    (OPT_OPT, Variant("some", None), {"some": None}), (OPT_OPT, Variant("none"), None),
    (ResultT(U8, STRING), "e", {"err": "e"}), (ResultT(), Variant("ok"), {"ok": None}),
    (FlagsT(("a", "b", "c")), {"c", "a"}, ["a", "c"]),
])
def test_json(t: WaveType, value: Any, encoded: Any) -> None:
    assert to_json(value, t) == encoded
    assert same(from_json(json.loads(json.dumps(encoded)), t), value)


def test_json_nan_and_errors() -> None:
    assert to_json(math.nan, F64) == "nan" and math.isnan(from_json("nan", F64))
    assert from_json(3, F64) == 3.0 and from_json(2.0, U8) == 2
    assert same(from_json({"a-b": 1}, RecordT((("a-b", U8), ("o", OptionT(U8))))), rec(a_b=1, o=None))
    for obj, t, msg in [
        ("!!", ListT(U8), "invalid base64"), ({"a": 1, "z": 2}, RecordT((("a", U8),)), "unknown field"),
        ({}, RecordT((("a", U8),)), "missing field `a`"), ({"tag": "nope"}, DAYS, "tag"),
        ({"tag": "forever", "value": 1}, DAYS, "takes no payload"), (5, OPT_OPT, '{"some": ...}'),
        ({"ok": 1, "err": 2}, ResultT(U8, U8), '{"ok": ...}'), (["x"], FlagsT(("a",)), "flag names"),
        (True, U8, "type u8"), (300, U8, "type u8"), ([1], TupleT((U8, U8)), "2 elements"),
    ]:
        with pytest.raises(WaveError, match=msg):
            from_json(obj, t)
    with pytest.raises(WaveError, match="cannot be encoded"):
        to_json(object(), HandleT("own"))


# --- property tests ------------------------------------------------------------------------------------

LABELS = st.from_regex(r"[a-z][a-z0-9]{0,4}(-[a-z0-9]{1,3}){0,1}|some|none|ok|err|true|inf", fullmatch=True)
PRIMS = st.sampled_from([Prim(k) for k in (*INT_RANGES, "bool", "f32", "f64", "char", "string")])


def _names(min_size: int = 1) -> st.SearchStrategy[list[str]]:
    return st.lists(LABELS, min_size=min_size, max_size=4, unique=True)


def _compound(inner: st.SearchStrategy[WaveType]) -> st.SearchStrategy[WaveType]:
    opt_inner = st.none() | inner
    return st.one_of(
        inner.map(ListT), inner.map(OptionT),
        st.lists(inner, min_size=1, max_size=3).map(lambda es: TupleT(tuple(es))),
        st.builds(ResultT, opt_inner, opt_inner),
        _names().flatmap(lambda ns: st.tuples(*[inner for _ in ns]).map(
            lambda ts: RecordT(tuple(zip(ns, ts, strict=True))))),
        _names().flatmap(lambda ns: st.tuples(*[opt_inner for _ in ns]).map(
            lambda ts: VariantT(tuple(zip(ns, ts, strict=True))))),
        _names().map(lambda ns: EnumT(tuple(ns))), _names().map(lambda ns: FlagsT(tuple(ns))),
    )


def wasmtime_safe(t: WaveType) -> bool:
    """No untagged variant-like in ``t`` has a case wasmtime-py would misroute (see pyrepr docs)."""
    children: list[WaveType | None] = []
    if isinstance(t, ListT):
        children = [t.element]
    elif isinstance(t, OptionT):
        children = [t.payload]
    elif isinstance(t, TupleT):
        children = list(t.elements)
    elif isinstance(t, RecordT):
        children = [ft for _, ft in t.fields]
    elif isinstance(t, (VariantT, ResultT)):
        children = [ct for _, ct in variant_cases(t)]
    if isinstance(t, (VariantT, OptionT, ResultT)) and not t.tagged:
        classes = [{type(None)} if ct is None else ct.py_classes for _, ct in variant_cases(t)]
        for i, earlier in enumerate(classes):
            if variant_cases(t)[i][1] is None:
                continue
            for later in classes[i + 1:]:
                if any(issubclass(b, a) for a in earlier for b in later):
                    return False
    return all(c is None or wasmtime_safe(c) for c in children)


TYPES = st.recursive(PRIMS, _compound, max_leaves=8).filter(wasmtime_safe)


def values_of(t: WaveType) -> st.SearchStrategy[Any]:
    if isinstance(t, Prim):
        if t.kind in INT_RANGES:
            return st.integers(*INT_RANGES[t.kind])
        if t.kind in ("f32", "f64"):
            return st.floats(width=32 if t.kind == "f32" else 64)
        if t.kind == "bool":
            return st.booleans()
        chars = st.characters(codec="utf-8")
        return chars if t.kind == "char" else st.text(chars, max_size=8)
    if isinstance(t, ListT):
        if t.element == U8:
            return st.binary(max_size=6)
        return st.lists(values_of(t.element), max_size=3)
    if isinstance(t, TupleT):
        return st.tuples(*[values_of(e) for e in t.elements])
    if isinstance(t, RecordT):
        return st.tuples(*[values_of(ft) for _, ft in t.fields]).map(
            lambda vs: make_record({n: v for (n, _), v in zip(t.fields, vs, strict=True)}))
    if isinstance(t, EnumT):
        return st.sampled_from(t.names)
    if isinstance(t, FlagsT):
        return st.sets(st.sampled_from(t.names))
    def case(name: str, payload_type: WaveType | None) -> st.SearchStrategy[Any]:
        if payload_type is None:
            return st.just(make_case(t, name, None))
        return values_of(payload_type).map(lambda v: make_case(t, name, v))

    return st.one_of([case(n, ct) for n, ct in variant_cases(t)])


TYPED_VALUES = TYPES.flatmap(lambda t: st.tuples(st.just(t), values_of(t)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TYPED_VALUES)
def test_roundtrip_property(tv: tuple[WaveType, Any]) -> None:
    t, value = tv
    assert conforms(value, t)
    text = format(value, t)
    parsed = parse(text, t)
    assert same(parsed, value), text
    assert format(parsed, t) == text
    encoded = to_json(value, t)
    assert same(from_json(json.loads(json.dumps(encoded, allow_nan=False)), t), value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TYPED_VALUES)
def test_roundtrip_through_real_wasmtime_types(tv: tuple[WaveType, Any]) -> None:
    t, value = tv
    real = real_type(t)
    assert describe(real) == t
    lifted = through_wasmtime(real, parse(format(value, t), real))
    assert same(lifted, value)
    assert format(lifted, real) == format(value, t)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TYPED_VALUES, st.data())
def test_mangled_text_only_raises_wave_error(tv: tuple[WaveType, Any], data: st.DataObject) -> None:
    t, value = tv
    text = format(value, t)
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 3)))
    noise = data.draw(st.text(alphabet="{}()[]:,\"'\\%-_ \nau0.e9/", max_size=3))
    try:
        parse(text[:i] + noise + text[j:], t)
    except WaveError:
        pass


def test_a_resource_handle_is_golems_worker_uri_and_id() -> None:
    """Golem writes a handle as "<worker uri>/<resource id>"; it parses to that pair and prints back."""
    text = '"urn:worker:8d1f0e2a-0000-0000-0000-000000000001/cart-1/12"'
    handle = parse(text, HandleT("borrow"))
    assert (handle.uri, handle.resource_id) == ("urn:worker:8d1f0e2a-0000-0000-0000-000000000001/cart-1", 12)
    assert format(handle, HandleT("own")) == text
