"""Who may do what (SPEC §8): role AND agency, decided from plain data."""

from __future__ import annotations

from collections.abc import Iterable

from .actor import Actor
from .errors import Forbidden
from .vocab import Role


def is_ig_lead_of(actor: Actor, agency_id: int | None) -> bool:
    return actor.has(Role.IG_LEAD) and agency_id is not None and actor.agency_id == agency_id


def may_manage_users(actor: Actor) -> bool:
    return actor.has(Role.ADMIN)


def may_create_agency(actor: Actor) -> bool:
    return actor.has(Role.ADMIN)


def may_edit_agency(actor: Actor, agency_id: int) -> bool:
    return actor.has(Role.ADMIN) or is_ig_lead_of(actor, agency_id)


def may_draft(actor: Actor, tier: int, owner_agency_id: int | None) -> bool:
    if tier == 1 and actor.has(Role.ADMIN):
        return True
    return is_ig_lead_of(actor, owner_agency_id)


def may_manage_agreement(actor: Actor, tier: int, owner_agency_id: int) -> bool:
    """Edit drafts, submit, amend and review: the owner's IG lead (and the admin for tier 1)."""
    return may_draft(actor, tier, owner_agency_id)


def may_review(actor: Actor, owner_agency_id: int) -> bool:
    return actor.has(Role.ADMIN) or is_ig_lead_of(actor, owner_agency_id)


def may_terminate(actor: Actor, owner_agency_id: int) -> bool:
    return actor.has(Role.ADMIN) or is_ig_lead_of(actor, owner_agency_id)


def may_suspend(actor: Actor) -> bool:
    return actor.has(Role.ADMIN)


def may_sign_for(actor: Actor, party_ids: Iterable[int], delegated: Iterable[int] = ()) -> bool:
    """A signatory signs only for its own agency, and only if it is a party. Never the admin.
    `delegated`: the agencies the actor holds a current delegation for (services/
    delegations.py), whose delegate signs for it without the signatory role."""
    return (
        actor.agency_id is not None
        and actor.agency_id in set(party_ids)
        and (actor.has(Role.SIGNATORY) or actor.agency_id in set(delegated))
        and not actor.has(Role.ADMIN)
    )


def may_withdraw(actor: Actor, agency_id: int) -> bool:
    return is_ig_lead_of(actor, agency_id)


def may_give_notice(actor: Actor, party_ids: Iterable[int]) -> bool:
    """An IG lead gives notice of withdrawal only for its own agency, and only from an
    agreement that agency is a party to."""
    return (
        actor.agency_id is not None
        and actor.agency_id in set(party_ids)
        and may_withdraw(actor, actor.agency_id)
    )


def require(allowed: bool, message: str = "You do not have permission to do that") -> None:
    if not allowed:
        raise Forbidden(message)
