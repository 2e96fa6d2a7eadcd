"""wasi:filesystem over the worker's sandbox directory."""
