"""Every route x method x role x (own agency's thing, another agency's thing), against who
SPEC §8 says may do it.

Who may use each route is written out below, route by route, from SPEC §8 (and the clauses
it leans on), and never read from the routes' own decorators: a table taken from the code
under test would agree with a route that allows too much. A check keeps the table complete,
so a new route fails until someone writes down who may use it.

Every role is sent to every route:
- a refused request is refused (403 for a signed-in role; the sign-in page, or 401 on the
  API, for nobody) and the database is exactly as it was;
- an allowed request gets past the access checks (no 401, no 403, no sign-in page), and a
  GET changes nothing. Allowed requests that would change something are sent too, on
  SQLite, and the database is put back after each one.

The bodies sent are ones that would succeed if the actor were allowed, so a refusal cannot
hide behind a validation error. Where the app and SPEC §8 disagree, the route is listed in
DISAGREEMENTS with the clause, and a strict xfail test shows it."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from contextlib import closing
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text

from registry.domain.lifecycle import StatusSettings
from registry.extensions import db
from registry.models import NotificationEvent
from registry.services import agreement_lifecycle, delegations, reviews
from registry.services.coverage import CheckInput, run_check
from registry.services.decisions import DecisionInput, record_decision
from registry.services.notifications import notify
from registry.services.users import issue_token, live_tokens

from ..client import RegistryClient
from ..factories import (
    FIXED_NOW,
    TODAY,
    activate,
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

# ---------------------------------------------------------------------------------------
# SPEC §8, route by route. Written by hand from the SPEC: do not generate it from the app.
# ---------------------------------------------------------------------------------------
ADMIN = frozenset({"admin"})
IG_LEAD = frozenset({"ig_lead"})
IG_LEAD_OR_ADMIN = frozenset({"ig_lead", "admin"})
SIGNATORY = frozenset({"signatory"})
PRACTITIONER = frozenset({"practitioner"})
SIGNED_IN = frozenset({"practitioner", "signatory", "ig_lead", "admin"})
EVERYONE = SIGNED_IN | {"anonymous"}

# Reading agreements and agencies: §8 gives "read agreements" to the practitioner and
# "read everything" to the administrator; the IG lead drafts, reviews and adds parties, and
# the signatory signs from "a confirmation page restating what is signed" (§13), so every
# signed-in role reads them. Nobody signed out does (§8 anonymous: the public register
# only, "no officer names").
READ_AGREEMENTS = SIGNED_IN
READ_AGENCIES = SIGNED_IN
# Decision records: §8 practitioner "its own decisions", IG lead "its agency's decision
# records", admin "read everything"; the signatory none (§6: no identifying details, but
# still no business of a signatory's).
READ_DECISIONS = frozenset({"practitioner", "ig_lead", "admin"})

SPEC_ROLES: dict[str, frozenset[str]] = {
    # Administration (§8 admin: "manage users, vocabularies"; §13 Administration: users,
    # vocabularies, audit trail with its integrity state).
    "admin.audit_trail": ADMIN,
    "admin.export_audit": ADMIN,  # issue 19: the trail, as filtered, as CSV
    "api.list_audit": ADMIN,
    "admin.list_users": ADMIN,
    "admin.new_user": ADMIN,
    "admin.edit_user": ADMIN,
    "admin.reset_two_factor": ADMIN,
    "admin.vocabularies_page": ADMIN,
    "admin.edit_vocabulary": ADMIN,
    "api.list_users": ADMIN,
    "api.create_user": ADMIN,
    "api.get_user": ADMIN,
    "api.update_user": ADMIN,
    # Agencies (§8 admin: "every agency"; IG lead: "edit its own agency and officers").
    "agencies.list_agencies": READ_AGENCIES,
    "agencies.show_agency": READ_AGENCIES,
    "agencies.lookup_agencies": READ_AGENCIES,  # issue 20: the agency box asks it
    "api.list_agencies": READ_AGENCIES,
    "api.get_agency": READ_AGENCIES,
    "api.list_officers": READ_AGENCIES,
    "agencies.new_agency": ADMIN,  # creating an agency is not editing one's own
    "api.create_agency": ADMIN,
    "agencies.edit_agency": IG_LEAD_OR_ADMIN,
    "api.update_agency": IG_LEAD_OR_ADMIN,
    "agencies.new_officer": IG_LEAD_OR_ADMIN,
    "agencies.edit_officer": IG_LEAD_OR_ADMIN,
    "agencies.end_officer": IG_LEAD_OR_ADMIN,
    "api.create_officer": IG_LEAD_OR_ADMIN,
    "api.update_officer": IG_LEAD_OR_ADMIN,
    "api.end_officer": IG_LEAD_OR_ADMIN,
    "api.get_vocabularies": SIGNED_IN,  # what every form and check is written in
    # Agreements, read.
    "agreements.list_agreements": READ_AGREEMENTS,
    "agreements.show_agreement": READ_AGREEMENTS,
    "agreements.download_pdf": READ_AGREEMENTS,
    "agreements.download_issued_pdf": READ_AGREEMENTS,
    "agreements.review_calendar": READ_AGREEMENTS,  # review dates (public on the register)
    "api.list_agreements": READ_AGREEMENTS,
    "api.show_agreement": READ_AGREEMENTS,
    "api.list_versions": READ_AGREEMENTS,
    "api.agreement_pdf": READ_AGREEMENTS,
    # Agreements, drafted and run by the owner's IG lead (§8: "draft agreements its agency
    # owns, add parties, submit, amend, review, terminate them"); the administrator creates
    # tier-1 protocols (§8, §2), so drafts, edits and submits them, records reviews (§4:
    # "the owning agency's IG lead (or the administrator)"), whose outcome `amend` opens an
    # amendment, and terminates any agreement (§8).
    "agreements.new_agreement": IG_LEAD_OR_ADMIN,
    "agreements.create_agreement": IG_LEAD_OR_ADMIN,
    "api.create_agreement": IG_LEAD_OR_ADMIN,
    "agreements.edit_agreement": IG_LEAD_OR_ADMIN,
    "api.update_agreement": IG_LEAD_OR_ADMIN,
    "agreements.submit_agreement": IG_LEAD_OR_ADMIN,
    "api.submit_agreement": IG_LEAD_OR_ADMIN,
    "agreements.amend_agreement": IG_LEAD_OR_ADMIN,
    "api.amend_agreement": IG_LEAD_OR_ADMIN,
    "agreements.review_agreement": IG_LEAD_OR_ADMIN,
    "api.review_agreement": IG_LEAD_OR_ADMIN,
    "agreements.terminate_agreement": IG_LEAD_OR_ADMIN,
    "api.terminate_agreement": IG_LEAD_OR_ADMIN,
    # §8 admin: "suspend ... any agreement"; the IG lead's list has no suspend.
    "agreements.suspend_agreement": ADMIN,
    "agreements.resume_agreement": ADMIN,
    "api.suspend_agreement": ADMIN,
    "api.resume_agreement": ADMIN,
    # §8 IG lead: "give withdrawal notice for its agency" (the administrator has no agency).
    "agreements.withdraw_agreement": IG_LEAD,
    "api.withdraw_agreement": IG_LEAD,
    # Issue 18: a notice is cancelled, before it takes effect, by its agency's IG lead or
    # the administrator (who may suspend or terminate any agreement outright, §8).
    "agreements.cancel_withdrawal": IG_LEAD_OR_ADMIN,
    "api.cancel_withdrawal": IG_LEAD_OR_ADMIN,
    # §8 signatory: "sign or decline, for its own agency only"; admin: "never sign".
    "agreements.sign_agreement": SIGNATORY,
    "agreements.decline_agreement": SIGNATORY,
    "api.sign_agreement": SIGNATORY,
    "api.decline_agreement": SIGNATORY,
    # Delegation (SPEC §4: "a signatory who has left can be replaced by a recorded
    # delegate"; issue 18): a signatory names one; the signatory, the agency's IG lead or
    # the administrator ends one early; each reads the delegations it may see (the
    # administrator every one, "read everything"). A delegate without the signatory role
    # signs under tests/services/test_delegations.py's rules, not probed here.
    "delegations.list_delegations": SIGNED_IN,
    "api.list_delegations": SIGNED_IN,
    "delegations.new_delegation": SIGNATORY,
    "api.create_delegation": SIGNATORY,
    "delegations.end_delegation": frozenset({"signatory", "ig_lead", "admin"}),
    "api.end_delegation": frozenset({"signatory", "ig_lead", "admin"}),
    # §13 Reviews: an iCalendar feed per agency; its link is the agency's, so its IG lead's.
    "agreements.renew_calendar_link": IG_LEAD,
    # Coverage (§8 practitioner: "run coverage checks"; nobody else is given it).
    "coverage.check_coverage": PRACTITIONER,
    "api.check_coverage": PRACTITIONER,
    # A stored check is read by its author, and by the administrator ("read everything").
    "coverage.show_check": frozenset({"practitioner", "admin"}),
    # §13 Agencies: the agency page's coverage map, read from agreements (it records no
    # check), so read as agreements are.
    "coverage.show_map": READ_AGREEMENTS,
    # Decisions (§8 practitioner: "record decisions as its own agency").
    "decisions.new_decision": PRACTITIONER,
    "api.create_decision": PRACTITIONER,
    "decisions.list_decisions": READ_DECISIONS,
    "decisions.show_decision": READ_DECISIONS,
    "api.list_decisions": READ_DECISIONS,
    "api.show_decision": READ_DECISIONS,
    # §13 Decisions: "the agency's decision records (IG lead), one's own (practitioner);
    # CSV export": the export is of what each may read.
    "decisions.export_decisions": READ_DECISIONS,
    # Issue 19: the monthly summary is the IG lead's (its agency's), and the administrator's.
    "decisions.decision_summary": IG_LEAD_OR_ADMIN,
    # Issue 19: a follow-up is added by the practitioner who recorded the decision, or by
    # their agency's IG lead; read by whoever may read the decision.
    "decisions.new_follow_up": frozenset({"practitioner", "ig_lead"}),
    "api.create_follow_up": frozenset({"practitioner", "ig_lead"}),
    "api.list_follow_ups": READ_DECISIONS,
    # Issue 19: the one search box. Every signed-in role reads agreements, agencies and
    # officers (above); decisions appear only as READ_DECISIONS allows, scoped by the
    # service (tests/web/test_search.py).
    "search.search_registry": SIGNED_IN,
    "api.search_registry": SIGNED_IN,
    # Issue 19: the administrator's partnership figures, as on the home page.
    "api.partnership_figures": ADMIN,
    # One's own account and session.
    "auth.password": SIGNED_IN,
    "auth.session_alive": SIGNED_IN,
    "auth.sign_out": SIGNED_IN,
    # One's own API tokens, on the account page and through the API; someone else's
    # token is not found (the probe names another user's token).
    "auth.tokens": SIGNED_IN,
    "auth.revoke": SIGNED_IN,
    "api.list_tokens": SIGNED_IN,
    # Each user's own notifications (issue 18): every role is told of something; another
    # user's notification is not found (the probe asks for another user's: 404).
    "notifications.list_notifications": SIGNED_IN,
    "notifications.show_notification": SIGNED_IN,
    "notifications.mark_notifications_read": SIGNED_IN,
    "notifications.acknowledge_notification": SIGNED_IN,
    "api.list_notifications": SIGNED_IN,
    "api.read_notification": SIGNED_IN,
    "api.acknowledge_notification": SIGNED_IN,
    "api.revoke_token": SIGNED_IN,
    # §8 anonymous: "the public register ... as a page and as JSON and CSV, the PDF verify
    # page, the login page".
    "public.show_register": EVERYONE,
    "public.register_json": EVERYONE,
    "public.register_csv": EVERYONE,
    "public.verify_pdf": EVERYONE,
    # The terms of an agreement the register lists (tier 1 or 2, in force: those probed
    # here) are the register's, as data; those of any other need a token, as
    # tests/api/test_terms_jsonld.py checks.
    "api.agreement_terms": EVERYONE,
    # The seal CA's certificate and revocation list: what anyone checking a sealed PDF
    # needs, and what the seal certificate says to fetch (SPEC §7's verification).
    "public.show_ca_certificate": EVERYONE,
    "public.show_ca_crl": EVERYONE,
    "auth.sign_in": EVERYONE,
    "auth.two_factor": EVERYONE,
    "auth.two_factor_setup": EVERYONE,
    "api.create_token": EVERYONE,  # the API's sign-in (§9)
    # Public, though not in §8's list: they show no registry data. The welcome page (the
    # home page's signed-out face), the health check (§13, for load balancers), the API's
    # description (§9), and files.
    "main.home": EVERYONE,
    "main.healthz": EVERYONE,
    "api.openapi_document": EVERYONE,
    "govuk_asset": EVERYONE,
    "static": EVERYONE,
    # §13: "an iCalendar feed per agency": calendar programs cannot sign in, so the feed's
    # secret link is the credential (a wrong token finds nothing).
    "public.review_feed": EVERYONE,
}

# Where the app does not do what SPEC §8 says: (endpoint, actor) -> the clause. Each is
# left out of the matrix below and shown by a strict xfail test, so that it stays visible
# and the entry must go when the app is put right.
DISAGREEMENTS: dict[tuple[str, str], str] = {}

# ---------------------------------------------------------------------------------------
# SPEC §8, "role and agency": which agency's thing each route acts on.
# ---------------------------------------------------------------------------------------
# Routes whose target belongs to an agency: the administrator may act on any agency's.
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
# Drafting: the owner's IG lead, and the administrator for tier-1 protocols only (§8 admin:
# "create tier-1 protocols"; §2). These are probed on a tier-1 protocol too ("protocol").
DRAFTING = {
    "agreements.new_agreement",
    "agreements.create_agreement",
    "api.create_agreement",
    "agreements.edit_agreement",
    "api.update_agreement",
    "agreements.submit_agreement",
    "api.submit_agreement",
    "agreements.amend_agreement",
    "api.amend_agreement",
}
# Governing: the owner's IG lead, and the administrator for any agreement (§8, §4).
GOVERNING = {
    "agreements.review_agreement",
    "agreements.terminate_agreement",
    "api.review_agreement",
    "api.terminate_agreement",
}
# A delegation: its agency's (the signatory who named it, the IG lead), or the
# administrator's.
DELEGATION_ENDS = {"delegations.end_delegation", "api.end_delegation"}
# A notice of withdrawal: its agency's IG lead, or the administrator. They act on an
# agreement in force under that agency's notice.
NOTICE_CANCELS = {"agreements.cancel_withdrawal", "api.cancel_withdrawal"}
NOTICES = {"agreements.withdraw_agreement", "api.withdraw_agreement"}
# Only for one's own agency, whoever one is.
PARTY_ACTIONS = {
    "agreements.sign_agreement",
    "agreements.decline_agreement",
    "api.sign_agreement",
    "api.decline_agreement",
    *NOTICES,
}
# (The decision page has no "from" field: it records as the practitioner's own agency
# whatever is posted, so it has no other agency's thing to refuse.)
AS_OWN_AGENCY = {"api.create_decision"}
DECISION_READS = {"decisions.show_decision", "api.show_decision", "api.list_follow_ups"}
# A follow-up to one's own agency's decision only (issue 19).
FOLLOW_UPS = {"decisions.new_follow_up", "api.create_follow_up"}
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
# Web forms whose body this test cannot fill in (the parties of a new agreement): another
# agency's is refused by the form's own checks (422), which is all that can be seen here.
FORM_NOT_FILLED = {"agreements.create_agreement"}
# Files, and the sign-in steps (tested in test_sign_in_security).
NOT_PROBED = {
    "static",
    "govuk_asset",
    "auth.sign_out",
    "auth.sign_in",
    "auth.two_factor",
    "auth.two_factor_setup",
}


def role_allowed(endpoint: str, actor: str) -> bool:
    return actor in SPEC_ROLES[endpoint]


def agency_allowed(endpoint: str, method: str, actor: str, key: str) -> bool:
    """SPEC §8: "every route enforces role and agency". `key` is whose thing it is: the
    actor's own agency's, another agency's, or (drafting routes) another's tier-1 protocol.
    The administrator belongs to no agency (§8): nothing is its own."""
    own = (key == "own" and actor != "admin") or (method == "GET" and endpoint in BODY_SCOPED)
    if endpoint in DRAFTING:
        return own or (actor == "admin" and key == "protocol")
    if endpoint in (
        AGENCY_EDITS | GOVERNING | DECISION_READS | CHECK_READS | DELEGATION_ENDS | NOTICE_CANCELS
    ):
        return actor == "admin" or own
    if endpoint in PARTY_ACTIONS | AS_OWN_AGENCY | FOLLOW_UPS:
        return own
    return True


def test_every_route_is_in_the_spec_table(app):
    """A new route cannot escape the matrix: someone must write down who may use it."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - set(SPEC_ROLES)) == [], "routes missing from SPEC_ROLES"
    assert sorted(set(SPEC_ROLES) - endpoints) == [], "SPEC_ROLES names routes that are gone"
    for endpoint, actor in DISAGREEMENTS:
        assert endpoint in SPEC_ROLES and actor in ACTORS


