"""The golem-emu command line: invoke, run, workers, oplog, exports."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import click

from emulator import cli_inspect, render
from emulator.chaos import points as chaos
from emulator.cli_common import DEFAULT_DATA_DIR, Env, err_console, fail
from emulator.errors import EmulatorError, UsageError, WorkerFailed
from emulator.oplog.entries import Interrupted
from emulator.oplog.oplog import Oplog
from emulator.replay.durability import SEMANTICS
from emulator.replay.retry import VirtualClock
from emulator.replay.status import summarize
from emulator.runtime import management
from emulator.runtime.control import INTERRUPT, Lease, running_pid
from emulator.runtime.worker import InvocationResult, Worker, keep_component, prepare_call


def _parse_env(pairs: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--env {pair!r} is not KEY=VALUE; write it like --env REGION=eu")
        out.append((key, value))
    return out


def _show_output(stream: str, text: str) -> None:
    """Guest output as it happens, on stderr (stdout carries only the WAVE result)."""
    err_console.file.write(text if stream in ("stdout", "stderr") else f"[{stream}] {text}\n")
    err_console.file.flush()


def _live(worker: Worker) -> Worker:
    worker.on_output = _show_output
    return worker


def _print_result(result: InvocationResult, *, quiet_output: bool = True) -> None:
    if result.output and not quiet_output:
        err_console.print(result.output.rstrip("\n"), style="dim", markup=False, highlight=False)
    if result.status in ("suspended", "interrupted", "exited"):
        err_console.print(f"[yellow]worker {result.status}:[/] {result.detail}")
        err_console.print(f"idempotency key: {result.idempotency_key} (see `golem-emu result WORKER KEY`)")
        return
    if result.response is not None:
        click.echo(result.response)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="GOLEM_EMU_HOME",
              default=DEFAULT_DATA_DIR, show_default=True,
              help="Where oplogs live (also GOLEM_EMU_HOME).")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path) -> None:
    """golem-emu: run Golem components as durable workers on your laptop, crash them, inspect their oplogs."""
    ctx.obj = Env(data_dir)


# Negative WAVE numbers such as -5 must reach ARGS rather than be taken for options.
_CALL_SETTINGS = {"ignore_unknown_options": True}


@cli.command(context_settings=_CALL_SETTINGS)
@click.argument("component", type=click.Path(path_type=Path))
@click.option("--worker", "-w", "worker_name", required=True, help="Worker name; created on first use.")
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
@click.argument("function")
@click.argument("args", nargs=-1)
@click.pass_obj
def invoke(env: Env, component: Path, worker_name: str, env_pairs: tuple[str, ...], worker_args: tuple[str, ...],
           idempotency_key: str | None, semantics: str | None, no_wait: bool, wait_promise: bool,
           show_crash_points: bool, function: str, args: tuple[str, ...]) -> None:
    """Invoke FUNCTION of a worker with WAVE ARGS; print the result in WAVE."""
    worker_env = _parse_env(env_pairs)
    call = prepare_call(env.runtime.load(component), function, args)  # reject bad input before any write
    plan = chaos.from_environment() or (chaos.Chaos() if show_crash_points else None)
    worker = _live(Worker.open(env.runtime, env.store, worker_name, component, env=worker_env,
                               args=worker_args, semantics=semantics, chaos=plan,
                               clock=VirtualClock() if no_wait else None, components_dir=env.components_dir))
    try:
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
                err_console.print(point.describe(), markup=False, highlight=False)
    _print_result(result)


def _await_completion(env: Env, worker: str, index: int) -> None:
    err_console.print(f"[yellow]waiting[/] for promise {index} of worker {worker} "
                      f"(complete it with `golem-emu promise complete {worker} {index} DATA`)")
    while True:
        state = env.store.promise_state(worker, index)
        if state is None or state.state == "completed":
            return
        time.sleep(0.1)


def _load(env: Env, name: str, no_wait: bool = False) -> Worker:
    return _live(Worker.load(env.runtime, env.store, name, env.components_dir,
                             clock=VirtualClock() if no_wait else None, chaos=chaos.from_environment()))


@cli.command()
@click.argument("worker_name", metavar="WORKER")
@click.option("--no-wait", is_flag=True, help="Retry failures at once instead of sleeping the policy's delays.")
@click.pass_obj
def resume(env: Env, worker_name: str, no_wait: bool) -> None:
    """Continue a worker's unfinished invocation (interrupted, suspended, crashed or retrying)."""
    worker = _load(env, worker_name, no_wait)
    try:
        result = worker.resume()
    finally:
        worker.close()
    if result is None:
        err_console.print(f"worker {worker_name} has no unfinished invocation; it is {worker.summary().status}")
        return
    _print_result(result)


