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


# Host-to-guest bytes (HTTP bodies, file and stdin reads) go through a reused array of u8 values whose kind
# bytes are set once: each call writes only the payload bytes and lets the C API copy the array. Reads of up
# to _TEMPLATE_MAX bytes use it (a few MiB of C memory at most); larger ones are filled in place.
_TEMPLATE_MAX = 1 << 18
_template: Any = None
_template_len = 0


def _u8_template(n: int) -> Any:
    global _template, _template_len
    if n > _template_len:
        _template_len = min(_TEMPLATE_MAX, max(n, 2 * _template_len, 1 << 16))
        _template = (_VAL * _template_len)()
        memoryview(_template).cast("B")[0::_STRIDE] = bytes((_U8,)) * _template_len
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
    elif n <= _TEMPLATE_MAX:
        template = _u8_template(n)
        memoryview(template).cast("B")[_PAYLOAD:_PAYLOAD + n * _STRIDE:_STRIDE] = val
        ffi.wasmtime_component_vallist_new(raw, n, template)
    else:
        ffi.wasmtime_component_vallist_new_uninit(raw, n)
        address = ctypes.cast(raw.data, ctypes.c_void_p).value
        assert address is not None
        view = memoryview((ctypes.c_char * (n * _STRIDE)).from_address(address)).cast("B")
        view[0::_STRIDE] = bytes((_U8,)) * n
        view[_PAYLOAD::_STRIDE] = val
    ptr.contents.kind = ffi.WASMTIME_COMPONENT_LIST
    ptr.contents.of.list = raw


def install() -> bool:
    """Patch wasmtime-py's ListType (idempotent); False, leaving it alone, if the layout is unexpected."""
    if not _layout_is_known():
        return False
    _types.ListType.convert_from_c = bytes_from_c  # type: ignore[method-assign]
    _types.ListType.convert_to_c = bytes_to_c  # type: ignore[method-assign]
    return True
