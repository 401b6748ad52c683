"""The folder store's live lookup for a ringing caller (FolderTarget.lookup):
the day folders of today and yesterday (UTC) of every agent, opened by name
(no agent folder listed), read under a deadline, and of what they hold the
values of this caller.

Why those two days are enough: the local cache already holds the share as of
its last refresh (at shift start, after every sync, in the background), and a
document reaches the share only when an agent syncs, into the folder of their
shift's start day; so anything newer than the cache is of a shift started
today or yesterday (a night shift over midnight), or a lead's decision of
today (a decision's day is the day it was made). An older record edited since
is found by the next refresh; a cache older than a day says it is stale.

The budget is checked before each folder and each document: TargetError once
it has passed. A share that hangs inside one call (a dead SMB server) holds
that call, so the caller runs the lookup off the GUI thread. Skipped documents
are listed, not logged: the refresh logs them once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

from calmline.core.team import TeamChanges, number_key, ref_key
from calmline.sync.base import TargetError
from calmline.sync.folder_read import ShareWalk
from calmline.sync.team_docs import READ_TYPES, add

_EVERY = frozenset(READ_TYPES)


def read_caller(walk: ShareWalk, today: date, number: str, ref: str) -> TeamChanges:
    """This caller's values in ``today``'s and the day before's folders (the
    walk's check raises once the deadline passes); skipped documents listed."""
    days = [(today - timedelta(days=1)).isoformat(), today.isoformat()]
    found = TeamChanges()
    for _agent, _day, doc in walk.documents(lambda _day: _EVERY, only=days):
        add(found, doc.value)
    found.skipped = walk.skipped
    return caller_values(found, number, ref)


def caller_values(found: TeamChanges, number: str, ref: str) -> TeamChanges:
    """Of ``found``, the caller's: incidents and markers of this number key or
    customer ref key, the promises of those incidents. Kept records and
    decisions carry only ids, so all of them stay: one may point at a promise
    or a marker the local cache already holds."""
    num, cust = number_key(number), ref_key(ref)

    def theirs(caller_number: str, customer_ref: str) -> bool:
        return bool(num and number_key(caller_number) == num) or bool(
            cust and ref_key(customer_ref) == cust
        )

    out = TeamChanges(skipped=found.skipped, kept=found.kept, decisions=found.decisions)
    out.incidents = [i for i in found.incidents if theirs(i.caller_number, i.customer_ref)]
    calls = {i.id for i in out.incidents}
    out.promises = [p for p in found.promises if p.incident_id in calls]
    out.markers = [m for m in found.markers if theirs(m.caller_number, m.customer_ref)]
    return out


def deadline_check(name: str, budget_s: float) -> Callable[[], None]:
    end = time.monotonic() + budget_s

    def check() -> None:
        if time.monotonic() >= end:
            raise TargetError(
                f"{name}: the live lookup took longer than its {budget_s:g} s budget; "
                "the local team cache answers"
            )

    return check
