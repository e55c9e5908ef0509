"""The fictional Northshire partnership: agencies of every kind, their officers, agreements
in every effective status, and a demo user for each role. Dates are set relative to `now`,
so each agreement shows its intended status whatever day the demo is loaded."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..clock import LONDON
from ..database import writes
from ..domain.actor import Actor
from ..domain.vocab import ROLE_LABELS, Role
from ..models import Agency, DeliveryState, Notification, NotificationEvent, User
from . import agencies, agreement_lifecycle, agreements, sealing, signing, users

DEMO_PASSWORD = "northshire-demo-2026"
DOMAIN = "northshire.example"
LOADER = Actor(user_id=None, name="demo data loader", roles=frozenset({Role.ADMIN}))

# slug, name, kind, ODS code
AGENCIES = [
    ("council", "Northshire County Council", "local_authority", None),
    ("eastmoor", "Eastmoor Borough Council", "local_authority", None),
    ("police", "Northshire Police", "police", None),
    ("hospital", "Northshire and Eastmoor NHS Foundation Trust", "health", "RX9"),
    ("icb", "Northshire Integrated Care Board", "health", "QN5"),
    ("community", "Northshire Community Health NHS Trust", "health", "RY1"),
    ("riverside", "Riverside Medical Practice", "health", "N81001"),
    ("millbrook", "Millbrook Academy", "education", None),
    ("staidans", "St Aidan's Primary School", "education", None),
    ("probation", "Northshire Probation Delivery Unit", "probation", None),
    ("yjs", "Northshire Youth Justice Service", "youth_justice", None),
    ("homes", "Eastmoor Homes", "housing", None),
    ("womensaid", "Northshire Women's Aid", "voluntary", None),
    ("carers", "Northshire Young Carers", "voluntary", None),
    ("fire", "Northshire Fire and Rescue Service", "other", None),
]

# The accounts printed for people to try; every agency also has a signatory account.
KEY_ACCOUNTS = [
    ("admin", None, ["admin"], "Registry Administrator", "Partnership business manager"),
    ("ig.lead.council", "council", ["ig_lead"], "Priya Shah", "Information governance lead"),
    (
        "signatory.council",
        "council",
        ["signatory"],
        "Martin Cole",
        "Director of Children's Services",
    ),
    ("practitioner.council", "council", ["practitioner"], "Jo Baker", "Social worker"),
    ("ig.lead.police", "police", ["ig_lead"], "Dan Okafor", "Information management lead"),
    (
        "practitioner.hospital",
        "hospital",
        ["practitioner"],
        "Sam Patel",
        "Named nurse for safeguarding",
    ),
]

JOB_TITLES = {
    "lead_information_officer": "Head of Information Governance",
    "dpo": "Data Protection Officer",
    "signatory": "Director",
    "siro": "Senior Information Risk Owner",
    "caldicott_guardian": "Medical Director and Caldicott Guardian",
}

FIRST = [
    "Alex",
    "Morgan",
    "Chris",
    "Hannah",
    "Imran",
    "Lucy",
    "Owen",
    "Ruth",
    "Tom",
    "Zara",
    "Ben",
    "Grace",
    "Kiran",
    "Nadia",
    "Peter",
]
LAST = [
    "Adams",
    "Brooks",
    "Clarke",
    "Dunn",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morris",
    "Nash",
    "Owens",
]


def email(local: str) -> str:
    return f"{local}@{DOMAIN}"


def is_demo_account(user: User) -> bool:
    """A user the demo's seeding made, as its record says (`seed_demo` alone marks them;
    an address that looks like the demo's proves nothing). The demo settings
    (REGISTRY_DEMO=1) let these sign in without two-factor; nothing else does."""
    return bool(user.demo_account)


# Printed besides the key accounts: the other party's signatory to most demo agreements,
# so that someone trying the demo can give an agreement its last signature.
ALSO_SHOWN = ("signatory.police",)


def demo_accounts(session: Session) -> list[tuple[str, str]]:
    rows = []
    for local in [account[0] for account in KEY_ACCOUNTS] + list(ALSO_SHOWN):
        user = session.scalar(
            select(User).where(User.email == email(local), User.demo_account.is_(True))
        )
        if user is not None:
            where = user.agency.name if user.agency else "the whole partnership"
            said = ", ".join(ROLE_LABELS[r].lower() for r in sorted(user.roles))
            rows.append((user.email, f"{said[0].upper()}{said[1:]} – {where}"))
    return rows


def _name(index: int, offset: int) -> str:
    return f"{FIRST[(index + offset) % len(FIRST)]} {LAST[(index * 3 + offset) % len(LAST)]}"


def seed_demo(session: Session, *, now: datetime) -> list[tuple[str, str]]:
    today = now.astimezone(LONDON).date()
    ids: dict[str, int] = {}
    for index, (slug, name, kind, ods) in enumerate(AGENCIES):
        agency = agencies.create_agency(
            session,
            LOADER,
            {
                "name": name,
                "kind": kind,
                "ico_registration": f"Z90{index + 1:05d}",
                "ods_code": ods,
                "email": f"info@{slug}.{DOMAIN}",
                "phone": f"01632 96{index:04d}",
            },
            now=now,
        )
        ids[slug] = agency.id
        _officers(session, agency, index, today, now)
    made: list[User] = []
    for local, home, roles, name, job in KEY_ACCOUNTS:
        made.append(
            users.create_user(
                session,
                None,
                email=email(local),
                name=name,
                job_title=job,
                password=DEMO_PASSWORD,
                roles=roles,
                agency_id=ids[home] if home else None,
                now=now,
            )
        )
    for index, (slug, *_rest) in enumerate(AGENCIES):
        if slug != "council":
            made.append(
                users.create_user(
                    session,
                    None,
                    email=email(f"signatory.{slug}"),
                    name=_name(index, 7),
                    job_title="Authorised signatory",
                    password=DEMO_PASSWORD,
                    roles=["signatory"],
                    agency_id=ids[slug],
                    now=now,
                )
            )
    _mark_demo_accounts(session, made)
    _agreements(session, ids, today, now)
    _delegation(session, today, now)
    _officer_changes(session, ids, today, now)
    _decisions_and_follow_ups(session, ids, now)
    _settle_notifications(session, now)
    # The agreements' sealed PDFs are made in the background when the registry serves;
    # the demo makes them before it returns, so that `make run` serves every one at once.
    from flask import current_app

    sealing.run_pending(
        session,
        clock=lambda: now,
        config=current_app.config,
        static_folder=current_app.static_folder,
    )
    return demo_accounts(session)


def _decisions_and_follow_ups(session: Session, ids: dict[str, int], now: datetime) -> None:
    """Jo Baker's decisions over the last four months, for the decisions list, its filters
    and its monthly summary: shares and not, consent refused, one share made although the
    check found it not covered; two follow-ups recorded (consent withdrawn, information
    deleted) and two now due, on her home page and Priya Shah's."""
    from ..domain.lifecycle import StatusSettings
    from .coverage import CheckInput, run_check
    from .decisions import DecisionInput, record_decision
    from .follow_ups import FollowUpInput, record_follow_up

    jo = session.scalar(select(User).where(User.email == email("practitioner.council")))
    if jo is None:
        return
    actor = jo.actor()
    # (days ago, to, purpose, decision, consent, reasons, follow up after N days, case)
    made = [
        (
            118,
            "police",
            "mash_triage",
            "share",
            "given",
            "Police asked for the family's details for the MASH strategy discussion.",
            None,
            "CS-100481",
        ),
        (
            96,
            "hospital",
            "child_protection_s47",
            "share",
            "not_sought",
            "Section 47 enquiry: the paediatrician needs the injury history today.",
            14,
            "CS-100502",
        ),
        (
            75,
            "millbrook",
            "early_help",
            "not_share",
            "refused",
            "Parent refused; no risk of significant harm, so early help proceeds without sharing.",
            None,
            "CS-100533",
        ),
        (
            52,
            "fire",
            "mash_triage",
            "share",
            "refused",
            "Hoarding and a fire risk to the "
            "children; the fire service needs the address for a safety visit.",
            21,
            "CS-100560",
        ),
        (
            30,
            "police",
            "marac",
            "share",
            "given",
            "MARAC referral after a high-risk DASH assessment.",
            20,
            "CS-100578",
        ),
        (
            12,
            "hospital",
            "mash_triage",
            "share",
            "given",
            "Health checks for the MASH triage of a new referral.",
            7,
            "CS-100601",
        ),
        (
            3,
            "homes",
            "early_help",
            "not_share",
            "not_applicable",
            "Housing does not need this to offer the family a move.",
            None,
            "CS-100622",
        ),
    ]
    records = {}
    for days, to, purpose, decision, consent, reasons, follow, case in made:
        when = now - timedelta(days=days)
        day = when.astimezone(LONDON).date()
        categories = ["identity_contact", "family_household"]
        check, _ = run_check(
            session,
            actor,
            CheckInput(jo.agency_id, ids[to], purpose, categories, None),
            today=day,
            now=when,
            settings=StatusSettings(),
        )
        record, _ = record_decision(
            session,
            actor,
            DecisionInput(
                check_id=check.id,
                from_agency_id=jo.agency_id,
                to_agency_id=ids[to],
                purpose=purpose,
                data_categories=categories,
                decision=decision,
                consent=consent,
                consent_reason=(
                    "The risk to the children could not wait for consent"
                    if decision == "share" and consent in ("refused", "not_sought")
                    else None
                ),
                reasons=reasons,
                case_reference=case,
                key_questions={"legitimate_purpose": "yes", "proportionate": "yes"},
                follow_up_on=day + timedelta(days=follow) if follow else None,
            ),
            idempotency_key=None,
            today=day,
            now=when,
        )
        records[case] = record
    # The s47 share: followed up two weeks later; the MARAC share: consent withdrawn.
    for case, after, data in (
        (
            "CS-100502",
            15,
            FollowUpInput(
                False,
                False,
                "kept",
                "The paediatrician confirmed the history was "
                "used in the medical; nothing more is needed.",
            ),
        ),
        (
            "CS-100578",
            8,
            FollowUpInput(
                True,
                True,
                "deleted",
                "The parent withdrew consent after the MARAC. "
                "Police confirmed they deleted our copy; the MARAC minutes keep "
                "only the outcome.",
                None,
            ),
        ),
    ):
        record = records[case]
        when = record.recorded_at + timedelta(days=after)
        record_follow_up(
            session, actor, record.id, data, today=when.astimezone(LONDON).date(), now=when
        )


