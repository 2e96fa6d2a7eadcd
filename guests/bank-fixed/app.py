"""The fixed twin of guests/bank: idempotency keys, and the confirmation in an atomic region.

Both requests carry an Idempotency-Key derived from the order, so a payment re-sent after a crash (Golem sends
a request that was in flight again) is the same payment to the bank, which applies it once. The confirmation
and the check of its answer share an atomic region, closed only once the confirmation succeeded: a refused
confirmation traps with the region open, so Golem's retry re-runs the region (a new confirmation) instead of
replaying the journaled refusal; a region closed in a `finally` would replay the same failure on every retry.
"""

from bankhttp import post
from wit_world import exports
from wit_world.imports import host


class Api(exports.Api):
    """emu:bank/api."""

    def pay(self, base: str, order: str, amount: int) -> str:
        status, payment = post(f"{base}/payments", f"{order}:{amount}".encode(),
                               [("idempotency-key", f"pay-{order}".encode())])
        if status != 200:
            raise RuntimeError(f"payment refused: {status} {payment}")
        region = host.mark_begin_operation()
        status, confirmation = post(f"{base}/confirmations", order.encode(),
                                    [("idempotency-key", f"confirm-{order}".encode())])
        if status != 200:
            raise RuntimeError(f"confirmation failed: {status} {confirmation}")  # the region stays open
        host.mark_end_operation(region)
        return f"{payment}; {confirmation}"
