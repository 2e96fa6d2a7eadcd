"""`python -m emulator` runs the golem-emu command line."""

from emulator.cli import main

main()
