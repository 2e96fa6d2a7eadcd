"""Trials in forked processes, the parent among them: every result once, in plan order, failures raised."""

from __future__ import annotations

import os
import time

import pytest

from emulator.chaos.parallel import run_parallel


def test_every_plan_runs_once_and_the_parent_runs_some_too() -> None:
    seen: dict[int, tuple[int, int]] = {}

    def run(x: int) -> tuple[int, int]:
        time.sleep(0.002)  # long enough that every process takes some
        return os.getpid(), x * x

    def done(i: int, result: tuple[int, int]) -> None:
        assert i not in seen, f"plan {i} reported twice"
        seen[i] = result

    run_parallel(run, list(range(60)), 3, done)
    assert sorted(seen) == list(range(60))
    assert all(square == i * i for i, (_, square) in seen.items())
    pids = {pid for pid, _ in seen.values()}
    assert os.getpid() in pids and len(pids) >= 2


def test_a_failing_child_is_raised_with_its_traceback() -> None:
    parent = os.getpid()

    def run(x: int) -> int:
        if os.getpid() != parent:
            raise ValueError(f"plan {x} broke in a child")
        time.sleep(0.01)
        return x

    with pytest.raises(RuntimeError, match=r"(?s)a trial process failed.*ValueError: plan \d+ broke in a child"):
        run_parallel(run, list(range(20)), 2, lambda i, r: None)
