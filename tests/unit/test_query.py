"""The oplog query language: Golem's syntax and precedence, what each clause matches, and clear errors."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.errors import UsageError
from emulator.inspect.query import QueryError, kind_names, parse
from emulator.oplog.entries import (
    READ_LOCAL,
    Create,
    DurableFunctionType,
    Error,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    ImportedFunctionInvoked,
    Log,
    OplogEntry,
)

CREATE = Create(worker_name="w", component="shop", component_hash="ab" * 32, env=(("REGION", "eu"),), timestamp=17)
INVOKE = ExportedFunctionInvoked(function_name="shop:cart/api.{add}", request=('"sku-1"', "5"),
                                 idempotency_key="Key-42", timestamp=1)
CLOCK = ImportedFunctionInvoked(function_name="wasi:clocks/wall-clock::now", request=None,
                                response={"ok": {"seconds": 1700, "nanoseconds": 5}}, function_type=READ_LOCAL)
HTTP = ImportedFunctionInvoked(function_name="wasi:http/outgoing-handler::handle",
                               request={"method": "POST", "headers": [["Content-Type", "json"]]},
                               response={"err": "Timeout"}, function_type=DurableFunctionType("write-remote-batched"))
DONE = ExportedFunctionCompleted(response="{total: 5}")
LOG = Log(level="stderr", context="pay", message="Payment FAILED\n")
ERROR = Error(error="guest trapped: out of fuel", retriable=False)
ALL: list[tuple[int, OplogEntry]] = [  # timestamps fixed so that only the Create's holds 98765
    (i, dataclasses.replace(e, timestamp=98765 if i == 1 else 1))
    for i, e in enumerate([CREATE, INVOKE, CLOCK, HTTP, DONE, LOG, ERROR], start=1)
]


def hits(query: str) -> list[int]:
    q = parse(query)
    return [i for i, e in ALL if q.matches(i, e)]


@pytest.mark.parametrize(("query", "expected"), [
    ("imported-function-invoked", [3, 4]),
    ("importedfunctioninvoked", [3, 4]),
    ("exported-function", [2, 5]),
    ("kind:create", [1]),              # exact: not create-resource, not the component "shop"
    ("type:ERROR", [7]),
    ("kind:(log OR error)", [6, 7]),
    ("wall-clock", [3]),
    ("fn:handle", [4]),
    ("function:now", [3]),
    ("function-name:api", [2]),
    ("key-42", [2]),                   # terms are case-insensitive substrings
    ('"Key-42"', [2]),
    ('"key-42"', []),                  # phrases are case-sensitive
    ("/^Pay.*FAILED/", [6]),
    ("failed", [6]),
    ("level:stderr", [6]),
    ("context:pay", [6]),
    ("1700", [3]),                     # a value inside a response
    ("response.ok.seconds:1700", [3]),
    ("ok.seconds:1700", [3]),          # Golem's value paths start inside the value
    ("ok.seconds:5", []),
    ("err:timeout", [4]),
    ("request.method:post", [4]),
    ("function-type:write-remote-batched", [4]),
    ("env.region:eu", [1]),
    ("retriable:false", [7]),
    ("index:3", [3]),
    ("idx:2..4", [2, 3, 4]),
    ("index:6..", [6, 7]),
    ("index:..2", [1, 2]),
    ("98765", []),                     # timestamps are not searched...
    ("timestamp:98765", [1]),          # ...unless asked for
    ("sku-1", [2]),
    ("total", []),                     # as Golem: a result's record fields (and field names) are not searched
])
def test_what_a_query_matches(query: str, expected: list[int]) -> None:
    assert hits(query) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ("fn:now OR fn:handle", [3, 4]),
    ("imported-function AND NOT fn:now", [4]),
    ("NOT imported-function", [1, 2, 5, 6, 7]),
    ("exported-function kind:exported-function-completed", [5]),  # juxtaposition is AND
    ("log OR error AND fatal", [6]),                               # AND binds tighter than OR
    ("(log OR error) AND out", [7]),
    ("kind:log OR kind:error imported", []),                       # OR binds tighter than juxtaposition
    ("wasi\\:clocks", [3]),                                        # an escaped colon is part of the term
    ('"shop:cart/api.{add}"', [2]),
    ("fn=now", [3]),
])
def test_operators_and_precedence(query: str, expected: list[int]) -> None:
    assert hits(query) == expected


@pytest.mark.parametrize(("query", "needle"), [
    ("", "empty"),
    ("   ", "empty"),
    ("a AND", "keyword AND"),
    ("OR b", "keyword OR"),
    ("(a", "missing closing parenthesis"),
    ("()", "empty parentheses"),
    ("a)", "unexpected ')'"),
    ('"open', 'unterminated "'),
    ("/[/", "invalid regular expression"),
    ("index:abc", "index: takes"),
    ("kind:", "ends where a term was expected"),
    ("a..b:c", "empty part"),
])
def test_bad_queries_say_what_and_where(query: str, needle: str) -> None:
    with pytest.raises(QueryError) as e:
        parse(query)
    assert needle in str(e.value)
    assert isinstance(e.value, UsageError)


def test_kind_names_include_golem_aliases() -> None:
    assert kind_names("cancel-invocation") == ("cancel-invocation", "cancelinvocation", "cancel")
    assert "noop" in kind_names("no-op")


_words = st.sampled_from(["now", "fn:handle", "kind:log", "failed", '"Key-42"', "/5/", "index:2..5", "level:stderr"])


@given(_words, _words)
def test_boolean_algebra(a: str, b: str) -> None:
    both, either = set(hits(f"({a}) AND ({b})")), set(hits(f"({a}) OR ({b})"))
    sa, sb = set(hits(a)), set(hits(b))
    assert both == sa & sb and either == sa | sb
    assert set(hits(f"NOT ({a})")) == {i for i, _ in ALL} - sa
    assert hits(f"{a} {b}") == hits(f"({a}) AND ({b})")


# Golem's search_oplog_1 (observability.rs): values are searched by structure, as PublicOplogEntry::matches does.
CART = [
    (1, ExportedFunctionInvoked(function_name="golem:it/api.{add-item}", idempotency_key="k1",
                                request=('{product-id: "G1000", name: "Golem T-Shirt M", price: 100, quantity: 5}',))),
    (2, ExportedFunctionInvoked(function_name="golem:it/api.{update-item-quantity}", idempotency_key="k2",
                                request=('"G1002"', "20"))),
    (3, ExportedFunctionCompleted(response='[{product-id: "G1002", name: "Mud Golem", price: 11, quantity: 20}]')),
    (4, ExportedFunctionCompleted(response='ok("G1002")')),
    (5, ExportedFunctionCompleted(response='("G1002", {n: "G1002"})')),
]


@pytest.mark.parametrize(("query", "expected"), [
    ("G1002", [2, 4, 5]),                   # not inside a record of a result
    ("product-id:G1000", [1]),              # an argument's record fields match under any field path...
    ("name:G1000", [1]),                    # ...even another field's name, as in Golem
    ("product-id:G1002", []),               # a plain argument is at the top, not under product-id
    ("0.ok:G1002", [4]), ("ok:G1002", []),  # a result is the tuple of the results: its path starts at 0
    ("0.0:G1002", [5]), ("0.1:G1002", []),
    ("quantity", [2]),                      # field names are not values; the function's name is
])
def test_exported_values_are_searched_as_golem_searches_them(query: str, expected: list[int]) -> None:
    q = parse(query)
    assert [i for i, e in CART if q.matches(i, e)] == expected
