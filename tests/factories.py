"""Keyword-only factories with sane defaults. They go through the services, so the data
they make is data the registry itself could have made."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from registry.domain.actor import Actor
from registry.domain.vocab import Role
from registry.models import Agency, Agreement, User
from registry.services import agencies, agreement_lifecycle, agreements, signing, users

from .client import RegistryClient
from .conftest import FIXED_NOW

_counter = itertools.count(1)
ADMIN = Actor(user_id=None, name="test admin", roles=frozenset({Role.ADMIN}))
TODAY = FIXED_NOW.date()


def make_agency(
    session,
    *,
    name: str | None = None,
    kind: str = "local_authority",
    ico: str | None = None,
    **extra,
) -> Agency:
    n = next(_counter)
    return agencies.create_agency(
        session,
        ADMIN,
        {
            "name": name or f"Agency {n}",
            "kind": kind,
            "ico_registration": ico or f"Z{n:07d}",
            **extra,
        },
        now=FIXED_NOW,
    )


def make_user(
    session,
    *,
    roles=("practitioner",),
    agency: Agency | None = None,
    name: str | None = None,
    email: str | None = None,
    job_title: str = "Officer",
    active: bool = True,
    password: str | None = None,
) -> User:
    n = next(_counter)
    if agency is None and "admin" not in roles:
        agency = make_agency(session)
    return users.create_user(
        session,
        None,
        email=email or f"user{n}@example.org",
        name=name or f"User {n}",
        password=password or RegistryClient.password,
        roles=list(roles),
        agency_id=agency.id if agency else None,
        job_title=job_title,
        active=active,
        now=FIXED_NOW,
    )


def make_admin(session) -> User:
    return make_user(session, roles=("admin",), name="Ada Admin")


def make_officer(
    session,
    agency: Agency,
    *,
    role: str = "lead_information_officer",
    name: str = "Olive Officer",
    email: str = "olive@example.org",
    replaces_current: bool = False,
    **extra,
):
    return agencies.add_officer(
        session,
        ADMIN,
        agency.id,
        {
            "role": role,
            "name": name,
            "job_title": extra.pop("job_title", "Officer"),
            "email": email,
            **extra,
        },
        today=TODAY,
        now=FIXED_NOW,
        replaces_current=replaces_current,
    )


def ig_lead_actor(agency: Agency) -> Actor:
    return Actor(
        user_id=None,
        name=f"IG lead of {agency.name}",
        agency_id=agency.id,
        roles=frozenset({Role.IG_LEAD}),
    )


def party(agency: Agency, disclose: bool = True, receive: bool = True) -> dict:
    return {"agency_id": agency.id, "may_disclose": disclose, "may_receive": receive}


def make_draft(
    session,
    *,
    tier: int = 2,
    owner: Agency,
    parties: list[dict],
    parent: Agreement | None = None,
    **content,
) -> Agreement:
    data = {
        "title": content.pop("title", f"Agreement {next(_counter)}"),
        "tier": tier,
        "owner_agency_id": owner.id,
        "parent_id": parent.id if parent else None,
        "purposes": ["mash_triage"] if tier > 1 else [],
        "data_categories": ["identity_contact"] if tier > 1 else [],
        "lawful_bases": ["art6_1_e"],
        "effective_from": TODAY - timedelta(days=30),
        "parties": parties,
        **content,
    }
    actor = ADMIN if tier == 1 else ig_lead_actor(owner)
    return agreements.create_draft(session, actor, data, now=FIXED_NOW)


def signatory_for(session, agency: Agency) -> User:
    existing = [
        u for u in session.query(User).filter_by(agency_id=agency.id) if u.has(Role.SIGNATORY)
    ]
    return (
        existing[0]
        if existing
        else make_user(
            session,
            roles=("signatory",),
            agency=agency,
            name=f"Signer for {agency.name}",
            job_title="Director",
        )
    )


def activate(session, agreement: Agreement, *, skip: tuple[Agency, ...] = ()) -> Agreement:
    """Submit the open draft and sign it for every party (but those in `skip`)."""
    owner = session.get(Agency, agreement.owner_agency_id)
    actor = ADMIN if agreement.tier == 1 else ig_lead_actor(owner)
    agreement_lifecycle.submit(session, actor, agreement.id, now=FIXED_NOW)
    skipped = {a.id for a in skip}
    for p in list(agreement.latest.parties):
        if p.agency_id not in skipped:
            signer = signatory_for(session, session.get(Agency, p.agency_id))
            signing.sign(session, signer.actor(), agreement.id, proof="password", now=FIXED_NOW)
    return agreement


def chain(session, *agencies_: Agency, effective_from: date | None = None):
    """An active tier-1 protocol and a tier-2 agreement under it, between these agencies."""
    owner = agencies_[0]
    dates = {"effective_from": effective_from} if effective_from else {}
    protocol = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=owner,
            parties=[party(a) for a in agencies_],
            title="Protocol",
            **dates,
        ),
    )
    tier2 = activate(
        session,
        make_draft(
            session,
            tier=2,
            owner=owner,
            parent=protocol,
            parties=[party(a) for a in agencies_],
            title="MASH",
            **dates,
        ),
    )
    return protocol, tier2


def police_to_council(session, parent: Agreement, police: Agency, council: Agency) -> Agreement:
    """An active tier-3 flow under `parent` between the two agencies, both ways, owned by
    the council: the child that the tests then narrow its parent below."""
    return activate(
        session,
        make_draft(
            session, tier=3, owner=council, parent=parent, parties=[party(police), party(council)]
        ),
    )


def awaiting_signatures(session) -> tuple[Agency, Agency, int]:
    """A council and a police force under their protocol, and a tier-2 agreement between
    them submitted for signature (its id)."""
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    agreement_lifecycle.submit(session, ig_lead_actor(council), draft.id, now=FIXED_NOW)
    return council, police, draft.id


def make_decision(session, practitioner: User, to_agency: Agency, **fields):
    """A decision recorded by `practitioner` as their own agency (a share, consent given)."""
    from registry.services.decisions import DecisionInput, record_decision

    data = {
        "from_agency_id": practitioner.agency_id,
        "to_agency_id": to_agency.id,
        "purpose": "mash_triage",
        "data_categories": ["identity_contact"],
        "decision": "share",
        "consent": "given",
        "reasons": "Risk of significant harm",
        **fields,
    }
    now = data.pop("now", FIXED_NOW)
    return record_decision(
        session,
        practitioner.actor(),
        DecisionInput(**data),
        idempotency_key=None,
        today=now.date(),
        now=now,
    )[0]


def make_follow_up(session, user: User, decision, **fields):
    """A follow-up to `decision` by `user`: consent withdrawn, sharing stopped, deleted."""
    from registry.services.follow_ups import FollowUpInput, record_follow_up

    data = {
        "consent_withdrawn": True,
        "share_stopped": True,
        "information": "deleted",
        "outcome": "The recipient confirmed by email that they deleted it",
        **fields,
    }
    now = data.pop("now", FIXED_NOW)
    return record_follow_up(
        session, user.actor(), decision.id, FollowUpInput(**data), today=now.date(), now=now
    )


def amendment_adding(session, owner: Agency, other: Agency, added: Agency) -> Agreement:
    """A tier-2 agreement of `owner` and `other` in force, under a protocol of all three,
    with an amendment drafted that adds `added` (the version in force does not name it)."""
    protocol = activate(
        session,
        make_draft(
            session, tier=1, owner=owner, parties=[party(owner), party(other), party(added)]
        ),
    )
    two = activate(
        session,
        make_draft(session, owner=owner, parent=protocol, parties=[party(owner), party(other)]),
    )
    agreement_lifecycle.amend(session, ig_lead_actor(owner), two.id, now=FIXED_NOW)
    agreements.update_draft(
        session,
        ig_lead_actor(owner),
        two.id,
        {"parties": [party(owner), party(other), party(added)]},
        now=FIXED_NOW,
    )
    return two
