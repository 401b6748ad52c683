"""The rules of the agent's two team actions, pure: proposing a caution marker
after an abusive call, and recording another agent's promise kept on this
call. The flow saves what these return; TransitionError says why not."""

from __future__ import annotations

from datetime import datetime

from calmline.core.records import AbuseLevel, Incident, KeptPromise, MarkerProposal, MarkerReason
from calmline.core.session import TransitionError

REASONS = ", ".join(r.value for r in MarkerReason)


def proposal(
    incident: Incident, reason: str, now: datetime, earlier: list[MarkerProposal]
) -> MarkerProposal:
    """A caution marker proposed for the caller of ``incident``; ``earlier``: the
    proposals already made after that call (one per call)."""
    try:
        why = MarkerReason(reason.strip())
    except ValueError:
        raise TransitionError(
            f"{reason[:40]!r} is not a reason for a caution marker; use one of {REASONS}"
        ) from None
    if incident.abuse_level < AbuseLevel.AGGRESSIVE:
        raise TransitionError(
            "a caution marker follows an aggressive or abusive call: mark the call's abuse "
            "level in its incident form first"
        )
    if not (incident.caller_number.strip() or incident.customer_ref.strip()):
        raise TransitionError(
            "this call has no caller number or customer reference, so there is no one to mark"
        )
    if earlier:
        raise TransitionError("a caution marker was already proposed after this call")
    return MarkerProposal(
        incident_id=incident.meta.id,
        reason=why,
        proposed_at=now,
        caller_number=incident.caller_number,
        customer_ref=incident.customer_ref,
    )


def kept(followup_id: str, call: Incident | None, now: datetime) -> KeptPromise:
    """Another agent's promise, kept on the call in progress."""
    if call is None:
        raise TransitionError("a promise is recorded kept during the call it was kept on")
    return KeptPromise(followup_id=followup_id, incident_id=call.meta.id, kept_at=now)
