"""Scenario files: a durable workflow's story as TOML steps, with expectations checked against the oplog.

    component = "../guests/build/counter.wasm"     # relative to the file; ${NAME} is taken from the environment

    [[step]]
    create = "w"                                   # a worker, with env = {K = "V"} and semantics = "golem-1.2"
    [[step]]
    invoke = "w"                                   # function, args (WAVE strings), key; crash-at = a point name
    function = "increment"
    key = "k1"
    crash-at = "after:commit@2"
    [[step]]
    restart = true                                 # a new process: the executor resumes what it finds
    [[step]]
    expect = "w"                                   # status, result = {key, value}, oplog = a --query expression
    status = "idle"                                # (oplog-count = how many entries match), effect + times

Other steps: resume, complete = {worker, index, data} (a promise), interrupt, revert = {worker, to-index or
last-invocations}, fork = {worker, into, at}, update = {worker, component, mode}, wait = "worker" (resume it
once its promise is complete). A promise to complete is the one the worker's last invocation awaits, unless
index = N names it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.chaos.harness import Emulator
from emulator.chaos.network import Network
from emulator.chaos.points import RAISE, Chaos
from emulator.errors import EmulatorError, UsageError
from emulator.inspect.query import parse as parse_query
from emulator.lifecycle import management
from emulator.lifecycle.status import WorkerStatus
from emulator.oplog.entries import Interrupted
from emulator.oplog.oplog import Oplog
from emulator.signals import CrashSignal

_KINDS = ("create", "invoke", "restart", "resume", "complete", "interrupt", "revert", "fork", "update", "wait",
          "expect")


class ExpectationFailed(EmulatorError):
    """An expectation of a scenario did not hold; the message says what was expected and what happened."""


@dataclass
class Outcome:
    """How a scenario ran: one line per step, and the first failed expectation (if any)."""

    lines: list[str] = field(default_factory=list)
    failure: str | None = None
    context: list[str] = field(default_factory=list)  # the oplog around the point of failure


def _expand(value: Any) -> Any:
    if isinstance(value, str):
        return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: os.environ.get(m.group(1), ""), value)
    if isinstance(value, list):
        return [_expand(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    return value


def load(path: Path) -> dict[str, Any]:
    """Parse and check a scenario file; UsageError naming what is wrong."""
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"scenario file {path} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path} is not valid TOML: {e}") from None
    steps = doc.get("step")
    if not isinstance(steps, list) or not steps:
        raise UsageError(f"{path} has no [[step]] tables; a scenario is a list of steps")
    for n, step in enumerate(steps, 1):
        kinds = [k for k in _KINDS if k in step]
        if len(kinds) != 1:
            raise UsageError(f"{path}: step {n} must have exactly one of {', '.join(_KINDS)} (it has "
                             f"{', '.join(kinds) or 'none'})")
    return doc


class Runner:
    """Runs one scenario in a data directory, a step at a time."""

    def __init__(self, path: Path, data_dir: Path) -> None:
        self.path = path
        self.doc = _expand(load(path))
        self.data_dir = data_dir
        self.network = Network(simulate=False, phase="crash")
        self.emu = Emulator(data_dir)
        self.out = Outcome()
        self.awaited: dict[str, int] = {}  # worker -> the promise its last invocation suspended on

    def component(self, step: dict[str, Any]) -> Path:
        name = step.get("component", self.doc.get("component"))
        if not name:
            raise UsageError(f"{self.path}: no component (set component = \"...\" at the top or in the step)")
        return (self.path.parent / str(name)).resolve()

    def run(self) -> Outcome:
        self.network.install()
        try:
            for n, step in enumerate(self.doc["step"], 1):
                kind = next(k for k in _KINDS if k in step)
                try:
                    line = getattr(self, f"_{kind}")(step)
                except ExpectationFailed as e:
                    self.out.failure = f"step {n} ({kind}): {e}"
                    return self.out
                self.out.lines.append(f"step {n} {kind}: {line}")
        finally:
            self.emu.close()
            Network.uninstall()
        return self.out

    # -- steps ------------------------------------------------------------------------------------------------

    def _create(self, step: dict[str, Any]) -> str:
        env = [(str(k), str(v)) for k, v in dict(step.get("env", {})).items()]
        self.emu.worker(step["create"], self.component(step), env=env, semantics=step.get("semantics"))
        return f"worker {step['create']}"

    def _invoke(self, step: dict[str, Any]) -> str:
        name, crash_at = step["invoke"], step.get("crash-at")
        args = [str(a) for a in step.get("args", [])]
        if crash_at is not None:
            self.emu.close()
            self.emu = Emulator(self.data_dir, Chaos(crash_at=str(crash_at), mode=RAISE))
        worker = self.emu.worker(name, self.component(step))
        try:
            result = worker.invoke(step["function"], args, step.get("key"))
        except CrashSignal:
            self.emu.close()  # the process dies: nothing uncommitted survives
            self.emu = Emulator(self.data_dir)
            return f"{step['function']} crashed at {crash_at}"
        if crash_at is not None:
            raise ExpectationFailed(f"the invocation never reached crash point {crash_at}")
        if result.promise is not None:
            self.awaited[name] = result.promise[1]
        return f"{step['function']} -> {result.response if result.status == 'completed' else result.status}"

    def _restart(self, step: dict[str, Any]) -> str:
        self.emu.close()
        self.emu = Emulator(self.data_dir)
        resumed = self.emu.restart()
        return "a new process; resumed " + (", ".join(sorted(resumed)) or "nothing")

    def _resume(self, step: dict[str, Any]) -> str:
        result = self.emu.existing(step["resume"]).resume()
        return "nothing to resume" if result is None else f"-> {result.response or result.status}"

    def _complete(self, step: dict[str, Any]) -> str:
        spec = step["complete"]
        worker = spec["worker"]
        index = int(spec["index"]) if "index" in spec else self.awaited.get(worker)
        if index is None:
            raise UsageError(f"{self.path}: complete needs index = N (worker {worker} awaits no promise)")
        if not self.emu.store.complete_promise(worker, index, str(spec.get("data", "")).encode()):
            raise ExpectationFailed(f"promise {index} of {worker} was already completed")
        return f"promise {index} of {worker}"

    def _interrupt(self, step: dict[str, Any]) -> str:
        Oplog(self.emu.store, step["interrupt"]).add_and_commit(Interrupted())
        return f"worker {step['interrupt']} marked interrupted"

    def _revert(self, step: dict[str, Any]) -> str:
        spec = step["revert"]
        entry = management.revert(self.emu.store, spec["worker"], to_index=spec.get("to-index"),
                                  last_invocations=spec.get("last-invocations"))
        return f"{spec['worker']}: entries {entry.start}..={entry.end} dropped"

    def _fork(self, step: dict[str, Any]) -> str:
        spec = step["fork"]
        management.fork(self.emu.store, spec["worker"], spec["into"], int(spec["at"]))
        return f"{spec['worker']} forked into {spec['into']} at {spec['at']}"

    def _update(self, step: dict[str, Any]) -> str:
        spec = step["update"]
        target = self.emu.runtime.load(self.component(spec))
        ok, why = self.emu.existing(spec["worker"]).update(target, spec.get("mode", "automatic"))
        return "updated" if ok else f"update failed: {why}"

    def _wait(self, step: dict[str, Any]) -> str:
        worker = self.emu.existing(step["wait"])
        if worker.summary().status in (WorkerStatus.SUSPENDED, WorkerStatus.RETRYING, WorkerStatus.INTERRUPTED,
                                       WorkerStatus.RUNNING):
            worker.resume()  # once: a worker that suspends again still waits, and the next expect says so
        return f"{step['wait']} is {worker.summary().status}"

    def _expect(self, step: dict[str, Any]) -> str:
        name = step["expect"]
        summary = self.emu.summary(name)
        checked = []
        if "status" in step:
            self._check(name, "status", step["status"], summary.status)
            checked.append(f"status {summary.status}")
        if "result" in step:
            key, value = step["result"]["key"], step["result"]["value"]
            outcome = summary.invocations.get(key)
            actual = None if outcome is None else outcome.response if outcome.completed_at else "(unfinished)"
            self._check(name, f"result of {key}", value, actual)
            checked.append(f"result {actual}")
        if "oplog" in step:
            query = parse_query(str(step["oplog"]))
            hits = [i for i, e in self.emu.oplog(name) if query.matches(i, e)]
            want = step.get("oplog-count")
            if (want is None and not hits) or (want is not None and len(hits) != int(want)):
                self._check(name, f"entries matching {step['oplog']!r}",
                            "at least one" if want is None else want, len(hits), around=None)
            checked.append(f"{len(hits)} entries match {step['oplog']!r}")
        if "effect" in step:
            seen = Counter(s.key.describe() for s in self.network.sent if s.delivered)
            count = sum(n for request, n in seen.items() if str(step["effect"]) in request)
            self._check(name, f"requests matching {step['effect']!r}", int(step.get("times", 1)), count)
            checked.append(f"{count} x {step['effect']}")
        return ", ".join(checked) or "nothing to check"

    def _check(self, worker: str, what: str, expected: Any, actual: Any, around: int | None = -1) -> None:
        if str(expected) == str(actual):
            return
        entries = self.emu.oplog(worker)
        last = entries[-1][0] if entries else 0
        self.out.context = [f"{i:>5}  {e.kind}  {_brief(e)}" for i, e in entries[max(0, last - 8):]]
        raise ExpectationFailed(f"worker {worker}: expected {what} {expected!r}, got {actual!r}")


def _brief(entry: Any) -> str:
    for attr in ("function_name", "error", "response", "message", "idempotency_key"):
        value = getattr(entry, attr, None)
        if value:
            text = str(value)
            return text if len(text) <= 80 else text[:77] + "..."
    return ""
