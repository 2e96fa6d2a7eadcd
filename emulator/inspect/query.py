"""The oplog query language: Golem's Lucene-like oplog search (golem-semantics.md §13.1), over golem-emu entries.

Syntax, as Golem parses it: ``term`` (case-insensitive substring), ``"phrase"`` (case-sensitive substring),
``/regex/`` (a search), ``field:query`` or ``field=query`` (``field`` may be a dotted path and ``query`` a
parenthesised group), ``NOT q``, ``a AND b``, ``a OR b``; juxtaposed clauses are ANDed. Precedence, tightest
first: NOT, AND, OR, juxtaposition.

What a clause without a field matches: the entry's kind names (``imported-function-invoked``,
``importedfunctioninvoked``, ``imported-function``), and every field value except the timestamp: function names,
idempotency keys, request and response values (all leaves of the JSON), log messages, error text. An exported
function's arguments and result (WAVE text) are searched by their structure, as Golem searches them
(wave_leaves.py: no field names, a result under `0`, an argument's record fields under any field path). Fields:

* ``kind:`` (also ``type:``) compares with the kind names exactly (``kind:create`` is not ``create-resource``);
* ``index:`` (also ``idx:``) takes ``N``, ``N..M``, ``N..`` or ``..M``;
* ``function:`` (also ``fn:``) is ``function-name:``;
* any other path names an entry field in kebab-case and then keys inside its value: ``level:stderr``,
  ``response.ok.seconds:17``; as in Golem, a path may also start inside a value (``ok.seconds:17``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from emulator.errors import UsageError
from emulator.inspect import wave_leaves
from emulator.oplog.entries import (
    DurableFunctionType,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    OplogEntry,
    PendingWorkerInvocation,
)

__all__ = ["Query", "QueryError", "kind_names", "parse"]


class QueryError(UsageError):
    """An oplog query that does not parse; the message points at the offending position."""


_KEYWORDS = frozenset({"AND", "OR", "NOT"})
_TERM_STOP = frozenset(" \t\n\r():=\"\u3000")
_TERM_START_STOP = _TERM_STOP | frozenset("/")
_KIND_FIELDS = frozenset({"kind", "type", "$type"})
_INDEX_FIELDS = frozenset({"index", "idx"})
_FIELD_ALIASES = {"function": "function-name", "fn": "function-name"}
_EXTRA_KIND_NAMES = {
    "imported-function-invoked": ("imported-function",),
    "exported-function-invoked": ("exported-function",),
    "exported-function-completed": ("exported-function",),
    "pending-update": ("update",),
    "successful-update": ("update",),
    "failed-update": ("update",),
    "cancel-invocation": ("cancel",),
}
_NOT_SEARCHED = frozenset({"timestamp"})  # every entry has one: a bare "17" would match them all


@cache
def kind_names(kind: str) -> tuple[str, ...]:
    """Every name an entry kind answers to: kebab-case, squashed, and Golem's short aliases."""
    return (kind, kind.replace("-", ""), *_EXTRA_KIND_NAMES.get(kind, ()))


# -- AST --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    mode: str  # "term" | "phrase" | "regex"
    value: str
    pattern: re.Pattern[str] | None = None

    def test(self, text: str) -> bool:
        if self.mode == "term":
            return self.value.lower() in text.lower()
        if self.mode == "phrase":
            return self.value in text
        assert self.pattern is not None
        return self.pattern.search(text) is not None

    def test_exact(self, text: str) -> bool:
        if self.mode == "term":
            return self.value.lower() == text.lower()
        if self.mode == "phrase":
            return self.value == text
        return self.test(text)


@dataclass(frozen=True)
class _Bool:
    op: str  # "and" | "or"
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Not:
    item: _Node


@dataclass(frozen=True)
class _Field:
    path: tuple[str, ...]
    item: _Node


_Node = _Leaf | _Bool | _Not | _Field


