"""@@NAME@@: a Golem worker that moves money between two accounts of a bank it talks to over HTTP.

Each of Golem's durability controls (golem:api/host@@@HOST_VERSION@@) appears once, where it belongs:

- an atomic region around the two requests that must happen together, closed only when both succeeded;
- an idempotency key on each request, so a request sent again after a crash is recognised by the bank;
- idempotence mode off for a request that nothing can de-duplicate;
- a persist-nothing section for statistics that are not worth journaling;
- oplog-commit before the result is reported.

Every HTTP request goes through `requests` (see golem_requests.py) and is journaled by the host: after a
crash, a recovering worker gets the recorded responses instead of sending the requests again.
"""

import golem_requests
from wit_world import exports
from wit_world.imports import host

_http = golem_requests.session()


def _post(url: str, body: dict[str, object], key: str | None = None) -> dict[str, object]:
    headers = {"idempotency-key": key} if key else {}
    reply = _http.post(url, json=body, headers=headers, timeout=10)
    if reply.status_code >= 400:
        # An exception is a trap: Golem retries the invocation with the worker's retry policy.
        raise RuntimeError(f"POST {url} answered {reply.status_code}: {reply.text}")
    result: dict[str, object] = reply.json()
    return result


class Api(exports.Api):
    """The functions of @@NAME@@:app/api."""

    def transfer(self, bank: str, transfer_id: str, source: str, target: str, amount: int) -> str:
        """Move `amount` from `source` to `target`; both requests carry a key derived from `transfer_id`."""
        # Statistics may be sent more than once (they are sent again on every recovery) and are not
        # worth a place in the oplog: a persist-nothing section, back to the previous level right after.
        level = host.get_oplog_persistence_level()
        host.set_oplog_persistence_level(host.PersistenceLevel_PersistNothing())
        _http.post(f"{bank}/stats", json={"event": "transfer"}, timeout=10)
        host.set_oplog_persistence_level(level)

        # The withdrawal and the deposit succeed together or run again together: if the worker fails or
        # crashes inside the region, Golem re-executes the whole region on recovery. The keys let the bank
        # apply each request once however often it arrives.
        region = host.mark_begin_operation()
        move = {"transfer": transfer_id, "amount": amount}
        _post(f"{bank}/accounts/{source}/withdraw", move, key=f"{transfer_id}-withdraw")
        balance = _post(f"{bank}/accounts/{target}/deposit", move, key=f"{transfer_id}-deposit")
        # Closed here, never in a `finally`: a region closed after a failure would not be re-executed.
        host.mark_end_operation(region)

        # Report success only once the oplog (and so the transfer) is stored durably.
        host.oplog_commit(1)
        return f"moved {amount} from {source} to {target}; {target} has {balance['balance']}"

    def notify(self, url: str, text: str) -> str:
        """POST `text` to a receiver that cannot recognise a duplicate: at most once, never twice."""
        # With idempotence mode off, a crash while this request is in flight fails the worker instead of
        # sending the request again on recovery.
        host.set_idempotence_mode(False)
        reply = _http.post(url, data=text.encode(), headers={"content-type": "text/plain"}, timeout=10)
        host.set_idempotence_mode(True)
        return f"{reply.status_code} {reply.text}"
