"""wasi:keyvalue 0.1.0 (types, eventual, eventual-batch, wasi-keyvalue-error), as Golem serves it."""
