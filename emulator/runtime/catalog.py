"""Facts about all workers in a store, for get-workers, get-worker-metadata and `golem-emu workers`."""

from __future__ import annotations

import uuid
from typing import Any

from emulator.lifecycle.management import current_component_hash
from emulator.lifecycle.status import summarize
from emulator.oplog.entries import Create
from emulator.oplog.store import Store

# Component ids are derived from the component's name, so every build of `counter.wasm` is one component.
_COMPONENT_NAMESPACE = uuid.UUID("5d0c1a9e-6f1b-4c55-9a57-61b0b3c0e1d2")


def component_uuid(component_name: str) -> uuid.UUID:
    """The stable component id of a component name (its file name without .wasm)."""
    return uuid.uuid5(_COMPONENT_NAMESPACE, component_name)


def _version(store: Store, create: Create, entries: list[Any]) -> int:
    """The version of the component a worker runs now (updates included), as registered in the store."""
    found = store.component_version(create.component, current_component_hash(entries))
    return create.component_version if found is None else int(found)


def list_workers(store: Store) -> list[dict[str, Any]]:
    """One dict per worker: name, component, component_uuid, args, env, status, version, created_at, length."""
    rows = []
    for name in store.worker_names():
        entries = [e for _, e in store.read(name)]
        create = entries[0]
        assert isinstance(create, Create)
        summary = summarize(entries)
        rows.append({
            "name": name,
            "component": create.component,
            "component_uuid": component_uuid(create.component),
            "args": list(create.args),
            "env": [list(kv) for kv in create.env],
            "status": summary.status,
            "component_version": _version(store, create, entries),
            "created_at": create.timestamp,
            "oplog_length": len(entries),
            "semantics": create.semantics,
            "last_error": summary.last_error,
        })
    return rows
