"""golem:api/host's `get-workers` resource: enumerate workers of a component with Golem's filters."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from wasmtime.component import ResourceHost

from emulator.host import _convert as cv
from emulator.host import _resources as res
from emulator.host.context import HostContext
from emulator.host.golem.host import _metadata

_STATUS_ORDER = ["running", "idle", "suspended", "interrupted", "retrying", "failed", "exited"]

_ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    "equal": operator.eq,
    "not-equal": operator.ne,
    "greater-equal": operator.ge,
    "greater": operator.gt,
    "less-equal": operator.le,
    "less": operator.lt,
}


def _string_match(comparator: str, value: str, pattern: str) -> bool:
    # Golem's `like` is a substring test, not SQL LIKE.
    return {
        "equal": value == pattern,
        "not-equal": value != pattern,
        "like": pattern in value,
        "not-like": pattern not in value,
    }[comparator]


def _matches_property(w: dict[str, Any], prop: Any) -> bool:
    kind, f = cv.tag(prop), prop.payload
    comparator, value = cv.field(f, "comparator"), cv.field(f, "value")
    if kind == "name":
        return _string_match(comparator, w["name"], value)
    if kind == "env":
        env = dict(w["env"])
        name = cv.field(f, "name")
        return name in env and _string_match(comparator, env[name], value)
    if kind == "status":
        left, right = _STATUS_ORDER.index(w["status"]), _STATUS_ORDER.index(value)
        return _ORDERED[comparator](left, right)
    if kind == "version":
        return _ORDERED[comparator](w["component_version"], value)
    if kind == "created-at":
        return _ORDERED[comparator](w["created_at"], value)
    return False


def matches(w: dict[str, Any], any_filter: Any) -> bool:
    """Whether worker `w` passes a `worker-any-filter` (an OR of ANDs); no filter passes everything."""
    if any_filter is None:
        return True
    return any(
        all(_matches_property(w, p) for p in cv.field(all_filter, "filters"))
        for all_filter in cv.field(any_filter, "filters")
    )


def constructor(ctx: HostContext, cid: Any, flt: Any, precise: bool) -> ResourceHost:
    component = cv.uuid_from_record(cv.field(cid, "uuid"))
    found = [w for w in ctx.list_workers() if w["component_uuid"] == component and matches(w, flt)]
    return res.own(ctx, "get-workers", {"pending": found})


def get_next(ctx: HostContext, this: Any) -> list[Any] | None:
    state = res.get(ctx, this)
    page, state["pending"] = state["pending"], None
    return None if page is None else [_metadata(ctx, w) for w in page]


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "[constructor]get-workers": constructor,
    "[method]get-workers.get-next": get_next,
}
