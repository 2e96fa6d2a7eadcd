"""Worker management on the oplog itself: revert, fork, and which component version a worker runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from emulator.errors import UsageError
from emulator.lifecycle.leases import WorkerBusy, running_pid
from emulator.oplog.entries import (
    Create,
    ExportedFunctionInvoked,
    OplogEntry,
    PendingUpdate,
    Revert,
    SuccessfulUpdate,
)
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import Store
from emulator.replay.state import SkippedRegions


def _not_running(store: Store, name: str) -> None:
    pid = running_pid(store, name)
    if pid is not None:
        raise WorkerBusy(f"worker {name} is running in process {pid}; interrupt it first")


def _entries(store: Store, name: str) -> list[OplogEntry]:
    if not store.has_worker(name):
        names = ", ".join(store.worker_names()) or "none"
        raise UsageError(f"no worker named {name!r} (workers: {names})")
    return [e for _, e in store.read(name)]


def revert_point(entries: Sequence[OplogEntry], *, to_index: int | None = None,
                 last_invocations: int | None = None) -> int:
    """The last index to keep: `to_index`, or the index just before the n-th invocation from the end."""
    last = len(entries)
    skipped = SkippedRegions.from_entries(entries)
    if last_invocations is not None:
        if last_invocations < 1:
            raise UsageError("--last-invocations must be at least 1")
        starts = [i for i, e in enumerate(entries, start=1)
                  if isinstance(e, ExportedFunctionInvoked) and not skipped.contains(i)]
        if len(starts) < last_invocations:
            raise UsageError(f"the worker has only {len(starts)} invocations to revert")
        keep = starts[-last_invocations] - 1
    elif to_index is not None:
        keep = to_index
    else:
        raise UsageError("say what to revert to: --to-index N or --last-invocations N")
    if not 1 <= keep < last:
        raise UsageError(f"cannot revert to index {keep}: it must be between 1 and {last - 1}")
    if skipped.contains(keep + 1):
        raise UsageError(f"index {keep + 1} is already skipped by an earlier jump or revert; pick another index")
    return keep


def revert(store: Store, name: str, *, to_index: int | None = None,
           last_invocations: int | None = None) -> Revert:
    """Write Golem's Revert entry: everything after the kept index is skipped and forgotten."""
    _not_running(store, name)
    entries = _entries(store, name)
    keep = revert_point(entries, to_index=to_index, last_invocations=last_invocations)
    entry = Revert(start=keep + 1, end=len(entries))
    Oplog(store, name).add_and_commit(entry)
    return entry


def fork(store: Store, source: str, target: str, cut_off: int,
         extra: Sequence[OplogEntry] = ()) -> None:
    """Create `target` with `source`'s oplog up to `cut_off` (its Create renamed), plus `extra` entries."""
    entries = _entries(store, source)
    if store.has_worker(target):
        raise UsageError(f"worker {target!r} already exists; fork into a new name")
    if not 2 <= cut_off <= len(entries):
        raise UsageError(f"cannot fork at index {cut_off}: it must be between 2 and {len(entries)}")
    create = entries[0]
    assert isinstance(create, Create)
    store.create_worker(target, dataclasses.replace(create, worker_name=target, parent=source),
                        then=[*entries[1:cut_off], *extra])


def current_component(entries: Sequence[OplogEntry]) -> tuple[str, str]:
    """(name, hash) of the component a worker runs now: its Create's, or the last successful update's."""
    create = entries[0]
    assert isinstance(create, Create)
    current = create.component, create.component_hash
    kind = SuccessfulUpdate.kind
    updates = [(idx, e) for idx, e in enumerate(entries, start=1) if e.kind == kind]
    if not updates:  # the common case: no need to work out the skipped regions
        return current
    skipped = SkippedRegions.from_entries(entries)
    for idx, entry in updates:
        if isinstance(entry, SuccessfulUpdate) and not skipped.contains(idx):
            current = entry.target_component, entry.target_hash
    return current


def wrong_component(store: Store, name: str, digest: str, file: Path, exports: Callable[[str], bool]) -> str | None:
    """Why the component file `file` (sha256 `digest`, exporting the functions `exports` says yes to) is not one
    existing worker `name` may be given, or None if it may: its current component, a rebuild of it (the same
    file name), a version registered under its component's name, or another build that exports every function
    the worker was invoked with (new code for it, which replay then checks). Anything else is a typo in a path:
    bad input, refused before anything is written."""
    first = store.read(name, 1, 1)
    if not first:
        return None
    create = first[0][1]
    assert isinstance(create, Create)
    if digest == create.component_hash or file.stem == create.component:
        return None  # the common case, without reading the whole oplog
    entries = [e for _, e in store.read(name)]
    component, current = current_component(entries)
    if digest == current or file.stem == component or store.component_version(component, digest) is not None:
        return None
    invoked = {e.function_name for e in entries if isinstance(e, ExportedFunctionInvoked)}
    missing = sorted(f for f in invoked if not exports(f))
    if not missing:
        return None
    return (f"worker {name} runs component {component} (sha256 {current[:12]}), not {file.name} (which lacks "
            f"{missing[0]}); use `golem-emu update {name} {file}` to change it, or a new worker name")


def current_component_hash(entries: Sequence[OplogEntry]) -> str:
    """The hash of the component a worker runs now: its Create's, or the last successful update's."""
    return current_component(entries)[1]


def snapshot_to_load(entries: Sequence[OplogEntry]) -> str | None:
    """The base64 snapshot a replay must load first, if the worker's last successful update was snapshot-based."""
    payload: str | None = None
    pending: PendingUpdate | None = None
    for entry in entries:
        if isinstance(entry, PendingUpdate):
            pending = entry
        elif isinstance(entry, SuccessfulUpdate) and pending is not None:
            payload = pending.payload_b64 if pending.mode == "snapshot" else payload
            pending = None
    return payload
