"""wasi:cli: environment, exit, stdio and terminals; console output becomes Log entries."""
