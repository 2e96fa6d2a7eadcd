"""Which code a worker runs (the current version of its component, or a rebuild given for it) and who it is
to its guest: name, component id, the version of the code it runs now, and its env over that version's."""

from __future__ import annotations

from pathlib import Path

from emulator.errors import EmulatorError, UsageError
from emulator.host.context import WorkerInfo
from emulator.lifecycle.environment import merge_env
from emulator.lifecycle.management import current_component_hash, wrong_component
from emulator.oplog.entries import Create
from emulator.oplog.store import Store
from emulator.runtime.catalog import component_uuid, version_of
from emulator.runtime.engine import LoadedComponent, Runtime


def current_code(
    runtime: Runtime, store: Store, name: str, given: LoadedComponent, components_dir: Path | None,
) -> LoadedComponent:
    """The code an existing worker runs. Naming an older registered version of its component (after an
    update) still runs the current one, as in Golem; an unregistered file (a rebuild) is run as given."""
    if components_dir is None:
        return given
    entries = [e for _, e in store.read(name)]
    current = current_component_hash(entries)
    create = entries[0]
    assert isinstance(create, Create)
    kept = components_dir / f"{current}.wasm"
    if given.sha256 == current or store.component_version(create.component, given.sha256) is None or not kept.exists():
        return given
    return runtime.load(kept, expect_digest=current)


def refuse_wrong_component(store: Store, name: str, given: LoadedComponent) -> None:
    def exports(function: str) -> bool:
        try:
            given.find_export(function)
        except EmulatorError:
            return False
        return True

    why = wrong_component(store, name, given.sha256, given.path, exports)
    if why is not None:
        raise UsageError(why)


def running_version(store: Store, name: str, create: Create, loaded: LoadedComponent) -> int:
    """The component version a worker runs with `loaded` (catalog.version_of), registered if it is new."""
    store.register_component(create.component, loaded.sha256)
    return version_of(store, name, create, loaded.sha256)


def identity(store: Store, name: str, create: Create, loaded: LoadedComponent) -> WorkerInfo:
    """Who the worker is to its guest, running `loaded`: its args, and its env (Create's, then the variables
    of the component version it runs now that Create's does not set, as Golem gives them to each instance)."""
    version = running_version(store, name, create, loaded)
    return WorkerInfo(
        name=name, component_uuid=component_uuid(create.component), component_version=version,
        args=create.args, env=merge_env(create.env, store.component_env(create.component, version)),
        created_at=create.timestamp,
    )
