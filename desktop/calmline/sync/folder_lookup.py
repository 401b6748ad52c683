"""The folder store's live lookup for a ringing caller (FolderTarget.lookup):
the day folders of today and yesterday (UTC) of every agent, read under a
deadline, and of what they hold the values of this caller."""

from __future__ import annotations

from datetime import date, timedelta

from calmline.core.team import TeamChanges, number_key, ref_key
from calmline.sync.folder_read import ShareWalk, add
from calmline.sync.team_docs import READ_TYPES

_EVERY = frozenset(READ_TYPES)
_NONE: frozenset[str] = frozenset()


def read_caller(walk: ShareWalk, today: date, number: str, ref: str) -> TeamChanges:
    """This caller's values in ``today``'s and the day before's folders (the
    walk's check raises once the deadline passes); skipped documents listed."""
    days = {today.isoformat(), (today - timedelta(days=1)).isoformat()}
    found = TeamChanges()
    for _agent, _day, doc in walk.documents(lambda day: _EVERY if day in days else _NONE):
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
