"""golem-cloud guest: Golem's own Python library (PyPI golem-cloud 0.2.0) on golem-emu.

The transactions mirror golem-rust's transaction tests in Golem's executor suite: four steps, each a GET of
`{base}/step/{n}` whose JSON answer says whether to fail, undone by a DELETE of the same path.
"""

import sys

import componentize_py_types
import wit_world

# golem-cloud 0.2.0 takes Result, Ok and Err from `wit_world.types`; componentize-py 0.25 generates them in
# `componentize_py_types` instead and no `wit_world.types` at all. Alias it before golem_cloud is imported.
sys.modules["wit_world.types"] = componentize_py_types
wit_world.types = componentize_py_types  # type: ignore[attr-defined]

import webcall  # noqa: E402
from componentize_py_types import Err, Ok  # noqa: E402
from golem_cloud.durability import Durability  # noqa: E402
from golem_cloud.host import (  # noqa: E402
    atomic_operation_context,
    use_idempotence_mode,
    use_persistence_level,
    use_retry_policy,
)
from golem_cloud.transaction import fallible_transaction, infallible_transaction, operation  # noqa: E402
from wit_world import exports  # noqa: E402
from wit_world.imports import durability, host, oplog  # noqa: E402
from wit_world.imports import wasi_clocks_monotonic_clock_0_2_3 as monotonic  # noqa: E402
from wit_world.imports import golem_rpc_types as rpc  # noqa: E402


def _step(base: str, n: int) -> bool:
    print(f"step {n}")
    return webcall.request("GET", f"{base}/step/{n}").strip() == "true"


def _undo(base: str, n: int) -> None:
    print(f"compensating step {n}")
    webcall.request("DELETE", f"{base}/step/{n}")


def _steps(base: str):
    """An operation whose result is the server's answer (never an operation error)."""
    return operation(lambda n: Ok(_step(base, n)), lambda n, _answer: Ok(_undo(base, n)))


def _refusing_steps(base: str):
    """An operation that fails (an operation error) when the server answers true."""

    def execute(n: int):
        return Err(f"step {n} refused") if _step(base, n) else Ok(n)

    return operation(execute, lambda n, _out: Ok(_undo(base, n)))


def _string_record(field: str, value: str) -> rpc.ValueAndType:
    """`{field: value}` as a self-describing value (record with one string field)."""
    return rpc.ValueAndType(
        rpc.WitValue([rpc.WitNode_RecordValue([1]), rpc.WitNode_PrimString(value)]),
        rpc.WitType([
            rpc.NamedWitTypeNode(None, None, rpc.WitTypeNode_RecordType([(field, 1)])),
            rpc.NamedWitTypeNode(None, None, rpc.WitTypeNode_PrimStringType()),
        ]),
    )


def _record_string(vnt: rpc.ValueAndType) -> str:
    root = vnt.value.nodes[0]
    assert isinstance(root, rpc.WitNode_RecordValue), root
    leaf = vnt.value.nodes[root.value[0]]
    assert isinstance(leaf, rpc.WitNode_PrimString), leaf
    return leaf.value


def _self_id() -> rpc.WorkerId:
    return host.get_self_metadata().worker_id


