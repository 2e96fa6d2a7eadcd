"""The only wire format of oplog entries: one compact JSON object per entry.

Format (stable; the golden files in tests/golden/entries pin it):

* keys sorted, no whitespace, ASCII only (non-ASCII escaped as ``\\uXXXX``);
* ``"$type"`` holds the entry kind (``"imported-function-invoked"``); every other key is a field name in
  kebab-case, matching Golem's public oplog (``"function-name"``, ``"begin-index"``); every field is always
  present, defaults included;
* tuples are arrays; a ``DurableFunctionType`` is ``{"begin-index": null, "kind": "read-local"}``;
* inside values, a non-finite float is ``{"$float": "nan" | "inf" | "-inf"}`` and an object key that starts
  with ``$`` gets one more ``$`` (``"$x"`` is stored as ``"$$x"``), so payloads can never look like markers.

External payloads (the store's form; tests/golden/codec/external-payload.json pins it): ``encode_external``
moves every string value longer than ``EXTERNAL_MIN_CHARS`` out of the text, as Golem moves large oplog payloads
out of line. Its place holds ``{"$external": {"encoding": "base64" | "utf-8", "part": N, "size": BYTES}}`` and
part N is returned as bytes: the raw bytes of a ``Base64Text`` (encoding "base64"), else the string's UTF-8.
``decode(text, parts)`` puts the very same strings back. ``encode`` alone never produces this form.
"""

from __future__ import annotations

import json
import math
import types
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

from emulator.errors import OplogError
from emulator.oplog.entries import (
    ENTRY_TYPES,
    READ_LOCAL,
    READ_REMOTE,
    WRITE_LOCAL,
    WRITE_REMOTE,
    WRITE_REMOTE_BATCHED,
    Base64Text,
    DurableFunctionType,
    OplogEntry,
)

__all__ = ["EXTERNAL_MIN_CHARS", "EXTERNAL_MARKER", "decode", "encode", "encode_external"]

EXTERNAL_MIN_CHARS = 1 << 16
"""Strings longer than this are stored out of line by ``encode_external`` (Golem's 64 KiB payload limit)."""
EXTERNAL_MARKER = '"$external"'
"""How an encoded entry that refers to external parts can be recognised without parsing it."""
_EXTERNAL = "$external"

_Conv = Callable[[Any], Any]


class _Encoder(json.JSONEncoder):
    def default(self, o: object) -> object:
        raise TypeError(
            f"cannot store a {type(o).__name__} in an oplog entry; only JSON values are allowed "
            "(encode bytes yourself, e.g. as base64 text)"
        )


# One encoder instance: json.dumps(**kwargs) would build a new JSONEncoder on every call.
_ENCODE = _Encoder(sort_keys=True, separators=(",", ":"), allow_nan=False).encode
_DECODE = json.JSONDecoder().decode
# orjson writes (and reads) the same text as the json module for what it is given here, an order of magnitude
# faster; what it would write differently goes the json module's way instead: floats (other repr, and NaN as
# null), non-ASCII and DEL (json escapes them), integers beyond 64 bits (orjson refuses them) and, reading,
# anything that read as a float (orjson reads an integer beyond 64 bits as one) and what orjson refuses to read.
try:
    import orjson
except ImportError:  # a venv set up before orjson was declared: the json module alone, slower, same text
    orjson = None  # type: ignore[assignment]


def _fast_encode(body: dict[str, Any]) -> str | None:
    if orjson is None:
        return None
    try:
        out = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits, a non-string key, or a value that is not JSON
        return None
    if not out.isascii() or b"\x7f" in out:
        return None
    return out.decode("ascii")


def _loads(text: str) -> Any:
    if orjson is None:
        return _DECODE(text)
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError:  # e.g. an escaped lone surrogate, which json reads (and writes) but orjson not
        return _DECODE(text)
    # orjson reads an integer beyond 64 bits as a float: where any float came out, read it the exact way.
    return _DECODE(text) if _has_float(body) else body


