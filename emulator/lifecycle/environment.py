"""A worker's environment as Golem composes it: the worker's own variables first, then those of its
component's version that the worker does not set itself (component_env_and_worker_env_priority)."""

from __future__ import annotations

from collections.abc import Sequence


def merge_env(worker_env: Sequence[tuple[str, str]],
              component_env: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """`worker_env`, then each variable of `component_env` whose name the worker env does not have."""
    seen = {k for k, _ in worker_env}
    return (*tuple(worker_env), *((k, v) for k, v in component_env if k not in seen))
