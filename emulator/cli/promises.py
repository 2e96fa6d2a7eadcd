"""Commands that complete the promises workers await."""

from __future__ import annotations

import click

from emulator.cli.common import Env, checked_name, err_console, load, print_result
from emulator.errors import UsageError
from emulator.lifecycle.leases import running_pid
from emulator.lifecycle.status import WorkerStatus


@click.group()
def promise() -> None:
    """Complete promises that workers await."""


@promise.command("complete")
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@click.argument("index", type=int)
@click.argument("data")
@click.option("--resume/--no-resume", default=True, show_default=True,
              help="Resume the worker if it is suspended on this promise.")
@click.pass_obj
def promise_complete(env: Env, worker_name: str, index: int, data: str, resume: bool) -> None:
    """Complete promise INDEX of WORKER with DATA (text, sent as its UTF-8 bytes)."""
    store = env.store
    if not store.has_worker(worker_name):
        raise UsageError(f"no worker named {worker_name!r}")
    if store.promise_state(worker_name, index) is None:
        raise UsageError(f"worker {worker_name} has no promise {index} (its oplog index, as shown when it suspended)")
    if not store.complete_promise(worker_name, index, data.encode()):
        raise UsageError(f"promise {index} of worker {worker_name} is already completed")
    err_console.print(f"completed promise {index} of worker {worker_name}")
    if not resume or running_pid(store, worker_name) is not None:
        return
    worker = load(env, worker_name)
    if worker.summary().status not in (WorkerStatus.SUSPENDED, WorkerStatus.INTERRUPTED, WorkerStatus.RETRYING):
        return
    try:
        resumed = worker.resume()
    finally:
        worker.close()
    if resumed is not None:
        print_result(resumed)


COMMANDS = [promise]
