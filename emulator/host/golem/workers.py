"""golem:api/host's `get-workers` resource: enumerate workers of a component with Golem's filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmtime.component import ResourceHost

from emulator.host import _convert as cv
from emulator.host import _resources as res
from emulator.host.context import HostContext
from emulator.host.golem.host import _metadata
from emulator.inspect.worker_filter import ORDERED, STATUS_ORDER, string_match


def _matches_property(w: dict[str, Any], prop: Any) -> bool:
    kind, f = cv.tag(prop), prop.payload
    comparator, value = cv.field(f, "comparator"), cv.field(f, "value")
    if kind == "name":
        return string_match(comparator, w["name"], value)
    if kind == "env":
        env = dict(w["env"])
        name = cv.field(f, "name")
        return name in env and string_match(comparator, env[name], value)
    if kind == "status":
        left, right = STATUS_ORDER.index(w["status"]), STATUS_ORDER.index(value)
        return ORDERED[comparator](left, right)
    if kind == "version":
        return ORDERED[comparator](w["component_version"], value)
    if kind == "created-at":
        return ORDERED[comparator](w["created_at"], value)
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