def _delegation(session: Session, today: date, now: datetime) -> None:
    """The council's signatory is away for a fortnight and has named the council's IG lead
    to sign on his behalf: the Delegations page shows it, and her home page lists what
    waits for the council's signature."""
    from . import delegations

    principal = session.scalar(select(User).where(User.email == email("signatory.council")))
    delegate = session.scalar(select(User).where(User.email == email("ig.lead.council")))
    if principal is None or delegate is None:
        return
    delegations.create(
        session,
        principal.actor(),
        delegate_id=delegate.id,
        starts_on=today,
        ends_on=today + timedelta(days=14),
        now=now,
    )


@writes
def _mark_demo_accounts(session: Session, made: list[User]) -> None:
    """The record that these are the demo's own accounts (see is_demo_account)."""
    for user in made:
        user.demo_account = True
    session.commit()


def _officers(session: Session, agency: Agency, index: int, today: date, now: datetime) -> None:
    """Each agency's officers, in post from real-looking dates; some with a predecessor,
    so the agency pages show their history."""
    slug = AGENCIES[index][0]
    roles = ["lead_information_officer", "dpo", "signatory", "siro"]
    if agency.kind.value in ("health", "local_authority"):
        roles.append("caldicott_guardian")
    if slug == "riverside":
        roles.remove("caldicott_guardian")  # a gap the IG lead should see
    if slug == "carers":
        roles.remove("lead_information_officer")
    for offset, role in enumerate(roles):
        # Spread over the last few years: 1 to 6 years ago, on no two agencies alike.
        started_on = today - timedelta(days=400 + (index * 97 + offset * 211) % 1800)
        if role == "caldicott_guardian" and slug == "council":
            # The council's first Caldicott Guardian retired: a past holder, with dates.
            _officer(session, agency, slug, role, "Margaret Okafor", started_on, today, now)
            started_on = today - timedelta(days=380)
            name = _name(index, offset)
            _officer(session, agency, slug, role, name, started_on, today, now, replaces=True)
            continue
        _officer(session, agency, slug, role, _name(index, offset), started_on, today, now)


