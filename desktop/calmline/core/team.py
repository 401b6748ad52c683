"""The team's memory of callers, as every team store hands it back: the
caller-facing part of other agents' incidents, the promises made to callers,
who recorded a promise kept, and caution markers with their reviews. Never
voice figures, facts, compensation or notes: only what the next agent needs.
Pure: dataclasses, the normalised caller keys, and the marker rules.

JSON: each value is ``serialize.plain(value)`` and back ``from_plain(cls, data)``,
so the HTTPS contract, PostgreSQL's functions, the folder reader and the local
cache all carry the same field names (installers/server/team-api.openapi.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from calmline.core.records import ApologyKind, Resolution
from calmline.core.records import MarkerReason as MarkerReason  # its home; used here too

REVIEW_DAYS = 90  # an approved marker's review date, by default (sync.marker_review_days)
_NOT_DIGIT = re.compile(r"\D+")


def number_key(number: str) -> str:
    """A caller number as the team store indexes it: its digits only, without
    an international "00" prefix ("+44 20 7946 0000" and "0044 20 7946 0000"
    are both "442079460000"). "" when it holds no digit."""
    digits = _NOT_DIGIT.sub("", number)
    if number.lstrip().startswith("00"):
        digits = digits[2:]
    return digits


def ref_key(ref: str) -> str:
    """A customer reference as the team store indexes it: spaces collapsed,
    case folded ("AC 1234" and " ac  1234" are the same customer)."""
    return " ".join(ref.split()).casefold()


class MarkerAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RENEW = "renew"


DONE_WORDS = {
    MarkerAction.APPROVE: "approved",
    MarkerAction.REJECT: "rejected",
    MarkerAction.RENEW: "renewed",
}


class MarkerStatus(StrEnum):
    PROPOSED = "proposed"  # awaiting a lead's review
    ACTIVE = "active"  # approved (or renewed) and its review date not passed
    REJECTED = "rejected"
    EXPIRED = "expired"  # approved, but its review date passed without a renewal


@dataclass(frozen=True)
class TeamIncident:
    """The caller-facing part of one incident in the team store."""

    id: str
    version: int
    agent_id: str
    started_at: datetime
    ended_at: datetime | None = None
    caller_number: str = ""
    customer_ref: str = ""
    category: str = ""
    resolution: Resolution = Resolution.NONE
    agreed_resolution: str = ""
    apology_kind: ApologyKind = ApologyKind.NONE
    summary: str = ""  # point form, one point per line


@dataclass(frozen=True)
class TeamPromise:
    """A follow-up promised to a caller: it belongs to the agent who promised it."""

    id: str  # the follow-up's id
    version: int
    incident_id: str
    agent_id: str  # who promised it
    what: str
    who: str = ""
    due: date | None = None
    done_at: datetime | None = None  # the promiser marked it done


@dataclass(frozen=True)
class PromiseKept:
    """Another agent recorded, on a later call, that a promise was kept. The
    promiser's follow-up is theirs alone (row-level security); this record is
    the other agent's own."""

    id: str
    version: int
    followup_id: str
    incident_id: str  # the call it was kept on
    agent_id: str  # who recorded it
    kept_at: datetime


@dataclass(frozen=True)
class CautionMarker:
    """An agent's proposal that a caller be marked, after an abusive call."""

    id: str
    version: int
    agent_id: str  # who proposed it
    incident_id: str  # the call it was proposed after
    proposed_at: datetime
    reason: MarkerReason
    caller_number: str = ""
    customer_ref: str = ""


@dataclass(frozen=True)
class MarkerDecision:
    """A team lead's review of a marker: who, when, what, and (approve and
    renew) the date it must be reviewed again by."""

    id: str
    version: int
    marker_id: str
    agent_id: str  # the lead
    decided_at: datetime
    action: MarkerAction
    review_by: date | None = None


@dataclass(frozen=True)
class FolderEntry:
    """What the folder reader saw in one folder of the share at its last read:
    the folder's change time and each document's (mtime_ns, size). The local
    cache keeps them (sync/base.FolderIndex), so a refresh reads only what
    changed."""

    rel_dir: str  # "<agent>/<yyyy-mm-dd>", "/"-separated
    mtime_ns: int
    files: dict[str, tuple[int, int]]


@dataclass
class TeamChanges:
    """What a team store handed back: new or newer values, where to go on
    from next time, and the documents it skipped (one line each)."""

    incidents: list[TeamIncident] = field(default_factory=list)
    promises: list[TeamPromise] = field(default_factory=list)
    kept: list[PromiseKept] = field(default_factory=list)
    markers: list[CautionMarker] = field(default_factory=list)
    decisions: list[MarkerDecision] = field(default_factory=list)
    cursor: str = ""  # opaque to all but the target that gave it
    more: bool = False  # the target has more after ``cursor``: ask again
    skipped: list[str] = field(default_factory=list)
    # The folder target only: the folders it read this time, to replace their
    # entries in the local index (applied in the same transaction as the rest).
    folder_index: list[FolderEntry] = field(default_factory=list)

    def count(self) -> int:
        return (
            len(self.incidents)
            + len(self.promises)
            + len(self.kept)
            + len(self.markers)
            + len(self.decisions)
        )


@dataclass(frozen=True)
class MarkerState:
    marker: CautionMarker
    status: MarkerStatus
    review_by: date | None  # the date an active marker must be reviewed by
    decisions: tuple[MarkerDecision, ...]  # oldest first


def marker_state(
    marker: CautionMarker, decisions: list[MarkerDecision], today: date
) -> MarkerState:
    """Where a marker stands today: the last decision counts; an approval or
    renewal holds until its review date (inclusive), then the marker expires."""
    mine = tuple(
        sorted((d for d in decisions if d.marker_id == marker.id), key=lambda d: d.decided_at)
    )
    if not mine:
        return MarkerState(marker, MarkerStatus.PROPOSED, None, mine)
    last = mine[-1]
    if last.action is MarkerAction.REJECT:
        return MarkerState(marker, MarkerStatus.REJECTED, None, mine)
    review_by = last.review_by or (last.decided_at.date() + timedelta(days=REVIEW_DAYS))
    status = MarkerStatus.ACTIVE if today <= review_by else MarkerStatus.EXPIRED
    return MarkerState(marker, status, review_by, mine)


def may_decide(action: MarkerAction, status: MarkerStatus) -> str:
    """Why a lead may not take ``action`` on a marker in ``status`` ("" = may)."""
    if action is MarkerAction.RENEW and status not in (MarkerStatus.ACTIVE, MarkerStatus.EXPIRED):
        return f"only an approved marker can be renewed; this one is {status.value}"
    if action in (MarkerAction.APPROVE, MarkerAction.REJECT) and status is not (
        MarkerStatus.PROPOSED
    ):
        return f"only a proposed marker can be {DONE_WORDS[action]}; this one is {status.value}"
    return ""


def is_kept(promise: TeamPromise, kept: list[PromiseKept]) -> bool:
    return promise.done_at is not None or any(k.followup_id == promise.id for k in kept)
