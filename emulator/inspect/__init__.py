"""Reading workers and oplogs without running them: the oplog index, queries, facts, exports and rendering.
Read-only, and free of wasmtime: the CLI's inspection commands and the TUI use it."""
