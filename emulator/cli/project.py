"""Commands that start a guest project: `new` and `wit`."""

from __future__ import annotations

from pathlib import Path

import click

from emulator.cli.common import cache_dir, err_console
from emulator.scaffold import new_project, wit_deps

_VERSIONS = click.Choice(wit_deps.HOST_VERSIONS)


@click.command()
@click.argument("language", type=click.Choice(new_project.LANGUAGES))
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--host-version", type=_VERSIONS, default=wit_deps.DEFAULT_HOST_VERSION, show_default=True,
              help="The golem:api/host version the component imports.")
def new(language: str, directory: Path, host_version: str) -> None:
    """Create a guest project in DIRECTORY that builds (`make`) and is crash-tested (`make test`)."""
    new_project.create(language, directory, host_version, cache_dir() / "npm")
    err_console.print(f"created {directory} (golem:api/host@{host_version}); next:\n"
                      f"  make -C {directory}        # build the component\n"
                      f"  make -C {directory} test   # crash-test it at every crash point", soft_wrap=True)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--host-version", type=_VERSIONS, default=wit_deps.DEFAULT_HOST_VERSION, show_default=True,
              help="The golem:api/host version to write.")
def wit(directory: Path, host_version: str) -> None:
    """Write the WIT dependencies (golem:api/host and WASI 0.2) into DIRECTORY/wit/deps."""
    written = wit_deps.write_wit_deps(directory, host_version, cache_dir() / "npm")
    err_console.print(f"wrote {len(written)} packages into {directory / 'wit' / 'deps'}", soft_wrap=True)


COMMANDS = [new, wit]
