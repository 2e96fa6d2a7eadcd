"""Fast `list<u8>` conversion for wasmtime-py 50 host functions.

wasmtime-py hands a `list<u8>` across the C API as one 32-byte tagged value per byte and converts each in
Python (about 1 µs a byte: 4 KiB of stdout cost 3.6 ms). The values lie in one contiguous array, so the
bytes are read or written with a single strided slice instead. Installed once, for every ListType of u8,
and only if the C layout is the one this was written against.
"""

from __future__ import annotations

import ctypes
from typing import Any

from wasmtime import _ffi as ffi
from wasmtime.component import _types

_VAL = ffi.wasmtime_component_val_t
_STRIDE = ctypes.sizeof(_VAL)
_PAYLOAD = _VAL.of.offset  # the union; its u8 member sits at its start
_U8 = ffi.WASMTIME_COMPONENT_U8.value
_LIST = ffi.WASMTIME_COMPONENT_LIST.value

_original_from_c = _types.ListType.convert_from_c
_original_to_c = _types.ListType.convert_to_c


def _layout_is_known() -> bool:
    return (
        _STRIDE == 32 and _PAYLOAD == 8 and _VAL.kind.offset == 0 and _VAL.kind.size == 1
        and getattr(ffi.wasmtime_component_valunion_t, "u8").offset == 0  # noqa: B009 - the stubs lack it
    )


def bytes_from_c(self: Any, c: Any) -> Any:
    """ListType.convert_from_c, with list<u8> read in one slice."""
    if not self._is_bytes():
        return _original_from_c(self, c)
    assert c.kind == _LIST
    try:
        n = c.of.list.size
        if n == 0:
            return b""
        address = ctypes.cast(c.of.list.data, ctypes.c_void_p).value
        assert address is not None
        raw = ctypes.string_at(address, n * _STRIDE)
        return raw[_PAYLOAD::_STRIDE]
    finally:
        ffi.wasmtime_component_vallist_delete(ctypes.byref(c.of.list))  # u8 elements own nothing


# Host-to-guest bytes (HTTP bodies, file and stdin reads) are laid out in a bytearray whose kind bytes are set
# once: each call writes only the payload bytes (a bytearray's extended-slice assignment is a tight C loop,
# about 8x faster than a memoryview's, which copies element by element) and lets the C API copy the array.
# Reads of up to _TEMPLATE_MAX bytes reuse one (a few MiB at most); larger ones get a temporary one.
_TEMPLATE_MAX = 1 << 18
_template = bytearray()
_template_len = 0


def _u8_array(n: int) -> bytearray:
    """A bytearray of at least n u8 values whose kind bytes are set (payloads are stale)."""
    global _template, _template_len
    if n > _TEMPLATE_MAX:
        array = bytearray(n * _STRIDE)
        array[0::_STRIDE] = bytes((_U8,)) * n
        return array
    if n > _template_len:
        _template_len = min(_TEMPLATE_MAX, max(n, 2 * _template_len, 1 << 16))
        _template = bytearray(_template_len * _STRIDE)
        _template[0::_STRIDE] = bytes((_U8,)) * _template_len
    return _template


def bytes_to_c(self: Any, store: Any, val: Any, ptr: Any) -> None:
    """ListType.convert_to_c, with list<u8> written in one copy."""
    if not self._is_bytes():
        _original_to_c(self, store, val, ptr)
        return
    if not isinstance(val, bytes | bytearray):
        raise TypeError("expected bytes value")
    n = len(val)
    raw = ffi.wasmtime_component_vallist_t()
    if n == 0:
        ffi.wasmtime_component_vallist_new_empty(raw)
    else:
        array = _u8_array(n)
        array[_PAYLOAD:_PAYLOAD + n * _STRIDE:_STRIDE] = val
        ffi.wasmtime_component_vallist_new(raw, n, (_VAL * n).from_buffer(array))
    ptr.contents.kind = ffi.WASMTIME_COMPONENT_LIST
    ptr.contents.of.list = raw


def install() -> bool:
    """Patch wasmtime-py's ListType (idempotent); False, leaving it alone, if the layout is unexpected."""
    if not _layout_is_known():
        return False
    _types.ListType.convert_from_c = bytes_from_c  # type: ignore[method-assign]
    _types.ListType.convert_to_c = bytes_to_c  # type: ignore[method-assign]
    return True
