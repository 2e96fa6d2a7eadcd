"""A store decodes each entry once per process, and still sees what other processes append or delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.oplog import SqliteStore
from emulator.oplog.entries import Create, Log


def _create(name: str, ts: int) -> Create:
    return Create(worker_name=name, component="c", component_hash="h", timestamp=ts)


def test_entries_are_decoded_once_and_appends_are_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import emulator.oplog.sqlite_oplog as store_module

    decoded: list[str] = []
    real = store_module.decode  # type: ignore[attr-defined]

    def counting(text: str | bytes, parts: object = None) -> object:
        decoded.append(str(text))
        return real(text, parts)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "decode", counting)
    with SqliteStore(tmp_path / "oplog.db") as a, SqliteStore(tmp_path / "oplog.db") as b:
        a.create_worker("w", _create("w", 1))
        a.append("w", 2, [Log(level="stdout", context="", message=f"m{i}") for i in range(3)])
        assert [i for i, _ in a.read("w")] == [1, 2, 3, 4]
        assert len(decoded) == 4
        assert [i for i, _ in a.read("w", 2, 3)] == [2, 3]
        assert len(decoded) == 4  # served from what was decoded
        b.append("w", 5, [Log(level="stdout", context="", message="from another process")])
        last = a.read("w")[-1]
        assert last[0] == 5 and isinstance(last[1], Log) and last[1].message == "from another process"
        assert len(decoded) == 5  # only the new entry
        b.delete_worker("w")
        assert a.read("w") == []
        b.create_worker("w", _create("w", 2))  # the same name again: a new oplog
        assert [e for _, e in a.read("w")] == [_create("w", 2)]