# ---------------------------------------------------------------------------------------
# The world every actor is probed in.
# ---------------------------------------------------------------------------------------
@pytest.fixture
def world(session):
    """Two agencies ("own", whose people the actors are, and "other"), a third party, and
    for each of the first two a draft, an agreement awaiting signatures, one in force, an
    officer, a coverage check and a decision record. Answers plain ids only: the database
    is put back under the ORM's feet between requests."""
    a, b, c = (make_agency(session, name=n) for n in ("Own", "Other", "Third"))
    people = {}
    for agency, key in ((a, "own"), (b, "other")):
        for role in ("practitioner", "signatory", "ig_lead"):
            people[(key, role)] = make_user(
                session, roles=(role,), agency=agency, name=f"{role} of {agency.name}"
            )
    people["admin"] = make_admin(session)
    protocol, _ = chain(session, a, b, c)
    things = {"third": c.id, "protocol": protocol.id}
    for agency, key in ((a, "own"), (b, "other")):
        parties = [party(agency), party(c)]
        things[(key, "draft")] = make_draft(
            session, owner=agency, parent=protocol, parties=parties, title=f"Draft of {key}"
        ).id
        awaiting = make_draft(
            session, owner=agency, parent=protocol, parties=parties, title=f"Awaiting {key}"
        )
        agreement_lifecycle.submit(session, ig_lead_actor(agency), awaiting.id, now=FIXED_NOW)
        things[(key, "awaiting")] = awaiting.id
        active = make_draft(
            session, owner=agency, parent=protocol, parties=parties, title=f"In force {key}"
        )
        things[(key, "active")] = activate(session, active).id
        # Notices are given on agreements the third agency owns: an owner cannot withdraw.
        things[(key, "joined")] = activate(
            session,
            make_draft(session, owner=c, parent=protocol, parties=parties, title=f"Joined {key}"),
        ).id
        noticed = make_draft(
            session, owner=c, parent=protocol, parties=parties, title=f"Noticed {key}"
        )
        activate(session, noticed)
        agreement_lifecycle.withdraw(
            session,
            people[(key, "ig_lead")].actor(),
            noticed.id,
            agency_id=agency.id,
            effective_on=TODAY + timedelta(days=20),
            reason="Leaving the partnership",
            today=TODAY,
            now=FIXED_NOW,
        )
        things[(key, "noticed")] = noticed.id
        things[(key, "officer")] = make_officer(session, agency).id
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
        things[(key, "delegation")] = delegations.create(
            session,
            people[(key, "signatory")].actor(),
            # Starting tomorrow: a current delegate may sign, which would blur the roles.
            delegate_id=practitioner.id,
            starts_on=TODAY + timedelta(days=1),
            ends_on=TODAY + timedelta(days=30),
            now=FIXED_NOW,
        ).id
        things[(key, "check")] = check.id
        things[(key, "decision")] = record.id
        things[(key, "agency")] = agency.id
    # A tier-1 protocol of the other agency's, a draft and one in force, for the drafting
    # routes: the administrator may draft and amend protocols, whoever owns them.
    for name in ("agency", "officer", "awaiting", "check", "decision", "delegation"):
        things[("protocol", name)] = things[("other", name)]
    everyone = [party(a), party(b), party(c)]
    things[("protocol", "draft")] = make_draft(
        session, tier=1, owner=b, parties=everyone, title="Draft protocol"
    ).id
    things[("protocol", "active")] = activate(
        session, make_draft(session, tier=1, owner=b, parties=everyone, title="Protocol of B")
    ).id
    things["own_practitioner"] = people[("own", "practitioner")].id
    things["calendar"] = reviews.calendar_token(session, a.id)
    things["user"] = people[("other", "practitioner")].id
    issue_token(session, people[("other", "practitioner")], now=FIXED_NOW)
    [someone_elses] = live_tokens(session, things["user"], now=FIXED_NOW)
    things["api_token"] = someone_elses.id
    [told] = notify(
        session,
        NotificationEvent.OFFICER_CHANGED,
        [people[("other", "practitioner")]],
        subject="Someone else's notification",
        body="Not for the actors",
        now=FIXED_NOW,
        needs_acknowledgement=True,
    )
    session.commit()
    things["notification"] = told.id
    return people, things


