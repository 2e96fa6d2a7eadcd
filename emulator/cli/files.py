"""Commands about a worker's files: list a directory of its filesystem, print a file (Golem's list-directory
and get-file-contents)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from emulator.cli.common import Env, checked_name
from emulator.errors import UsageError


def _sandbox(env: Env, worker: str) -> Path:
    from emulator.oplog import names

    store = env.readonly_store()
    try:
        if not store.has_worker(worker):
            known = ", ".join(store.worker_names()) or "(none)"
            raise UsageError(f"no worker named {worker!r} in {env.data_dir}; workers: {known}")
    finally:
        store.close()
    return names.sandbox_dir(env.data_dir, worker)


@click.command()
@click.argument("worker", callback=checked_name)
@click.argument("path", default="/")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def files(env: Env, worker: str, path: str, fmt: str) -> None:
    """List PATH (default /) of WORKER's filesystem: names, kinds, sizes and permissions."""
    from emulator.inspect import render
    from emulator.runtime import initial_files

    nodes = initial_files.list_directory(_sandbox(env, worker), path)
    if fmt == "json":
        click.echo(json.dumps(nodes, indent=2))
        return
    for n in nodes:
        kind = "dir" if n["kind"] == "directory" else n.get("permissions", n["kind"])
        size = "" if n["kind"] != "file" else str(n["size"])
        click.echo(f"{kind:<10} {size:>10}  {render.datetime_text(n['last_modified'])}  {n['name']}")


@click.command("file")
@click.argument("worker", callback=checked_name)
@click.argument("path")
@click.pass_obj
def file_contents(env: Env, worker: str, path: str) -> None:
    """Print the contents of file PATH of WORKER's filesystem (bytes as they are)."""
    from emulator.runtime import initial_files

    data = initial_files.read_file(_sandbox(env, worker), path)
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


COMMANDS = [files, file_contents]