@cli.command()
@click.argument("worker_name", metavar="WORKER")
@click.argument("key", metavar="IDEMPOTENCY_KEY")
@click.pass_obj
def result(env: Env, worker_name: str, key: str) -> None:
    """Print the recorded result of an invocation by its idempotency key (exit 3 while it is unfinished)."""
    summary = _load(env, worker_name).summary()
    outcome = summary.invocations.get(key)
    if outcome is None:
        raise UsageError(f"worker {worker_name} has no invocation with idempotency key {key!r}")
    if outcome.completed_at is None:
        err_console.print(f"invocation {key} of {outcome.function_name} has not finished; the worker is "
                          f"{summary.status}")
        sys.exit(3)
    if outcome.response is not None:
        click.echo(outcome.response)


@cli.command()
@click.argument("worker_name", metavar="WORKER")
@click.pass_obj
def interrupt(env: Env, worker_name: str) -> None:
    """Interrupt a worker: a running one stops at once, a suspended or retrying one is marked interrupted."""
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
    if status in ("idle", "failed", "exited", "interrupted"):
        err_console.print(f"worker {worker_name} is {status}; nothing to interrupt")
        return
    oplog.add_and_commit(Interrupted())
    err_console.print(f"worker {worker_name} ({status}) marked interrupted; continue it with `golem-emu resume`")


@cli.command()
@click.argument("worker_name", metavar="WORKER")
@click.option("--to-index", type=int, help="Keep the oplog up to this index; drop everything after it.")
@click.option("--last-invocations", type=int, help="Drop the last N invocations (their keys become reusable).")
@click.pass_obj
def revert(env: Env, worker_name: str, to_index: int | None, last_invocations: int | None) -> None:
    """Revert a worker: later entries are skipped on replay and its reverted invocations forgotten."""
    if (to_index is None) == (last_invocations is None):
        raise UsageError("give exactly one of --to-index N or --last-invocations N")
    entry = management.revert(env.store, worker_name, to_index=to_index, last_invocations=last_invocations)
    err_console.print(f"reverted {worker_name}: entries {entry.start}..={entry.end} are dropped")


@cli.command()
@click.argument("worker_name", metavar="WORKER")
@click.argument("new_name", metavar="NEW")
@click.option("--at", "cut_off", type=int, required=True, help="Copy the oplog up to this index (at least 2).")
@click.pass_obj
def fork(env: Env, worker_name: str, new_name: str, cut_off: int) -> None:
    """Fork a worker: NEW starts with WORKER's oplog up to --at and continues from there."""
    management.fork(env.store, worker_name, new_name, cut_off)
    err_console.print(f"forked {worker_name} at index {cut_off} into {new_name}")
    worker = _load(env, new_name)
    try:
        resumed = worker.resume()  # a cut inside an invocation continues it live in the fork
    finally:
        worker.close()
    if resumed is not None:
        _print_result(resumed)


@cli.command()
@click.argument("worker_name", metavar="WORKER")
@click.argument("component", type=click.Path(path_type=Path))
@click.option("--mode", type=click.Choice(["automatic", "snapshot"]), default="automatic", show_default=True,
              help="automatic: replay the oplog on the new code; snapshot: save-snapshot, then load-snapshot.")
