"""Commands that inspect workers and oplogs without running anything: workers, oplog."""

from __future__ import annotations

import json
from typing import Any

import click

from emulator import render
from emulator.cli_common import Env, err_console, out_console
from emulator.errors import UsageError
from emulator.oplog import codec
from emulator.runtime.catalog import list_workers


@click.command()
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


@click.command()
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


COMMANDS = [workers, oplog]
