"""The wasmtime Engine, the compiled-artifact cache and what a loaded component offers."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import wasmtime
from wasmtime import component as wc

from emulator import values
from emulator.errors import UsageError
from emulator.runtime import component_files, resources

# Every Config flag we set must be part of the cache key: an artifact compiled under one configuration cannot
# be loaded by an engine with another (wasmtime refuses, e.g. epoch-enabled vs plain).
_ENGINE_FLAGS: dict[str, bool] = {"epoch_interruption": True, "wasm_component_model": True}


def _disable_concurrency_support(config: wasmtime.Config) -> None:
    """Turn off wasmtime's component-model-async machinery, which no WASI 0.2 guest needs.

    With it on (wasmtime 50's default), a host function defined through the C API traps with "BUG: deferred
    host scope has no call context" (resources.rs) as soon as one call lifts two borrowed handles: `poll`
    with two pollables (reqwest over wasi:http polls its request's future and a timeout together),
    `link-at` and `rename-at` (two descriptors). With it off, borrows are tracked the synchronous way.
    wasmtime-py has no Config property for it, so the C setter is called directly.
    """
    from wasmtime import _ffi as ffi

    setter = getattr(ffi, "wasmtime_config_concurrency_support_set", None)
    if setter is not None:
        setter(config.ptr(), False)


def _wasmtime_version() -> str:
    # The installed distribution's version, from its dist-info directory's name: importlib.metadata would
    # import the email package, a noticeable share of a short command's start-up.
    for info in Path(wasmtime.__file__).resolve().parent.parent.glob("wasmtime-*.dist-info"):
        return info.name[len("wasmtime-"):-len(".dist-info")]
    from importlib.metadata import version

    return version("wasmtime")


@dataclass(frozen=True)
class ExportedFunction:
    """One function a component exports: its Golem name, the instance it lives in and its signature."""

    name: str  # full Golem form: "pkg:name/iface.{func}" or plain "func" for a world-level export
    interface: str | None  # "pkg:name/iface@version" or None for a world-level function
    func: str
    params: tuple[tuple[str, Any], ...]
    result: Any | None
    drop: bool = False  # `[drop]resource`: no guest function, the worker drops the resource (resources.py)
    indexed: Any = None  # resources.IndexedResource for `counter("c1").inc-by`: the handle is passed for the caller
    bridge: ExportedFunction | None = None  # golem:http/incoming-handler.{handle}: the wasi:http export it calls


@dataclass
class LoadedComponent:
    """A compiled component plus what it imports and exports."""

    path: Path
    sha256: str
    component: wc.Component
    imports: dict[str, Any]  # import name -> wasmtime ComponentItem (instance type or func type)
    exports: dict[str, ExportedFunction] = field(default_factory=dict)
    link_plans: dict[str, Any] = field(default_factory=dict)  # by WASI mode; filled by runtime.linker
    linkers: dict[str, Any] = field(default_factory=dict)  # by WASI mode: one Linker for every instance

    def find_export(self, name: str) -> ExportedFunction:
        """Resolve a full `pkg:name/iface.{func}` name or a bare `func` when it is unambiguous."""
        if name in self.exports:
            return self.exports[name]
        found = resources.resolve(self.exports, name)
        if found is not None:
            return found
        matches = [e for e in self.exports.values() if e.func == name or _strip_version(e.name) == name]
        if len(matches) == 1:
            return matches[0]
        listing = ", ".join(sorted(self.exports)) or "(none)"
        if not matches:
            raise UsageError(f"{self.path.name} exports no function {name!r}; it exports: {listing}")
        names = ", ".join(sorted(m.name for m in matches))
        raise UsageError(f"function name {name!r} is ambiguous in {self.path.name}: use one of {names}")


def _strip_version(name: str) -> str:
    """`a:b/c@1.0.{f}` -> `a:b/c.{f}`, so users may omit export versions."""
    if "@" not in name:
        return name
    head, _, rest = name.partition("@")
    dot = rest.find(".{")
    return head + (rest[dot:] if dot >= 0 else "")


class Runtime:
    """Owns the wasmtime Engine and loads components through an on-disk artifact cache."""

    def __init__(self, cache_dir: Path, *, wasi: str = "golem") -> None:
        self.wasi = wasi  # "golem" (our durable WASI) or "wasmtime" (built-in, with journaled clocks/random)
        config = wasmtime.Config()
        for flag, value in _ENGINE_FLAGS.items():
            setattr(config, flag, value)
        _disable_concurrency_support(config)
        self.engine = wasmtime.Engine(config)
        self.cache_dir = cache_dir
        # Called around a first compilation (seconds for a componentize-py component): the CLI shows progress.
        self.on_compile: Callable[[Path, int], AbstractContextManager[object]] | None = None
        self._loaded: dict[str, LoadedComponent] = {}
        flags = ",".join(f"{k}={v}" for k, v in sorted(_ENGINE_FLAGS.items())) + ",concurrency_support=False"
        self._config_key = hashlib.sha256(f"{_wasmtime_version()}|{flags}".encode()).hexdigest()[:16]

    def load(self, path: str | os.PathLike[str], *, expect_digest: str | None = None) -> LoadedComponent:
        """Load (and cache) the component at `path`; a clear UsageError if it is not one.

        The file is known by its path, size and mtime (component_files): a file seen before, in this process
        or in an earlier one, is neither read nor hashed again. `expect_digest`: the sha256 the file must have
        (a kept copy named by its hash); a UsageError if it changed."""
        p = Path(path)
        digest, data = component_files.digest(p, self.cache_dir)
        if expect_digest is not None and digest != expect_digest:
            raise UsageError(
                f"{p} no longer holds the component it was kept as (sha256 {expect_digest[:12]}...): it was "
                "rewritten in place; pass the component explicitly with `golem-emu invoke COMPONENT --worker NAME`"
            )
        loaded = self._loaded.get(digest)
        if loaded is not None:
            # The same code under another file name (a copy, a kept file) is still that file: a new worker's
            # component is named after the file it was given, not after the first path this process saw.
            return loaded if loaded.path == p else replace(loaded, path=p)
        component = self._compile_cached(p, data, digest)
        imports = {name: ext.ty for name, ext in component.type.imports(self.engine).items()}
        loaded = LoadedComponent(p, digest, component, imports)
        loaded.exports = _collect_exports(self.engine, component)
        self._loaded[digest] = loaded
        return loaded

    def loaded_file(self, digest: str) -> Path | None:
        """The file this process loaded the component with sha256 `digest` from, if it did."""
        loaded = self._loaded.get(digest)
        return loaded.path if loaded is not None else None

    def artifact_path(self, digest: str) -> Path:
        """Where the compiled artifact for a wasm file with this sha256 lives."""
        return self.cache_dir / f"{digest}-{self._config_key}.cwasm"

    def _compile_cached(self, p: Path, data: bytes | None, digest: str) -> wc.Component:
        artifact = self.artifact_path(digest)
        if artifact.exists():
            try:
                return wc.Component.deserialize_file(self.engine, str(artifact))
            except wasmtime.WasmtimeError:
                artifact.unlink(missing_ok=True)  # stale or truncated: recompile below
        if data is None:
            data = component_files.read(p)
            if hashlib.sha256(data).hexdigest() != digest:
                raise UsageError(f"component file {p} changed while it was being loaded; run the command again")
        component_files.check_header(p, data)  # a core module or not wasm at all: say so before compiling
        try:
            with self.on_compile(p, len(data)) if self.on_compile else nullcontext():
                component = wc.Component(self.engine, data)
        except wasmtime.WasmtimeError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else "invalid"
            raise component_files.not_a_component(p, data, first) from None
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a concurrent or killed process never sees a half-written artifact.
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(component.serialize())
        os.replace(tmp, artifact)
        return component


def _collect_exports(engine: wasmtime.Engine, component: wc.Component) -> dict[str, ExportedFunction]:
    out: dict[str, ExportedFunction] = {}
    for name, ext in component.type.exports(engine).items():
        ty = ext.ty
        if isinstance(ty, wc.FuncType):
            out[name] = _export(name, None, name, ty)
        elif isinstance(ty, wc.ComponentInstanceType):
            functions = ty.exports(engine)
            if name == "exports" and {f for f, e in functions.items() if isinstance(e.ty, wc.FuncType)} == {"init"}:
                continue  # componentize-py's own start-up hook, not part of the component's API
            for fname, fext in functions.items():
                fty = fext.ty
                if isinstance(fty, wc.FuncType):
                    full = f"{name}.{{{fname}}}"
                    out[full] = _export(full, name, fname, fty)
    return out


def _export(full: str, interface: str | None, func: str, ty: wc.FuncType) -> ExportedFunction:
    # Describe the types once: wasmtime-py queries its C API again on every type property access.
    params = tuple((p, values.describe(t)) for p, t in ty.params)
    result = ty.result
    return ExportedFunction(full, interface, func, params, None if result is None else values.describe(result))
