"""One wasmtime instance of a worker: its Store, its linker-bound host context, its captured output."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import wasmtime
from wasmtime import component as wc

from emulator import values
from emulator.errors import ComponentError, UsageError
from emulator.host.context import HostContext, WorkerInfo
from emulator.runtime.engine import ExportedFunction, LoadedComponent, Runtime
from emulator.runtime.linker import bind, shared_linker, unbind
from emulator.runtime.resources import ResourceTable

# One epoch tick: nothing bumps the engine's epoch except an interrupt request (see control.py).
_INTERRUPT_DEADLINE = 1


class Instance:
    """One wasmtime instance of a worker plus its host context; discarded after a trap."""

    def __init__(self, runtime: Runtime, loaded: LoadedComponent, ctx: HostContext, info: WorkerInfo) -> None:
        self.loaded = loaded
        self.ctx = ctx
        self.store = wasmtime.Store(runtime.engine)
        self.store.set_epoch_deadline(_INTERRUPT_DEADLINE)
        self._output: list[str] = []  # guest output journaled by our WASI, in order
        self._out_path: str | None = None
        self._funcs: dict[str, wc.Func] = {}
        self.resources = ResourceTable()  # the exported resources this instance holds, by worker resource id
        if runtime.wasi == "golem":
            forward = ctx.on_output

            def collect(stream: str, text: str) -> None:
                self._output.append(text)
                if forward is not None:
                    forward(stream, text)

            ctx.on_output = collect
        else:  # wasmtime's built-in WASI writes stdout/stderr to a file we read back
            fd, self._out_path = tempfile.mkstemp(prefix="golem-emu-out-")
            os.close(fd)
            wasi = wasmtime.WasiConfig()
            wasi.argv = [info.name, *info.args]
            wasi.env = [list(kv) for kv in info.env]
            wasi.stdout_file = self._out_path
            wasi.stderr_file = self._out_path
            self.store.set_wasi(wasi)
        linker = shared_linker(runtime.engine, loaded, runtime.wasi)
        bind(self.store, ctx)
        try:
            self.instance = linker.instantiate(self.store, loaded.component)
        except wasmtime.WasmtimeError as e:
            self.close()
            raise ComponentError(f"cannot instantiate {loaded.path.name}: {one_line(e)}") from None
        except BaseException:
            self.close()
            raise

    def func(self, export: ExportedFunction) -> wc.Func:
        """The callable for an export, looked up once per instance."""
        f = self._funcs.get(export.name)
        if f is None:
            parent = None
            if export.interface is not None:
                parent = self.loaded.component.get_export_index(export.interface)
            idx = self.loaded.component.get_export_index(export.func, parent)
            found = self.instance.get_func(self.store, idx) if idx is not None else None
            if found is None:
                raise ComponentError(f"{self.loaded.path.name} has no callable export {export.name}")
            f = self._funcs[export.name] = found
        return f

    def output_mark(self) -> int:
        """A position in the captured guest output."""
        if self._out_path is None:
            return len(self._output)
        return os.path.getsize(self._out_path)

    def output_since(self, mark: int) -> str:
        """Guest output captured after `mark`."""
        if self._out_path is None:
            return "".join(self._output[mark:])
        with open(self._out_path, "rb") as f:
            f.seek(mark)
            return f.read().decode("utf-8", errors="replace")

    def close(self) -> None:
        """Free the Store now and forget the captured output.

        The shared linker's host functions find this instance's HostContext through a process-wide table
        (linker.bind), and the context reaches this Instance and so its Store: left to the garbage collector,
        that cycle through a global root is never freed, and each discarded instance would keep its linear
        memory and its open files for the life of the process. Closing twice is harmless.
        """
        self._funcs.clear()
        self.resources = ResourceTable()
        unbind(self.store)
        self.store.close()
        self._output.clear()
        if self._out_path is not None:
            Path(self._out_path).unlink(missing_ok=True)


def snapshot_export(loaded: LoadedComponent, interface: str, func: str) -> ExportedFunction:
    """The component's golem:api save-snapshot/load-snapshot export (any version)."""
    for export in loaded.exports.values():
        if export.func == func and (export.interface or "").startswith(f"golem:api/{interface}"):
            return export
    raise UsageError(f"{loaded.path.name} does not export golem:api/{interface}; a snapshot update needs it")


def call_snapshot(inst: Instance, interface: str, func: str, args: list[Any]) -> Any:
    """Call save-snapshot/load-snapshot in Golem's snapshotting mode (live, nothing journaled): the saved
    bytes, or for load-snapshot None on success and the error text otherwise."""
    export = snapshot_export(inst.loaded, interface, func)
    callable_ = inst.func(export)
    inst.ctx.durability.snapshotting = True
    try:
        value = callable_(inst.store, *args)
        callable_.post_return(inst.store)
    finally:
        inst.ctx.durability.snapshotting = False
    if interface == "save-snapshot":
        return bytes(value)
    text = values.format(value, export.result) if export.result is not None else "ok"
    return None if text.startswith("ok") else text


def one_line(e: BaseException) -> str:
    """wasmtime's multi-line error (with its 'Caused by' chain) folded into one line."""
    parts = [line.strip() for line in str(e).splitlines() if line.strip() and line.strip() != "Caused by:"]
    return ": ".join(parts) if parts else type(e).__name__
