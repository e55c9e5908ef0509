"""Every page and API route, as every kind of user, with real, unknown and odd ids:
an answer for people (2xx, 3xx, 4xx), never a server error."""

import re
from datetime import timedelta

import pytest

from registry.domain.lifecycle import StatusSettings
from registry.models import NotificationEvent
from registry.services import delegations, reviews
from registry.services.coverage import CheckInput, run_check
from registry.services.decisions import DecisionInput, record_decision
from registry.services.notifications import notify
from registry.services.users import issue_token, live_tokens

from ..factories import (
    FIXED_NOW,
    TODAY,
    chain,
    make_admin,
    make_agency,
    make_officer,
    make_user,
)


@pytest.fixture
def world(session):
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    officer = make_officer(session, a)
    _, tier2 = chain(session, a, b)
    users = {
        "anonymous": None,
        "admin": make_admin(session),
        "ig_lead": make_user(session, roles=("ig_lead",), agency=a),
        "signatory": make_user(session, roles=("signatory",), agency=b),
        "practitioner": make_user(session, roles=("practitioner",), agency=a),
    }
    ids = {
        "agency_id": a.id,
        "officer_id": officer.id,
        "agreement_id": tier2.id,
        "user_id": users["ig_lead"].id,
        "kind": "purposes",
        "filename": "x.css",
        "token": reviews.calendar_token(session, a.id),
        "pdf_id": 1,
    }
    check, _ = run_check(
        session,
        users["practitioner"].actor(),
        CheckInput(a.id, b.id, "mash_triage", ["identity_contact"], None),
        today=TODAY,
        now=FIXED_NOW,
        settings=StatusSettings(),
    )
    record, _ = record_decision(
        session,
        users["practitioner"].actor(),
        DecisionInput(
            from_agency_id=a.id,
            to_agency_id=b.id,
            purpose="mash_triage",
            data_categories=["identity_contact"],
            decision="share",
            consent="given",
            reasons="r",
            check_id=check.id,
        ),
        idempotency_key=None,
        today=TODAY,
        now=FIXED_NOW,
    )
    issue_token(session, users["ig_lead"], now=FIXED_NOW)
    [token] = live_tokens(session, users["ig_lead"].id, now=FIXED_NOW)
    delegation = delegations.create(
        session,
        users["signatory"].actor(),
        delegate_id=make_user(session, agency=b).id,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=7),
        now=FIXED_NOW,
    )
    [told] = notify(
        session,
        NotificationEvent.OFFICER_CHANGED,
        [users["ig_lead"]],
        subject="B changed its DPO",
        body="b",
        now=FIXED_NOW,
        needs_acknowledgement=True,
    )
    session.commit()
    ids.update(
        check_id=check.id,
        decision_id=record.id,
        token_id=token.id,
        delegation_id=delegation.id,
        notification_id=told.id,
    )
    return users, ids


def urls(app, ids, unknown: bool):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = rule.rule
        for name in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", url):
            value = 987654 if unknown and name.endswith("_id") else ids[name]
            url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
        yield url, rule.methods - {"HEAD", "OPTIONS"}


@pytest.mark.parametrize("role", ["anonymous", "admin", "ig_lead", "signatory", "practitioner"])
def test_no_route_answers_500(app, client, session, world, role):
    users, ids = world
    if users[role]:
        client.sign_in(users[role])
    token = client.csrf_token("/") if users[role] else client.csrf_token("/sign-in")
    for unknown in (False, True):
        for url, methods in urls(app, ids, unknown):
            if url == "/sign-out":
                continue
            for method in methods:
                if method == "GET":
                    response = client.get(url + "?page=x&version=0&tier=9")
                else:
                    response = client.open(
                        url,
                        method=method,
                        data={
                            "csrf_token": token,
                            "title": "<b>x</b>",
                            "effective_from": ["31", "2", "2026"],
                            "outcome": "continue",
                            "notes": "n",
                            "reason": "r",
                            "comment": "c",
                        },
                    )
                assert response.status_code < 500, (role, method, url, response.status_code)
