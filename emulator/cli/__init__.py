"""The golem-emu command line (`golem-emu = emulator.cli:main`), one module per command group."""

from emulator.cli.app import cli, main

__all__ = ["cli", "main"]