def _officer(
    session: Session,
    agency: Agency,
    slug: str,
    role: str,
    name: str,
    started_on: date,
    today: date,
    now: datetime,
    *,
    replaces: bool = False,
) -> None:
    agencies.add_officer(
        session,
        LOADER,
        agency.id,
        {
            "role": role,
            "name": name,
            "job_title": JOB_TITLES[role],
            "email": f"{role.replace('_', '.')}@{slug}.{DOMAIN}",
            "started_on": started_on,
        },
        today=today,
        now=now,
        replaces_current=replaces,
    )


def _officer_changes(session: Session, ids: dict[str, int], today: date, now: datetime) -> None:
    """The police DPO changed last month, after the agreements were made: the IG leads of
    the agencies sharing agreements with the police are told, and see it on their home
    page until they acknowledge it."""
    police = session.get(Agency, ids["police"])
    assert police is not None
    agencies.add_officer(
        session,
        LOADER,
        police.id,
        {
            "role": "dpo",
            "name": "Farah Malik",
            "job_title": "Data protection officer",
            "email": f"farah.malik@police.{DOMAIN}",
            "started_on": today - timedelta(days=30),
        },
        today=today,
        now=now,
        replaces_current=True,
    )


def _settle_notifications(session: Session, now: datetime) -> None:
    """The demo's story is loaded at once, but tells of work done before today: its
    notifications are shown in the registry, and none is mailed or logged as if it had
    just happened (its addresses are fictional). News of agreements that came into force
    long ago is marked read; what still asks something of its reader (an officer change
    to acknowledge, a decline, a narrowed parent, a delegation, a signature still awaited)
    stays unread."""
    session.execute(
        update(Notification)
        .where(Notification.event == NotificationEvent.ACTIVATED)
        .values(read_at=now)
    )
    session.execute(update(Notification).values(state=DeliveryState.SENT, sent_at=now))
    session.commit()


