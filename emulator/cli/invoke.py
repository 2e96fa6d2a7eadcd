"""Commands that run a worker's invocations: invoke, resume, result, interrupt."""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import click

from emulator.cli.common import (
    CALL_SETTINGS,
    Env,
    checked_name,
    err_console,
    live,
    load,
    parse_env,
    print_result,
    wave_args,
)
from emulator.errors import UsageError

if TYPE_CHECKING:
    from emulator.runtime.worker import PreparedCall, Worker
    from emulator.server.client import RemoteResult

# oplog.kinds.Semantics' values (tests/cli/test_serve.py checks): spelled out so that an invocation that goes
# through `golem-emu serve` imports none of the runtime.
SEMANTICS = ("golem-1.1", "golem-1.2")


@click.command(context_settings=CALL_SETTINGS)
@click.argument("component", type=click.Path(path_type=Path))
@click.option("--worker", "-w", "worker_name", callback=checked_name,
              help="Worker name; created on first use. Without it, a new worker with a new name (printed on "
                   "stderr), as Golem's worker service names one.")
@click.option("--env", "-e", "env_pairs", multiple=True, metavar="K=V", help="Environment of a new worker.")
@click.option("--arg", "worker_args", multiple=True, metavar="ARG", help="Command-line argument of a new worker.")
@click.option("--idempotency-key", "-k", help="Invocation key; a known key returns its recorded result.")
@click.option("--semantics", type=click.Choice(SEMANTICS), default=None,
              help="Persistence-level semantics of a new worker (default golem-1.1).")
@click.option("--no-wait", is_flag=True, help="Retry failures at once instead of sleeping the policy's delays.")
@click.option("--wait", "wait_promise", is_flag=True,
              help="If the worker suspends on a promise, wait for its completion and print the final result.")
@click.option("--show-crash-points", is_flag=True,
              help="List the crash points this invocation passed (for GOLEM_EMU_CRASH_AT=N) on stderr.")
@click.option("--no-server", is_flag=True, help="Run here even when `golem-emu serve` runs for the data dir.")
@click.option("--enqueue", is_flag=True,
              help="Golem's invoke without awaiting: queue the call behind what the worker is busy with (running "
                   "elsewhere, suspended, interrupted) and print its key; an idle worker runs its queue at once.")
@click.argument("function")
@click.argument("args", nargs=-1)
@click.pass_obj
def invoke(env: Env, component: Path, worker_name: str | None, env_pairs: tuple[str, ...], worker_args: tuple[str, ...],
           idempotency_key: str | None, semantics: str | None, no_wait: bool, wait_promise: bool,
           show_crash_points: bool, no_server: bool, enqueue: bool, function: str, args: tuple[str, ...]) -> None:
    """Invoke FUNCTION of a worker with WAVE ARGS; print the result in WAVE.

    When `golem-emu serve` runs for the data dir, the invocation runs there, on the worker's warm instance."""
    worker_env = parse_env(env_pairs)
    args = wave_args(args)  # @FILE and -: read here, so that a server gets the values themselves
    if worker_name is None:
        worker_name = str(uuid.uuid4())  # as runtime.worker.new_worker_name, without importing the runtime
        err_console.print(f"new worker {worker_name}", soft_wrap=True)
    # --wait and crash injection stay in this process: a crash point kills the process it is reached in.
    if not (no_server or enqueue or wait_promise or show_crash_points or os.environ.get("GOLEM_EMU_CRASH_AT")):
        idempotency_key = idempotency_key or str(uuid.uuid4())  # ours, so a local retry continues the same call
        served = _through_server(env, {
            "component": str(component.absolute()), "worker": worker_name, "function": function, "args": list(args),
            "idempotency_key": idempotency_key, "env": worker_env, "worker_args": list(worker_args),
            "semantics": semantics, "no_wait": no_wait,
        })
        if served is not None:
            print_result(served)
            return
    from emulator.chaos import points as chaos
    from emulator.lifecycle.leases import Lease
    from emulator.lifecycle.retry import VirtualClock
    from emulator.runtime.worker import Worker, prepare_call

    call = prepare_call(env.runtime.load(component), function, args)  # reject bad input before any write
    plan = chaos.from_environment() or (chaos.Chaos() if show_crash_points else None)
    worker = live(Worker.open(env.runtime, env.store, worker_name, component, env=worker_env,
                               args=worker_args, semantics=semantics, chaos=plan,
                               clock=VirtualClock() if no_wait else None, components_dir=env.components_dir))
    try:
        if enqueue:
            _enqueue(env, worker, call, idempotency_key)
            return
        result = worker.invoke_prepared(call, idempotency_key)
        while wait_promise and result.status == "suspended" and result.promise is not None:
            with Lease(env.store, worker_name):  # so that `promise complete` leaves the resuming to us
                _await_completion(env, *result.promise)
            resumed = worker.resume()
            if resumed is None:
                break
            result = resumed
    finally:
        worker.close()
        if show_crash_points and plan is not None:
            for point in plan.points:
                click.echo(point.describe(), err=True)  # whole lines whatever the terminal width
    print_result(result)


def _enqueue(env: Env, worker: Worker, call: PreparedCall, key: str | None) -> None:
    from emulator.runtime import invocation_queue

    key = invocation_queue.enqueue_call(worker, call.export.name, call.request, key)
    outcome = invocation_queue.outcome(worker, key)
    if outcome.status == "completed":  # the worker was free: it ran at once
        print_result(outcome)
        return
    err_console.print(f"queued invocation {key} of worker {worker.name} ({worker.summary().status}); "
                      f"`golem-emu result {worker.name} {key}` tells its result once it ran", soft_wrap=True)
    click.echo(key)