def _ids(endpoint: str, key: str, things) -> dict:
    kind = "draft" if endpoint in DRAFT_ROUTES else "awaiting"
    if endpoint not in DRAFT_ROUTES | AWAITING_ROUTES:
        kind = "noticed" if endpoint in NOTICE_CANCELS else "active"
        kind = "joined" if endpoint in NOTICES else kind
    return {
        "agency_id": things[(key, "agency")],
        "officer_id": things[(key, "officer")],
        "agreement_id": things[(key, kind)],
        "user_id": things["user"],
        "kind": "purposes",
        "filename": "x.css",
        "token": things["calendar"],
        "pdf_id": 1,
        "check_id": things[(key, "check")],
        "decision_id": things[(key, "decision")],
        "delegation_id": things[(key, "delegation")],
        "token_id": things["api_token"],
        "notification_id": things["notification"],
    }


def _body(endpoint: str, key: str, things) -> dict:
    """A body that would succeed if the actor were allowed."""
    agency = things[(key, "agency")]
    tier = {"tier": 1, "parent_id": None} if key == "protocol" else {}
    third = things["third"]
    later = (TODAY + timedelta(days=30)).isoformat()
    share = {
        "from_agency_id": agency,
        "to_agency_id": third,
        "purpose": "mash_triage",
        "data_categories": ["identity_contact"],
        "decision": "share",
        "consent": "given",
        "reasons": "Needed for the strategy meeting",
    }
    officer = {"role": "dpo", "name": "New Officer", "job_title": "DPO", "email": "d@example.org"}
    new_agency = {"name": "New agency", "kind": "other", "ico_registration": "Z7654321"}
    bodies = {
        "update_agency": {"name": "Renamed"},
        "edit_agency": {"name": "Renamed"},
        "create_officer": officer,
        "new_officer": officer,
        "update_officer": {"name": "Renamed"},
        "edit_officer": {"name": "Renamed"},
        "update_agreement": {"title": "Renamed"},
        "edit_agreement": {"title": "Renamed"},
        "review_agreement": {"outcome": "continue", "notes": "Still needed"},
        "terminate_agreement": {"reason": "No longer needed"},
        "suspend_agreement": {"reason": "Breach"},
        "resume_agreement": {"reason": "Fixed"},
        "decline_agreement": {"comment": "Wrong parties"},
        "withdraw_agreement": {"agency_id": agency, "effective_on": later, "reason": "Leaving"},
        "create_agreement": {
            "title": "New",
            "tier": 2,
            "owner_agency_id": agency,
            "parent_id": things["protocol"],
            "purposes": ["mash_triage"],
            "data_categories": ["identity_contact"],
            "lawful_bases": ["art6_1_e"],
            "effective_from": later,
            "parties": [
                {"agency_id": agency, "may_disclose": True, "may_receive": True},
                {"agency_id": third, "may_disclose": True, "may_receive": True},
            ],
            **tier,
        },
        "create_decision": share,
        "new_decision": share,
        "create_follow_up": {
            "consent_withdrawn": True,
            "share_stopped": True,
            "information": "deleted",
            "outcome": "The recipient deleted it",
        },
        "new_follow_up": {
            "consent_withdrawn": "yes",
            "share_stopped": "yes",
            "information": "deleted",
            "outcome": "The recipient deleted it",
        },
        "check_coverage": {
            "from_agency_id": agency,
            "to_agency_id": third,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
        },
        "create_user": {
            "email": "new@example.org",
            "name": "New",
            "password": "lantern orchard velvet quarry",
            "roles": ["practitioner"],
            "agency_id": agency,
        },
        "update_user": {"active": False},
        "edit_user": {"name": "Renamed"},
        "create_agency": new_agency,
        "create_delegation": {
            "delegate_id": things["own_practitioner"],
            "starts_on": later,
            "ends_on": (TODAY + timedelta(days=60)).isoformat(),
        },
        "new_agency": new_agency,
    }
    return dict(bodies.get(endpoint.split(".")[-1], {}))