class Api(exports.Api):
    """emu:golem-cloud/api."""

    def fallible_transaction_test(self, base: str) -> int:
        step = _steps(base)

        def body(tx):
            for n in (1, 2, 3):
                answer = tx.execute(step, n)
                if isinstance(answer, Err):
                    return answer
                if n == 3 and answer.value:
                    return Err("fail after 3")
            tx.execute(step, 4)
            return Ok(11)

        result = fallible_transaction(body)
        if isinstance(result, Err):
            failure = result.value
            raise Err(f"{type(failure).__name__}: {failure.error}")
        return result.value

    def infallible_transaction_test(self, base: str) -> int:
        step = _steps(base)

        def body(tx) -> int:
            tx.execute(step, 1)
            tx.execute(step, 2)
            if tx.execute(step, 3):
                raise RuntimeError("crash after 3")
            tx.execute(step, 4)
            return 11

        return infallible_transaction(body)

    def infallible_transaction_jump_test(self, base: str) -> int:
        step = _refusing_steps(base)

        def body(tx) -> int:
            for n in (1, 2, 3, 4):
                tx.execute(step, n)
            return 11

        return infallible_transaction(body)

    def callback(self, base: str, payload: str) -> str:
        durability = Durability("golem-it", "test-callback", oplog.WrappedFunctionType_WriteRemote())
        if durability.is_live():
            # The call itself stays out of the replay: only its summarised result is.
            with use_persistence_level(host.PersistenceLevel_PersistNothing()):
                answer = webcall.request("GET", f"{base}/callback?payload={payload}")
            durability.persist(_string_record("payload", payload), _string_record("result", answer))
            return answer
        response, _version = durability.replay()
        return _record_string(response)

    def raw_callback(self, base: str, payload: str) -> str:
        kind = oplog.WrappedFunctionType_WriteRemote()
        with use_idempotence_mode(False):
            begin = durability.begin_durable_function(kind)
            if durability.current_durable_execution_state().is_live:
                with use_persistence_level(host.PersistenceLevel_PersistNothing()):
                    answer = webcall.request("GET", f"{base}/callback?payload={payload}")
                durability.persist_durable_function_invocation("raw-callback", payload.encode(), answer.encode(),
                                                               kind)
            else:
                persisted = durability.read_persisted_durable_function_invocation()
                if persisted.function_name != "raw-callback":
                    raise ValueError(f"expected raw-callback in the oplog, got {persisted.function_name}")
                answer = persisted.response.decode()
            durability.end_durable_function(kind, begin, False)
        return answer

    def lazy_pollable(self) -> list[bool]:
        lazy = durability.LazyInitializedPollable()
        waiting = lazy.subscribe()
        seen = [waiting.ready()]
        lazy.set(monotonic.subscribe_duration(60_000_000_000))
        seen.append(waiting.ready())
        lazy.set(monotonic.subscribe_duration(0))
        seen.append(waiting.ready())
        return seen

    def helpers(self) -> list[str]:
        seen = []
        policy = host.RetryPolicy(max_attempts=7, min_delay=10_000_000, max_delay=20_000_000,
                                  multiplier=2.0, max_jitter_factor=None)
        with use_retry_policy(policy):
            seen.append(f"retry inside: {host.get_retry_policy().max_attempts}")
        seen.append(f"retry after: {host.get_retry_policy().max_attempts}")
        with use_idempotence_mode(False):
            seen.append(f"idempotent inside: {host.get_idempotence_mode()}")
        seen.append(f"idempotent after: {host.get_idempotence_mode()}")
        with use_persistence_level(host.PersistenceLevel_PersistNothing()):
            seen.append(f"level inside: {type(host.get_oplog_persistence_level()).__name__}")
        seen.append(f"level after: {type(host.get_oplog_persistence_level()).__name__}")
        with atomic_operation_context():
            seen.append("atomic inside")
        seen.append("atomic after")
        return seen

    def own_oplog(self, start: int) -> list[str]:
        pages = oplog.GetOplog(_self_id(), start)
        kinds = []
        while (page := pages.get_next()) is not None:
            for entry in page:
                kind = type(entry).__name__.removeprefix("OplogEntry_")
                if isinstance(entry, oplog.OplogEntry_ImportedFunctionInvoked):
                    kind += f" {entry.value.function_name}"
                kinds.append(kind)
        return kinds

    def search_own_oplog(self, query: str) -> list[int]:
        search = oplog.SearchOplog(_self_id(), query)
        found = []
        while (page := search.get_next()) is not None:
            found.extend(index for index, _entry in page)
        return found
