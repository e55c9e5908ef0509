"""Schemathesis reads /api/v1/openapi.json and sends generated requests to every
operation, valid ones (positive) and ones the document says are wrong (negative), as the
administrator and as a practitioner, and runs every check it has on each answer: no 5xx,
every answer's status, content type and body as documented, every invalid request refused,
every valid one accepted (see ACCEPTS_ONLY_WHAT_IS_RECORDED), authentication never ignored,
405 with Allow for methods not served.

Valid requests to POST /coverage and POST /decisions are aimed at the agencies this test
records (the practitioner's own and one the protocol covers), so that they are answered
2xx; the test asserts they were. Their purposes and categories are the document's own:
it enumerates the codes the registry knows.

HYPOTHESIS_PROFILE=ci (tests/conftest.py) tries four times as many requests."""

from __future__ import annotations

import os
from collections import Counter
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.parameters import ParameterLocation

from registry.extensions import limiter
from registry.models import User
from registry.services.users import issue_token

from ..factories import FIXED_NOW, TODAY, chain, make_admin, make_agency, make_officer, make_user

# CI tries two and a half times as many per operation and mode: at 100 this one test took a
# fifth of CI's 90 minutes (14.5 of 72) for both engines, and at 40, on session 14's slow
# machine, 11.5 of the suite's 74 minutes.
EXAMPLES = 25 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 10

# Operations whose valid requests can still be refused with 422 by a rule the document
# cannot state: an unknown id in the body, a password too easy to guess, dates in the
# wrong order or in the past, a party missing from the parent agreement. Every other check
# still runs on them. (Codes, email addresses, ICO numbers and ODS codes it states.)
ACCEPTS_ONLY_WHAT_IS_RECORDED = {
    "POST /users",
    "PATCH /users/{user_id}",
    "POST /agreements",
    "PATCH /agreements/{agreement_id}",
    "POST /agreements/{agreement_id}/withdraw",
    "POST /agreements/{agreement_id}/decline",
    # Signing needs the user's own current code or password (a fresh proof, issue 18);
    # a delegate must be a user of one's own agency, for dates from today.
    "POST /agreements/{agreement_id}/sign",
    "POST /delegations",
    "POST /auth/token",
    # An officer's start and leaving dates lie within a year of today, the leaving date
    # on or after the start (issue 18): bounds relative to today the document cannot state.
    "POST /agencies/{agency_id}/officers",
    "PATCH /agencies/{agency_id}/officers/{officer_id}",
    # A follow-up's next date is today or later (issue 19), relative to today again.
    "POST /decisions/{decision_id}/follow-ups",
    # A search needs three characters besides spaces; the audit trail's date range must
    # not run backwards (issue 19).
    "GET /search",
    "GET /audit",
}
MUST_SUCCEED = ("POST /coverage", "POST /decisions")


@pytest.fixture
def registry(session, api_as, monkeypatch):
    # The token route's limit per address would answer every later request 429.
    monkeypatch.setattr(limiter, "enabled", False)
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    officer = make_officer(session, council)
    _, tier2 = chain(session, council, police)
    admin, practitioner = make_admin(session), make_user(session, agency=council)
    decision = api_as(practitioner).post(
        "/decisions",
        {
            "from_agency_id": council.id,
            "to_agency_id": police.id,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
            "decision": "share",
            "consent": "given",
            "reasons": "Seeded for the contract test",
        },
    )
    assert decision.status_code == 201, decision.get_json()
    return {
        "council": council.id,
        "police": police.id,
        "users": {"admin": admin.id, "practitioner": practitioner.id},
        # Half the generated requests name these in their paths (the rest draw any id).
        "ids": {
            "agency_id": council.id,
            "officer_id": officer.id,
            "agreement_id": tier2.id,
            "user_id": practitioner.id,
            "decision_id": decision.get_json()["id"],
        },
    }


def _restore(session, registry) -> dict[str, str]:
    """The two callers as recorded, with fresh tokens: generated requests may have
    disabled one, changed its roles or agency, or revoked its token."""
    tokens = {}
    for who, user_id in registry["users"].items():
        user = session.get(User, user_id)
        session.refresh(user)
        user.active = True
        user.agency_id = registry["council"] if who == "practitioner" else None
        session.commit()
        tokens[who] = issue_token(session, user, now=FIXED_NOW)
    return tokens


