"""Follow-ups to decisions (consent withdrawn, the share stopped...): read and add."""

from flask import jsonify

from ...clock import now, today
from ...domain.vocab import Role
from ...extensions import db
from ...services import decisions as decision_service
from ...services import follow_ups as service
from ...services.follow_ups import FollowUpInput
from ..permissions import current_actor, signed_in
from . import bp, contract
from .body import parse
from .spec import api


def follow_up_json(entry) -> dict:
    """The follow-up as the API shows it: its hashed content (less which user), its id
    and the chain's two hashes."""
    shown = {k: v for k, v in service.content(entry).items() if k != "user_id"}
    return {
        "id": entry.id,
        **shown,
        "entry_hash": entry.entry_hash,
        "previous_hash": entry.previous_hash,
    }


@api(
    bp,
    "/decisions/<int:decision_id>/follow-ups",
    "GET",
    "A decision's follow-ups, oldest first (for anyone who may read the decision)",
    response=contract.FollowUpList,
    errors=(401, 403, 404),
)
@signed_in()
def list_follow_ups(decision_id: int):
    items = service.follow_ups_of(db.session, current_actor(), decision_id)
    return jsonify(items=[follow_up_json(f) for f in items], total=len(items))


@api(
    bp,
    "/decisions/<int:decision_id>/follow-ups",
    "POST",
    "Add a follow-up to a decision (append-only): the practitioner who recorded it, or "
    "their agency's IG lead",
    body=contract.FollowUpInput,
    response=contract.FollowUp,
    status=201,
    also={
        200: "The same follow-up (every field alike) sent again by the same person within "
        "10 minutes: the one already recorded, not a second"
    },
    errors=(400, 401, 403, 404, 422),
)
@signed_in(Role.PRACTITIONER, Role.IG_LEAD)  # the service decides whose (follow_ups.py)
def create_follow_up(decision_id: int):
    actor = current_actor()
    # An unknown or another agency's decision is said so before anything about the body.
    decision_service.get_decision(db.session, actor, decision_id)
    asked = parse(contract.FollowUpInput)
    try:
        entry = service.record_follow_up(
            db.session,
            actor,
            decision_id,
            FollowUpInput(
                consent_withdrawn=asked.consent_withdrawn,
                share_stopped=asked.share_stopped,
                information=asked.information.value,
                outcome=asked.outcome,
                next_follow_up_on=asked.next_follow_up_on,
            ),
            today=today(),
            now=now(),
        )
    except service.Repeated as repeated:
        return jsonify(follow_up_json(repeated.entry)), 200
    return jsonify(follow_up_json(entry)), 201
