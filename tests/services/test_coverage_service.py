from datetime import timedelta

import pytest
from sqlalchemy import event

from registry.domain import coverage as rules
from registry.domain.errors import ValidationFailed
from registry.domain.lifecycle import StatusSettings
from registry.extensions import db
from registry.models import CoverageCheck
from registry.services import agreement_lifecycle, coverage, hotpath
from registry.services.coverage import CheckInput, run_check

from ..factories import (
    FIXED_NOW,
    TODAY,
    activate,
    amendment_adding,
    chain,
    ig_lead_actor,
    make_agency,
    make_draft,
    make_officer,
    make_user,
    party,
    police_to_council,
)

SETTINGS = StatusSettings()


def ask(session, user, frm, to, purpose="mash_triage", categories=("identity_contact",), on=None):
    return run_check(
        session,
        user.actor(),
        CheckInput(frm.id, to.id, purpose, list(categories), on),
        today=TODAY,
        now=FIXED_NOW,
        settings=SETTINGS,
    )


def test_a_covered_share_is_answered_and_stored(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    make_officer(session, council, role="caldicott_guardian", name="Cal Guard")
    protocol, mash = chain(session, council, police)
    user = make_user(session, agency=council)
    row, answer = ask(session, user, council, police)
    assert answer.outcome.value == "covered"
    assert answer.agreement.reference == mash.reference
    assert row.answer["chain"] == [protocol.reference, mash.reference]
    assert row.answer["advice"]["contacts"][0]["name"] == "Cal Guard"
    session.rollback()
    stored = session.get(CoverageCheck, row.id)
    assert stored.outcome.value == "covered" and stored.agreement_id == mash.id
    assert stored.answer["check_id"] == row.id


def test_not_covered_names_each_reason(session):
    council, police, school = (
        make_agency(session, name=n) for n in ("Council", "Police", "School")
    )
    chain(session, council, police, school)
    user = make_user(session, agency=school)
    _, answer = ask(session, user, school, police, categories=["health", "identity_contact"])
    assert answer.outcome.value == "not_covered"
    assert [r.code for r in answer.reasons] == ["category_not_covered"]
    assert "Physical and mental health" in answer.reasons[0].message
    assert "significant harm" in answer.message


def test_an_amendment_adding_a_party_gives_not_signed_until_signed(session):
    council, police, school = (
        make_agency(session, name=n) for n in ("Council", "Police", "School")
    )
    mash = amendment_adding(session, council, police, school)
    user = make_user(session, agency=school)
    _, answer = ask(session, user, school, police)
    assert [r.code for r in answer.reasons] == ["not_signed"]
    activate(session, mash)
    _, answer = ask(session, user, school, police)
    assert answer.outcome.value == "covered" and answer.version == 2


@pytest.mark.parametrize(
    ("change", "code_words"),
    [
        ("direction", "Police may not disclose under"),
        ("purpose", "does not cover the purpose"),
        ("category", "does not cover the data category"),
    ],
)
def test_narrowing_a_tier_2_parent_stops_its_child_covering(session, change, code_words):
    """The issue's case: MASH amended and signed by all so that the police may no longer
    disclose (or no longer covers the purpose or a category); the tier-3 flow from the
    police to the council under it must stop covering at once."""
    from registry.services import agreements

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    _, mash = chain(session, council, police)
    flow = police_to_council(session, mash, police, council)
    user = make_user(session, agency=police)
    _, answer = ask(session, user, police, council)
    assert answer.outcome.value == "covered" and answer.agreement.reference == flow.reference
    agreement_lifecycle.amend(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    narrower = {
        "direction": {"parties": [party(council), party(police, disclose=False)]},
        "purpose": {"purposes": ["marac"]},
        "category": {"data_categories": ["health"], "lawful_bases": ["art6_1_e", "art9_2_h"]},
    }[change]
    agreements.update_draft(session, ig_lead_actor(council), mash.id, narrower, now=FIXED_NOW)
    activate(session, mash)
    _, answer = ask(session, user, police, council)
    assert answer.outcome.value == "not_covered"
    child = next(r for r in answer.reasons if r.agreement_reference == flow.reference)
    assert child.code == "parent_not_permitted"
    assert child.message.startswith(f"{flow.reference} sits under {mash.reference}")
    assert code_words in child.message


def test_the_answer_s_chain_names_each_agreement_as_in_force(session):
    """The chain shows each agreement's reference and title; a title changed by an
    amendment still in draft is not yet the agreement's."""
    from registry.services import agreements

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, mash = chain(session, council, police)
    agreement_lifecycle.amend(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    agreements.update_draft(
        session, ig_lead_actor(council), mash.id, {"title": "MASH (draft)"}, now=FIXED_NOW
    )
    row, answer = ask(session, make_user(session, agency=council), council, police)
    assert row.answer["agreement"]["title"] == "MASH"
    assert row.answer["chain_agreements"] == [
        {"reference": protocol.reference, "title": "Protocol"},
        {"reference": mash.reference, "title": "MASH"},
    ]


def test_a_date_in_the_future_uses_the_dates(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    chain(session, council, police)
    user = make_user(session, agency=council)
    _, answer = ask(session, user, council, police, on=TODAY + timedelta(days=500))
    assert [r.code for r in answer.reasons] == ["lapsed"]


def test_bad_input_names_each_field(session):
    council = make_agency(session)
    user = make_user(session, agency=council)
    with pytest.raises(ValidationFailed) as caught:
        run_check(
            session,
            user.actor(),
            CheckInput(council.id, 999, "nonsense", [], None),
            today=TODAY,
            now=FIXED_NOW,
            settings=SETTINGS,
        )
    assert set(caught.value.fields) == {"to_agency_id", "purpose", "data_categories"}


def _count_queries(monkeypatch, fn):
    """Every statement sent: through SQLAlchemy, and through the hot path's own cursors
    (which SQLAlchemy's events do not see)."""
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    def counted(method):
        def wrapper(self, template, *params):
            statements.append(template)
            return method(self, template, *params)

        return wrapper

    monkeypatch.setattr(hotpath.Raw, "run", counted(hotpath.Raw.run))
    monkeypatch.setattr(hotpath.Raw, "execute", counted(hotpath.Raw.execute))
    monkeypatch.setattr(hotpath.Transaction, "start", counted(hotpath.Transaction.start))
    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        monkeypatch.undo()
    return [s for s in statements if not s.startswith(("BEGIN", "PRAGMA", "SELECT pg_"))]


def test_the_number_of_queries_does_not_grow_with_the_registry(session, monkeypatch):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    others = [make_agency(session, name=f"Other {i}") for i in range(4)]
    protocol, _ = chain(session, council, police, *others)
    user = make_user(session, agency=council)

    def unrelated(count):
        for i in range(count):
            make_draft(
                session,
                owner=others[0],
                parent=protocol,
                parties=[party(others[0]), party(others[1 + i % 3])],
                title=f"Unrelated {i}",
            )

    def check():
        ask(session, user, council, police)

    unrelated(3)
    session.rollback()
    small = _count_queries(monkeypatch, check)
    unrelated(30)
    session.rollback()
    large = _count_queries(monkeypatch, check)
    assert len(large) == len(small), (small, large)
    assert 4 <= len(small) <= 20  # names, candidates, versions, details, the stored check


def test_the_checks_own_read_gives_the_same_facts_as_the_general_one(session):
    """PostgreSQL reads a pair's facts in one statement; it must give exactly what the
    general reader gives (parties one way only, unsigned amendments, withdrawals, a
    tier-3 under a tier-2, agreements the pair is not both party to)."""
    council, police, school, health = (
        make_agency(session, name=n) for n in ("Council", "Police", "School", "Health")
    )
    # Versions numbered apart from their agreements, so a query mixing the two is caught.
    earlier = activate(
        session,
        make_draft(
            session, tier=1, owner=health, parties=[party(health), party(school)], title="Earlier"
        ),
    )
    for _ in range(3):
        agreement_lifecycle.amend(session, ig_lead_actor(health), earlier.id, now=FIXED_NOW)
        activate(session, earlier)
    protocol = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=council,
            parties=[party(council), party(police), party(school), party(health)],
        ),
    )
    mash = activate(
        session,
        make_draft(
            session,
            owner=council,
            parent=protocol,
            parties=[party(council), party(police, receive=False), party(school), party(health)],
        ),
    )
    conferences = activate(
        session,
        make_draft(
            session,
            tier=3,
            owner=council,
            parent=mash,
            # within MASH, where the police may not receive (SPEC section 2)
            parties=[party(council), party(police, receive=False)],
            title="Case conferences",
        ),
    )
    activate(
        session,
        make_draft(
            session,
            owner=school,
            parent=protocol,
            parties=[party(school), party(health)],
            title="Not the pair's",
        ),
    )
    # Signed by one of the pair only, so each agency's signature is told apart.
    half = activate(
        session,
        make_draft(
            session,
            owner=council,
            parent=protocol,
            parties=[party(council), party(police)],
            title="Half signed",
        ),
        skip=(police,),
    )
    agreement_lifecycle.amend(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    school_lead = make_user(session, roles=("ig_lead",), agency=school)
    agreement_lifecycle.withdraw(
        session,
        school_lead.actor(),
        mash.id,
        agency_id=school.id,
        effective_on=TODAY + timedelta(days=30),
        reason="The service moves to the new provider",
        today=TODAY,
        now=FIXED_NOW,
    )
    session.rollback()

    def asking(source, target):
        return rules.Request(
            source.id, target.id, "mash_triage", frozenset({"identity_contact", "education"}), TODAY
        )

    for source, target in ((council, police), (police, council), (school, health)):
        request = asking(source, target)
        with hotpath.Transaction(session) as raw:
            own = coverage._pair_facts(raw, request)
        general = {
            i: rules.narrowed(x, request) for i, x in coverage.facts_for(session, own).items()
        }
        assert own == general
        assert own  # the pair shares agreements: the comparison is not of two empty maps
        # and the narrowing kept something of each kind to compare
        versions = [v for x in own.values() for v in x.versions]
        assert any(v.purposes for v in versions) and any(v.data_categories for v in versions)
    with hotpath.Transaction(session) as raw:
        shared = coverage._pair_facts(raw, asking(council, police))
    assert set(shared) == {protocol.id, mash.id, conferences.id, half.id}
    assert shared[half.id].versions[-1].signed == {council.id}