# Bookkeeping any API call may write, not a change the route made: when a token was last
# used (at most once a minute, services/users.user_for_token).
NOT_CHANGES = {("api_tokens", "last_used_at")}


def fingerprint() -> str:
    """Every row of every table, hashed: equal means the database did not change."""
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in NOT_CHANGES]
            rows = connection.execute(
                select(*columns).order_by(*table.primary_key.columns or table.columns)
            ).all()
            digest.update(f"{table.name}:{rows!r}".encode())
        digest.update(
            repr(connection.execute(text("SELECT count(*) FROM alembic_version")).all()).encode()
        )
    return digest.hexdigest()


class SavedDatabase:
    """The SQLite database as it is now, to put back after a request that changed it
    (SQLite's backup API: safe with WAL, and no connection of the app's is left open)."""

    def __init__(self):
        self.path = db.engine.url.database
        self._release()
        self.copy = sqlite3.connect(":memory:")
        with closing(sqlite3.connect(self.path)) as live:
            live.backup(self.copy)

    @staticmethod
    def _release():
        db.session.remove()
        db.engine.dispose()

    def put_back(self):
        self._release()
        with closing(sqlite3.connect(self.path)) as live:
            self.copy.backup(live)

    def close(self):
        self.copy.close()


def to_sign_in(response) -> bool:
    return 300 <= response.status_code < 400 and urlsplit(
        response.headers.get("Location", "")
    ).path.startswith("/sign-in")


