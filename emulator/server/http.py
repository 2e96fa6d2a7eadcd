"""The HTTP side of `golem-emu serve`: 127.0.0.1 only, JSON in and out.

Routes (Golem's worker service shapes where they cost little; component ids are golem-emu's, derived from the
component name as `golem-emu workers --format jsonl` shows them):

* ``POST /golem-emu/invoke`` - what the CLI sends: component path, worker, function, WAVE args, options.
* ``POST /v1/components/{id}/workers/{worker}/invoke-and-await?function=F`` with ``{"params": [{"value": v}]}``
  (values in golem-emu's typed JSON, header ``Idempotency-Key``) -> ``{"result": {"value": v}}``: an existing
  worker, on the component it runs.
* ``GET /v1/components/{id}/workers/{worker}`` - the worker's metadata.
* ``GET /v1/components/{id}/workers/{worker}/oplog?from=N&count=M`` - entries in the oplog JSON format.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from emulator.errors import EmulatorError, UsageError, WorkerNotFound
from emulator.server.client import SERVER_FILE, read_server_file
from emulator.server.pool import WarmPool, result_json

_WORKER_ROUTE = re.compile(r"^/v1/components/([^/]+)/workers/([^/]+)(/oplog|/invoke-and-await)?$")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the CLI's own output is what users read

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, default=str).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client went away (a Ctrl-C): the invocation is recorded all the same

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except ValueError as e:
            raise UsageError(f"the request body is not JSON ({e})") from None

    def _guard(self, action: Any) -> None:
        try:
            self._send(200, action())
        except WorkerNotFound as e:
            self._send(404, _error(e))
        except UsageError as e:
            self._send(400, _error(e))
        except EmulatorError as e:
            self._send(500, _error(e))
        except KeyboardInterrupt:  # the guest was interrupted (golem-emu interrupt): it resumes later
            self._send(409, {"error": {"kind": "Interrupted", "message": "the invocation was interrupted; "
                                       "continue it with `golem-emu resume WORKER`"}})

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self._send(200, {"pid": os.getpid(), "warm": self.server.pool.warm()})
            return
        match = _WORKER_ROUTE.match(url.path)
        if match is None or match.group(3) == "/invoke-and-await":
            self._send(404, {"error": {"kind": "NotFound", "message": f"no route {url.path}"}})
            return
        worker = unquote(match.group(2))
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if match.group(3) == "/oplog":
            self._guard(lambda: self.server.oplog(worker, int(query.get("from", 1)), int(query.get("count", 100))))
        else:
            self._guard(lambda: self.server.metadata(worker))

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        if url.path == "/golem-emu/invoke":
            self._guard(lambda: self.server.invoke(self._body()))
            return
        match = _WORKER_ROUTE.match(url.path)
        if match is not None and match.group(3) == "/invoke-and-await":
            function = parse_qs(url.query).get("function", [""])[-1]
            key = self.headers.get("Idempotency-Key")
            self._guard(lambda: self.server.invoke_and_await(unquote(match.group(2)), function, self._body(), key))
            return
        self._send(404, {"error": {"kind": "NotFound", "message": f"no route {url.path}"}})


def _error(e: EmulatorError) -> dict[str, Any]:
    notes = "; ".join(getattr(e, "__notes__", []))
    kind = "UsageError" if isinstance(e, UsageError) else type(e).__name__
    return {"error": {"kind": kind, "message": f"{e} ({notes})" if notes else str(e)}}


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # a clean stop lets a running invocation finish and commit

    def __init__(self, pool: WarmPool, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.pool = pool

    def invoke(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise UsageError("the request body must be a JSON object")
        try:
            result = self.pool.invoke(
                str(body["component"]), str(body["worker"]), str(body["function"]), [str(a) for a in body["args"]],
                idempotency_key=body.get("idempotency_key"), env=[tuple(kv) for kv in body.get("env", [])],
                worker_args=[str(a) for a in body.get("worker_args", [])], semantics=body.get("semantics"),
                no_wait=bool(body.get("no_wait")),
            )
        except KeyError as e:
            raise UsageError(f"the invoke request lacks {e.args[0]!r}") from None
        return result_json(result)

    def invoke_and_await(self, worker: str, function: str, body: Any, key: str | None) -> dict[str, Any]:
        from emulator import values
        from emulator.runtime.worker import prepare_call
        from emulator.wave import jsonval

        path = self._component_of(worker)
        loaded = self.pool.runtime.load(path)
        export = loaded.find_export(function)
        params = body.get("params", []) if isinstance(body, dict) else None
        if not isinstance(params, list) or len(params) != len(export.params):
            raise UsageError(f"{export.name} takes {len(export.params)} parameters: send {{\"params\": [...]}}")
        wave = [values.format(jsonval.from_json(p.get("value") if isinstance(p, dict) else p, ty), ty)
                for p, (_, ty) in zip(params, export.params, strict=True)]
        prepare_call(loaded, export.name, wave)
        result = self.pool.invoke(str(path), worker, export.name, wave, idempotency_key=key)
        value = None
        if result.response is not None and export.result is not None:
            value = jsonval.to_json(values.parse(result.response, export.result), export.result)
        return {"result": {"value": value, "wave": result.response}, "status": result.status}

    def _component_of(self, worker: str) -> Path:
        from emulator.lifecycle.management import current_component_hash

        if not self.pool.store.has_worker(worker):
            raise WorkerNotFound(f"no worker named {worker!r}; create it with `golem-emu invoke COMPONENT -w NAME`")
        current = current_component_hash([e for _, e in self.pool.store.read(worker)])
        return self.pool.components_dir / f"{current}.wasm"

    def metadata(self, worker: str) -> dict[str, Any]:
        from emulator.runtime.catalog import list_workers

        for row in list_workers(self.pool.store):
            if row["name"] == worker:
                return {"workerId": {"componentId": str(row["component_uuid"]), "workerName": worker},
                        "args": row["args"], "env": dict(row["env"]), "status": row["status"],
                        "componentVersion": row["component_version"], "createdAt": row["created_at"],
                        "lastError": row["last_error"], "oplogLength": row["oplog_length"]}
        raise WorkerNotFound(f"no worker named {worker!r}")

    def oplog(self, worker: str, start: int, count: int) -> dict[str, Any]:
        from emulator.inspect.export import document

        if not self.pool.store.has_worker(worker):
            raise WorkerNotFound(f"no worker named {worker!r}")
        last = self.pool.store.last_index(worker)
        entries = self.pool.store.read(worker, max(1, start), min(last, start + max(0, count) - 1))
        nxt = entries[-1][0] + 1 if entries and entries[-1][0] < last else None
        return {"entries": [document(i, e) for i, e in entries], "next": nxt, "firstIndexInChunk": start,
                "lastIndex": last}


def raise_open_file_limit(wanted: int = 65536) -> int:
    """Raise this process's soft limit of open files towards its hard limit (at most `wanted`); the new limit.

    A warm worker keeps its SQLite connections open, about 7 files per replica with replication on, so a
    server holding tens of replicated workers would pass the usual soft limit of 1024 long before the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return int(soft)