# -- parser -----------------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str, at: int | None = None) -> QueryError:
        at = self.pos if at is None else at
        return QueryError(f"bad oplog query {self.text!r}: {why} at column {at + 1}"
                          " (syntax: term, \"phrase\", /regex/, field:value, NOT, AND, OR, parentheses)")

    def skip_ws(self) -> bool:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in " \t\n\r\u3000":
            self.pos += 1
        return self.pos > start

    def peek_keyword(self, word: str) -> bool:
        """Whether `word` follows as a whole keyword (then whitespace), without consuming it."""
        end = self.pos + len(word)
        return self.text.startswith(word, self.pos) and end < len(self.text) and self.text[end] in " \t\n\r"

    def query(self, closing: bool = False) -> _Node:
        items = [self.disjunct()]
        while True:
            self.skip_ws()
            if self.pos >= len(self.text) or (closing and self.text[self.pos] == ")"):
                break
            items.append(self.disjunct())
        return items[0] if len(items) == 1 else _Bool("and", tuple(items))

    def _joined(self, word: str, part: Any) -> _Node:
        items: list[_Node] = [part()]
        while True:
            save = self.pos
            self.skip_ws()
            if self.peek_keyword(word):
                self.pos += len(word)
                self.skip_ws()
                items.append(part())
            else:
                self.pos = save
                break
        return items[0] if len(items) == 1 else _Bool("or" if word == "OR" else "and", tuple(items))

    def disjunct(self) -> _Node:
        return self._joined("OR", self.conjunct)

    def conjunct(self) -> _Node:
        return self._joined("AND", self.mod_clause)

    def mod_clause(self) -> _Node:
        self.skip_ws()
        if self.peek_keyword("NOT"):
            self.pos += 3
            self.skip_ws()
            return _Not(self.clause())
        return self.clause()

    def clause(self) -> _Node:
        start = self.pos
        if self.pos < len(self.text) and self.text[self.pos] not in _TERM_START_STOP:
            name = self.term()
            save = self.pos
            self.skip_ws()
            if self.pos < len(self.text) and self.text[self.pos] in ":=":
                self.pos += 1
                self.skip_ws()
                path = tuple(p.lower().replace("_", "-") for p in name.split("."))
                if not all(path):
                    raise self.fail(f"empty part in field name {name!r}", start)
                return _Field(path, self.group_or_leaf())
            self.pos = save
            return self.check_keyword(name, start)
        return self.group_or_leaf()

    def check_keyword(self, word: str, start: int) -> _Leaf:
        if word in _KEYWORDS:
            raise self.fail(f"keyword {word} where a term was expected", start)
        return _Leaf("term", word)

    def group_or_leaf(self) -> _Node:
        if self.pos >= len(self.text):
            raise self.fail("the query ends where a term was expected")
        c = self.text[self.pos]
        if c == "(":
            self.pos += 1
            self.skip_ws()
            if self.pos < len(self.text) and self.text[self.pos] == ")":
                raise self.fail("empty parentheses")
            inner = self.query(closing=True)
            if self.pos >= len(self.text) or self.text[self.pos] != ")":
                raise self.fail("missing closing parenthesis")
            self.pos += 1
            return inner
        if c == '"':
            return _Leaf("phrase", self.delimited('"'))
        if c == "/":
            start = self.pos
            pattern = self.delimited("/")
            try:
                return _Leaf("regex", pattern, re.compile(pattern))
            except re.error as e:
                raise self.fail(f"invalid regular expression ({e})", start) from e
        if c in _TERM_START_STOP:
            raise self.fail(f"unexpected {c!r}")
        start = self.pos
        return self.check_keyword(self.term(), start)

    def delimited(self, quote: str) -> str:
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\" and self.text.startswith(quote, self.pos + 1):
                out.append(quote)
                self.pos += 2
                continue
            if c == quote:
                self.pos += 1
                return "".join(out)
            out.append(c)
            self.pos += 1
        raise self.fail(f"unterminated {quote}", start)

    def term(self) -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if c in _TERM_STOP:
                break
            out.append(c)
            self.pos += 1
        return "".join(out)


def parse(text: str) -> Query:
    """Compile a query; QueryError (a UsageError) says where it does not parse."""
    p = _Parser(text)
    p.skip_ws()
    if p.pos >= len(text):
        raise p.fail("the query is empty")
    node = p.query()
    if p.pos < len(text):
        raise p.fail(f"unexpected {text[p.pos]!r}")
    _check_fields(node, p)
    return Query(text, node)


