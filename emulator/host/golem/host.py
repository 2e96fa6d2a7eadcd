"""golem:api/host (0.2.x and 1.1.x): promises, oplog indexes, atomic regions, durability controls, metadata."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from emulator.errors import GuestTrap
from emulator.host import _convert as cv
from emulator.host.context import HostContext, unsupported
from emulator.lifecycle import management
from emulator.lifecycle.retry import DEFAULT_POLICY
from emulator.oplog import names
from emulator.oplog.entries import (
    READ_REMOTE,
    WRITE_LOCAL,
    WRITE_REMOTE,
    ChangeRetryPolicy,
    Create,
    ImportedFunctionInvoked,
    PendingUpdate,
)
from emulator.oplog.oplog import Oplog
from emulator.signals import SuspendSignal

# Namespace Golem derives idempotency keys from when the current key is not itself a UUID.
_ROOT_NAMESPACE = uuid.UUID("9C19B15A-C83D-46F7-9BC3-EAD7923733F4")


def derive_idempotency_key(current: str | None, index: int) -> uuid.UUID:
    """Golem's `IdempotencyKey::derived`: UUIDv5 of the current key and the oplog index."""
    if current is None:
        return uuid.uuid4()
    try:
        namespace = uuid.UUID(current)
    except ValueError:
        namespace = uuid.uuid5(_ROOT_NAMESPACE, current)
    return uuid.uuid5(namespace, f"oplog-index-{index}")


# -- promises ------------------------------------------------------------------------------------------------


def _promise_key(ctx: HostContext, pid: Any) -> tuple[str, int]:
    _component, name = cv.worker_id_parts(cv.field(pid, "worker-id"))
    return name, int(cv.field(pid, "oplog-idx"))


def create_promise(ctx: HostContext) -> Any:
    index = get_oplog_index(ctx)
    # Creating is SET-if-absent, so running it again during replay changes nothing.
    ctx.store.create_promise(ctx.worker.name, index)
    return cv.promise_id(ctx.worker.component_uuid, ctx.worker.name, index)


def await_promise(ctx: HostContext, pid: Any) -> bytes:
    # Not journaled in Golem: the promise store is asked again on every replay.
    worker, index = _promise_key(ctx, pid)
    state = ctx.store.promise_state(worker, index)
    if state is None:
        raise GuestTrap(f"promise {worker}/{index} does not exist")
    if state.state == "completed":
        return state.payload or b""
    raise SuspendSignal(f"waiting for promise {index} of worker {worker}", promise=(worker, index))


def poll_promise(ctx: HostContext, pid: Any) -> bytes | None:
    worker, index = _promise_key(ctx, pid)

    def live() -> bytes | None:
        state = ctx.store.promise_state(worker, index)
        if state is None:
            raise GuestTrap(f"promise {worker}/{index} does not exist")
        return state.payload if state.state == "completed" else None

    return ctx.durability.call(
        "golem::api::poll_promise", READ_REMOTE, [worker, index], live,
        encode=lambda b: None if b is None else cv.b64(b),
        decode=lambda j: None if j is None else cv.unb64(str(j)),
    )


def _checked(function: str, name: str) -> str:
    """A worker name the guest gave, by Golem's rules; a trap naming the call if it breaks them."""
    try:
        return names.check_worker_name(name)
    except names.InvalidName as e:
        raise GuestTrap(f"{function}: {e}") from None


def complete_promise(ctx: HostContext, pid: Any, data: bytes) -> bool:
    worker, index = _promise_key(ctx, pid)
    _checked("complete-promise", worker)
    return ctx.durability.call(
        "golem:api::complete_promise", WRITE_LOCAL, [worker, index, cv.b64(data)],
        lambda: ctx.store.complete_promise(worker, index, bytes(data)),
        decode=bool,
    )


def delete_promise(ctx: HostContext, pid: Any) -> None:
    worker, index = _promise_key(ctx, pid)
    ctx.durability.call(
        "golem:api::delete_promise", WRITE_LOCAL, [worker, index],
        lambda: ctx.store.delete_promise(worker, index),
        decode=lambda _: None,
    )


# -- oplog index, jumps, atomic regions -----------------------------------------------------------------------


def get_oplog_index(ctx: HostContext) -> int:
    return ctx.durability.oplog_index()


def set_oplog_index(ctx: HostContext, target: int) -> None:
    ctx.durability.set_oplog_index(target)