def serve(data_dir: Path, port: int = 0, ready: Any = None) -> None:
    """Serve `data_dir` until SIGINT or SIGTERM; then finish the running invocation, commit and remove the
    server file. `ready(port)` is called once the server listens."""
    from emulator.oplog.store import SqliteStore
    from emulator.runtime.component_files import cache_dir
    from emulator.runtime.engine import Runtime

    existing = read_server_file(data_dir)
    if existing is not None:
        raise UsageError(f"a golem-emu server already runs for {data_dir} (pid {existing[0]}, port {existing[1]}); "
                         "stop it first (Ctrl-C or kill PID)")
    raise_open_file_limit()
    store = SqliteStore(data_dir / "oplog.db")
    pool = WarmPool(Runtime(cache_dir()), store, data_dir / "components")
    server = _Server(pool, port)
    stop = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        stop.set()

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="http")
    file = data_dir / SERVER_FILE
    try:
        thread.start()
        bound = server.server_address[1]
        tmp = file.with_name(f".{file.name}.{os.getpid()}")
        tmp.write_text(json.dumps({"pid": os.getpid(), "port": bound, "started": int(time.time())}))
        os.replace(tmp, file)
        if ready is not None:
            ready(bound)
        while not stop.wait(0.5):
            pass
    finally:
        if read_server_file(data_dir, check_alive=False) == (os.getpid(), server.server_address[1]):
            file.unlink(missing_ok=True)
        server.shutdown()
        server.server_close()  # joins the request threads: a running invocation finishes and commits
        thread.join()
        pool.close()
        store.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
