"""Give this world's wasi:http and wasi:io bindings the module names poll_loop and requests-wasi-http import.

Both import `wit_world.imports.types` and `wit_world.imports.poll`. Because this world also imports
golem:api/host (which pulls in golem:rpc/types and an older wasi:io/poll), componentize-py qualifies the
clashing names instead (`wasi_http_types`, `wasi_io_poll_0_2_12`). requests-wasi-http also looks for `Err` in
`wit_world.types`, where componentize-py 0.25 no longer puts it (it is in `componentize_py_types`).
Import this module before either library.
"""

import importlib
import sys

import componentize_py_types
import wit_world
import wit_world.imports as imports

_CANDIDATES = {
    "types": ("types", "wasi_http_types", "wasi_http_types_0_2_12"),
    "poll": ("poll", "wasi_io_poll_0_2_12", "wasi_io_poll"),
}


def _alias(short: str) -> None:
    for name in _CANDIDATES[short]:
        try:
            module = importlib.import_module(f"wit_world.imports.{name}")
        except ImportError:
            continue
        sys.modules[f"wit_world.imports.{short}"] = module
        setattr(imports, short, module)
        return
    raise ImportError(f"no wasi bindings module for wit_world.imports.{short}")


_alias("types")
_alias("poll")
if "wit_world.types" not in sys.modules:
    sys.modules["wit_world.types"] = componentize_py_types
    wit_world.types = componentize_py_types  # type: ignore[attr-defined]