def oplog_commit(ctx: HostContext, replicas: int) -> None:
    # Live only and never journaled (as Golem): commit, then wait until `replicas` replicas hold it all.
    if ctx.replay.is_live():
        ctx.oplog.commit()
        if ctx.wait_for_replicas is not None:
            ctx.wait_for_replicas(replicas, ctx.oplog.committed_index())


def mark_begin_operation(ctx: HostContext) -> int:
    return ctx.durability.begin_atomic_region()


def mark_end_operation(ctx: HostContext, begin: int) -> None:
    ctx.durability.end_atomic_region(int(begin))


# -- retry policy, persistence level, idempotence --------------------------------------------------------------


def get_retry_policy(ctx: HostContext) -> Any:
    return cv.retry_policy_record(ctx.retry_policy or DEFAULT_POLICY)


def set_retry_policy(ctx: HostContext, policy: Any) -> None:
    p = cv.retry_policy_json(policy)
    ctx.durability.write(ChangeRetryPolicy(**p), "change-retry-policy (set-retry-policy)")
    ctx.retry_policy = p


def get_oplog_persistence_level(ctx: HostContext) -> Any:
    return cv.variant(ctx.durability.persistence_level.value)


def set_oplog_persistence_level(ctx: HostContext, level: Any) -> None:
    ctx.durability.change_persistence_level(cv.tag(level))


def get_idempotence_mode(ctx: HostContext) -> bool:
    return ctx.durability.assume_idempotence


def set_idempotence_mode(ctx: HostContext, idempotent: bool) -> None:
    ctx.durability.assume_idempotence = bool(idempotent)


def generate_idempotency_key(ctx: HostContext) -> Any:
    key = ctx.durability.call(
        "golem api::generate_idempotency_key", WRITE_REMOTE, None,
        lambda: derive_idempotency_key(ctx.idempotency_key, ctx.oplog.current_index()),
        encode=str, decode=lambda j: uuid.UUID(str(j)),
    )
    return cv.uuid_record(key)


# -- metadata -------------------------------------------------------------------------------------------------


def _metadata(ctx: HostContext, w: dict[str, Any]) -> Any:
    return cv.record(
        worker_id=cv.worker_id(w["component_uuid"], w["name"]),
        args=list(w["args"]),
        env=[tuple(kv) for kv in w["env"]],
        status=w["status"],
        component_version=w["component_version"],
        retry_count=0,  # Golem always reports 0 here
    )


def get_self_metadata(ctx: HostContext) -> Any:
    w = ctx.worker
    return _metadata(ctx, {
        "component_uuid": w.component_uuid, "name": w.name, "args": w.args, "env": w.env,
        "status": "running", "component_version": w.component_version,
    })


def get_worker_metadata(ctx: HostContext, wid: Any) -> Any:
    component, name = cv.worker_id_parts(wid)
    for w in ctx.list_workers():
        if w["name"] == name and w["component_uuid"] == component:
            return _metadata(ctx, w)
    return None


def resolve_component_id(ctx: HostContext, reference: str) -> Any:
    found = ctx.durability.call(
        "golem::api::resolve_component_id", WRITE_REMOTE, reference,
        lambda: next((str(w["component_uuid"]) for w in ctx.list_workers() if w["component"] == reference), None),
    )
    return None if found is None else cv.component_id(uuid.UUID(str(found)))


def resolve_worker_id(ctx: HostContext, reference: str, name: str) -> Any:
    cid = resolve_component_id(ctx, reference)
    return None if cid is None else cv.record(component_id=cid, worker_name=name)


def resolve_worker_id_strict(ctx: HostContext, reference: str, name: str) -> Any:
    found = ctx.durability.call(
        "golem::api::resolve_worker_id_strict", WRITE_REMOTE, [reference, name],
        lambda: next(
            (str(w["component_uuid"]) for w in ctx.list_workers()
             if w["component"] == reference and w["name"] == name), None),
    )
    return None if found is None else cv.worker_id(uuid.UUID(str(found)), name)


def get_self_uri(ctx: HostContext, function_name: str) -> Any:
    w = ctx.worker
    return cv.record(value=f"worker://{w.component_uuid}/{w.name}/{function_name}")


