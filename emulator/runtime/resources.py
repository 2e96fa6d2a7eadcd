"""Exported resources, invoked as Golem invokes them (golem-semantics: worker invocation names).

Golem names a resource's functions inside an interface's braces: `[constructor]cart`, `[method]cart.add-item`,
`[static]cart.f` and `[drop]cart`, or in its short forms `cart.new`, `cart.add-item`, `cart.drop`. The
constructor's result is a handle the worker keeps: a worker-level resource id (0, 1, ... in creation order),
written as the string "urn:worker:<component-id>/<worker-name>/<id>", which later calls pass as `self`.

An indexed name, `counter("c1").inc-by`, names the resource by its constructor's arguments: the first call
with those arguments constructs it, later ones reuse it, `counter("c1").drop` drops it. The worker keeps
the resources in its instance; replaying the invocations in order rebuilds the same ids and the same
index, as in Golem, so the oplog records only hints: CreateResource, DescribeResource, DropResource.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from wasmtime.component import ResourceAny

from emulator import values
from emulator.errors import UsageError
from emulator.host.http import handler_names
from emulator.oplog.entries import CreateResource, DescribeResource, DropResource, OplogEntry
from emulator.runtime import fastcall
from emulator.runtime.control import guest_running
from emulator.wave.lexer import tokenize
from emulator.wave.types import HandleT, WaveError, WorkerHandle

if TYPE_CHECKING:
    from emulator.runtime.engine import ExportedFunction
    from emulator.runtime.instance import Instance


Journal = Callable[[OplogEntry], object]
"""Where resource hints go while live (the worker's oplog)."""


@dataclass(frozen=True)
class IndexedResource:
    """`counter("c1")` in an invocation name: the resource, its constructor and the canonical arguments."""

    resource: str
    params: tuple[str, ...]  # canonical WAVE text of each constructor argument: the index key
    constructor: ExportedFunction


@dataclass
class ResourceTable:
    """The exported resources one instance holds, by worker resource id, and the indexed ones by key."""

    by_id: dict[int, ResourceAny] = field(default_factory=dict)
    next_id: int = 0
    indexed: dict[tuple[str, tuple[str, ...]], int] = field(default_factory=dict)

    def add(self, resource: ResourceAny, live: bool, journal: Journal) -> int:
        """Keep a resource the guest returned; its new id (CreateResource when live)."""
        rid = self.next_id
        self.next_id += 1
        self.by_id[rid] = resource
        if live:
            journal(CreateResource(id=rid))
        return rid

    def take(self, rid: int, live: bool, journal: Journal) -> ResourceAny | None:
        """Remove a resource (dropped, or moved into the guest as an `own` argument)."""
        found = self.by_id.pop(rid, None)
        if found is not None and live:
            journal(DropResource(id=rid))
        return found


def worker_uri(component_uuid: object, worker: str) -> str:
    """Golem's URI of a worker, the prefix of its resource handles."""
    return f"urn:worker:{component_uuid}/{worker}"


# -- names -------------------------------------------------------------------------------------------------


def _split(name: str) -> tuple[str, str] | None:
    """`iface.{fn}` -> (iface, fn)."""
    if not name.endswith("}") or ".{" not in name:
        return None
    site, _, rest = name.partition(".{")
    return site, rest[:-1]


def _split_params(text: str) -> list[str]:
    """The top-level comma-separated WAVE values of an argument list (without its parentheses)."""
    try:
        tokens = tokenize(text)
    except WaveError as e:
        raise UsageError(f"resource arguments ({text}): {e}") from None
    parts: list[str] = []
    depth, start = 0, 0
    for tok in tokens:
        if tok.kind in "([{" and tok.kind != "eof":
            depth += 1
        elif tok.kind in ")]}" and tok.kind != "eof":
            depth -= 1
        elif (tok.kind == "," and depth == 0) or tok.kind == "eof":
            piece = text[start:tok.pos].strip()
            if piece or tok.kind == ",":
                parts.append(piece)
            start = tok.pos + 1
    return parts


def resolve(exports: dict[str, ExportedFunction], name: str) -> ExportedFunction | None:
    """The export an invocation name names in Golem's resource syntax; None if it is not such a name."""
    if name == handler_names.FUNCTION_NAME:
        return _http_bridge(exports)
    split = _split(name)
    if split is None:
        return None
    site, fn = split
    iface = _interface(exports, site)
    if iface is None:
        return None
    static = fn.startswith("[static]")
    body = fn[len("[static]"):] if static else fn
    if "(" in body and ")." in body and not body.startswith("["):
        resource, _, rest = body.partition("(")
        args, _, member = rest.rpartition(").")
        return _indexed(exports, iface, name, resource, _split_params(args), member, static)
    if fn.startswith("[drop]"):
        return _drop(exports, iface, fn[len("[drop]"):])
    if fn.startswith(("[constructor]", "[method]", "[static]")):
        return None  # a bracketed name is matched exactly, or not at all
    resource, dot, member = fn.partition(".")
    if not dot:
        return None
    if member == "new":
        return exports.get(f"{iface}.{{[constructor]{resource}}}")
    if member == "drop":
        return _drop(exports, iface, resource)
    return exports.get(f"{iface}.{{[method]{resource}.{member}}}") or exports.get(
        f"{iface}.{{[static]{resource}.{member}}}")


def _http_bridge(exports: dict[str, ExportedFunction]) -> ExportedFunction | None:
    """Golem's virtual export of a component that exports wasi:http/incoming-handler: a record in, a record out."""
    from emulator.host.http import serving  # the wasi:http host side, only for components that serve it
    from emulator.runtime.engine import ExportedFunction

    serves = handler_names.HANDLER_INTERFACES
    handler = next((e for e in exports.values() if e.interface in serves and e.func == "handle"), None)
    if handler is None:
        return None
    return ExportedFunction(serving.FUNCTION_NAME, "golem:http/incoming-handler", "handle",
                            (("request", serving.REQUEST_T),), serving.RESPONSE_T, bridge=handler)


def _interface(exports: dict[str, ExportedFunction], site: str) -> str | None:
    for e in exports.values():
        if e.interface is not None and (e.interface == site or e.interface.partition("@")[0] == site):
            return e.interface
    return None


def _has_resource(exports: dict[str, ExportedFunction], iface: str, resource: str) -> bool:
    prefixes = (f"[constructor]{resource}", f"[method]{resource}.", f"[static]{resource}.")
    return any(e.interface == iface and e.func.startswith(prefixes) for e in exports.values())


def _drop(exports: dict[str, ExportedFunction], iface: str, resource: str) -> ExportedFunction | None:
    from emulator.runtime.engine import ExportedFunction

    if not _has_resource(exports, iface, resource):
        return None
    return ExportedFunction(f"{iface}.{{[drop]{resource}}}", iface, f"[drop]{resource}",
                            (("self", HandleT("own")),), None, drop=True)


def _indexed(exports: dict[str, ExportedFunction], iface: str, name: str, resource: str, raw: list[str],
             member: str, static: bool) -> ExportedFunction:
    constructor = exports.get(f"{iface}.{{[constructor]{resource}}}")
    if constructor is None:
        raise UsageError(f"{name}: interface {iface} has no resource {resource!r} with a constructor")
    if any(isinstance(t, HandleT) for _, t in constructor.params):
        raise UsageError(f"{name}: an indexed resource cannot take resource handles as constructor arguments")
    try:
        parsed = values.parse_args(raw, list(constructor.params), func_name=f"{resource}'s constructor")
    except WaveError as e:
        raise UsageError(f"{name}: {e}") from None
    params = tuple(values.format(v, t) for v, (_, t) in zip(parsed, constructor.params, strict=True))
    index = IndexedResource(resource, params, constructor)
    canonical = f"{resource}({', '.join(params)})"
    if member == "drop" and not static:
        target = _drop(exports, iface, resource)
    elif member == "new" and not static:
        target = constructor
    else:
        target = exports.get(f"{iface}.{{[{'static' if static else 'method'}]{resource}.{member}}}")
    if target is None:
        raise UsageError(f"{name}: resource {resource!r} of {iface} has no method {member!r}")
    member_text = "drop" if target.drop else "new" if target is constructor else member
    full = f"{iface}.{{{'[static]' if static else ''}{canonical}.{member_text}}}"
    # The handle is passed for the caller: the invocation's own parameters are the rest.
    params_left = target.params[1:] if (target.func.startswith("[method]") or target.drop) else target.params
    return replace(target, name=full, params=params_left, indexed=index)


# -- calls -------------------------------------------------------------------------------------------------

def run_export(inst: Instance, export: ExportedFunction, args: list[Any], uri: str, journal: Journal) -> Any:
    """Call the guest for one invocation: an indexed resource is found or constructed first, a handle
    argument becomes the resource the instance keeps, a returned resource a handle. Resource hints go to
    `journal` (the oplog) while live, in the order Golem writes them."""
    if export.bridge is not None:  # golem:http/incoming-handler.{handle} (serving.py)
        from emulator.host.http import serving

        bridge = export.bridge
        return serving.serve(inst.ctx, lambda *handles: _call(inst, bridge, handles), args[0])
    table, live = inst.resources, inst.ctx.replay.is_live()
    params = export.params
    if export.indexed is not None:
        index: IndexedResource = export.indexed
        handle = _indexed_handle(inst, index, uri, live, journal)
        if export.func.startswith("[constructor]"):
            return handle
        if export.func.startswith("[method]") or export.drop:
            args, params = [handle, *args], (("self", HandleT("borrow")), *params)
        if export.drop:
            table.indexed.pop((index.resource, index.params), None)
    args = _lower_args(args, params, table, uri, live, journal, export.name)
    if export.drop:
        dropped = args[0]
        rid = next((i for i, r in table.by_id.items() if r is dropped), None)
        if rid is not None:
            table.take(rid, live, journal)
        with guest_running():
            dropped.drop(inst.store)
        return None
    result = _call(inst, export, args)
    if isinstance(result, ResourceAny):
        return WorkerHandle(uri, table.add(result, live, journal))
    return result


def _call(inst: Instance, export: ExportedFunction, args: Sequence[Any]) -> Any:
    func = inst.func(export)
    with guest_running():  # a Ctrl-C now stops the guest at its next epoch check, not mid host call
        return fastcall.call_export(func, inst.store, args)


def _indexed_handle(inst: Instance, index: IndexedResource, uri: str, live: bool, journal: Journal) -> WorkerHandle:
    table = inst.resources
    rid = table.indexed.get((index.resource, index.params))
    if rid is None:
        ctor = index.constructor
        made = _call(inst, ctor, [values.parse(t, ty) for t, (_, ty) in zip(index.params, ctor.params, strict=True)])
        rid = table.add(made, live, journal)
        table.indexed[(index.resource, index.params)] = rid
        if live:
            journal(DescribeResource(id=rid, resource_name=index.resource, resource_params=index.params))
    return WorkerHandle(uri, rid)


def _lower_args(args: Sequence[Any], params: Sequence[tuple[str, Any]], table: ResourceTable, uri: str,
                live: bool, journal: Journal, what: str) -> list[Any]:
    """Replace the handles among `args` (WorkerHandle) by the resources the instance keeps."""
    out: list[Any] = []
    for value, (pname, ty) in zip(args, params, strict=True):
        if isinstance(value, WorkerHandle):
            found = table.by_id.get(value.resource_id) if value.uri == uri else None
            if found is None:  # check_handles refused it before the invocation was recorded
                raise UsageError(f"{what}: argument {pname}: no resource {value.text()} in this worker")
            if isinstance(ty, HandleT) and ty.kind == "own":
                table.take(value.resource_id, live, journal)
            value = found
        out.append(value)
    return out


def check_handles(export: ExportedFunction, request: Sequence[str], owned: Mapping[int, object], uri: str,
                  worker: str) -> None:
    """A handle argument must name a resource the worker holds (`owned`, folded from its oplog): refused
    before anything is written."""
    for text, (pname, ty) in zip(request, export.params, strict=True):
        if not isinstance(ty, HandleT):
            continue
        handle = values.parse(text, ty)
        if handle.uri != uri:
            raise UsageError(f"{export.name}: argument {pname} is a handle of another worker ({handle.uri}); "
                             f"worker {worker}'s handles start with {uri}/")
        if handle.resource_id not in owned:
            held = ", ".join(str(i) for i in sorted(owned)) or "none"
            raise UsageError(f"{export.name}: argument {pname}: worker {worker} holds no resource "
                             f"{handle.resource_id} (it holds: {held})")
