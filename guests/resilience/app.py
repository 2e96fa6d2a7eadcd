"""Resilience guest (golem:api/host@1.1.7): failure semantics under test.

Promises double as an outside-world flag: complete-promise answers True only to the first call that
completes a promise, and it runs live again whenever an abandoned region or a jump re-executes it.
"""

import os

from wit_world import exports
from wit_world.imports import host
from wit_world.imports.types import WorkerId

_count = 0


def _promise_of(worker: str, index: int) -> host.PromiseId:
    me = host.get_self_metadata().worker_id
    target = WorkerId(component_id=me.component_id, worker_name=worker)
    return host.PromiseId(worker_id=target, oplog_idx=index)


class Api(exports.Api):
    """emu:resilience/api."""

    def fail(self, message: str) -> None:
        """Trap."""
        raise RuntimeError(message)

    def fail_with_policy(self, max_attempts: int) -> None:
        """Set a fast retry policy, then trap."""
        host.set_retry_policy(host.RetryPolicy(
            max_attempts=max_attempts, min_delay=10_000_000, max_delay=100_000_000,
            multiplier=2.0, max_jitter_factor=None,
        ))
        raise RuntimeError(f"failing under a policy of {max_attempts} attempts")

    def region_fails_twice(self) -> int:
        """Trap inside a region until two flags are used up."""
        first, second = host.create_promise(), host.create_promise()
        begin = host.mark_begin_operation()
        if host.complete_promise(first, b"1"):
            raise RuntimeError("first execution of the region fails")
        if host.complete_promise(second, b"2"):
            raise RuntimeError("second execution of the region fails")
        host.mark_end_operation(begin)
        return 2

    def infallible_transfer(self, amount: int) -> str:
        """Withdraw, try to deposit; on failure compensate and travel back to retry the transfer."""
        flag = host.create_promise()
        start = host.get_oplog_index()
        print(f"withdraw {amount}")
        deposit_failed = host.complete_promise(flag, b"deposit failed once")
        if deposit_failed:
            print(f"compensate: refund {amount}")
            host.set_oplog_index(start)
        print(f"deposit {amount}")
        return f"transferred {amount}"

    def wait_for_promise(self) -> str:
        """Suspend until the promise is completed from outside."""
        promise = host.create_promise()
        print(f"awaiting promise {promise.oplog_idx}")
        return bytes(host.await_promise(promise)).decode()

    def complete(self, worker: str, index: int, data: str) -> bool:
        """Complete a promise of another worker."""
        return host.complete_promise(_promise_of(worker, index), data.encode())

    def exit_now(self, code: int) -> None:
        """Exit the process through WASI."""
        os._exit(code)

    def split(self, name: str) -> str:
        """Fork mid-invocation: both sides continue from here with the same count."""
        global _count
        _count += 1
        side = host.fork(name)
        _count += 1
        return f"{side.name.lower()} {_count}"

    def revert_other(self, worker: str, count: int) -> None:
        """Undo another worker's last invocations."""
        me = host.get_self_metadata().worker_id
        target = WorkerId(component_id=me.component_id, worker_name=worker)
        host.revert_worker(target, host.RevertWorkerTarget_RevertLastInvocations(count))

    def update_other(self, worker: str, version: int, snapshot: bool) -> None:
        """Request an update of another worker."""
        me = host.get_self_metadata().worker_id
        target = WorkerId(component_id=me.component_id, worker_name=worker)
        mode = host.UpdateMode.SNAPSHOT_BASED if snapshot else host.UpdateMode.AUTOMATIC
        host.update_worker(target, version, mode)

    def bump(self) -> int:
        """Increment and return the module-level counter."""
        global _count
        _count += 1
        return _count
