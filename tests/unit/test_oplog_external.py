"""External payloads: long strings of an entry stored out of line (raw bytes for HTTP body chunks).

The inline wire form (codec.encode) never changes; tests/golden/codec/external-payload.json pins the store's
form with its reference markers, and the SQLite store resolves them transparently on every read.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from emulator.errors import OplogError
from emulator.oplog import WRITE_REMOTE_BATCHED, DurableFunctionType, SqliteStore, decode, encode
from emulator.oplog.codec import EXTERNAL_MIN_CHARS, encode_external
from emulator.oplog.entries import Base64Text, Create, ImportedFunctionInvoked, Log
from emulator.oplog.schema import SCHEMA_VERSION

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
TS = 1_717_000_000_123
BODY = bytes(range(256)) * 256  # 64 KiB: its base64 text is longer than EXTERNAL_MIN_CHARS
TEXT = "é\ud800" + "x" * EXTERNAL_MIN_CHARS  # not base64: stored as UTF-8 (a lone surrogate survives too)


def sample() -> ImportedFunctionInvoked:
    return ImportedFunctionInvoked(
        timestamp=TS, function_name="http::types::incoming_body_stream::blocking_read", request=65536,
        response={"ok": {"data": Base64Text(BODY), "$note": [TEXT, "short", 1.5]}},
        function_type=DurableFunctionType("write-remote-batched", 7),
    )


def test_golden_external_payload() -> None:
    text, parts = encode_external(sample())
    assert text == (GOLDEN / "codec" / "external-payload.json").read_text(encoding="utf-8").removesuffix("\n")
    assert parts == [TEXT.encode("utf-8", "surrogatepass"), BODY]  # in the text's (sorted) key order
    back = decode(text, parts)
    assert back == sample()
    assert isinstance(back, ImportedFunctionInvoked) and isinstance(back.response, dict)
    data = back.response["ok"]["data"]  # type: ignore[call-overload,index]
    assert isinstance(data, Base64Text) and data.raw == BODY
    assert encode_external(back) == (text, parts)


def test_inline_form_is_unchanged() -> None:
    entry = sample()
    inline = encode(entry)
    assert '"$external"' not in inline and str(entry.response["ok"]["data"]) in inline  # type: ignore[call-overload,index]
    assert decode(inline) == entry


def test_short_strings_stay_inline() -> None:
    entry = ImportedFunctionInvoked(
        timestamp=TS, function_name="f", request=None, response={"ok": {"data": Base64Text(b"x" * 1000)}},
        function_type=WRITE_REMOTE_BATCHED,
    )
    assert encode_external(entry) == (encode(entry), [])


def test_references_need_their_parts() -> None:
    text, parts = encode_external(sample())
    with pytest.raises(OplogError, match="external payload"):
        decode(text)
    with pytest.raises(OplogError, match="has 3 bytes"):
        decode(text, [parts[0], b"abc"])


def test_store_keeps_raw_bytes_and_resolves_them(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "o.db")
    store.create_worker("w", Create(worker_name="w", component="c", component_hash="ab" * 32, timestamp=1))
    log = Log(level="info", context="c", message="m", timestamp=2)
    store.append("w", 2, [log, sample(), log, sample()])
    assert store.read("w", 2) == [(2, log), (3, sample()), (4, log), (5, sample())]
    assert store.entry("w", 5) == sample()
    assert list(store.iter_entries("w", 3, chunk=1)) == [(3, sample()), (4, log), (5, sample())]
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT idx, part, length(data) FROM payloads ORDER BY idx, part").fetchall() == [
        (3, 0, len(TEXT) + 3), (3, 1, len(BODY)), (5, 0, len(TEXT) + 3), (5, 1, len(BODY)),
    ]
    assert db.execute("SELECT MAX(length(body)) FROM oplog").fetchone()[0] < 1000
    store.delete_worker("w")
    assert db.execute("SELECT COUNT(*) FROM payloads").fetchone()[0] == 0
    db.close()
    store.close()


def test_version_1_files_are_read_and_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    store = SqliteStore(path)
    store.create_worker("w", Create(worker_name="w", component="c", component_hash="ab" * 32, timestamp=1))
    store.close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE payloads")
    db.execute("DROP TABLE summaries")  # added by a later migration than 2
    db.execute("DROP TABLE crashes")  # added by migration 4
    db.execute("ALTER TABLE components DROP COLUMN env")  # added by migration 5
    db.execute("DROP TABLE component_files")  # added by migration 6
    db.execute("ALTER TABLE components DROP COLUMN ephemeral")  # added by migration 7
    db.execute("DROP TABLE invocation_queue")  # added by migration 8
    db.execute("UPDATE meta SET schema_version = 1")
    db.commit()
    readonly = SqliteStore.open_readonly(path)
    assert readonly.last_index("w") == 1 and readonly.entry("w", 1).kind == "create"
    readonly.close()
    store = SqliteStore(path)
    store.append("w", 2, [sample()])
    assert store.entry("w", 2) == sample()
    store.close()
    assert db.execute("SELECT schema_version FROM meta").fetchone()[0] == SCHEMA_VERSION
    db.close()