def _signatory(session: Session, agency_id: int) -> Actor:
    user = session.scalar(
        select(User).where(User.agency_id == agency_id, User.role_rows.any(role=Role.SIGNATORY))
    )
    if user is None:
        raise LookupError(f"the demo has no signatory for agency {agency_id}")
    return user.actor()


def _ig_lead(session: Session, ids: dict[str, int], slug: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email(f"ig.lead.{slug}")))
    if user is not None:
        return user.actor()
    return Actor(
        user_id=None, name="demo data loader", agency_id=ids[slug], roles=frozenset({Role.IG_LEAD})
    )


def _submitter(session: Session, agreement) -> Actor:
    """Who submits a demo agreement, as its notices name them: the owner's IG lead (the
    administrator for a tier-1 protocol, or an owner with no IG lead account)."""
    lead = session.scalar(
        select(User).where(
            User.agency_id == agreement.owner_agency_id, User.role_rows.any(role=Role.IG_LEAD)
        )
    )
    if agreement.tier > 1 and lead is not None:
        return lead.actor()
    admin = session.scalar(select(User).where(User.role_rows.any(role=Role.ADMIN)))
    if admin is not None:
        return admin.actor()
    return Actor(
        user_id=None,
        name="demo data loader",
        agency_id=agreement.owner_agency_id,
        roles=frozenset({Role.IG_LEAD, Role.ADMIN}),
    )


def _party(ids, slug, disclose=True, receive=True):
    return {"agency_id": ids[slug], "may_disclose": disclose, "may_receive": receive}


