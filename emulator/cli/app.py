"""The golem-emu command line: the top-level group, its command modules, and the entry point."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from emulator.cli import components, invoke, manage, promises
from emulator.cli import inspect as cli_inspect
from emulator.cli.common import DEFAULT_DATA_DIR, Env, fail
from emulator.errors import EmulatorError, UsageError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="GOLEM_EMU_HOME",
              default=DEFAULT_DATA_DIR, show_default=True,
              help="Where oplogs live (also GOLEM_EMU_HOME).")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path) -> None:
    """golem-emu: run Golem components as durable workers on your laptop, crash them, inspect their oplogs."""
    ctx.obj = Env(data_dir)


for _module in (invoke, manage, components, promises, cli_inspect):
    for _command in _module.COMMANDS:
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
