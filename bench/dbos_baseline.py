"""Baseline: the golem-emu benchmark workload (one durable clock read per step) on DBOS Transact with SQLite.

Live: one workflow runs ``steps`` steps, each returning ``time.monotonic_ns()``; timed from the caller (workflow start
through the last step checkpoint). Replay: the workflow then "crashes" (a BaseException, which DBOS does not record,
so the workflow stays PENDING) and is recovered with DBOS's recovery path; the recovered run re-executes the body and
every step is served from its recorded output. Replay is timed inside the body (the step loop only), since recovery
dispatch goes through DBOS's internal queue and its polling delay is not replay work.
Run in a child process: DBOS keeps process-global state. ``python -m bench.dbos_baseline [--steps N] [--wal] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import pathlib
import sqlite3
import tempfile
import time
from typing import Any

import sqlalchemy as sa
from dbos import DBOS, DBOSConfig


class _Crash(BaseException):
    """Escapes DBOS's ``except Exception`` so the workflow is left PENDING, as after a process crash."""


_state: dict[str, bool] = {"crash": True}


@DBOS.step()
def clock_step() -> int:
    return time.monotonic_ns()


@DBOS.workflow()
def clock_workflow(steps: int) -> tuple[int, int]:
    t0 = time.perf_counter_ns()
    checksum = 0
    for _ in range(steps):
        checksum ^= clock_step()
    elapsed = time.perf_counter_ns() - t0
    if _state["crash"]:
        _state["crash"] = False
        raise _Crash(checksum)
    return checksum, elapsed


def _quiet() -> None:
    for name in ("dbos", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _create_wal(db: pathlib.Path) -> None:
    """Create DBOS's SQLite file already in WAL mode (a setting the file keeps). Switching it later, once DBOS's
    background threads have it open, could fail with "database is locked": the switch needs the only connection."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def _use_wal(engine: sa.Engine) -> None:
    """golem-emu's oplog settings (WAL, synchronous=NORMAL) instead of stock (DELETE, FULL) on every connection."""
    sa.event.listen(engine, "connect", lambda dbapi_conn, _rec: dbapi_conn.execute("PRAGMA synchronous=NORMAL"))
    engine.dispose()


def measure_dbos(steps: int, workdir: pathlib.Path, wal: bool = False) -> dict[str, float]:
    """Run the workload on DBOS with a SQLite system database in ``workdir``; return steps/s figures.

    ``wal=False`` keeps DBOS's stock SQLite settings; ``wal=True`` matches golem-emu's oplog durability settings.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "dbos_sys.sqlite"
    db.unlink(missing_ok=True)
    config: DBOSConfig = {
        "name": "golem-emu-bench",
        "system_database_url": f"sqlite:///{db}",
        "log_level": "CRITICAL",
        "console_log_level": "CRITICAL",
    }
    _state["crash"] = True
    if wal:
        _create_wal(db)
    dbos = DBOS(config=config)
    _quiet()
    DBOS.launch()
    _quiet()
    if wal:
        _use_wal(dbos._sys_db.engine)
    try:
        t0 = time.perf_counter()
        try:
            clock_workflow(steps)
            raise RuntimeError("the workflow did not crash")
        except _Crash as crash:
            live_s = time.perf_counter() - t0
            live_checksum = crash.args[0]
        handles = DBOS._recover_pending_workflows()
        if len(handles) != 1:
            raise RuntimeError(f"expected 1 pending workflow, recovered {len(handles)}")
        replay_checksum, replay_ns = handles[0].get_result()
        if replay_checksum != live_checksum:
            raise RuntimeError("replay did not return the recorded step outputs")
    finally:
        DBOS.destroy(destroy_registry=False)
    return {
        "steps": float(steps),
        "steps_per_s": steps / live_s,
        "replay_steps_per_s": steps / (replay_ns / 1e9),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--wal", action="store_true", help="WAL + synchronous=NORMAL, like golem-emu's oplog")
    parser.add_argument("--workdir", type=pathlib.Path, default=None, help="default: a temporary directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dbos-bench-") as tmp:
        result: dict[str, Any] = measure_dbos(args.steps, args.workdir or pathlib.Path(tmp), args.wal)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"DBOS (SQLite{', WAL' if args.wal else ''}) {args.steps} steps: "
            f"live {result['steps_per_s']:,.0f} steps/s, "
            f"replay {result['replay_steps_per_s']:,.0f} steps/s"
        )


if __name__ == "__main__":
    main()