def _through_server(env: Env, body: dict[str, object]) -> RemoteResult | None:
    """The invocation run by the data dir's server; None when no server runs (or it went away: the caller
    then runs the invocation here, with the same idempotency key, which recovers whatever the server did)."""
    from emulator.server import client

    found = client.read_server_file(env.data_dir)
    if found is None:
        return None
    try:
        return client.invoke(found[1], body)
    except client.ServerGone as e:
        err_console.print(f"[yellow]golem-emu serve (pid {found[0]}) did not answer ({e}); running it here[/]")
        return None


@click.command()
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@click.option("--no-wait", is_flag=True, help="Retry failures at once instead of sleeping the policy's delays.")
@click.pass_obj
def resume(env: Env, worker_name: str, no_wait: bool) -> None:
    """Continue a worker's unfinished invocation (interrupted, suspended, crashed or retrying)."""
    worker = load(env, worker_name, no_wait)
    try:
        result = worker.resume()
    finally:
        worker.close()
    if result is None:
        err_console.print(f"worker {worker_name} has no unfinished invocation; it is {worker.summary().status}")
        return
    print_result(result)


@click.command()
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@click.argument("key", metavar="IDEMPOTENCY_KEY")
@click.pass_obj
def result(env: Env, worker_name: str, key: str) -> None:
    """Print the recorded result of an invocation by its idempotency key (exit 3 while it is unfinished)."""
    store = env.readonly_store()  # reading only: works on a read-only data dir, never runs the worker
    if not store.has_worker(worker_name):
        names = ", ".join(store.worker_names()) or "none"
        raise UsageError(f"no worker named {worker_name!r} (workers: {names})")
    from emulator.lifecycle.status import summarize

    summary = summarize([e for _, e in store.iter_entries(worker_name)])
    outcome = summary.invocations.get(key)
    if outcome is None and key in (k for k, _, _ in store.queued(worker_name)):
        err_console.print(f"invocation {key} is waiting in worker {worker_name}'s queue; the worker is "
                          f"{summary.status}")
        sys.exit(3)
    if outcome is None:
        raise UsageError(f"worker {worker_name} has no invocation with idempotency key {key!r}")
    if outcome.completed_at is None:
        err_console.print(f"invocation {key} of {outcome.function_name} has not finished; the worker is "
                          f"{summary.status}")
        sys.exit(3)
    if outcome.response is not None:
        click.echo(outcome.response)


@click.command()
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@click.pass_obj
def interrupt(env: Env, worker_name: str) -> None:
    """Interrupt a worker: a running one stops at once, a suspended or retrying one is marked interrupted."""
    from emulator.lifecycle.leases import INTERRUPT, running_pid
    from emulator.lifecycle.status import WorkerStatus, summarize
    from emulator.oplog.entries import Interrupted
    from emulator.oplog.oplog import Oplog

    store = env.store
    if not store.has_worker(worker_name):
        raise UsageError(f"no worker named {worker_name!r}")
    pid = running_pid(store, worker_name)
    if pid is not None:
        store.request(worker_name, INTERRUPT, int(time.time() * 1000))
        err_console.print(f"interrupt requested for worker {worker_name} (running in process {pid})")
        return
    oplog = Oplog(store, worker_name)
    status = summarize([e for _, e in oplog.read()]).status
    if status in (WorkerStatus.IDLE, WorkerStatus.FAILED, WorkerStatus.EXITED, WorkerStatus.INTERRUPTED):
        err_console.print(f"worker {worker_name} is {status}; nothing to interrupt")
        return
    oplog.add_and_commit(Interrupted())
    err_console.print(f"worker {worker_name} ({status}) marked interrupted; continue it with `golem-emu resume`")




def _await_completion(env: Env, worker: str, index: int) -> None:
    err_console.print(f"[yellow]waiting[/] for promise {index} of worker {worker} "
                      f"(complete it with `golem-emu promise complete {worker} {index} DATA`)")
    while True:
        state = env.store.promise_state(worker, index)
        if state is None or state.state == "completed":
            return
        time.sleep(0.1)


@click.command()
@click.argument("worker_name", metavar="WORKER", callback=checked_name)
@click.argument("key", metavar="KEY")
@click.pass_obj
def cancel(env: Env, worker_name: str, key: str) -> None:
    """Cancel a queued invocation by its idempotency key: true if it was waiting, false if it already ran."""
    from emulator.lifecycle.status import summarize
    from emulator.runtime import invocation_queue

    with env.readonly_store() as store:  # bad input leaves the database file exactly as it was
        if not store.has_worker(worker_name):
            raise UsageError(f"no worker named {worker_name!r} (workers: {', '.join(store.worker_names()) or 'none'})")
        if key not in (k for k, _, _ in store.queued(worker_name)) and \
                key not in summarize([e for _, e in store.iter_entries(worker_name)]).invocations:
            raise UsageError(f"worker {worker_name} has no invocation with idempotency key {key!r} to cancel")
    worker = load(env, worker_name)
    try:
        click.echo("true" if invocation_queue.cancel(worker, key) else "false")
    finally:
        worker.close()


COMMANDS = [invoke, resume, result, interrupt, cancel]
