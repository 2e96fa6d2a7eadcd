"""Replica simulation guest: one HTTP side effect with oplog-commit before and/or after it.

With `commit-after`, the POST's journal entry is on that many replicas before the function goes on, so losing
the primary afterwards cannot make recovery send it again; without it, a primary lost before replication
takes the entry with it, and recovery (or a client retrying the same idempotency key) sends it again.
"""

from urllib.parse import urlsplit

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports import host, outgoing_handler, streams
from wit_world.imports.wasi_http_types import (
    Fields,
    IncomingResponse,
    Method_Post,
    OutgoingBody,
    OutgoingRequest,
    Scheme_Http,
)


def _post(url: str, body: bytes) -> bytes:
    parts = urlsplit(url)
    req = OutgoingRequest(Fields.from_list([("content-length", str(len(body)).encode())]))
    req.set_method(Method_Post())
    req.set_scheme(Scheme_Http())
    req.set_authority(parts.netloc)
    req.set_path_with_query(parts.path or "/")
    outgoing = req.body()
    future = outgoing_handler.handle(req, None)
    out = outgoing.write()
    out.blocking_write_and_flush(body)
    out.__exit__(None, None, None)
    OutgoingBody.finish(outgoing, None)
    while (got := future.get()) is None:
        future.subscribe().block()
    if not (isinstance(got, Ok) and isinstance(got.value, Ok)):
        raise RuntimeError(f"POST {url} failed: {got!r}")
    response: IncomingResponse = got.value.value
    incoming = response.consume()
    stream = incoming.stream()
    chunks = []
    while True:
        try:
            chunks.append(stream.blocking_read(1 << 16))
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                break
            raise
    return b"".join(chunks)


class Api(exports.Api):
    """emu:replicated/api."""

    def send_effect(self, url: str, commit_before: int, commit_after: int) -> str:
        """POST `effect` to `url`, with oplog-commit before and/or after it."""
        if commit_before:
            host.oplog_commit(commit_before)
        body = _post(url, b"effect")
        if commit_after:
            host.oplog_commit(commit_after)
        return body.decode("utf-8", errors="replace")

    def commit(self, replicas: int) -> int:
        """oplog-commit(replicas); the oplog index reached."""
        host.oplog_commit(replicas)
        return host.get_oplog_index()
