"""Which repeated effects Golem allows, and what a failing trial means, in Golem's terms.

A request the crash-free run made n times and a trial made more often is a duplicated effect. Each extra
sending must be excused by one of Golem's rules, found in the oplog as the crashed process left it:

- IN_FLIGHT: its remote-write bracket was open at the crash (the request had left, its response was not
  journaled) and idempotence mode was on, so Golem sends it again (at-least-once). Golem's idempotence
  mode is the guest's promise that its remote writes are idempotent; a request that is not (a POST or
  PATCH without an Idempotency-Key header) breaks that promise, and its duplicate is reported.
- IN_REGION: it was part of an atomic region that had not ended at the crash: Golem re-runs the region.
- PERSIST_NOTHING: it was sent inside a persist-nothing section, which nothing journals.
- AFTER_FAULT: the network failed it after it had left (an injected fault), and it was sent again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from emulator.chaos.network import RESET, TIMEOUT, UNAVAILABLE, RequestKey, Sent
from emulator.oplog.entries import (
    BeginAtomicRegion,
    EndAtomicRegion,
    EndRemoteWrite,
    Error,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    ImportedFunctionInvoked,
    Log,
    OplogEntry,
)

IN_FLIGHT = "request in flight at the crash, idempotence on: Golem sends it again"
IN_REGION = "inside an atomic region left unfinished by the crash: Golem re-runs the region"
PERSIST_NOTHING = "sent in a persist-nothing section: nothing journals it"
AFTER_FAULT = "the network failed it after it left; it was sent again"

NOT_COMPLETED = "Non-idempotent remote write operation was not completed"


@dataclass(frozen=True)
class Duplicate:
    """A request sent more often than in the crash-free run."""

    request: str
    expected: int
    seen: int
    rule: str | None  # the rule that allows every extra sending, or None: a violation
    why: str = ""  # for a violation: what went wrong

    def describe(self) -> str:
        """One line for reports."""
        head = f"{self.request} x{self.seen} (crash-free run: x{self.expected})"
        return f"{head}: allowed, {self.rule}" if self.rule else f"{head}: VIOLATION, {self.why}"


@dataclass(frozen=True)
class CrashState:
    """What the durable oplog of one worker said when the process died."""

    ended_brackets: frozenset[int]
    open_regions: tuple[int, ...]

    @classmethod
    def of(cls, entries: Sequence[tuple[int, OplogEntry]]) -> CrashState:
        """Fold a worker's durable entries."""
        ended = {e.begin_index for _, e in entries if isinstance(e, EndRemoteWrite)}
        regions: list[int] = []
        for idx, e in entries:
            if isinstance(e, BeginAtomicRegion):
                regions.append(idx)
            elif isinstance(e, EndAtomicRegion) and e.begin_index in regions:
                regions.remove(e.begin_index)
        return cls(frozenset(ended), tuple(regions))

    def region_of(self, begin: int) -> int | None:
        """The unfinished atomic region a bracket opened at `begin` belongs to, if any."""
        inside = [r for r in self.open_regions if r < begin]
        return inside[-1] if inside else None


def duplicates(
    expected: Counter[RequestKey], sent: Sequence[Sent], at_crash: dict[str, CrashState],
) -> list[Duplicate]:
    """Every duplicated request of a trial, each with the rule that allows it or why it is a violation."""
    seen = Counter(s.key for s in sent if s.delivered)
    out: list[Duplicate] = []
    for key, count in sorted(seen.items(), key=lambda kv: kv[0].describe()):
        extra = count - expected.get(key, 0)
        if extra <= 0 or key not in expected:
            continue
        rules: list[str] = []
        unsafe_in_flight = 0
        for s in sent:
            if s.key != key or not s.delivered:
                continue
            tag = s.tag
            if tag is not None and tag.persist_nothing:
                rules.append(PERSIST_NOTHING)
            elif s.fault in (TIMEOUT, UNAVAILABLE, RESET):
                rules.append(AFTER_FAULT)
            elif s.phase == "crash" and tag is not None and tag.worker in at_crash:
                state = at_crash[tag.worker]
                if state.region_of(tag.begin) is not None:
                    rules.append(IN_REGION)  # even a finished request: the whole region runs again
                elif tag.begin in state.ended_brackets:
                    continue
                elif s.idempotent:
                    rules.append(IN_FLIGHT)
                else:
                    unsafe_in_flight += 1
        if len(rules) >= extra:
            chosen = max(set(rules[:extra]), key=rules.count)
            out.append(Duplicate(key.describe(), expected[key], count, chosen))
        elif unsafe_in_flight:
            out.append(Duplicate(key.describe(), expected[key], count, None, (
                f"it was in flight at the crash outside any atomic region; idempotence mode is on, so Golem sent "
                f"it again, but {key.method} without an Idempotency-Key header is not idempotent")))
        else:
            out.append(Duplicate(key.describe(), expected[key], count, None,
                                 "no Golem rule re-sends it (it had completed before the crash)"))
    return out


def _non_hint(entries: Sequence[tuple[int, OplogEntry]]) -> list[tuple[int, OplogEntry]]:
    return [(i, e) for i, e in entries if not isinstance(e, Log)]


def diagnose_failure(entries: Sequence[tuple[int, OplogEntry]]) -> list[str]:
    """Golem-shaped explanations of why a worker failed, from its oplog."""
    out: list[str] = []
    core = _non_hint(entries)
    errors = [n for n, (_, e) in enumerate(core) if isinstance(e, Error)]
    if not errors:
        return out
    first = errors[0]
    before = core[first - 1][1] if first > 0 else None
    if isinstance(before, EndAtomicRegion):
        out.append("the worker trapped right after end-atomic-region: the region was closed (a `finally` clause?) "
                   "before the failure, so every retry replays the same failure instead of re-running the region; "
                   "end the region only when its work succeeded")
    elif isinstance(before, EndRemoteWrite | ImportedFunctionInvoked) and not CrashState.of(
            core[:first]).open_regions and len({core[n][1].error for n in errors}) == 1:  # type: ignore[union-attr]
        out.append("the worker trapped right after a remote write outside any atomic region: its answer is in the "
                   "oplog, so every retry replays the same answer and the same failure; put the request and the "
                   "check of its answer in an atomic region, ended only when they succeeded")
    last = core[errors[-1]][1]
    if isinstance(last, Error) and NOT_COMPLETED in last.error:
        out.append("idempotence is off and the request was in flight: Golem cannot know whether it was received, "
                   "so it fails the worker rather than send it twice (at-most-once, as required)")
    return out


def diagnose_duplicate(dup: Duplicate, entries: Sequence[tuple[int, OplogEntry]], crash_index: int) -> str | None:
    """For a violating duplicate: where the request sat among the invocation's remote writes."""
    if dup.rule is not None:
        return None
    writes = [i for i, e in entries if isinstance(e, ImportedFunctionInvoked)
              and e.function_type.kind.startswith("write-remote") and e.function_name.endswith("::get")]
    began = [i for i, e in entries if isinstance(e, ExportedFunctionInvoked)]
    start = began[-1] if began else 0
    later_done = any(isinstance(e, ExportedFunctionCompleted) for i, e in entries if i > start)
    between = len([i for i in writes if i > start]) >= 1 and not later_done
    place = "between two remote writes" if between else "among the invocation's remote writes"
    return (f"a side effect ({dup.request}) ran outside any atomic region {place}, and the crash at oplog index "
            f"{crash_index} left it in flight: put it in an atomic region with what must not be repeated, send it "
            f"with an Idempotency-Key header, or turn idempotence off for it (Golem then fails instead of repeating)")