def fork_worker(ctx: HostContext, source: Any, target: Any, cut_off: int) -> None:
    src = _checked("fork-worker", cv.worker_id_parts(source)[1])
    tgt = _checked("fork-worker", cv.worker_id_parts(target)[1])

    def live() -> None:
        ctx.oplog.commit()  # forking ourselves must see everything we did so far
        management.fork(ctx.store, src, tgt, int(cut_off))
        ctx.forked.append(tgt)

    ctx.durability.call("golem::api::fork_worker", WRITE_REMOTE, [src, tgt, int(cut_off)], live,
                        encode=lambda _: None, decode=lambda _: None)


def fork(ctx: HostContext, new_name: str) -> str:
    me = ctx.worker.name
    _checked("fork", new_name)

    def live() -> str:
        ctx.oplog.commit()
        # The child gets our history so far and, in place of this call, the answer "forked". (Golem copies up
        # to the index before the current one; we copy everything, so the child never misses our last call.)
        child_answer = ImportedFunctionInvoked(
            function_name="golem::api::fork", request=new_name, response={"ok": "forked"},
            function_type=WRITE_REMOTE,
        )
        management.fork(ctx.store, me, new_name, ctx.oplog.current_index(), extra=[child_answer])
        ctx.forked.append(new_name)
        return "original"

    return ctx.durability.call("golem::api::fork", WRITE_REMOTE, new_name, live, decode=str)


def revert_worker(ctx: HostContext, wid: Any, target: Any) -> None:
    name = _checked("revert-worker", cv.worker_id_parts(wid)[1])
    how, amount = cv.tag(target), int(target.payload)

    def live() -> None:
        if how == "revert-to-oplog-index":
            management.revert(ctx.store, name, to_index=amount)
        else:
            management.revert(ctx.store, name, last_invocations=amount)

    ctx.durability.call("golem::api::revert_worker", WRITE_REMOTE, [name, how, amount], live,
                        encode=lambda _: None, decode=lambda _: None)


def update_worker(ctx: HostContext, wid: Any, target_version: int, mode: Any) -> None:
    name = _checked("update-worker", cv.worker_id_parts(wid)[1])
    how = "snapshot" if cv.tag(mode) == "snapshot-based" else "automatic"

    def live() -> None:
        if not ctx.store.has_worker(name):
            raise GuestTrap(f"update-worker: there is no worker {name!r}")
        create = ctx.store.entry(name, 1)
        assert isinstance(create, Create)
        digest = ctx.store.component_hash(create.component, int(target_version))
        if digest is None:
            raise GuestTrap(f"update-worker: component {create.component} has no version {target_version}")
        # Golem returns at once and updates the worker when it next starts; so does golem-emu.
        request = PendingUpdate(target_component=create.component, target_hash=digest, mode=how)
        # The request is this call's effect, not its journal: in Golem the worker service, not the host function,
        # appends it to the target's oplog, the caller's own included. So it bypasses the durability rule, and
        # whatever runs `live` again (a golem-1.1 persist-nothing replay) asks again, as Golem's would.
        (ctx.oplog if name == ctx.worker.name else Oplog(ctx.store, name)).add_and_commit(request)

    ctx.durability.call("golem::api::update-worker", WRITE_REMOTE, [name, int(target_version), how], live,
                        encode=lambda _: None, decode=lambda _: None)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "create-promise": create_promise,
    "await-promise": await_promise,
    "poll-promise": poll_promise,
    "complete-promise": complete_promise,
    "delete-promise": delete_promise,
    "get-oplog-index": get_oplog_index,
    "set-oplog-index": set_oplog_index,
    "oplog-commit": oplog_commit,
    "mark-begin-operation": mark_begin_operation,
    "mark-end-operation": mark_end_operation,
    "get-retry-policy": get_retry_policy,
    "set-retry-policy": set_retry_policy,
    "get-oplog-persistence-level": get_oplog_persistence_level,
    "set-oplog-persistence-level": set_oplog_persistence_level,
    "get-idempotence-mode": get_idempotence_mode,
    "set-idempotence-mode": set_idempotence_mode,
    "generate-idempotency-key": generate_idempotency_key,
    "get-self-metadata": get_self_metadata,
    "get-worker-metadata": get_worker_metadata,
    "resolve-component-id": resolve_component_id,
    "resolve-worker-id": resolve_worker_id,
    "resolve-worker-id-strict": resolve_worker_id_strict,
    "get-self-uri": get_self_uri,
    "update-worker": update_worker,
    "fork-worker": fork_worker,
    "revert-worker": revert_worker,
    "fork": fork,
    "schedule-worker": unsupported("schedule-worker (scheduled invocations)"),
}