def _draft(session, ids, owner, data, now):
    actor = _ig_lead(session, ids, owner) if data["tier"] > 1 else LOADER
    return agreements.create_draft(session, actor, {"owner_agency_id": ids[owner], **data}, now=now)


def _sign_all(session, agreement, now, skip=()):
    agreement_lifecycle.submit(session, _submitter(session, agreement), agreement.id, now=now)
    for party in agreement.latest.parties:
        if party.agency_id not in skip:
            signer = _signatory(session, party.agency_id)
            signing.sign(session, signer, agreement.id, proof=signing.PASSWORD, now=now)


def _agreements(session: Session, ids: dict[str, int], today: date, now: datetime) -> None:
    d = lambda days: today + timedelta(days=days)  # noqa: E731
    everyone = [_party(ids, slug) for slug, *_ in AGENCIES]
    protocol = _draft(
        session,
        ids,
        "council",
        {
            "tier": 1,
            "title": "Northshire Multi-Agency Information Sharing Protocol",
            "purposes": [],
            "data_categories": [],
            "lawful_bases": ["art6_1_e"],
            "effective_from": d(-300),
            "review_date": d(430),
            "parties": everyone,
            "data_subjects": "Children, young people, adults at risk and their families",
            "retention": "Each agency keeps shared information under its own retention schedule",
            "security": "Secure email or the partnership's case systems only",
            "controller_relationship": "separate",
        },
        now,
    )
    _sign_all(session, protocol, now)

    core = [
        "council",
        "police",
        "hospital",
        "icb",
        "community",
        "riverside",
        "millbrook",
        "staidans",
        "probation",
        "yjs",
    ]
    mash = _draft(
        session,
        ids,
        "council",
        {
            "tier": 2,
            "parent_id": protocol.id,
            "title": "Multi-Agency Safeguarding Hub (MASH)",
            "purposes": ["mash_triage", "child_protection_s47", "child_in_need_s17"],
            "data_categories": [
                "identity_contact",
                "family_household",
                "education",
                "social_care",
                "health",
                "criminal_offence",
                "police_intelligence",
            ],
            "lawful_bases": [
                "art6_1_c",
                "art6_1_e",
                "art9_2_g",
                "art9_2_h",
                "sch1_para18",
                "ca1989_s47",
                "ca2004_s11",
            ],
            "effective_from": d(-200),
            "review_date": d(165),
            "data_subjects": "Children referred to the MASH and members of their households",
            "retention": "Six years after the child's 18th birthday",
            "security": "MASH case system; secure email for urgent contacts",
            "controller_relationship": "separate",
            "dpia_reference": "NSC-DPIA-2025-031",
            "dpia_completed_on": d(-230),
            "dpia_outcome": "risks_reduced",
            "dpia_link": "https://intranet.northshire.example/ig/dpia/NSC-DPIA-2025-031",
            "parties": [_party(ids, s) for s in core],
        },
        now,
    )
    _sign_all(session, mash, now)

    marac = _draft(
        session,
        ids,
        "police",
        {
            "tier": 2,
            "parent_id": protocol.id,
            "title": "Multi-Agency Risk Assessment Conference (MARAC)",
            "purposes": ["marac"],
            "lawful_bases": ["art6_1_e", "art9_2_g", "sch1_para18", "cda1998_s115"],
            "data_categories": [
                "identity_contact",
                "family_household",
                "health",
                "criminal_offence",
                "police_intelligence",
                "housing",
            ],
            "effective_from": d(-420),
            "review_date": d(-30),
            "controller_relationship": "separate",
            "dpia_reference": "NP-DPIA-0388",
            "dpia_completed_on": d(-440),
            "dpia_outcome": "risks_reduced",
            "parties": [
                _party(ids, s)
                for s in (
                    "police",
                    "council",
                    "hospital",
                    "homes",
                    "womensaid",
                    "probation",
                    "eastmoor",
                )
            ],
        },
        now,
    )
    _sign_all(session, marac, now)

    early = _draft(
        session,
        ids,
        "council",
        {
            "tier": 2,
            "parent_id": protocol.id,
            "title": "Early Help Partnership",
            "purposes": ["early_help", "education_attendance", "missing_children"],
            "data_categories": ["identity_contact", "family_household", "education", "health"],
            "lawful_bases": ["art6_1_a", "art6_1_e", "art9_2_h", "ca2004_s10"],
            "effective_from": d(-300),
            "review_date": d(60),
            "controller_relationship": "joint",
            "parties": [
                _party(ids, s)
                for s in (
                    "council",
                    "millbrook",
                    "staidans",
                    "community",
                    "carers",
                    "eastmoor",
                    "fire",
                )
            ],
        },
        now,
    )
    _sign_all(session, early, now)
    # An open amendment: version 2 adds the ICB, while version 1 stays in force.
    agreement_lifecycle.amend(session, _ig_lead(session, ids, "council"), early.id, now=now)
    agreements.update_draft(
        session,
        _ig_lead(session, ids, "council"),
        early.id,
        {
            "title": "Early Help Partnership (adding the Integrated Care Board)",
            "parties": [
                _party(ids, s)
                for s in (
                    "council",
                    "millbrook",
                    "staidans",
                    "community",
                    "carers",
                    "eastmoor",
                    "fire",
                    "icb",
                )
            ],
        },
        now=now,
    )

    notifications = _draft(
        session,
        ids,
        "police",
        {
            "tier": 3,
            "parent_id": mash.id,
            "title": "Police to Children's Services: daily domestic abuse notifications",
            "purposes": ["mash_triage"],
            "data_categories": ["identity_contact", "family_household", "criminal_offence"],
            "lawful_bases": ["art6_1_e", "sch1_para18", "ca2004_s11"],
            "effective_from": d(-150),
            "review_date": d(215),
            "parties": [_party(ids, "police", True, False), _party(ids, "council", False, True)],
            "security": "Daily encrypted file to the MASH secure mailbox before 9am",
            "frequency": "daily",
            "frequency_detail": "Before 9am, covering the previous 24 hours",
            "transfer_methods": ["secure_file_transfer", "secure_email"],
            "data_items": [
                "Names and dates of birth of the adults and children present",
                "Home address",
                "Date, time and nature of the incident",
                "Whether children were present or heard the incident",
                "Risk level from the DASH risk assessment",
                "Officer in the case and crime reference number",
            ],
            "controller_relationship": "separate",
            "dpia_reference": "NP-DPIA-0412",
            "dpia_completed_on": d(-170),
            "dpia_outcome": "risks_reduced",
        },
        now,
    )
    _sign_all(session, notifications, now)

    gp = _draft(
        session,
        ids,
        "council",
        {
            "tier": 3,
            "parent_id": mash.id,
            "title": "GP practice health information to the MASH",
            "purposes": ["mash_triage", "child_protection_s47"],
            "data_categories": ["identity_contact", "health"],
            "lawful_bases": ["art6_1_e", "art9_2_h"],
            "effective_from": d(-5),
            "review_date": d(360),
            "frequency": "each_referral",
            "frequency_detail": "Within two working days of the MASH's request",
            "transfer_methods": ["shared_case_system", "secure_email"],
            "data_items": [
                "NHS number",
                "Patients registered at the same address",
                "Relevant diagnoses and current medication",
                "Missed appointments and immunisations",
                "Contact with health visitors or school nurses",
            ],
            "controller_relationship": "separate",
            "dpia_reference": "RMP-DPIA-07",
            "dpia_completed_on": d(-20),
            "dpia_outcome": "no_high_risk",
            "parties": [_party(ids, "riverside", True, False), _party(ids, "council", False, True)],
        },
        now,
    )
    _sign_all(session, gp, now, skip={ids["riverside"]})  # awaiting the practice

    housing = _draft(
        session,
        ids,
        "police",
        {
            "tier": 3,
            "parent_id": marac.id,
            "title": "Eastmoor Homes tenancy information to MARAC",
            "purposes": ["marac"],
            "data_categories": ["identity_contact", "housing"],
            "lawful_bases": ["art6_1_e"],
            "effective_from": d(-600),
            "review_date": d(-150),
            "frequency": "as_needed",
            "frequency_detail": "Before each MARAC meeting for the cases listed",
            "transfer_methods": ["meeting", "secure_email"],
            "data_items": [
                "Tenancy address and start date",
                "Household members named on the tenancy",
                "Reports of anti-social behaviour or damage to the property",
                "Requests for a transfer or an emergency move",
            ],
            "controller_relationship": "separate",
            "parties": [_party(ids, "homes", True, False), _party(ids, "police", False, True)],
        },
        now,
    )
    _sign_all(session, housing, now)  # lapsed: 150 days past review

    attendance = _draft(
        session,
        ids,
        "council",
        {
            "tier": 3,
            "parent_id": early.id,
            "title": "School attendance returns to the Early Help team",
            "purposes": ["education_attendance"],
            "data_categories": ["identity_contact", "education"],
            "lawful_bases": ["art6_1_e"],
            "effective_from": d(30),
            "review_date": d(395),
            "frequency": "weekly",
            "frequency_detail": "Each Monday, for the week before",
            "transfer_methods": ["secure_portal"],
            "data_items": [
                "Pupil's name and date of birth",
                "Unique pupil number",
                "Sessions missed and the reason recorded",
                "Whether the pupil is flagged as missing education",
            ],
            "controller_relationship": "separate",
            "parties": [
                _party(ids, "millbrook", True, False),
                _party(ids, "staidans", True, False),
                _party(ids, "council", False, True),
            ],
        },
        now,
    )
    _sign_all(session, attendance, now)  # scheduled: takes effect next month

    _narrowed_parent(session, ids, protocol.id, d, now)


