"""The golem-emu command line: invoke, run, workers, oplog, exports."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import click

from emulator import cli_inspect, render
from emulator.chaos import points as chaos
from emulator.cli_common import DEFAULT_DATA_DIR, Env, err_console, fail
from emulator.errors import EmulatorError, UsageError
from emulator.replay.durability import SEMANTICS
from emulator.runtime.worker import InvocationResult, Worker, prepare_call


def _parse_env(pairs: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--env {pair!r} is not KEY=VALUE; write it like --env REGION=eu")
        out.append((key, value))
    return out


def _print_result(result: InvocationResult, *, quiet_output: bool = False) -> None:
    if result.output and not quiet_output:
        err_console.print(result.output.rstrip("\n"), style="dim", markup=False, highlight=False)
    if result.status == "suspended":
        err_console.print(f"[yellow]worker suspended:[/] {result.detail}")
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
@click.argument("function")
@click.argument("args", nargs=-1)
@click.pass_obj
def invoke(env: Env, component: Path, worker_name: str, env_pairs: tuple[str, ...], worker_args: tuple[str, ...],
           idempotency_key: str | None, semantics: str | None, function: str, args: tuple[str, ...]) -> None:
    """Invoke FUNCTION of a worker with WAVE ARGS; print the result in WAVE."""
    worker_env = _parse_env(env_pairs)
    call = prepare_call(env.runtime.load(component), function, args)  # reject bad input before any write
    worker = Worker.open(env.runtime, env.store, worker_name, component, env=worker_env,
                         args=worker_args, semantics=semantics, chaos=chaos.from_environment())
    try:
        result = worker.invoke_prepared(call, idempotency_key)
    finally:
        worker.close()
    _print_result(result)


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
    worker = Worker.open(env.runtime, env.store, name, component, env=_parse_env(env_pairs))
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
    except click.exceptions.Abort:
        fail("aborted", 130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except UsageError as e:
        fail(str(e), 2)
    except EmulatorError as e:
        notes = "; ".join(getattr(e, "__notes__", []))
        fail(f"{e} ({notes})" if notes else str(e), 1)
    except KeyboardInterrupt:
        fail("interrupted", 130)
