"""`golem-emu replicas`: simulated oplog replicas of a data dir, their lag, partitions and failover."""

from __future__ import annotations

import click
from rich.table import Table

from emulator.cli.common import Env, err_console, out_console
from emulator.errors import UsageError
from emulator.lifecycle.leases import running_pid
from emulator.oplog import replica_settings as rs
from emulator.replication.failover import fail_primary
from emulator.replication.replica_set import catch_up


@click.group()
def replicas() -> None:
    """Simulated replicas of the oplog: what oplog-commit(n) waits for, and what a lost primary loses."""


@replicas.command("set")
@click.option("--count", type=int, required=True, help="How many replicas (0 = none, as Golem's local server).")
@click.option("--lag", metavar="MS|MIN..MAX|on-commit",
              help="Delay before a commit reaches a replica (seeded when a range); on-commit: only what an "
                   "oplog-commit waits for, at once.")
@click.option("--drop", type=float, help="Probability that a delivery is lost and sent again later (0 <= P < 1).")
@click.option("--seed", type=int, help="Seed of the random lags and drops.")
@click.pass_obj
def set_replicas(env: Env, count: int, lag: str | None, drop: float | None, seed: int | None) -> None:
    """Configure the replicas; options not given keep their value. Takes effect in running workers too."""
    current = rs.load(env.data_dir)
    on_commit = current.on_commit_only if lag is None else lag.strip() == "on-commit"
    low, high = (current.lag_min_ms, current.lag_max_ms) if lag is None or on_commit else rs.parse_lag(lag)
    new = rs.ReplicaSettings(
        count=count, lag_min_ms=low, lag_max_ms=high, drop=current.drop if drop is None else drop,
        seed=current.seed if seed is None else seed,
        partitions={r: u for r, u in current.partitions.items() if r <= count}, on_commit_only=on_commit,
    )
    new.check()
    rs.save(env.data_dir, new)
    for r in range(count + 1, rs.MAX_REPLICAS + 1):  # removed replicas start empty if they come back
        for suffix in ("", "-wal", "-shm"):
            (rs.replica_dir(env.data_dir) / f"replica-{r}.db{suffix}").unlink(missing_ok=True)
    extra = f", lag {new.describe_lag()}, drop {new.drop:g}, seed {new.seed}" if count else ""
    err_console.print(f"{count} replica{'' if count == 1 else 's'}{extra}")


@replicas.command("partition")
@click.argument("replica", type=int)
@click.option("--for", "seconds", type=float, required=True, metavar="SECONDS",
              help="How long the replica receives nothing (0 heals it now).")
@click.pass_obj
def partition(env: Env, replica: int, seconds: float) -> None:
    """Cut REPLICA off: it receives nothing until the partition heals, then everything due."""
    rs.save(env.data_dir, rs.load(env.data_dir).with_partition(replica, seconds))
    err_console.print(f"replica {replica} partitioned for {seconds:g} s" if seconds else f"replica {replica} healed")


@replicas.command("status")
@click.argument("worker_name", metavar="[WORKER]", required=False)
@click.pass_obj
def status(env: Env, worker_name: str | None) -> None:
    """Each replica's last index and how far it is behind (for WORKER, or every worker)."""
    settings = rs.load(env.data_dir)
    if not settings.count:
        out_console.print("replicas: none (golem-emu replicas set --count N)")
        return
    out_console.print(f"replicas: {settings.count}, lag {settings.describe_lag()}, drop {settings.drop:g}, "
                      f"seed {settings.seed}")
    store = env.store
    names = [worker_name] if worker_name is not None else store.worker_names()
    if worker_name is not None and not store.has_worker(worker_name):
        raise UsageError(f"no worker named {worker_name!r} (workers: {', '.join(store.worker_names()) or 'none'})")
    for name in names:
        if running_pid(store, name) is None:
            catch_up(env.data_dir, store, name)  # nobody replicates it now: deliver what is due meanwhile
        last = store.last_index(name)
        table = Table(title=f"{name} (primary at index {last})", title_justify="left", header_style="bold")
        for column in ("replica", "last index", "behind", "lag", "partition"):
            table.add_column(column, justify="right" if column in ("last index", "behind") else "left")
        for r in store.replicas(name):
            table.add_row(r.name, str(r.last_index), str(max(0, last - r.last_index)), r.delay, r.partition or "-")
        out_console.print(table)


@replicas.command("fail-primary")
@click.argument("worker_name", metavar="WORKER")
@click.option("--promote", type=int, help="The replica to promote (default: the most advanced).")
@click.pass_obj
def fail_primary_command(env: Env, worker_name: str, promote: int | None) -> None:
    """Lose WORKER's primary oplog: a replica's copy replaces it, and what never reached it is gone."""
    store = env.store
    pid = running_pid(store, worker_name) if store.has_worker(worker_name) else None
    if pid is not None:
        raise UsageError(f"worker {worker_name} is running in process {pid}; interrupt it first "
                         f"(golem-emu interrupt {worker_name})")
    done = fail_primary(env.data_dir, store, worker_name, promote)
    if done.new_last == 0:
        err_console.print(f"primary of {worker_name} lost at index {done.old_last}; no replica held any of it, "
                          "so the worker is gone (its first invocation never replicated)")
        return
    err_console.print(f"primary of {worker_name} lost at index {done.old_last}; promoted replica {done.promoted} "
                      f"(index {done.new_last}): {done.lost} entr{'y' if done.lost == 1 else 'ies'} lost. "
                      f"It recovers from there when next used (golem-emu resume {worker_name})")


COMMANDS = [replicas]