def succeeded(response) -> bool:
    return response.status_code < 400 and not to_sign_in(response)


class Prober:
    """One actor, signed in (or not), sending requests to the routes and saying what went
    wrong."""

    def __init__(self, app, session, people, things, actor: str):
        self.things, self.actor = things, actor
        user = None
        if actor != "anonymous":
            user = people["admin" if actor == "admin" else ("own", actor)]
        app.test_client_class = RegistryClient
        self.client = app.test_client()
        if user is not None:
            self.client.sign_in(user)
        self.token = issue_token(session, user, now=FIXED_NOW) if user is not None else None
        self.csrf = self.client.csrf_token("/" if user else "/sign-in")
        session.rollback()
        self.saved = SavedDatabase() if db.engine.dialect.name == "sqlite" else None
        self.tried = 0

    def probe(self, rule) -> list[str]:
        problems = []
        keys = ("own", "other", "protocol") if rule.endpoint in DRAFTING else ("own", "other")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for key in keys:
                problems += self._one(rule, method, key)
        return problems

    def _one(self, rule, method: str, key: str) -> list[str]:
        endpoint, actor = rule.endpoint, self.actor
        by_role = role_allowed(endpoint, actor)
        may = by_role and agency_allowed(endpoint, method, actor, key)
        changes = method != "GET"
        if may and changes and self.saved is None:
            return []  # allowed and would change something: only where it can be put back
        url = rule.rule
        ids = _ids(endpoint, key, self.things)
        for name in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", url):
            url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(ids[name]), url)
        body = _body(endpoint, key, self.things)
        cookies = dict(self.client._cookies)
        before = fingerprint()
        if url.startswith("/api/"):
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            response = self.client.open(
                url, method=method, headers=headers, json=body if changes else None
            )
        else:
            data = None
            if changes:
                data = {k: v for k, v in body.items() if not isinstance(v, dict)}
                data["csrf_token"] = self.csrf
            response = self.client.open(url, method=method, data=data)
        self.tried += 1
        status = response.status_code
        said = f"{actor} {method} {url} ({key}): {status}"
        problems = []
        if status >= 500:
            problems.append(f"{said} server error")
        changed = fingerprint() != before
        if changed and self.saved is not None:  # put back for the next request
            self.saved.put_back()
            # (and the cookies: a request may have started a session the database forgot)
            self.client._cookies.clear()
            self.client._cookies.update(cookies)
        if may:
            if status in (401, 403) or to_sign_in(response):
                problems.append(f"{said} refused, though SPEC §8 allows it")
            if changed and not changes:
                problems.append(f"{said} a GET changed the database")
            return problems
        if succeeded(response):
            problems.append(f"{said} succeeded, though SPEC §8 refuses it")
        elif not by_role and actor == "anonymous":
            api = url.startswith("/api/")
            if not (status == 401 if api else to_sign_in(response)):
                problems.append(f"{said} refused nobody without {401 if api else 'sign-in'}")
        elif not by_role and status != 403:
            problems.append(f"{said} refused the {actor} role without 403")
        elif by_role and status != 403 and endpoint not in FORM_NOT_FILLED:
            problems.append(f"{said} refused another agency's thing without 403")
        if changed:
            problems.append(f"{said} changed the database")
        return problems

    def close(self):
        if self.saved is not None:
            self.saved.close()


