"""wasi:logging: log calls become Log entries."""
