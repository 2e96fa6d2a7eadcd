"""Component values <-> text: WAVE (the ``wasm-wave`` syntax) and a typed JSON encoding.

Types may be given either as wasmtime-py 50 component ``ValType`` objects (e.g. from
``func.type(store).params``) or as the hashable descriptions of :mod:`emulator.wave.types`
(convert once with :func:`describe` when a type is used repeatedly).  Values use wasmtime-py's own
representation, documented in :mod:`emulator.wave.pyrepr`, so :func:`parse` results can be passed
straight to a component ``Func`` call and :func:`format` accepts what such a call returns.

* :func:`parse` / :func:`format` -- WAVE text; ``parse(format(v, t), t) == v``
* :func:`parse_args` -- CLI-style arguments for a function's parameters
* :func:`format_type` -- WIT-like type text for messages
* :func:`to_json` / :func:`from_json` -- typed JSON (see :mod:`emulator.wave.jsonval`)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.wave.jsonval import from_json, to_json
from emulator.wave.parser import parse
from emulator.wave.printer import format, format_float
from emulator.wave.types import (
    STRING,
    WaveError,
    WaveType,
    as_wave_type,
    describe,
    format_type,
)

__all__ = [
    "WaveError", "WaveType", "as_wave_type", "describe", "format", "format_float", "format_type",
    "from_json", "parse", "parse_args", "to_json",
]


def parse_args(args: Sequence[str], params: Sequence[tuple[str, Any]], *,
               func_name: str = "function") -> list[Any]:
    """Parse one WAVE text per parameter (``params`` as in ``FuncType.params``: (name, type) pairs).

    Like golem-cli this is lenient: for a ``string`` parameter, text that does not start with ``"``
    is taken literally as the string (``hello`` == ``"hello"``).  Every parameter needs its value, an
    ``option`` too (``none``): Golem refuses a call with fewer arguments than the function has parameters.

    Errors: ``f takes 2 arguments (a: u64, b: string), got 1`` and
    ``argument 2 (b: string): at column 1: ...``.
    """
    types = [(name, as_wave_type(ty)) for name, ty in params]
    if len(args) != len(types):
        sig = ", ".join(f"{name}: {format_type(t)}" for name, t in types)
        count = str(len(types))
        noun = "argument" if count == "1" else "arguments"
        raise WaveError(f"{func_name} takes {count} {noun} ({sig}), got {len(args)}")
    values: list[Any] = []
    for index, (name, t) in enumerate(types):
        text = args[index]
        if t == STRING and not text.lstrip().startswith('"'):
            values.append(text)
            continue
        try:
            values.append(parse(text, t))
        except WaveError as exc:
            raise WaveError(f"argument {index + 1} ({name}: {format_type(t)}): {exc}") from exc
    return values