@pytest.mark.parametrize("actor", ACTORS)
def test_every_route_does_what_spec_8_lets_each_role_do(app, session, world, actor):
    people, things = world
    prober = Prober(app, session, people, things, actor)
    problems = []
    try:
        for rule in app.url_map.iter_rules():
            if rule.endpoint in NOT_PROBED or (rule.endpoint, actor) in DISAGREEMENTS:
                continue
            problems += prober.probe(rule)
    finally:
        prober.close()
    assert problems == [], "\n".join(problems)
    assert prober.tried > 100


# Defined only while the app disagrees with SPEC somewhere (none does now): each such
# route and role is then a strict xfail naming the clause.
if DISAGREEMENTS:

    @pytest.mark.parametrize(
        ("endpoint", "actor"),
        [
            pytest.param(
                endpoint,
                actor,
                marks=pytest.mark.xfail(strict=True, reason=f"app disagrees with SPEC {clause}"),
                id=f"{endpoint}-{actor}",
            )
            for (endpoint, actor), clause in DISAGREEMENTS.items()
        ],
    )
    def test_where_the_app_disagrees_with_spec_8(app, session, world, endpoint, actor):
        people, things = world
        prober = Prober(app, session, people, things, actor)
        try:
            rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
            problems = [p for rule in rules for p in prober.probe(rule)]
        finally:
            prober.close()
        assert problems == [], "\n".join(problems)