def _has_float(v: Any) -> bool:
    t = type(v)
    if t is dict:
        items: Any = v.values()
    elif t is list or t is tuple:
        items = v
    elif t is int or t is str or v is None or t is bool:
        return False
    else:
        return not isinstance(v, str | int)  # a float, or anything else: the json module's way (or its error)
    for x in items:  # scalars inline: most of a body's values are strings and integers
        tx = type(x)
        if tx is str or tx is int or x is None or tx is bool:
            continue
        if _has_float(x):
            return True
    return False


_SHARED_FUNCTION_TYPES = {
    t.kind: t for t in (READ_LOCAL, WRITE_LOCAL, READ_REMOTE, WRITE_REMOTE, WRITE_REMOTE_BATCHED)
}


def _function_type_out(t: DurableFunctionType) -> dict[str, Any]:
    return {"kind": t.kind, "begin-index": t.begin_index}


def _function_type_in(d: dict[str, Any]) -> DurableFunctionType:
    begin = d["begin-index"]
    if begin is None:
        shared = _SHARED_FUNCTION_TYPES.get(d["kind"])
        if shared is not None:  # reuse the constants: most host calls decode without an allocation
            return shared
    return DurableFunctionType(d["kind"], begin)


def _pairs_in(v: list[list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((a, b) for a, b in v)


class _Spec:
    """Precomputed per-class field list, so encode/decode never introspect dataclasses per call."""

    __slots__ = ("cls", "kind", "out", "inp", "keys", "json_fields", "json_keys", "body", "build")

    def __init__(self, cls: type[OplogEntry]) -> None:
        self.cls = cls
        self.kind = cls.kind
        self.out: list[tuple[str, str, _Conv | None]] = []
        self.inp: list[tuple[str, str, _Conv | None]] = []
        for f in fields(cls):
            key = f.name.replace("_", "-")
            # Annotations are strings (postponed evaluation); the golden tests catch any drift in these checks.
            ann = str(f.type)
            conv_out: _Conv | None = None
            conv_in: _Conv | None = None
            if ann == "DurableFunctionType":
                conv_out, conv_in = _function_type_out, _function_type_in
            elif ann == "tuple[tuple[str, str], ...]":
                conv_in = _pairs_in
            elif ann.startswith("tuple["):
                conv_in = tuple
            self.out.append((f.name, key, conv_out))
            self.inp.append((key, f.name, conv_in))
        self.keys = frozenset(k for k, _, _ in self.inp)
        # Only free-form JSON fields can hold a string long enough to be stored out of line, or a float.
        self.json_fields = tuple(f.name for f in fields(cls) if str(f.type) in ("Json", "Json | None"))
        # The fields that may hold a float (free-form JSON, or typed float): the fast encoder leaves those to json.
        self.json_keys = tuple(f.name.replace("_", "-") for f in fields(cls)
                               if str(f.type) in ("Json", "Json | None") or "float" in str(f.type))
        self.body = _body_builder(self.out, self.kind)
        self.build = _entry_builder(self.inp, cls)


def _entry_builder(inp: list[tuple[str, str, _Conv | None]], cls: type[OplogEntry]) -> Callable[[Any], OplogEntry]:
    """A function making the entry from its JSON object (keys already checked) in one call.

    It sets the slots through their descriptors and then runs the class's own checks (__post_init__), which
    is what the frozen dataclass's __init__ does, at half its cost: reading an oplog builds every entry."""
    scope: dict[str, Any] = {"NEW": object.__new__, "CLS": cls}
    lines = ["def build(b):", "    e = NEW(CLS)"]
    for n, (key, attr, conv) in enumerate(inp):
        slot = vars(next(k for k in cls.__mro__ if attr in vars(k)))[attr]
        if not isinstance(slot, types.MemberDescriptorType):  # a class without slots: its own constructor
            return lambda b: cls(**{a: b[k] if c is None or b[k] is None else c(b[k]) for k, a, c in inp})
        scope[f"set{n}"] = slot.__set__
        value = f"b[{key!r}]"
        if conv is not None:
            scope[f"conv{n}"] = conv
            value = f"(None if {value} is None else conv{n}({value}))"
        lines.append(f"    set{n}(e, {value})")
    post = getattr(cls, "__post_init__", None)
    if post is not None:
        scope["POST"] = post
        lines.append("    POST(e)")
    lines.append("    return e")
    exec("\n".join(lines) + "\n", scope)  # noqa: S102 - source built above from the dataclass's own field names
    built: Callable[[Any], OplogEntry] = scope["build"]
    return built


def _body_builder(out: list[tuple[str, str, _Conv | None]], kind: str) -> Callable[[Any], dict[str, Any]]:
    """A function building an entry's JSON object in one dict display: a loop with getattr per field cost
    more than the JSON encoding itself."""
    items = []
    scope: dict[str, Any] = {"KIND": kind}
    for n, (attr, key, conv) in enumerate(out):
        if conv is None:
            items.append(f"{key!r}: e.{attr}")
        else:
            scope[f"conv{n}"] = conv
            items.append(f"{key!r}: (None if e.{attr} is None else conv{n}(e.{attr}))")
    source = "def body(e):\n    return {" + ", ".join(items) + ", '$type': KIND}\n"
    exec(source, scope)  # noqa: S102 - source built above from the dataclass's own field names
    built: Callable[[Any], dict[str, Any]] = scope["body"]
    return built


_BY_KIND = {kind: _Spec(cls) for kind, cls in ENTRY_TYPES.items()}
_BY_CLASS = {spec.cls: spec for spec in _BY_KIND.values()}


def _escape(v: Any) -> Any:
    if isinstance(v, float):
        if math.isfinite(v):
            return v
        return {"$float": "nan" if v != v else ("inf" if v > 0 else "-inf")}
    if isinstance(v, dict):
        return {(f"${k}" if str(k).startswith("$") else k): _escape(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_escape(x) for x in v]
    return v


def _unescape(v: Any, parts: Sequence[bytes] | None) -> Any:
    if isinstance(v, dict):
        if len(v) == 1:
            if "$float" in v:
                return float(v["$float"])
            if _EXTERNAL in v:
                return _internalize(v[_EXTERNAL], parts)
        return {(k[1:] if k.startswith("$") else k): _unescape(x, parts) for k, x in v.items()}
    if isinstance(v, list):
        return [_unescape(x, parts) for x in v]
    return v


def _has_long(v: Any) -> bool:
    if isinstance(v, str):
        return len(v) > EXTERNAL_MIN_CHARS
    if isinstance(v, dict):
        return any(_has_long(x) for x in v.values())
    if isinstance(v, list | tuple):
        return any(_has_long(x) for x in v)
    return False


def _externalize(v: Any, parts: list[bytes]) -> Any:
    """``v`` (already escaped) with every long string replaced by a marker; its bytes appended to ``parts``."""
    if isinstance(v, str):
        if len(v) <= EXTERNAL_MIN_CHARS:
            return v
        if isinstance(v, Base64Text):
            encoding, data = "base64", v.raw
        else:
            encoding, data = "utf-8", v.encode("utf-8", "surrogatepass")
        parts.append(data)
        return {_EXTERNAL: {"encoding": encoding, "part": len(parts) - 1, "size": len(data)}}
    if isinstance(v, dict):  # in key order, as the text has them: part numbers do not depend on dict order
        return {k: _externalize(v[k], parts) for k in sorted(v)}
    if isinstance(v, list | tuple):
        return [_externalize(x, parts) for x in v]
    return v


def _internalize(ref: Any, parts: Sequence[bytes] | None) -> str:
    if parts is None:
        raise ValueError("the entry refers to an external payload; read it through the store that holds it")
    if not isinstance(ref, dict) or not isinstance(ref.get("part"), int) or not 0 <= ref["part"] < len(parts):
        raise ValueError(f"bad external payload reference {ref!r} ({len(parts)} parts)")
    data = parts[ref["part"]]
    if len(data) != ref.get("size"):
        raise ValueError(f"external payload {ref['part']} has {len(data)} bytes, the entry says {ref.get('size')}")
    if ref.get("encoding") == "base64":
        return Base64Text(data)
    if ref.get("encoding") == "utf-8":
        return bytes(data).decode("utf-8", "surrogatepass")
    raise ValueError(f"unknown external payload encoding {ref.get('encoding')!r}")


def encode(entry: OplogEntry) -> str:
    """The wire form of ``entry``: compact, key-sorted JSON with a ``$type`` discriminator."""
    spec = _BY_CLASS.get(type(entry))
    if spec is None:
        raise TypeError(f"not an oplog entry: {entry!r}")
    body = spec.body(entry)
    for k in spec.json_keys:
        if _has_float(body[k]):
            break
    else:
        fast = _fast_encode(body)
        if fast is not None and fast.count('"$') == 1:
            return fast
    try:
        text: str = _ENCODE(body)
    except ValueError:  # a NaN or infinity somewhere: escape and retry
        text = ""
    # Fast path: the only '"$' is our discriminator. Anything else (a "$key", a "$string", a non-finite float)
    # takes the slow, escaping path; false positives there are harmless.
    if text and text.count('"$') == 1:
        return text
    del body["$type"]
    body = {k: _escape(v) for k, v in body.items()}
    body["$type"] = spec.kind
    escaped: str = _ENCODE(body)
    return escaped


def encode_external(entry: OplogEntry) -> tuple[str, list[bytes]]:
    """The store's form of ``entry``: like ``encode``, with long strings moved out as parts (see the top)."""
    text = encode(entry)  # rejects non-entries
    if len(text) <= EXTERNAL_MIN_CHARS:  # no string in it can be longer than that: nothing to move out
        return text, []
    spec = _BY_CLASS[type(entry)]
    if not any(_has_long(getattr(entry, name)) for name in spec.json_fields):
        return text, []
    body: dict[str, Any] = {}
    for attr, key, conv in spec.out:
        value = getattr(entry, attr)
        body[key] = value if conv is None or value is None else conv(value)
    parts: list[bytes] = []
    body = {k: _externalize(_escape(body[k]), parts) for k in sorted(body)}
    body["$type"] = spec.kind
    external: str = _ENCODE(body)
    return external, parts


def decode(text: str | bytes, parts: Sequence[bytes] | None = None) -> OplogEntry:
    """The entry whose wire form is ``text`` (with its external ``parts``, if it has any); OplogError if it is
    not a valid entry."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        body = _loads(text)
    except ValueError as e:  # orjson.JSONDecodeError is a ValueError too
        raise OplogError(f"oplog entry is not valid JSON ({e}): {text[:200]!r}") from e
    if not isinstance(body, dict):
        raise OplogError(f"oplog entry is not a JSON object: {text[:200]!r}")
    kind = body.pop("$type", None)
    spec = _BY_KIND.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise OplogError(
            f"unknown oplog entry type {kind!r}; the database was written by another golem-emu version "
            "(use that version, or pass another --data-dir)"
        )
    if body.keys() != spec.keys:
        missing = sorted(spec.keys.difference(body))
        extra = sorted(set(body).difference(spec.keys))
        raise OplogError(f"malformed {kind} oplog entry (missing fields {missing}, unknown fields {extra})")
    try:
        if text.count('"$') > 1:  # only escaped payloads contain '"$' besides the discriminator
            body = {k: _unescape(v, parts) for k, v in body.items()}
        entry: OplogEntry = spec.build(body)
    except (TypeError, ValueError, KeyError) as e:
        raise OplogError(f"malformed {kind} oplog entry ({e}): {text[:200]!r}") from e
    return entry
