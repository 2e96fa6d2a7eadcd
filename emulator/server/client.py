"""How the CLI finds and calls a `golem-emu serve` of its data dir. Imports nothing heavy: a command that
goes through the server never loads wasmtime itself."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.errors import EmulatorError, UsageError

SERVER_FILE = "server.json"  # in the data dir: {"pid": ..., "port": ..., "started": ...}, while a server runs


class ServerGone(Exception):
    """The server could not be reached, or went away before it answered (then the call may be half done)."""


@dataclass(frozen=True)
class RemoteResult:
    """An invocation's result as the server reported it (the fields the CLI prints)."""

    idempotency_key: str
    function: str
    response: str | None
    status: str
    cached: bool = False
    promise: tuple[str, int] | None = None
    output: str = ""
    detail: str | None = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_server_file(data_dir: Path, *, check_alive: bool = True) -> tuple[int, int] | None:
    """(pid, port) of the server of `data_dir`, if its file is there (and, by default, its process alive)."""
    try:
        info = json.loads((data_dir / SERVER_FILE).read_text())
        pid, port = int(info["pid"]), int(info["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if check_alive and not _alive(pid):
        return None
    return pid, port


def request(port: int, method: str, path: str, body: Any = None, timeout: float | None = None) -> tuple[int, Any]:
    """One JSON request to the server on 127.0.0.1:`port`: (status, decoded body). ServerGone if unreachable."""
    import http.client  # only when a server runs: 25 ms of a plain `invoke`'s start-up otherwise

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        try:
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        except OSError as e:
            raise ServerGone(f"cannot reach the server on port {port} ({e})") from None
        try:
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as e:
            raise ServerGone(f"the server on port {port} went away ({e})") from None
        return response.status, json.loads(payload or b"null")
    finally:
        conn.close()


def invoke(port: int, body: dict[str, Any]) -> RemoteResult:
    """Run one invocation in the server; its EmulatorErrors are raised here as UsageError or EmulatorError."""
    status, answer = request(port, "POST", "/golem-emu/invoke", body)
    if status != 200:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        message = str(error.get("message", f"the server answered {status}"))
        if error.get("kind") == "Interrupted":
            raise KeyboardInterrupt
        raise (UsageError if error.get("kind") == "UsageError" else EmulatorError)(message)
    promise = answer.get("promise")
    return RemoteResult(
        answer["idempotency_key"], answer["function"], answer["response"], answer["status"],
        bool(answer.get("cached")), (str(promise[0]), int(promise[1])) if promise else None,
        answer.get("output") or "", answer.get("detail"),
    )
