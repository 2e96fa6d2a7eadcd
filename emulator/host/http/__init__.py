"""wasi:http client side: outgoing requests and responses, durable as Golem's batched remote writes."""
