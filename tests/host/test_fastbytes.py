"""The list<u8> fast path gives exactly what wasmtime-py's own element-by-element conversion gives."""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

import pytest
from wasmtime import _ffi as ffi
from wasmtime.component import ListType

from emulator.host import _fastbytes
from emulator.runtime.engine import Runtime
from tests.conftest import wat_component


@pytest.fixture
def bytes_type(runtime: Runtime, tmp_path: Path) -> Any:
    """The list<u8> type of a real import: the `contents` of output-stream.blocking-write-and-flush."""
    loaded = runtime.load(wat_component("wasi_020", tmp_path))
    streams = loaded.imports["wasi:io/streams@0.2.0"].exports(runtime.engine)
    [_, (_, ty)] = streams["[method]output-stream.blocking-write-and-flush"].ty.params
    assert isinstance(ty, ListType) and ty._is_bytes()
    return ty


@pytest.mark.parametrize("data", [b"", b"\x00", bytes(range(256)) * 17, bytes(range(256)) * 1100])  # last: > template
def test_fast_and_original_conversions_agree(bytes_type: Any, data: bytes) -> None:
    assert _fastbytes.install()
    for to_c, from_c in ((_fastbytes.bytes_to_c, _fastbytes._original_from_c),
                         (_fastbytes._original_to_c, _fastbytes.bytes_from_c)):
        val = ffi.wasmtime_component_val_t()
        to_c(bytes_type, None, data, ctypes.pointer(val))
        assert from_c(bytes_type, val) == data

