"""A payment guest with a durability bug, for crash testing (`golem-emu explore`); guests/bank-fixed is its fix.

`pay` POSTs the payment, then the confirmation, as two plain requests: no atomic region, no idempotency key.
Two bugs follow. If the executor dies while the payment is in flight (the request left, its response is not
in the oplog), recovery sends it again, and nothing tells the bank it is the same payment. And a refused
confirmation is journaled like any response: the guest raises, Golem retries, and the retry replays the same
refusal from the oplog, so the worker fails although the bank would have accepted a second confirmation.
"""

from bankhttp import post
from wit_world import exports


class Api(exports.Api):
    """emu:bank/api."""

    def pay(self, base: str, order: str, amount: int) -> str:
        status, payment = post(f"{base}/payments", f"{order}:{amount}".encode(), [])
        if status != 200:
            raise RuntimeError(f"payment refused: {status} {payment}")
        status, confirmation = post(f"{base}/confirmations", order.encode(), [])
        if status != 200:
            raise RuntimeError(f"confirmation failed: {status} {confirmation}")
        return f"{payment}; {confirmation}"
