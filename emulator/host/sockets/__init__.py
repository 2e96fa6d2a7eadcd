"""wasi:sockets: denied, as a worker here has no network but wasi:http."""
