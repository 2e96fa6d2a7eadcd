"""wasi:http/outgoing-handler and the function table of wasi:http/types (client side).

`handle` is a batched remote write (semantics §6.1): BeginRemoteWrite is committed before the request can
leave. On replay the recorded bracket decides: complete -> the response is served from the oplog and nothing
is sent; unfinished -> re-sent live after a Jump (idempotence on) or the worker fails (idempotence off), both
inside Durability.begin_function. Server-side resources (incoming-request, outgoing-response,
response-outparam) serve `golem:http/incoming-handler.{handle}` invocations (serving.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from emulator.host import _resources as res
from emulator.host._shapes import err, ok
from emulator.host.context import HostContext
from emulator.host.http import fields as wasi_http_fields
from emulator.host.http import requests as wasi_http_requests
from emulator.host.http import responses as wasi_http_responses
from emulator.host.http import serving as wasi_http_serving
from emulator.host.http.call import HttpCall
from emulator.host.http.client import Timeouts
from emulator.host.http.requests import OutgoingRequest, RequestOptions
from emulator.host.http.responses import FutureIncomingResponse
from emulator.oplog.entries import WRITE_REMOTE_BATCHED


def handle(ctx: HostContext, request_handle: Any, options_handle: Any) -> Variant:
    request: OutgoingRequest = res.take(ctx, request_handle)
    options: RequestOptions | None = None if options_handle is None else res.take(ctx, options_handle)
    begin = ctx.durability.begin_function(WRITE_REMOTE_BATCHED)
    if not request.body_taken:
        request.pipe.finish()  # a request whose body was never asked for has an empty one
    head = request.head()
    if isinstance(head, Variant):  # unsendable: Golem closes the bracket at once, nothing was sent
        ctx.durability.end_function(WRITE_REMOTE_BATCHED, begin)
        return err(head)
    call = HttpCall(ctx, begin, head, options.timeouts() if options else Timeouts(), request.pipe)
    if ctx.durability.is_live():
        call.live_exchange()
    return ok(res.own(ctx, "future-incoming-response", FutureIncomingResponse(call)))


OUTGOING_HANDLER: dict[str, Callable[..., Any]] = {"handle": handle}
TYPES: dict[str, Callable[..., Any]] = {
    **wasi_http_fields.FUNCTIONS,
    **wasi_http_requests.FUNCTIONS,
    **wasi_http_responses.FUNCTIONS,
    **wasi_http_serving.FUNCTIONS,  # server side; shared names dispatch on the object (serving.py)
}
