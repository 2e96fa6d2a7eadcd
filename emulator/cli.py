"""The golem-emu command line: invoke, run, workers, oplog, exports."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from emulator import render
from emulator.errors import EmulatorError, UsageError
from emulator.oplog import codec
from emulator.oplog.store import SqliteStore
from emulator.replay.durability import SEMANTICS
from emulator.runtime.catalog import list_workers
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import InvocationResult, Worker, prepare_call

DEFAULT_DATA_DIR = ".golem-emu"


def cache_dir() -> Path:
    """Compiled artifacts are shared by every data dir: compiling a component costs seconds."""
    explicit = os.environ.get("GOLEM_EMU_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "golem-emu"


class Env:
    """What every command needs: the data directory, its store and the runtime."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._store: SqliteStore | None = None
        self._runtime: Runtime | None = None

    @property
    def store(self) -> SqliteStore:
        """The oplog database of this data directory."""
        if self._store is None:
            self._store = SqliteStore(self.data_dir / "oplog.db")
        return self._store

    def readonly_store(self) -> SqliteStore:
        """The oplog database, opened read-only; a clear error if there is none yet."""
        path = self.data_dir / "oplog.db"
        if not path.exists():
            raise UsageError(f"no workers yet in {self.data_dir} (invoke a component first, or pass --data-dir)")
        return SqliteStore(path, readonly=True)

    @property
    def runtime(self) -> Runtime:
        """The wasmtime runtime with its artifact cache."""
        if self._runtime is None:
            self._runtime = Runtime(cache_dir())
        return self._runtime


err_console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False)


def _fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    sys.exit(code)


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
                         args=worker_args, semantics=semantics)
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


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON document per worker.")
@click.pass_obj
def workers(env: Env, as_json: bool) -> None:
    """List workers with their status, derived from their oplogs."""
    if not (env.data_dir / "oplog.db").exists():
        err_console.print(f"no workers yet in {env.data_dir}")
        return
    rows = list_workers(env.readonly_store())
    if as_json:
        for r in rows:
            click.echo(json.dumps({**r, "component_uuid": str(r["component_uuid"])}))
        return
    out_console.print(render.workers_table(rows))


@cli.command()
@click.argument("worker_name", metavar="WORKER")
@click.option("--json", "as_json", is_flag=True, help="One JSON document per entry (the oplog codec's form).")
@click.pass_obj
def oplog(env: Env, worker_name: str, as_json: bool) -> None:
    """Show a worker's oplog."""
    store = env.readonly_store()
    if not store.has_worker(worker_name):
        names = ", ".join(store.worker_names()) or "(none)"
        raise UsageError(f"no worker named {worker_name!r} in {env.data_dir}; workers: {names}")
    entries = store.read(worker_name)
    if as_json:
        for idx, entry in entries:
            doc: dict[str, Any] = {"index": idx, **json.loads(codec.encode(entry))}
            click.echo(json.dumps(doc))
        return
    out_console.print(render.oplog_table(entries, title=f"oplog of {worker_name}"))


def main() -> None:
    """Console entry point: EmulatorErrors become one clear line on stderr and a non-zero exit."""
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted", 130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except UsageError as e:
        _fail(str(e), 2)
    except EmulatorError as e:
        _fail(str(e), 1)
    except KeyboardInterrupt:
        _fail("interrupted", 130)


if __name__ == "__main__":
    main()
