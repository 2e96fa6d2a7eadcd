"""Encoding a commit's entries at once: exactly the texts ``codec.encode_external`` writes entry by entry, with
one orjson call for the whole batch (a live durable host call costs about as much as writing its entry)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.oplog import codec
from emulator.oplog.codec import EXTERNAL_MIN_CHARS, encode_external
from emulator.oplog.entries import OplogEntry

try:
    import orjson
except ImportError:  # the json module alone, as in codec.py: entry by entry
    orjson = None  # type: ignore[assignment]

__all__ = ["encode_batch"]

_ENTRY_START = '{"$type":'  # every entry's text starts so: "$type" sorts before every field name
_BOUNDARY = "," + _ENTRY_START


def encode_batch(entries: Sequence[OplogEntry]) -> list[tuple[str, list[bytes]]]:
    """``[encode_external(e) for e in entries]``, the same texts, with one orjson call for the whole batch.

    orjson writes a list as its items' texts joined by commas. When the batch's text holds no '"$' but the
    discriminators (so the same check as ``encode``'s fast path, done once), it is cut at each entry's start.
    """
    if orjson is None or len(entries) < 2:
        return [encode_external(e) for e in entries]
    bodies: list[dict[str, Any]] = []
    by_class, has_float = codec._BY_CLASS, codec._has_float
    for e in entries:
        spec = by_class.get(type(e))
        if spec is None:
            raise TypeError(f"not an oplog entry: {e!r}")
        body = spec.body(e)
        for k in spec.json_keys:
            v = body[k]
            if v is not None and type(v) is not int and has_float(v):
                return [encode_external(e) for e in entries]  # floats go the json module's way: rare
        bodies.append(body)
    try:
        out = orjson.dumps(bodies, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return [encode_external(e) for e in entries]
    if not out.isascii() or b"\x7f" in out or out.count(b'"$') != len(bodies):
        return [encode_external(e) for e in entries]
    first, *rest = out.decode("ascii")[1:-1].split(_BOUNDARY)
    texts = [first, *[_ENTRY_START + t for t in rest]]
    if len(out) <= EXTERNAL_MIN_CHARS:  # no entry's text is long enough to hold a string to move out of line
        return [(t, []) for t in texts]
    return [encode_external(e) if len(t) > EXTERNAL_MIN_CHARS else (t, [])
            for e, t in zip(entries, texts, strict=True)]
