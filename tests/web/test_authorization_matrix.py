"""Every route x method x actor x (own agency's thing, another agency's thing), built from
the app's url_map so no new route escapes: no refused request may succeed, and the
database is exactly as it was after every refusal (and after every GET).

A request that the rules allow and that would change something is not sent: the matrix
is about what must be refused. The bodies sent are ones that would succeed if the actor
were allowed, so a refusal cannot hide behind a validation error."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text

from registry.domain.lifecycle import StatusSettings
from registry.domain.vocab import Role
from registry.extensions import db
from registry.services import agreement_lifecycle, reviews
from registry.services.coverage import CheckInput, run_check
from registry.services.decisions import DecisionInput, record_decision
from registry.services.users import issue_token

from ..client import RegistryClient
from ..factories import (
    FIXED_NOW,
    TODAY,
    chain,
    ig_lead_actor,
    make_admin,
    make_agency,
    make_draft,
    make_officer,
    make_user,
    party,
)

ACTORS = ("anonymous", "practitioner", "signatory", "ig_lead", "admin")

# Routes whose target belongs to an agency: who may act on another agency's.
AGENCY_EDITS = {
    "agencies.edit_agency",
    "agencies.edit_officer",
    "agencies.end_officer",
    "agencies.new_officer",
    "api.update_agency",
    "api.create_officer",
    "api.update_officer",
    "api.end_officer",
}
OWNER_ACTIONS = {
    "agreements.edit_agreement",
    "agreements.submit_agreement",
    "agreements.amend_agreement",
    "agreements.review_agreement",
    "agreements.terminate_agreement",
    "api.update_agreement",
    "api.submit_agreement",
    "api.amend_agreement",
    "api.review_agreement",
    "api.terminate_agreement",
    "api.create_agreement",
    "agreements.create_agreement",
}
PARTY_ACTIONS = {
    "agreements.sign_agreement",
    "agreements.decline_agreement",
    "api.sign_agreement",
    "api.decline_agreement",
    "agreements.withdraw_agreement",
    "api.withdraw_agreement",
}
AS_OWN_AGENCY = {"api.create_decision", "decisions.new_decision"}
DECISION_READS = {"decisions.show_decision", "api.show_decision"}
CHECK_READS = {"coverage.show_check"}
# Which agreement each route acts on: a draft, one awaiting signatures, or one in force.
DRAFT_ROUTES = {
    "agreements.edit_agreement",
    "agreements.submit_agreement",
    "api.update_agreement",
    "api.submit_agreement",
}
AWAITING_ROUTES = {
    "agreements.sign_agreement",
    "agreements.decline_agreement",
    "api.sign_agreement",
    "api.decline_agreement",
}


# Routes whose agency is in the body, not the path: their GET is a blank form.
BODY_SCOPED = {
    "api.create_decision",
    "decisions.new_decision",
    "api.create_agreement",
    "agreements.create_agreement",
    "agreements.new_agreement",
}


def allowed(app, endpoint: str, method: str, actor: str, own: bool) -> bool:
    """What SPEC §8 lets this actor do here, for its own agency's thing or another's."""
    if method == "GET" and endpoint in BODY_SCOPED:
        own = True
    permission = getattr(app.view_functions[endpoint], "_permission", None)
    if permission == "public" or endpoint == "static":
        return True
    if actor == "anonymous":
        return False
    roles = permission[1]
    if roles and Role(actor) not in roles:
        return False
    if endpoint in AGENCY_EDITS | OWNER_ACTIONS:
        return actor == "admin" or own
    if endpoint in PARTY_ACTIONS | AS_OWN_AGENCY:
        return own
    if endpoint in DECISION_READS:
        return actor == "admin" or (own and actor in ("practitioner", "ig_lead"))
    if endpoint in CHECK_READS:
        return actor == "admin" or (own and actor == "practitioner")  # its author
    return True


@pytest.fixture
def world(session):
    a, b, c = (make_agency(session, name=n) for n in ("Own", "Other", "Third"))
    people = {}
    for agency, key in ((a, "own"), (b, "other")):
        for role in ("practitioner", "signatory", "ig_lead"):
            people[(key, role)] = make_user(
                session, roles=(role,), agency=agency, name=f"{role} of {agency.name}"
            )
    people["admin"] = make_admin(session)
    protocol, _ = chain(session, a, b, c)
    things = {}
    for agency, key in ((a, "own"), (b, "other")):
        parties = [party(agency), party(c)]
        things[(key, "draft")] = make_draft(
            session, owner=agency, parent=protocol, parties=parties, title=f"Draft of {key}"
        )
        awaiting = make_draft(
            session, owner=agency, parent=protocol, parties=parties, title=f"Awaiting {key}"
        )
        agreement_lifecycle.submit(session, ig_lead_actor(agency), awaiting.id, now=FIXED_NOW)
        things[(key, "awaiting")] = awaiting
        active = make_draft(
            session, owner=agency, parent=protocol, parties=parties, title=f"In force {key}"
        )
        from ..factories import activate

        things[(key, "active")] = activate(session, active)
        things[(key, "officer")] = make_officer(session, agency)
        practitioner = people[(key, "practitioner")]
        check, _ = run_check(
            session,
            practitioner.actor(),
            CheckInput(agency.id, c.id, "mash_triage", ["identity_contact"], None),
            today=TODAY,
            now=FIXED_NOW,
            settings=StatusSettings(),
        )
        record, _ = record_decision(
            session,
            practitioner.actor(),
            DecisionInput(
                from_agency_id=agency.id,
                to_agency_id=c.id,
                purpose="mash_triage",
                data_categories=["identity_contact"],
                decision="share",
                consent="given",
                reasons="Needed for the strategy meeting",
                check_id=check.id,
            ),
            idempotency_key=None,
            today=TODAY,
            now=FIXED_NOW,
        )
        things[(key, "check")] = check.id
        things[(key, "decision")] = record.id
        things[(key, "agency")] = agency
    things["third"] = c
    things["calendar"] = reviews.calendar_token(session, a.id)
    return people, things


def _ids(endpoint: str, key: str, people, things) -> dict:
    agreement = things[
        (
            key,
            "draft"
            if endpoint in DRAFT_ROUTES
            else "awaiting"
            if endpoint in AWAITING_ROUTES
            else "active",
        )
    ]
    return {
        "agency_id": things[(key, "agency")].id,
        "officer_id": things[(key, "officer")].id,
        "agreement_id": agreement.id,
        "user_id": people[("other", "practitioner")].id,
        "kind": "purposes",
        "filename": "x.css",
        "token": things["calendar"],
        "pdf_id": 1,
        "check_id": things[(key, "check")],
        "decision_id": things[(key, "decision")],
    }


def _body(endpoint: str, key: str, things, actor_user) -> dict:
    """A body that would succeed if the actor were allowed."""
    agency = things[(key, "agency")]
    third = things["third"]
    later = (TODAY + timedelta(days=30)).isoformat()
    share = {
        "from_agency_id": agency.id,
        "to_agency_id": third.id,
        "purpose": "mash_triage",
        "data_categories": ["identity_contact"],
        "decision": "share",
        "consent": "given",
        "reasons": "Needed for the strategy meeting",
    }
    bodies = {
        "update_agency": {"name": "Renamed"},
        "edit_agency": {"name": "Renamed"},
        "create_officer": {
            "role": "dpo",
            "name": "New Officer",
            "job_title": "DPO",
            "email": "dpo@example.org",
        },
        "new_officer": {
            "role": "dpo",
            "name": "New Officer",
            "job_title": "DPO",
            "email": "dpo@example.org",
        },
        "update_officer": {"name": "Renamed"},
        "edit_officer": {"name": "Renamed"},
        "update_agreement": {"title": "Renamed"},
        "edit_agreement": {"title": "Renamed"},
        "review_agreement": {"outcome": "continue", "notes": "Still needed"},
        "terminate_agreement": {"reason": "No longer needed"},
        "suspend_agreement": {"reason": "Breach"},
        "resume_agreement": {"reason": "Fixed"},
        "decline_agreement": {"comment": "Wrong parties"},
        "withdraw_agreement": {"agency_id": agency.id, "effective_on": later},
        "create_agreement": {
            "title": "New",
            "tier": 2,
            "owner_agency_id": agency.id,
            "parent_id": None,
            "purposes": ["mash_triage"],
            "data_categories": ["identity_contact"],
            "lawful_bases": ["art6_1_e"],
            "effective_from": later,
            "parties": [party(agency), party(third)],
        },
        "create_decision": share,
        "new_decision": share,
        "check_coverage": {
            "from_agency_id": agency.id,
            "to_agency_id": third.id,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
        },
        "create_user": {
            "email": "new@example.org",
            "name": "New",
            "password": "lantern orchard velvet quarry",
            "roles": ["practitioner"],
            "agency_id": agency.id,
        },
        "update_user": {"active": False},
        "edit_user": {"name": "Renamed"},
        "create_agency": {"name": "New agency", "kind": "other", "ico_registration": "Z7654321"},
        "new_agency": {"name": "New agency", "kind": "other", "ico_registration": "Z7654321"},
    }
    return dict(bodies.get(endpoint.split(".")[1], {}))


def fingerprint() -> str:
    """Every row of every table, hashed: equal means the database did not change."""
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(
                select(table).order_by(*table.primary_key.columns or table.columns)
            ).all()
            digest.update(f"{table.name}:{rows!r}".encode())
        digest.update(
            repr(connection.execute(text("SELECT count(*) FROM alembic_version")).all()).encode()
        )
    return digest.hexdigest()


def succeeded(response) -> bool:
    if response.status_code >= 400:
        return False
    if 300 <= response.status_code < 400:
        return not urlsplit(response.headers.get("Location", "")).path.startswith("/sign-in")
    return True


def _client(app, user) -> RegistryClient:
    app.test_client_class = RegistryClient
    client = app.test_client()
    if user is not None:
        client.sign_in(user)
    return client


@pytest.mark.parametrize("actor", ACTORS)
def test_no_route_lets_an_actor_do_what_it_may_not(app, session, world, actor):
    people, things = world
    user = (
        None
        if actor == "anonymous"
        else (people["admin"] if actor == "admin" else people[("own", actor)])
    )
    client = _client(app, user)
    token = None
    if user is not None:
        token = issue_token(session, user, now=FIXED_NOW)
    csrf = client.csrf_token("/" if user else "/sign-in")
    session.rollback()
    problems, tried = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in (
            "static",
            "govuk_asset",
            "auth.sign_out",
            "auth.sign_in",
            "auth.two_factor",
            "auth.two_factor_setup",
        ):
            continue  # files, and the sign-in steps (tested in test_sign_in_security)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for key in ("own", "other"):
                may = allowed(app, rule.endpoint, method, actor, key == "own")
                if may and method != "GET":
                    continue  # allowed and would change something: not this test's subject
                ids = _ids(rule.endpoint, key, people, things)
                url = rule.rule
                for name in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", url):
                    url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(ids[name]), url)
                body = _body(rule.endpoint, key, things, user)
                before = fingerprint()
                if url.startswith("/api/"):
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    response = client.open(
                        url, method=method, headers=headers, json=body if method != "GET" else None
                    )
                else:
                    data = (
                        {
                            **{k: v for k, v in body.items() if not isinstance(v, list | dict)},
                            "csrf_token": csrf,
                        }
                        if method != "GET"
                        else None
                    )
                    response = client.open(url, method=method, data=data)
                tried += 1
                if not may and succeeded(response):
                    problems.append(
                        f"{actor} {method} {url} ({key}): {response.status_code} succeeded"
                    )
                if (not may or method == "GET") and fingerprint() != before:
                    problems.append(
                        f"{actor} {method} {url} ({key}): "
                        f"{response.status_code} changed the database"
                    )
                if response.status_code >= 500:
                    problems.append(f"{actor} {method} {url} ({key}): server error")
    assert problems == []
    assert tried > 100