def _check_fields(node: _Node, p: _Parser) -> None:
    if isinstance(node, _Bool):
        for item in node.items:
            _check_fields(item, p)
    elif isinstance(node, _Not):
        _check_fields(node.item, p)
    elif isinstance(node, _Field):
        if node.path[0] in _INDEX_FIELDS:
            if not (isinstance(node.item, _Leaf) and node.item.mode == "term" and _RANGE.fullmatch(node.item.value)):
                raise p.fail("index: takes N, N..M, N.. or ..M", 0)
        _check_fields(node.item, p)


_RANGE = re.compile(r"(\d*)(\.\.)?(\d*)")


def _in_range(spec: str, index: int) -> bool:
    m = _RANGE.fullmatch(spec)
    assert m is not None
    lo, dots, hi = m.groups()
    if not dots:
        return index == int(lo)
    return (not lo or index >= int(lo)) and (not hi or index <= int(hi))


# -- matching ---------------------------------------------------------------------------------------------------


_FIELD_NAMES: dict[type, tuple[tuple[str, str], ...]] = {}


def _field_names(cls: type) -> tuple[tuple[str, str], ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple((f.name, f.name.replace("_", "-")) for f in fields(cls))
    return names


def _value_leaves(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if value is None:
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, bool):
        yield path, "true" if value else "false"
    elif isinstance(value, int | float):
        yield path, str(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _value_leaves(v, (*path, str(k).lower()))
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _value_leaves(v, path)
    elif isinstance(value, DurableFunctionType):
        yield path, value.kind
        if value.begin_index is not None:
            yield (*path, "begin-index"), str(value.begin_index)


def leaves(entry: OplogEntry) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every searchable (path, text) of an entry; paths are lower-case kebab-case field names and value keys."""
    for attr, key in _field_names(type(entry)):
        value = getattr(entry, attr)
        if key == "request" and isinstance(entry, ExportedFunctionInvoked | PendingWorkerInvocation):
            for arg in value:  # WAVE texts, searched as Golem searches the values (wave_leaves.py)
                yield from (((key, *p), t) for p, t in wave_leaves.leaves(arg, ()))
        elif key == "response" and isinstance(entry, ExportedFunctionCompleted):
            if value is not None:  # Golem's result is the tuple of the function's results
                yield from (((key, *p), t) for p, t in wave_leaves.leaves(value, ("0",)))
        elif key == "env":  # pairs: the name under env, the value under env.NAME
            for name, val in value:
                yield (key,), name
                yield (key, name.lower()), val
        else:
            yield from _value_leaves(value, (key,))


class Query:
    """A compiled query; ``matches(index, entry)`` evaluates it on one entry."""

    def __init__(self, text: str, node: _Node) -> None:
        self.text = text
        self._node = node

    def __repr__(self) -> str:
        return f"Query({self.text!r})"

    def matches(self, index: int, entry: OplogEntry) -> bool:
        """Whether the entry at ``index`` satisfies the query."""
        return self._eval(self._node, index, entry, ())

    def _eval(self, node: _Node, index: int, entry: OplogEntry, path: tuple[str, ...]) -> bool:
        if isinstance(node, _Leaf):
            return _match_leaf(node, index, entry, path)
        if isinstance(node, _Bool):
            if node.op == "and":
                return all(self._eval(n, index, entry, path) for n in node.items)
            return any(self._eval(n, index, entry, path) for n in node.items)
        if isinstance(node, _Not):
            return not self._eval(node.item, index, entry, path)
        return self._eval(node.item, index, entry, (*path, *node.path))


def _match_leaf(leaf: _Leaf, index: int, entry: OplogEntry, path: tuple[str, ...]) -> bool:
    if not path:
        if any(leaf.test(name) for name in kind_names(entry.kind)):
            return True
        return any(leaf.test(text) for p, text in leaves(entry) if p[0] not in _NOT_SEARCHED)
    head = path[0]
    if len(path) == 1 and head in _KIND_FIELDS:
        return any(leaf.test_exact(name) for name in kind_names(entry.kind))
    if head in _INDEX_FIELDS:
        return _in_range(leaf.value, index)
    path = (_FIELD_ALIASES.get(head, head), *path[1:])
    return any(leaf.test(text) for p, text in leaves(entry)
               if p == path or p[1:] == path or p[1:] == (wave_leaves.ANY,))
