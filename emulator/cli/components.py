"""Commands about components: component add, run (a one-off worker), exports."""

from __future__ import annotations

import uuid
from pathlib import Path

import click

from emulator.cli.common import (
    CALL_SETTINGS,
    Env,
    checked_component_name,
    err_console,
    live,
    parse_env,
    print_result,
    wave_args,
)
from emulator.inspect import render
from emulator.oplog import names
from emulator.runtime.worker import Worker, keep_component, prepare_call


@click.group()
def component() -> None:
    """Component versions, as update-worker from a guest refers to them."""


@component.command("add")
@click.argument("wasm", type=click.Path(path_type=Path))
@click.option("--name", callback=checked_component_name,
              help="Component name (default: the file name without .wasm).")
@click.option("--env", "-e", "env_pairs", multiple=True, metavar="K=V",
              help="Component-level environment: every worker of this version gets it, under its own --env.")
@click.option("--file", "file_specs", multiple=True, metavar="SOURCE:TARGET[:read-only|read-write]",
              help="An initial file: SOURCE is placed at TARGET in each worker's filesystem (read-only by default).")
@click.option("--ephemeral", is_flag=True,
              help="Golem's ephemeral type: each invocation runs on a fresh instance and nothing is replayed.")
@click.pass_obj
def component_add(env: Env, wasm: Path, name: str | None, env_pairs: tuple[str, ...],
                  file_specs: tuple[str, ...], ephemeral: bool) -> None:
    """Register WASM as the next version of a component; prints its version number.

    With --env the version carries that environment (the same wasm with another --env is a new version, as
    in Golem); new workers get it, and so do workers updated to it, below their own variables. With --file
    it carries initial files (likewise a new version for other files): every new worker finds them in its
    filesystem."""
    from emulator.runtime import initial_files

    specs = [initial_files.parse_spec(s) for s in file_specs]  # every bad --file before anything is written
    component_env = parse_env(env_pairs) if env_pairs else None
    loaded = env.runtime.load(wasm)
    keep_component(loaded, env.components_dir)
    component_name = name or loaded.path.stem
    if specs:
        click.echo(initial_files.add_version(env.store, env.data_dir, component_name, loaded.sha256, specs,
                                             component_env, ephemeral=ephemeral))
    else:
        click.echo(env.store.register_component(component_name, loaded.sha256, component_env,
                                                ephemeral=ephemeral))




@click.command(context_settings=CALL_SETTINGS)
@click.argument("component", type=click.Path(path_type=Path))
@click.argument("function", required=False)
@click.argument("args", nargs=-1)
@click.option("--env", "-e", "env_pairs", multiple=True, metavar="K=V", help="Environment of the worker.")
@click.pass_obj
def run(env: Env, component: Path, function: str | None, args: tuple[str, ...], env_pairs: tuple[str, ...]) -> None:
    """The quick path: a fresh worker, one call, its result and its oplog."""
    name = names.derived_name(component.stem, uuid.uuid4().hex[:8])
    call = prepare_call(env.runtime.load(component), function, wave_args(args)) if function is not None else None
    worker = live(Worker.open(env.runtime, env.store, name, component, env=parse_env(env_pairs),
                               components_dir=env.components_dir))
    try:
        if call is None:
            exports = ", ".join(sorted(worker.loaded.exports)) or "(none)"
            err_console.print(f"{component.name} exports: {exports}")
        else:
            print_result(worker.invoke_prepared(call))
    finally:
        worker.close()
    err_console.print(render.oplog_table(env.store.read(name), title=f"oplog of {name}"))


@click.command()
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


COMMANDS = [component, run, exports]
