"""`golem-emu serve`: keep this data dir's workers warm between invocations."""

from __future__ import annotations

import click

from emulator.cli.common import Env, err_console


@click.command()
@click.option("--port", type=int, default=0, show_default=True, help="Port on 127.0.0.1 (0: any free port).")
@click.pass_obj
def serve(env: Env, port: int) -> None:
    """Serve this data dir's workers on 127.0.0.1, keeping them instantiated between invocations."""
    from emulator.server.http import serve as run

    def ready(bound: int) -> None:
        err_console.print(f"golem-emu serve: {env.data_dir} on http://127.0.0.1:{bound} (Ctrl-C stops it); "
                          "`golem-emu invoke` with this --data-dir now runs here", soft_wrap=True)

    run(env.data_dir, port, ready)
    err_console.print("golem-emu serve: stopped")


COMMANDS = [serve]