def _narrowed_parent(
    session: Session, ids: dict[str, int], protocol_id: int, d, now: datetime
) -> None:
    """A parent amended to allow less than its child (SPEC section 2): the missing
    children agreement stopped covering health information, and the police's reports
    under it still list it, so that report agreement shows 'Exceeds its parent' and
    a check of police to council health information says why it is not covered."""
    missing = _draft(
        session,
        ids,
        "council",
        {
            "tier": 2,
            "title": "Missing Children Information Sharing Agreement",
            "parent_id": protocol_id,
            "purposes": ["missing_children"],
            "data_categories": ["identity_contact", "family_household", "health"],
            "lawful_bases": ["art6_1_e", "art9_2_h", "ca2004_s11"],
            "effective_from": d(-200),
            "review_date": d(165),
            "parties": [_party(ids, s) for s in ("council", "police", "community")],
        },
        now,
    )
    _sign_all(session, missing, now)
    reports = _draft(
        session,
        ids,
        "police",
        {
            "tier": 3,
            "parent_id": missing.id,
            "title": "Police missing-episode reports to the return interview service",
            "purposes": ["missing_children"],
            "data_categories": ["identity_contact", "health"],
            "lawful_bases": ["art6_1_e", "art9_2_h"],
            "effective_from": d(-180),
            "review_date": d(185),
            "frequency": "each_referral",
            "frequency_detail": "Within 72 hours of the child's return",
            "transfer_methods": ["secure_email", "phone"],
            "data_items": [
                "Child's name and date of birth",
                "When the child went missing and was found",
                "Where the child was found and who with",
                "Concerns the officer noted at the safe and well check",
            ],
            "parties": [_party(ids, "police", True, False), _party(ids, "council", False, True)],
        },
        now,
    )
    _sign_all(session, reports, now)
    lead = _ig_lead(session, ids, "council")
    agreement_lifecycle.amend(session, lead, missing.id, now=now)
    agreements.update_draft(
        session,
        lead,
        missing.id,
        {
            "data_categories": ["identity_contact", "family_household"],
            "lawful_bases": ["art6_1_e", "ca2004_s11"],
            "retention": "Health information is now shared only under the health agreements",
        },
        now=now,
    )
    _sign_all(session, missing, now)
