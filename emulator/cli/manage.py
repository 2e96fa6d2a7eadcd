"""Commands that change a worker's history or code, or remove it: revert, fork, update, delete."""

from __future__ import annotations

from pathlib import Path

import click

from emulator.cli.common import Env, checked_name, err_console, load, print_result
from emulator.errors import UsageError, WorkerFailed
from emulator.lifecycle import management
from emulator.lifecycle.leases import running_pid
from emulator.runtime.worker import keep_component


@click.command()
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@click.option("--to-index", type=int, help="Keep the oplog up to this index; drop everything after it.")
@click.option("--last-invocations", type=int, help="Drop the last N invocations (their keys become reusable).")
@click.pass_obj
def revert(env: Env, worker_name: str, to_index: int | None, last_invocations: int | None) -> None:
    """Revert a worker: later entries are skipped on replay and its reverted invocations forgotten."""
    if (to_index is None) == (last_invocations is None):
        raise UsageError("give exactly one of --to-index N or --last-invocations N")
    entry = management.revert(env.store, worker_name, to_index=to_index, last_invocations=last_invocations)
    err_console.print(f"reverted {worker_name}: entries {entry.start}..={entry.end} are dropped")


@click.command()
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@click.argument("new_name", metavar="NEW", callback=checked_name)
@click.option("--at", "cut_off", type=int, required=True, help="Copy the oplog up to this index (at least 2).")
@click.pass_obj
def fork(env: Env, worker_name: str, new_name: str, cut_off: int) -> None:
    """Fork a worker: NEW starts with WORKER's oplog up to --at and continues from there."""
    management.fork(env.store, worker_name, new_name, cut_off)
    err_console.print(f"forked {worker_name} at index {cut_off} into {new_name}")
    worker = load(env, new_name)
    try:
        resumed = worker.resume()  # a cut inside an invocation continues it live in the fork
    finally:
        worker.close()
    if resumed is not None:
        print_result(resumed)


@click.command()
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@click.argument("component", type=click.Path(path_type=Path))
@click.option("--mode", type=click.Choice(["automatic", "snapshot"]), default="automatic", show_default=True,
              help="automatic: replay the oplog on the new code; snapshot: save-snapshot, then load-snapshot.")
@click.pass_obj
def update(env: Env, worker_name: str, component: Path, mode: str) -> None:
    """Update a worker to another component; if that fails it stays on the one it has."""
    target = env.runtime.load(component)
    keep_component(target, env.components_dir)
    worker = load(env, worker_name)
    pid = running_pid(env.store, worker_name)
    try:
        ok, details = worker.update(target, mode)
    finally:
        worker.close()
    if not ok:
        raise WorkerFailed(f"update of {worker_name} to {component.name} failed ({details}); it stays on "
                           f"{worker.loaded.path.name}")
    if pid is not None:  # as Golem: the running worker takes it (automatic: at once, by replay; snapshot: after)
        err_console.print(f"update of {worker_name} to {component.name} ({mode}) requested from process {pid}")
        return
    err_console.print(f"updated {worker_name} to {component.name} ({mode})")


@click.command()
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@click.pass_obj
def delete(env: Env, worker_name: str) -> None:
    """Delete a worker: its oplog, promises and files; a new worker of that name starts afresh."""
    from emulator.lifecycle.deletion import delete_worker, missing_worker

    with env.readonly_store() as store:  # bad input leaves the database file exactly as it was
        missing_worker(store, worker_name)
    delete_worker(env.store, worker_name)
    err_console.print(f"deleted worker {worker_name}")


COMMANDS = [revert, fork, update, delete]
