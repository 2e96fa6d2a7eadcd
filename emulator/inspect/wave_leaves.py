"""What Golem's oplog search sees of an exported function's arguments and result (golem-semantics.md §13.1).

Golem searches an invocation's values by their structure, not their text (`PublicOplogEntry::matches`):
strings, numbers, chars, bools, enum cases and flag names are the leaves; a tuple element is under its
position, a variant payload under its case name, a result's under `ok`/`err`, a list's and an option's
under their own path. A record's fields are matched against the record's own path rather than the query's:
so the fields of a top-level record (an argument) match a query of any field path (`product-id:G1001`,
like a bare term), and those of a record nested anywhere else never match. A result is the tuple of the
function's results (its single value is under `0`).

Our entries hold the values as WAVE text; this reads them without their types (a bare label is taken as
an enum case, `none` and payload-less cases have no leaves) and yields (path, text) leaves, a top-level
record's fields under the path ANY. Text that is not WAVE (`<own resource>`) is one leaf, as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

ANY = "\x00any"
"""The path of a leaf that matches a query of any field path (a top-level record's field)."""

Leaf = tuple[tuple[str, ...], str]
Node = tuple[Any, ...]  # ("leaf", text), ("flags", names), ("list" | "tuple", nodes), ("case", name, node |
#                          None), ("record", [(name, node)])


class _NotWave(Exception):
    pass


def leaves(text: str, path: tuple[str, ...]) -> Iterator[Leaf]:
    """The searchable leaves of one WAVE value whose own path is `path` (() for an argument)."""
    try:
        reader = _Reader(text)
        node = reader.value()
        if reader.peek().kind != "eof":
            raise _NotWave()
    except _NotWave:
        yield path, text
        return
    yield from _walk(node, path, False)


def _walk(node: Node, path: tuple[str, ...], anywhere: bool) -> Iterator[Leaf]:
    kind = node[0]
    where = (ANY,) if anywhere else path
    if kind == "leaf":
        yield where, node[1]
    elif kind == "flags":
        for name in node[1]:
            yield where, name
    elif kind == "list":
        for item in node[1]:
            yield from _walk(item, path, anywhere)
    elif kind == "tuple":
        for i, item in enumerate(node[1]):
            yield from _walk(item, (*path, str(i)), anywhere)
    elif kind == "case":
        name, payload = node[1], node[2]
        if payload is not None:
            inner = path if name == "some" else (*path, name)
            yield from _walk(payload, inner, anywhere)
    elif kind == "record" and not path and not anywhere:
        for _, value in node[1]:
            yield from _walk(value, path, True)
    # a record anywhere else: its fields never match


class Token(NamedTuple):
    kind: str  # one of "{}()[]:,", "string", "char", "number", "label", "eof"
    text: str


# A reader of its own, not emulator.wave's: inspection stays free of wasmtime (tests/unit/test_boundaries.py).
_TOKEN = re.compile(r"""\s*(?:(?P<string>"(?:[^\\"\n]|\\.)*")|(?P<char>'(?:[^\\'\n]|\\.)*')"""
                    r"|(?P<label>%?[A-Za-z][A-Za-z0-9-]*)|(?P<number>-?(?:[0-9][0-9.eE+-]*|inf|nan))"
                    r"|(?P<punct>[{}()\[\]:,]))")
_ESCAPE = re.compile(r"\\(?:u\{([0-9a-fA-F]{1,6})\}|(.))")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


def _unescape(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return chr(int(m.group(1), 16))
        if m.group(2) not in _SIMPLE:
            raise _NotWave()
        return _SIMPLE[m.group(2)]

    return _ESCAPE.sub(one, body)


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            out.append(Token("eof", ""))
            return out
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _NotWave()
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "string" or kind == "char":
            value = _unescape(value[1:-1])
        out.append(Token(value if kind == "punct" else kind, value))
        pos = m.end()


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[min(self.i, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, kind: str) -> None:
        if self.next().kind != kind:
            raise _NotWave()

    def items(self, close: str) -> list[Node]:
        out: list[Node] = []
        while self.peek().kind != close:
            out.append(self.value())
            if self.peek().kind == ",":
                self.next()
            elif self.peek().kind != close:
                raise _NotWave()
        self.next()
        return out

    def value(self) -> Node:
        tok = self.next()
        if tok.kind in ("string", "char"):
            return ("leaf", tok.text)
        if tok.kind == "number":
            return ("leaf", tok.text)
        if tok.kind == "label":
            name = tok.text.lstrip("%")
            if self.peek().kind == "(":
                self.next()
                payload = self.value()
                self.expect(")")
                return ("case", name, payload)
            return ("case", name, None) if name == "none" else ("leaf", name)
        if tok.kind == "[":
            return ("list", self.items("]"))
        if tok.kind == "(":
            return ("tuple", self.items(")"))
        if tok.kind == "{":
            return self.braces()
        raise _NotWave()

    def braces(self) -> Node:
        if self.peek().kind == "}":
            self.next()
            return ("record", [])
        if self.peek().kind == "label" and self.tokens[self.i + 1].kind == ":":
            fields: list[tuple[str, Node]] = []
            while True:
                tok = self.next()
                if tok.kind == "}":  # after a trailing comma
                    return ("record", fields)
                if tok.kind != "label":
                    raise _NotWave()
                self.expect(":")
                fields.append((tok.text.lstrip("%"), self.value()))
                tok = self.next()
                if tok.kind == "}":
                    return ("record", fields)
                if tok.kind != ",":
                    raise _NotWave()
        names = []
        while True:
            tok = self.next()
            if tok.kind != "label":
                raise _NotWave()
            names.append(tok.text.lstrip("%"))
            tok = self.next()
            if tok.kind == "}":
                return ("flags", names)
            if tok.kind != ",":
                raise _NotWave()
