"""`golem-emu scenario run FILE.toml`: run a scenario file's steps and check its expectations."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console


@click.group("scenario")
def scenario() -> None:
    """Run scenario files: steps (create, invoke, crash, restart, ...) and expectations, in TOML."""


@scenario.command("run")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run in this data dir and keep it (default: a temporary one).")
def run(file: Path, keep: Path | None) -> None:
    """Run the steps of FILE; exit 1 with what was expected and what happened if an expectation fails."""
    from emulator.chaos.scenario import Runner

    out = Console(highlight=False)
    with tempfile.TemporaryDirectory(prefix="golem-emu-scenario-") as tmp:
        outcome = Runner(file, keep or Path(tmp)).run()
    for line in outcome.lines:
        out.print(line, markup=False, soft_wrap=True)
    if outcome.failure is None:
        out.print(f"[bold green]{file}: every expectation held[/]", soft_wrap=True)
        return
    out.print(f"[bold red]FAILED[/] {outcome.failure}", soft_wrap=True)
    if outcome.context:
        out.print("the oplog around it:", soft_wrap=True)
        for line in outcome.context:
            out.print(f"  {line}", markup=False, soft_wrap=True)
    sys.exit(1)


COMMANDS = [scenario]
