"""Replica settings of a data dir (how many replicas, their lag, drops and partitions) and their files.

They live in ``<data-dir>/replicas/settings.json`` so that every process (the one running a worker, a CLI
command in another terminal, the TUI) reads the same values, and a change takes effect while a worker runs.
The file is replaced atomically (write to a temporary file, then rename), so a reader never sees half of it.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from emulator.errors import OplogError, UsageError

__all__ = ["MAX_REPLICAS", "ReplicaSettings", "load", "parse_lag", "replica_dir", "replica_path", "save"]

MAX_REPLICAS = 16
_FILE = "settings.json"
_LAG = re.compile(r"^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?$")


@dataclass(frozen=True)
class ReplicaSettings:
    """N replicas, each receiving committed entries after a lag drawn from ``lag_min_ms..lag_max_ms``."""

    count: int = 0
    lag_min_ms: int = 0
    lag_max_ms: int = 0
    drop: float = 0.0  # probability that one delivery of a batch is lost (and re-sent after another lag)
    seed: int = 0
    partitions: dict[int, float] = field(default_factory=dict)  # replica -> wall-clock ms the partition heals
    # `--lag on-commit`: replicas receive nothing on their own, only what an oplog-commit(n) waits for, and
    # then at once: the slowest replication there can be, and one whose state no timing can change.
    on_commit_only: bool = False

    def partitioned_until(self, replica: int, now_ms: float) -> float | None:
        """When the partition of ``replica`` heals, if it is partitioned at ``now_ms``."""
        until = self.partitions.get(replica)
        return until if until is not None and until > now_ms else None

    def describe_lag(self) -> str:
        """The lag as the user wrote it: ``50 ms`` or ``10..80 ms``."""
        if self.on_commit_only:
            return "on-commit"
        if self.lag_min_ms == self.lag_max_ms:
            return f"{self.lag_min_ms} ms"
        return f"{self.lag_min_ms}..{self.lag_max_ms} ms"

    def to_json(self) -> dict[str, Any]:
        """The file's content."""
        return {"count": self.count, "lag_min_ms": self.lag_min_ms, "lag_max_ms": self.lag_max_ms,
                "on_commit_only": self.on_commit_only,
                "drop": self.drop, "seed": self.seed,
                "partitions": {str(r): until for r, until in sorted(self.partitions.items())}}

    @classmethod
    def from_json(cls, data: Any, path: Path) -> ReplicaSettings:
        """Settings from the file's content; OplogError naming the file if it is not what we write."""
        try:
            settings = cls(
                count=int(data["count"]), lag_min_ms=int(data["lag_min_ms"]), lag_max_ms=int(data["lag_max_ms"]),
                drop=float(data["drop"]), seed=int(data["seed"]),
                partitions={int(r): float(u) for r, u in dict(data.get("partitions", {})).items()},
                on_commit_only=bool(data.get("on_commit_only", False)),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise OplogError(f"{path} is not a golem-emu replica settings file ({e!r}); "
                             "fix it or remove it (`golem-emu replicas set --count 0`)") from e
        settings.check()
        return settings

    def check(self) -> None:
        """UsageError for values out of range."""
        if not 0 <= self.count <= MAX_REPLICAS:
            raise UsageError(f"--count {self.count}: a data dir has 0..{MAX_REPLICAS} replicas")
        if not 0 <= self.lag_min_ms <= self.lag_max_ms:
            raise UsageError(f"--lag {self.describe_lag()}: write MS or MIN..MAX with 0 <= MIN <= MAX")
        if not 0.0 <= self.drop < 1.0:
            raise UsageError(f"--drop {self.drop}: a probability 0 <= P < 1 (1 would never deliver)")

    def with_partition(self, replica: int, seconds: float, now_ms: float | None = None) -> ReplicaSettings:
        """These settings with ``replica`` cut off for ``seconds`` from now (0 heals it)."""
        if not 1 <= replica <= self.count:
            raise UsageError(f"no replica {replica}: this data dir has {self.count} (replicas 1..{self.count}); "
                             "add some with `golem-emu replicas set --count N`")
        if seconds < 0:
            raise UsageError(f"--for {seconds}: a partition lasts 0 or more seconds")
        now = time.time() * 1000 if now_ms is None else now_ms
        partitions = {r: u for r, u in self.partitions.items() if u > now and r != replica}
        if seconds > 0:
            partitions[replica] = now + seconds * 1000
        return replace(self, partitions=partitions)


def parse_lag(text: str) -> tuple[int, int]:
    """``"50"`` -> (50, 50); ``"10..80"`` -> (10, 80); UsageError otherwise."""
    m = _LAG.match(text)
    if m is None:
        raise UsageError(f"--lag {text!r}: write milliseconds (--lag 50), a range (--lag 10..80) or on-commit")
    low = int(m.group(1))
    high = int(m.group(2)) if m.group(2) is not None else low
    if high < low:
        raise UsageError(f"--lag {text!r}: the range's minimum is above its maximum; write it as {high}..{low}")
    return low, high


def replica_dir(data_dir: Path) -> Path:
    """Where a data dir keeps its replica files and their settings."""
    return data_dir / "replicas"


def replica_path(data_dir: Path, replica: int) -> Path:
    """The SQLite file of replica ``replica`` (1-based)."""
    return replica_dir(data_dir) / f"replica-{replica}.db"


def load(data_dir: Path) -> ReplicaSettings:
    """The data dir's settings; no file means no replicas (Golem's local server)."""
    path = replica_dir(data_dir) / _FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return ReplicaSettings()
    try:
        data = json.loads(text)
    except ValueError as e:
        raise OplogError(f"{path} is not valid JSON ({e}); fix it or remove it") from e
    return ReplicaSettings.from_json(data, path)


def save(data_dir: Path, settings: ReplicaSettings) -> None:
    """Replace the data dir's settings atomically."""
    settings.check()
    folder = replica_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(settings.to_json(), indent=1) + "\n")
    os.replace(tmp, folder / _FILE)


class SettingsReader:
    """Re-reads the settings file only when it changed (one ``stat`` per call otherwise)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = replica_dir(data_dir) / _FILE
        self.data_dir = data_dir
        self._stamp: tuple[int, int] | None = None
        self._settings = ReplicaSettings()

    def get(self) -> ReplicaSettings:
        """The current settings."""
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_ino)
        except FileNotFoundError:
            self._stamp, self._settings = None, ReplicaSettings()
            return self._settings
        if stamp != self._stamp:
            self._settings = load(self.data_dir)
            self._stamp = stamp
        return self._settings