def _aimed(operation, registry):
    """Valid requests to the two operations aimed at what is recorded: the practitioner's
    own agency to one the protocol covers (a follow-up date not in the past)."""
    label = operation.label
    if label not in MUST_SUCCEED:
        return _somewhere(operation, registry, GenerationMode.POSITIVE)
    recorded = st.sampled_from([registry["police"], registry["council"]])

    def aim(pair):
        case, to = pair
        body = dict(case.body)
        body.update(from_agency_id=registry["council"], to_agency_id=to)
        if label == "POST /decisions":
            body.pop("check_id", None)
            if body.get("follow_up_on") and date.fromisoformat(body["follow_up_on"]) < TODAY:
                body["follow_up_on"] = TODAY.isoformat()
        case.body = body
        return case

    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    return st.tuples(positive, recorded).map(aim)


def _headers_negated(case) -> bool:
    meta = case.meta
    return meta is not None and any(
        location == ParameterLocation.HEADER and component.mode.is_negative
        for location, component in meta.components.items()
    )


def _fuzzer(strategy, checks, tokens, seen, cases, failures, what):
    """A Hypothesis test sending each generated request as both callers."""

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        mode = what.split(" ", 1)[0]
        for who in ("admin", "practitioner"):
            cases[mode] += 1
            # Schemathesis reads a WSGI answer as sent: ask for it uncompressed.
            headers = {"Accept-Encoding": "identity"}
            if not _headers_negated(case):  # else the case itself leaves the token out
                headers["Authorization"] = f"Bearer {tokens[who]}"
            try:
                response = case.call_and_validate(headers=headers, checks=checks)
            except schemathesis.errors.FailureGroup as group:
                failures.append(f"{who} {what}: {group}"[:3000])
                continue
            seen[f"{mode} {who} {response.status_code}"] += 1

    return run


def _somewhere(operation, registry, mode):
    """Requests to any id, and (where every id in the path is one recorded) to those."""
    anywhere = operation.as_strategy(generation_mode=mode)
    names = [p.name for p in operation.path_parameters]
    if not names or not all(name in registry["ids"] for name in names):
        return anywhere
    pinned = {name: registry["ids"][name] for name in names}
    return st.one_of(anywhere, operation.as_strategy(generation_mode=mode, path_parameters=pinned))


def test_every_operation_keeps_the_documented_contract(app, session, registry, caplog):
    load_all_checks()
    every_check = CHECKS.get_all()
    by_name = {check.__name__: check for check in every_check}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    statuses: dict[str, Counter] = {}
    cases = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        label = operation.label
        checks = [
            c
            for c in every_check
            if not (
                c is by_name["positive_data_acceptance"] and label in ACCEPTS_ONLY_WHAT_IS_RECORDED
            )
        ]
        seen = statuses.setdefault(label, Counter())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            tokens = _restore(session, registry)
            strategy = (
                _aimed(operation, registry)
                if mode is GenerationMode.POSITIVE
                else _somewhere(operation, registry, mode)
            )

            run = _fuzzer(strategy, checks, tokens, seen, cases, failures, f"{mode.value} {label}")
            try:
                run()
            except schemathesis.errors.SchemathesisError as exc:  # nothing negative to make
                if mode is GenerationMode.POSITIVE:
                    raise
                seen[f"negative: none ({type(exc).__name__})"] += 1
    report = "\n".join(f"{label}: {dict(counts)}" for label, counts in sorted(statuses.items()))
    print(f"{operations} operations, cases {dict(cases)}\n{report}")
    assert operations > 30
    causes = sorted({r.exc_text.splitlines()[-1] for r in caplog.records if r.exc_text})
    if failures and os.environ.get("SCHEMATHESIS_REPORT"):
        with open(os.environ["SCHEMATHESIS_REPORT"], "w") as out:
            out.write("\n\n".join(causes + failures))
    assert failures == [], "\n".join(causes + failures[:20])
    for label in MUST_SUCCEED:
        ok = sum(
            n
            for key, n in statuses[label].items()
            if key.startswith("positive") and 200 <= int(key.rsplit(" ", 1)[1]) < 300
        )
        assert ok, f"no valid request to {label} was accepted: {statuses[label]}"
