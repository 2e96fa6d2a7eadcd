"""WAVE (WebAssembly Value Encoding) codec for wasmtime-py component values.

Public API is re-exported by :mod:`emulator.values`; see there.
"""

from emulator.wave.jsonval import from_json, to_json
from emulator.wave.parser import parse
from emulator.wave.printer import format, format_float
from emulator.wave.types import WaveError, WaveType, as_wave_type, describe, format_type

__all__ = [
    "WaveError", "WaveType", "as_wave_type", "describe", "format", "format_float", "format_type",
    "from_json", "parse", "to_json",
]
