"""Facts about all workers in a store, for get-workers, get-worker-metadata and `golem-emu workers`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from emulator.lifecycle.summary_rows import listing
from emulator.oplog.entries import Create
from emulator.oplog.kinds import EntryKind
from emulator.oplog.store import Store

# Component ids are derived from the component's name, so every build of `counter.wasm` is one component.
_COMPONENT_NAMESPACE = uuid.UUID("5d0c1a9e-6f1b-4c55-9a57-61b0b3c0e1d2")


def component_uuid(component_name: str) -> uuid.UUID:
    """The stable component id of a component name (its file name without .wasm)."""
    return uuid.uuid5(_COMPONENT_NAMESPACE, component_name)


def list_workers(store: Store) -> list[dict[str, Any]]:
    """One dict per worker (worker_row's), sorted by name."""
    return [worker_row(store, name) for name in store.worker_names()]


def page_workers(store: Store, matches: Callable[[dict[str, Any]], bool] | None = None, cursor: int = 0,
                 count: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """Golem's get-workers paging: up to `count` workers that `matches`, scanning the workers in name order
    from position `cursor`; and the cursor of the next page, None when the scan reached the end."""
    names = store.worker_names()
    found: list[dict[str, Any]] = []
    position = cursor
    while position < len(names) and (count is None or len(found) < count):
        row = worker_row(store, names[position])
        position += 1
        if matches is None or matches(row):
            found.append(row)
    return found, position if position < len(names) else None


def worker_row(store: Store, name: str) -> dict[str, Any]:
    """Worker `name`: name, component, component_uuid, args, env, status, version, created_at, length.

    Its status comes from its kept summary row and the entries after it (summary_rows.py), so listing many
    long-lived workers does not decode their whole oplogs."""
    create = store.entry(name, 1)
    assert isinstance(create, Create)
    found = listing(store, name)
    return {
        "name": name,
        "component": create.component,
        "component_uuid": component_uuid(create.component),
        "args": list(create.args),
        "env": [list(kv) for kv in create.env],
        "status": found.summary.status,
        "component_version": version_of(store, name, create, found.component_hash),
        "created_at": create.timestamp,
        "oplog_length": found.length,
        "semantics": create.semantics,
        "last_error": found.summary.last_error,
    }


def version_of(store: Store, name: str, create: Create, current_hash: str) -> int:
    """The component version a worker runs: the one it was created at while it runs that code and was never
    updated, else the latest version registered with the code it runs now (an update, a rebuild)."""
    version = store.component_version(create.component, current_hash)
    if version is None or version == create.component_version:
        return create.component_version  # both rules give the creation version: no need to look for updates
    if current_hash == create.component_hash and not store.read_kinds(name, [EntryKind.SUCCESSFUL_UPDATE],
                                                                      last=True):
        return create.component_version
    return version
