"""Golem's worker filters as text (inspect/worker_filter.py): what each selects, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.errors import UsageError
from emulator.inspect.worker_filter import parse

ROWS: list[dict[str, Any]] = [
    {"name": "test-a", "component": "shop", "status": "idle", "component_version": 0, "created_at": 100,
     "env": [["REGION", "eu"]]},
    {"name": "test-b", "component": "shop", "status": "running", "component_version": 1, "created_at": 200,
     "env": []},
    {"name": "other", "component": "cart", "status": "failed", "component_version": 0, "created_at": 300,
     "env": [["REGION", "us"]]},
]


@pytest.mark.parametrize(("text", "expected"), [
    ("name like test", ["test-a", "test-b"]),
    ("not name like test", ["other"]),
    ("name == other", ["other"]),
    ('name != "test-a"', ["test-b", "other"]),
    ("name not-like test", ["other"]),
    ("status == idle or status == running", ["test-a", "test-b"]),
    ("status < suspended", ["test-a", "test-b"]),  # Golem's order: running < idle < suspended ...
    ("name like test and (status == idle or version > 0)", ["test-a", "test-b"]),
    ("name like test and status == idle or version > 0", ["test-a", "test-b"]),  # and binds tighter
    ("not (name like test and version == 0)", ["test-b", "other"]),
    ("env.REGION == eu", ["test-a"]),
    ("env.REGION like u", ["test-a", "other"]),
    ("component == cart", ["other"]),
    ("created-at >= 200", ["test-b", "other"]),
])
def test_what_a_filter_selects(text: str, expected: list[str]) -> None:
    flt = parse(text)
    assert [r["name"] for r in ROWS if flt.matches(r)] == expected


@pytest.mark.parametrize(("text", "needle"), [
    ("name lik test", "unknown comparator 'lik'"),
    ("colour == red", "unknown property 'colour'"),
    ("status == sleeping", "unknown status 'sleeping'"),
    ("version like 1", "like compares text"),
    ("version == one", "whole number"),
    ("(name like test", "ends where"),
    ("name like test)", "unexpected ')'"),
    ("name ==", "ends where a value"),
    ('name == "open', "quotation"),
    ("", "ends where a property"),
])
def test_a_bad_filter_is_one_line_naming_the_problem(text: str, needle: str) -> None:
    with pytest.raises(UsageError) as e:
        parse(text)
    message = str(e.value)
    assert needle in message and "\n" not in message, message
