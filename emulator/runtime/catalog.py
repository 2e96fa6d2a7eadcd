"""Facts about all workers in a store, for get-workers, get-worker-metadata and `golem-emu workers`."""

from __future__ import annotations

import uuid
from typing import Any

from emulator.lifecycle.summary_rows import listing
from emulator.oplog.entries import Create
from emulator.oplog.store import Store

# Component ids are derived from the component's name, so every build of `counter.wasm` is one component.
_COMPONENT_NAMESPACE = uuid.UUID("5d0c1a9e-6f1b-4c55-9a57-61b0b3c0e1d2")


def component_uuid(component_name: str) -> uuid.UUID:
    """The stable component id of a component name (its file name without .wasm)."""
    return uuid.uuid5(_COMPONENT_NAMESPACE, component_name)


def list_workers(store: Store) -> list[dict[str, Any]]:
    """One dict per worker: name, component, component_uuid, args, env, status, version, created_at, length.

    Each worker's status comes from its kept summary row and the entries after it (summary_rows.py), so
    listing many long-lived workers does not decode their whole oplogs."""
    rows = []
    for name in store.worker_names():
        create = store.entry(name, 1)
        assert isinstance(create, Create)
        found = listing(store, name)
        version = store.component_version(create.component, found.component_hash)
        rows.append({
            "name": name,
            "component": create.component,
            "component_uuid": component_uuid(create.component),
            "args": list(create.args),
            "env": [list(kv) for kv in create.env],
            "status": found.summary.status,
            "component_version": create.component_version if version is None else int(version),
            "created_at": create.timestamp,
            "oplog_length": found.length,
            "semantics": create.semantics,
            "last_error": found.summary.last_error,
        })
    return rows
