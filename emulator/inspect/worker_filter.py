"""Golem's worker filters as text, for `golem-emu workers --filter` and Emulator.workers.

    name like test and (status == idle or status == running) and version == 0
    not name like test
    env.REGION == eu

A property is `name`, `component`, `status`, `version`, `created-at` (ms since the epoch) or `env.KEY`;
comparators are ==, !=, <, <=, >, >= and, for text, like / not-like (a substring test, as Golem's `like`).
Statuses compare in Golem's order (running < idle < suspended < interrupted < retrying < failed < exited).
`and` binds tighter than `or`; `not` and parentheses as usual. The same comparisons serve a guest's
get-workers (host/golem/workers.py).
"""

from __future__ import annotations

import operator
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.errors import UsageError

STATUS_ORDER = ["running", "idle", "suspended", "interrupted", "retrying", "failed", "exited"]

ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    "equal": operator.eq, "not-equal": operator.ne, "greater-equal": operator.ge, "greater": operator.gt,
    "less-equal": operator.le, "less": operator.lt,
}
_SYMBOLS = {"==": "equal", "=": "equal", "!=": "not-equal", ">=": "greater-equal", ">": "greater",
            "<=": "less-equal", "<": "less", "like": "like", "not-like": "not-like"}
_TEXT_ONLY = ("like", "not-like")
_PROPERTIES = ("name", "component", "status", "version", "created-at", "env.KEY")

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


def string_match(comparator: str, value: str, pattern: str) -> bool:
    """Golem's string comparison: `like` is a substring test, not SQL LIKE."""
    if comparator == "like":
        return pattern in value
    if comparator == "not-like":
        return pattern not in value
    return ORDERED[comparator](value, pattern)


@dataclass(frozen=True)
class WorkerFilter:
    """A parsed filter: `matches(row)` for a row of runtime.catalog.list_workers."""

    text: str
    predicate: Predicate

    def matches(self, row: Row) -> bool:
        return self.predicate(row)


def parse(text: str) -> WorkerFilter:
    """Parse a filter; a UsageError naming the problem and the grammar if it is not one."""
    try:
        tokens = [t for t in re.split(r"(\(|\))", text) if t.strip()]
        words = [w for t in tokens for w in ([t] if t in "()" else shlex.split(t))]
    except ValueError as e:
        raise _bad(text, str(e)) from None
    parser = _Parser(text, words)
    predicate = parser.expr()
    if parser.pos != len(words):
        raise _bad(text, f"unexpected {words[parser.pos]!r}")
    return WorkerFilter(text, predicate)


def _bad(text: str, why: str) -> UsageError:
    return UsageError(f"--filter {text!r}: {why}; write e.g. \"name like test and (status == idle or not "
                      f"version > 0)\" (properties: {', '.join(_PROPERTIES)})")


class _Parser:
    def __init__(self, text: str, words: list[str]) -> None:
        self.text, self.words, self.pos = text, words, 0

    def _peek(self) -> str | None:
        return self.words[self.pos] if self.pos < len(self.words) else None

    def _take(self, what: str) -> str:
        word = self._peek()
        if word is None:
            raise _bad(self.text, f"it ends where {what} should follow")
        self.pos += 1
        return word

    def expr(self) -> Predicate:
        parts = [self.term()]
        while self._peek() == "or":
            self.pos += 1
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def term(self) -> Predicate:
        parts = [self.factor()]
        while self._peek() == "and":
            self.pos += 1
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def factor(self) -> Predicate:
        word = self._peek()
        if word == "not":
            self.pos += 1
            inner = self.factor()
            return lambda row: not inner(row)
        if word == "(":
            self.pos += 1
            inner = self.expr()
            if self._take("')'") != ")":
                raise _bad(self.text, "a '(' is not closed")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        prop = self._take("a property")
        symbol = self._take(f"a comparator after {prop!r}")
        comparator = _SYMBOLS.get(symbol)
        if comparator is None:
            raise _bad(self.text, f"unknown comparator {symbol!r} (use {', '.join(s for s in _SYMBOLS if s != '=')})")
        value = self._take(f"a value after {prop} {symbol}")
        return _compare(self.text, prop, comparator, value)


def _compare(text: str, prop: str, comparator: str, value: str) -> Predicate:
    if prop in ("name", "component"):
        return lambda row: string_match(comparator, row[prop], value)
    if prop.startswith("env.") and len(prop) > 4:
        key = prop[4:]
        return lambda row: key in dict(row["env"]) and string_match(comparator, dict(row["env"])[key], value)
    if comparator in _TEXT_ONLY:
        raise _bad(text, f"{comparator} compares text; {prop} takes ==, !=, <, <=, > or >=")
    if prop == "status":
        if value not in STATUS_ORDER:
            raise _bad(text, f"unknown status {value!r} (one of {', '.join(STATUS_ORDER)})")
        rank = STATUS_ORDER.index(value)
        return lambda row: ORDERED[comparator](STATUS_ORDER.index(row["status"]), rank)
    if prop in ("version", "created-at"):
        if not re.fullmatch(r"\d+", value):
            raise _bad(text, f"{prop} compares with a whole number, not {value!r}")
        number, field = int(value), "component_version" if prop == "version" else "created_at"
        return lambda row: ORDERED[comparator](row[field], number)
    raise _bad(text, f"unknown property {prop!r}")