@click.pass_obj
def update(env: Env, worker_name: str, component: Path, mode: str) -> None:
    """Update a worker to another component; if that fails it stays on the one it has."""
    target = env.runtime.load(component)
    keep_component(target, env.components_dir)
    worker = _load(env, worker_name)
    try:
        ok, details = worker.update(target, mode)
    finally:
        worker.close()
    if not ok:
        raise WorkerFailed(f"update of {worker_name} to {component.name} failed ({details}); it stays on "
                           f"{worker.loaded.path.name}")
    err_console.print(f"updated {worker_name} to {component.name} ({mode})")


@cli.group()
def component() -> None:
    """Component versions, as update-worker from a guest refers to them."""


@component.command("add")
@click.argument("wasm", type=click.Path(path_type=Path))
@click.option("--name", help="Component name (default: the file name without .wasm).")
@click.pass_obj
def component_add(env: Env, wasm: Path, name: str | None) -> None:
    """Register WASM as the next version of a component; prints its version number."""
    loaded = env.runtime.load(wasm)
    keep_component(loaded, env.components_dir)
    click.echo(env.store.register_component(name or loaded.path.stem, loaded.sha256))


@cli.group()
def promise() -> None:
    """Complete promises that workers await."""


@promise.command("complete")
@click.argument("worker_name", metavar="WORKER")
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
    worker = _load(env, worker_name)
    if worker.summary().status not in ("suspended", "interrupted", "retrying"):
        return
    try:
        resumed = worker.resume()
    finally:
        worker.close()
    if resumed is not None:
        _print_result(resumed)


@cli.command(context_settings=_CALL_SETTINGS)
@click.argument("component", type=click.Path(path_type=Path))
@click.argument("function", required=False)
@click.argument("args", nargs=-1)
@click.option("--env", "-e", "env_pairs", multiple=True, metavar="K=V", help="Environment of the worker.")
@click.pass_obj
def run(env: Env, component: Path, function: str | None, args: tuple[str, ...], env_pairs: tuple[str, ...]) -> None:
    """The quick path: a fresh worker, one call, its result and its oplog."""
    name = f"{component.stem}-{uuid.uuid4().hex[:8]}"
    call = prepare_call(env.runtime.load(component), function, args) if function is not None else None
    worker = _live(Worker.open(env.runtime, env.store, name, component, env=_parse_env(env_pairs),
                               components_dir=env.components_dir))
    try:
        if call is None:
            exports = ", ".join(sorted(worker.loaded.exports)) or "(none)"
            err_console.print(f"{component.name} exports: {exports}")
        else:
            _print_result(worker.invoke_prepared(call))
    finally:
        worker.close()
    err_console.print(render.oplog_table(env.store.read(name), title=f"oplog of {name}"))


@cli.command()
@click.argument("component", type=click.Path(path_type=Path))
@click.pass_obj
def exports(env: Env, component: Path) -> None:
    """List the functions a component exports, with their WIT signatures."""
    from emulator import values

    loaded = env.runtime.load(component)
    for name, export in sorted(loaded.exports.items()):
        params = ", ".join(f"{p}: {values.format_type(t)}" for p, t in export.params)
        result = f" -> {values.format_type(export.result)}" if export.result is not None else ""
        click.echo(f"{name}({params}){result}")


for _command in cli_inspect.COMMANDS:
    cli.add_command(_command)


def main() -> None:
    """Console entry point: EmulatorErrors become one clear line on stderr and a non-zero exit."""
    try:
        cli(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        fail("interrupted; an unfinished invocation continues by replay when the worker is next used "
             "(golem-emu resume WORKER)", 130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except UsageError as e:
        fail(str(e), 2)
    except EmulatorError as e:
        notes = "; ".join(getattr(e, "__notes__", []))
        fail(f"{e} ({notes})" if notes else str(e), 1)
