"""Oplog entries as JSON documents (docs/oplog-json.md): the codec's wire form plus the entry's ``index``.

A document is exactly ``codec.encode(entry)`` with ``"index": N`` added, so ``parse_document`` gives back the
very same entry (payload escaping included). ``jsonl`` is one document per line; ``json`` is an array with one
document per line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from emulator.errors import OplogError
from emulator.oplog.codec import decode, encode
from emulator.oplog.entries import OplogEntry

__all__ = ["FORMATS", "document", "document_text", "parse_document", "parse_jsonl", "write_entries"]

FORMATS = ("table", "json", "jsonl")
"""Output formats of the inspection commands."""


def document_text(index: int, entry: OplogEntry) -> str:
    """One entry as compact JSON text: ``{"index":N,"$type":...,fields...}``."""
    wire = encode(entry)
    return f'{{"index":{index},{wire[1:]}'  # the wire form is an object with at least "$type" and "timestamp"


def document(index: int, entry: OplogEntry) -> dict[str, Any]:
    """One entry as a JSON-able dict (the wire form's fields, ``$type`` and ``index``)."""
    doc: dict[str, Any] = json.loads(document_text(index, entry))
    return doc


def parse_document(doc: dict[str, Any] | str) -> tuple[int, OplogEntry]:
    """The (index, entry) a document describes; OplogError if it is not one."""
    body = dict(json.loads(doc) if isinstance(doc, str) else doc)
    index = body.pop("index", None)
    if not isinstance(index, int) or isinstance(index, bool) or index < 1:
        raise OplogError(f"oplog document without a positive integer \"index\": {str(doc)[:200]}")
    return index, decode(json.dumps(body))


def parse_jsonl(text: str) -> list[tuple[int, OplogEntry]]:
    """Every (index, entry) of JSONL text, as ``golem-emu oplog --format jsonl`` prints it."""
    return [parse_document(line) for line in text.splitlines() if line.strip()]


def write_entries(out: TextIO, entries: Iterable[tuple[int, OplogEntry]], fmt: str) -> int:
    """Stream entries to ``out`` as ``json`` or ``jsonl``; returns how many were written."""
    if fmt not in ("json", "jsonl"):
        raise ValueError(f"unknown JSON format {fmt!r}; expected json or jsonl")
    count = 0
    if fmt == "json":
        out.write("[")
    for index, entry in entries:
        if fmt == "json":
            out.write("\n" if count == 0 else ",\n")
        out.write(document_text(index, entry))
        if fmt == "jsonl":
            out.write("\n")
        count += 1
    if fmt == "json":
        out.write("\n]\n" if count else "]\n")
    return count
