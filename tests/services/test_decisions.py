import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from registry.domain.errors import Forbidden, ValidationFailed
from registry.extensions import db
from registry.models import DecisionRecord
from registry.services import decisions
from registry.services.decisions import DecisionInput, decisions_csv, record_decision

from ..factories import FIXED_NOW, TODAY, make_agency, make_user
from ..racing import race
from ..tamper import tamper


def decision_input(frm, to, **changes):
    base = {
        "from_agency_id": frm.id,
        "to_agency_id": to.id,
        "purpose": "mash_triage",
        "data_categories": ["identity_contact"],
        "decision": "share",
        "consent": "given",
        "reasons": "Risk of harm to the child",
    }
    return DecisionInput(**{**base, **changes})


@pytest.fixture
def pair(session):
    return make_agency(session, name="Council"), make_agency(session, name="Police")


def record(session, user, data, key=None):
    return record_decision(
        session, user.actor(), data, idempotency_key=key, today=TODAY, now=FIXED_NOW
    )


def test_a_decision_is_chained_to_the_one_before(session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    first, created = record(session, user, decision_input(council, police))
    second, _ = record(session, user, decision_input(council, police, decision="not_share"))
    assert created and (first.sequence, second.sequence) == (1, 2)
    assert second.previous_hash == first.entry_hash and len(first.entry_hash) == 64
    assert decisions.verify(session) is None


def test_a_time_given_in_london_s_zone_still_verifies(session, pair):
    """Both chains hash the time as the database gives it back (UTC): a caller passing an
    aware time in another zone must not leave an entry that fails verify-audit."""
    from registry.clock import LONDON
    from registry.services import agreements, audit

    council, police = pair
    user = make_user(session, agency=council)
    summer = FIXED_NOW.astimezone(LONDON)  # 12:00+01:00
    record(session, user, decision_input(council, police))  # FIXED_NOW, UTC
    record_decision(
        session,
        user.actor(),
        decision_input(council, police),
        idempotency_key=None,
        today=TODAY,
        now=summer,
    )
    agreements.create_draft(
        session,
        make_user(session, roles=("admin",)).actor(),
        {
            "title": "Protocol",
            "tier": 1,
            "owner_agency_id": council.id,
            "lawful_bases": ["art6_1_e"],
            "effective_from": TODAY,
            "parties": [{"agency_id": council.id, "may_disclose": True, "may_receive": True}],
        },
        now=summer,
    )
    session.expire_all()
    assert decisions.verify(session) is None
    assert audit.verify(session) is None


def test_consent_rules(session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    for consent in ("refused", "not_sought"):
        with pytest.raises(ValidationFailed) as caught:
            record(session, user, decision_input(council, police, consent=consent))
        assert "consent_reason" in caught.value.fields
    record(
        session,
        user,
        decision_input(
            council, police, consent="refused", consent_reason="Child at risk of significant harm"
        ),
    )
    record(
        session, user, decision_input(council, police, decision="not_share", consent="refused")
    )  # no reason needed


def test_reasons_required_and_case_reference_cannot_hold_a_name(session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    with pytest.raises(ValidationFailed) as caught:
        record(
            session, user, decision_input(council, police, reasons=" ", case_reference="Jane Smith")
        )
    assert set(caught.value.fields) == {"reasons", "case_reference"}
    saved, _ = record(session, user, decision_input(council, police, case_reference="CS-104233"))
    assert saved.case_reference == "CS-104233"


def test_a_practitioner_records_only_for_its_own_agency(session, pair):
    council, police = pair
    user = make_user(session, agency=police)
    with pytest.raises(Forbidden):
        record(session, user, decision_input(council, police))
    lead = make_user(session, roles=("ig_lead",), agency=council)
    with pytest.raises(Forbidden):
        record(session, lead, decision_input(council, police))
    assert session.query(DecisionRecord).count() == 0


def test_the_same_idempotency_key_answers_the_first_record(session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    first, created = record(session, user, decision_input(council, police), key="abc-1")
    again, created_again = record(session, user, decision_input(council, police), key="abc-1")
    assert created and not created_again and again.id == first.id
    other = make_user(session, agency=council)
    theirs, created_theirs = record(session, other, decision_input(council, police), key="abc-1")
    assert created_theirs and theirs.id != first.id  # keys are per user
    assert session.query(DecisionRecord).count() == 2


@pytest.mark.parametrize("table", ["decisions", "audit_entries"])
def test_the_database_refuses_to_change_or_remove_records(session, pair, table):
    council, police = pair
    record(session, make_user(session, agency=council), decision_input(council, police))
    for sql in (f"UPDATE {table} SET entry_hash = 'x'", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError) as caught:
            session.execute(text(sql))
            session.flush()
        assert "append-only" in str(caught.value)
        session.rollback()
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DatabaseError):
            session.execute(text(f"TRUNCATE {table} CASCADE"))
        session.rollback()
    assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() >= 1


def test_a_change_behind_the_applications_back_is_found(app, session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    for _ in range(3):
        record(session, user, decision_input(council, police))
    tamper(session, "decisions", "UPDATE decisions SET reasons = 'edited' WHERE sequence = 2")
    assert decisions.verify(session) == 2
    result = app.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code != 0 and "decision 2" in result.output


def test_concurrent_writers_never_fork_the_chain(app, session, pair):
    council, police = pair
    users = [make_user(session, agency=council) for _ in range(4)]
    ids = [u.id for u in users]

    def write(user_id):
        from registry.models import User

        actor = db.session.get(User, user_id).actor()
        for n in range(5):
            record_decision(
                db.session,
                actor,
                decision_input(council, police),
                idempotency_key=f"{user_id}-{n}",
                today=TODAY,
                now=FIXED_NOW,
            )

    errors = race(app, write, ids)
    assert errors == []
    session.rollback()
    sequences = [r.sequence for r in session.query(DecisionRecord).order_by("sequence")]
    assert sequences == list(range(1, 21))
    assert decisions.verify(session) is None


def test_ig_lead_reads_and_downloads_its_agencys_decisions(session, pair):
    council, police = pair
    mine = make_user(session, agency=council)
    theirs = make_user(session, agency=police)
    record(session, mine, decision_input(council, police, reasons='=HYPERLINK("x")'))
    record(session, theirs, decision_input(police, council))
    lead = make_user(session, roles=("ig_lead",), agency=council)
    listed = decisions.list_decisions(session, lead.actor())
    assert [r.from_agency_id for r in listed.items] == [council.id]
    assert decisions.list_decisions(session, theirs.actor()).total == 1
    csv_text = decisions_csv(session, lead.actor())
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("sequence,recorded_at")
    assert len(lines) == 2 and "'=HYPERLINK" in lines[1]
    # A practitioner downloads its own decisions only (SPEC sections 8 and 13).
    own = decisions_csv(session, mine.actor()).strip().splitlines()
    assert len(own) == 2 and "HYPERLINK" in own[1]
    assert len(decisions_csv(session, theirs.actor()).strip().splitlines()) == 2
    with pytest.raises(Forbidden):
        decisions.get_decision(session, lead.actor(), 2)
