"""New guest projects: `golem-emu new python DIR` and the WIT they are built against (`golem-emu wit`)."""
