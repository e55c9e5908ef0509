"""Officers with dates and one holder per role: the period rule, replacing a holder, ending
and correcting, the partners told, the coverage contacts and the PDF on a date."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.domain.errors import Conflict, ValidationFailed
from registry.domain.lifecycle import StatusSettings
from registry.extensions import db
from registry.models import AuditEntry, Notification, NotificationEvent, Officer
from registry.services import agencies, agreement_lifecycle, pdfs
from registry.services.coverage import CheckInput, run_check

from ..factories import (
    ADMIN,
    FIXED_NOW,
    TODAY,
    activate,
    chain,
    make_agency,
    make_draft,
    make_user,
    party,
)
from ..racing import race

LATER = TODAY + timedelta(days=30)
EARLIER = TODAY - timedelta(days=200)


def add(session, agency, role="caldicott_guardian", name="New Holder", **data):
    replaces = data.pop("replaces_current", False)
    return agencies.add_officer(
        session,
        ADMIN,
        agency.id,
        {"role": role, "name": name, "job_title": "Director", "email": "n@example.org", **data},
        today=TODAY,
        now=FIXED_NOW,
        replaces_current=replaces,
    )


def names_on(session, agency, day, role=None):
    roles = None if role is None else [role]
    return [o.name for o in agencies.holders_on(session, agency.id, day, roles)]


def test_a_holder_holds_from_the_start_up_to_not_including_the_leaving_day(session):
    council = make_agency(session, name="Council")
    old = add(session, council, name="Olga Old", started_on=EARLIER)
    new = add(session, council, name="Nina New", started_on=LATER, replaces_current=True)
    assert (old.ended_on, new.started_on) == (LATER, LATER)
    assert names_on(session, council, EARLIER - timedelta(days=1)) == []
    assert names_on(session, council, EARLIER) == ["Olga Old"]
    assert names_on(session, council, LATER - timedelta(days=1)) == ["Olga Old"]
    assert names_on(session, council, LATER) == ["Nina New"]  # the leaving day: successor only
    session.refresh(council)
    assert [o.name for o in council.current_officers(TODAY)] == ["Olga Old"]
    assert agencies.officer_gaps(council, LATER) == ["Council has no lead information officer"]
    # Not yet left: both are listed as current, the successor as from a later date.
    listed = agencies.list_officers(session, council.id, today=TODAY)
    assert [o.name for o in listed] == ["Olga Old", "Nina New"]


def test_a_second_holder_is_refused_naming_the_first_and_nothing_is_saved(session):
    council = make_agency(session, name="Council")
    add(session, council, name="Carol Guard", started_on=EARLIER)
    with pytest.raises(Conflict) as refused:
        add(session, council, name="Second Guard")
    assert refused.value.code == "role_held"
    assert "Carol Guard is the Caldicott Guardian of Council" in refused.value.message
    assert session.scalars(select(Officer.name)).all() == ["Carol Guard"]
    carol = session.scalar(select(Officer))
    assert carol.ended_on is None


def test_replacing_ends_the_holder_on_the_new_start_in_one_audited_change(session):
    council = make_agency(session, name="Council")
    carol = add(session, council, name="Carol Guard", started_on=EARLIER)
    new = add(session, council, name="Dev Guard", replaces_current=True)
    assert carol.ended_on == TODAY == new.started_on
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_type == "officer")
    ).all()
    assert actions == ["officer.create", "officer.end", "officer.replace"]
    ended = session.scalar(select(AuditEntry).where(AuditEntry.action == "officer.end"))
    assert (ended.before["ended_on"], ended.after["ended_on"]) == (None, TODAY.isoformat())


def test_a_replacement_refused_for_its_fields_leaves_the_holder_in_post(session):
    council = make_agency(session, name="Council")
    carol = add(session, council, name="Carol Guard", started_on=EARLIER)
    with pytest.raises(ValidationFailed):
        add(session, council, name="Dev Guard", email="not an address", replaces_current=True)
    session.refresh(carol)
    assert carol.ended_on is None


def test_signatories_may_be_many_and_other_roles_are_apart(session):
    council = make_agency(session, name="Council")
    add(session, council, role="signatory", name="Sign One")
    add(session, council, role="signatory", name="Sign Two")
    add(session, council, role="dpo", name="Dee Pio")
    add(session, council, role="siro", name="Sid Siro")
    assert len(agencies.holders_on(session, council.id, TODAY)) == 4


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"started_on": TODAY + timedelta(days=367)}, "started_on", "a year from today"),
        ({"started_on": date(1899, 12, 31)}, "started_on", "between 1 January 1900"),
        ({"started_on": "31/12/2026"}, "started_on", "real date"),
    ],
)
def test_start_dates_out_of_range_are_refused(session, data, field, words):
    council = make_agency(session, name="Council")
    with pytest.raises(ValidationFailed) as refused:
        add(session, council, **data)
    assert words in refused.value.fields[field]


def test_a_successor_cannot_start_before_or_on_the_holders_start(session):
    council = make_agency(session, name="Council")
    add(session, council, name="Carol Guard", started_on=TODAY)
    with pytest.raises(Conflict) as refused:
        add(session, council, name="Earlier", started_on=EARLIER)
    assert refused.value.code == "dates_overlap"
    assert "Carol Guard" in refused.value.fields["started_on"]
    with pytest.raises(Conflict) as refused:
        add(session, council, name="Same day", replaces_current=True)
    assert refused.value.code == "dates_overlap"


def test_ending_takes_a_date_within_the_rules(session):
    council = make_agency(session, name="Council")
    dee = add(session, council, role="dpo", name="Dee Pio", started_on=EARLIER)

    def end(ended_on):
        return agencies.end_officer(
            session, ADMIN, council.id, dee.id, ended_on=ended_on, today=TODAY, now=FIXED_NOW
        )

    for wrong, words in (
        (EARLIER - timedelta(days=1), "on or after"),
        (TODAY + timedelta(days=400), "a year from today"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            end(wrong)
        assert words in refused.value.fields["ended_on"]
    assert end(LATER).ended_on == LATER
    with pytest.raises(Conflict):
        end(LATER)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "officer.end"))
    assert entry.after["ended_on"] == LATER.isoformat()


def test_correcting_dates_keeps_one_holder_at_a_time(session):
    council = make_agency(session, name="Council")
    old = add(session, council, name="Olga Old", started_on=EARLIER)
    new = add(session, council, name="Nina New", replaces_current=True)

    def correct(officer, **data):
        return agencies.update_officer(
            session, ADMIN, council.id, officer.id, data, now=FIXED_NOW, today=TODAY
        )

    with pytest.raises(Conflict) as refused:
        correct(old, ended_on=LATER)  # would overlap Nina's time
    assert refused.value.code == "dates_overlap" and "Nina New" in refused.value.message
    with pytest.raises(Conflict):
        correct(old, name="Renamed")  # a leaver's details stay as they were
    correct(new, started_on=TODAY + timedelta(days=1))
    correct(old, ended_on=TODAY + timedelta(days=1))
    assert names_on(session, council, TODAY) == ["Olga Old"]
    with pytest.raises(ValidationFailed) as refused:
        correct(new, started_on=TODAY + timedelta(days=400))
    assert "a year from today" in refused.value.fields["started_on"]
    assert session.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "officer.update")
    ).all() == ["officer.update", "officer.update"]


# Telling the partners ---------------------------------------------------------------


def _told(session):
    return {
        (n.email, n.event, n.needs_acknowledgement, n.agency_id)
        for n in session.scalars(select(Notification))
    }


def test_the_ig_leads_of_agencies_sharing_a_live_agreement_are_told(session):
    council, police, school, health = (
        make_agency(session, name=n) for n in ("Council", "Police", "School", "Health")
    )
    chain(session, council, police)  # active: the police share agreements with the council
    make_draft(session, tier=1, owner=council, parties=[party(council), party(school)])
    ended = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(health)])
    )
    agreement_lifecycle.terminate(session, ADMIN, ended.id, "Ended", now=FIXED_NOW)
    lead = {
        a.name: make_user(session, roles=("ig_lead",), agency=a) for a in (police, school, health)
    }
    lead["Council"] = make_user(session, roles=("ig_lead",), agency=council)
    practitioner = make_user(session, agency=police)
    session.query(Notification).delete()
    session.commit()

    add(session, council, name="Carol Guard", started_on=EARLIER)
    told = _told(session)
    assert told == {
        (lead["Police"].email, NotificationEvent.OFFICER_CHANGED, True, council.id)
    }  # not the school (draft only), health (terminated), the council itself, practitioners
    assert practitioner.email not in {t[0] for t in told}
    note = session.scalar(select(Notification))
    assert note.subject == "Caldicott Guardian changed at Council"
    assert "Carol Guard" in note.body and "MASH" in note.body
    assert "has been the Caldicott Guardian from" in note.body  # started in the past
    assert note.link == f"/agencies/{council.id}"
    # A signatory's change tells no one; replacing, ending and correcting each do.
    add(session, council, role="signatory", name="Sign One")
    assert session.query(Notification).count() == 1
    dev = add(session, council, name="Dev Guard", started_on=LATER, replaces_current=True)
    assert session.query(Notification).count() == 2
    latest = session.scalars(select(Notification).order_by(Notification.id.desc())).first()
    assert "Carol Guard leaves the role on" in latest.body and "Dev Guard" in latest.body
    agencies.update_officer(
        session,
        ADMIN,
        council.id,
        dev.id,
        {"started_on": LATER + timedelta(days=1)},
        now=FIXED_NOW,
        today=TODAY,
    )
    assert session.query(Notification).count() == 3  # a start date corrected
    agencies.end_officer(
        session,
        ADMIN,
        council.id,
        dev.id,
        ended_on=LATER + timedelta(days=90),
        today=TODAY,
        now=FIXED_NOW,
    )
    assert session.query(Notification).count() == 4
    assert session.query(Notification).filter_by(email=lead["Police"].email).count() == 4


# On a date: coverage contacts and the PDF ----------------------------------------------


def test_a_checks_contacts_are_the_holders_on_its_date(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    chain(session, council, police, effective_from=TODAY - timedelta(days=400))
    add(session, council, name="Olga Old", started_on=TODAY - timedelta(days=300))
    add(
        session,
        council,
        name="Nina New",
        started_on=TODAY - timedelta(days=10),
        replaces_current=True,
    )
    user = make_user(session, agency=council)

    def contacts(on):
        row, _ = run_check(
            session,
            user.actor(),
            CheckInput(council.id, police.id, "mash_triage", ["identity_contact"], on),
            today=TODAY,
            now=FIXED_NOW,
            settings=StatusSettings(),
        )
        return [c["name"] for c in row.answer["advice"]["contacts"]]

    assert contacts(TODAY - timedelta(days=11)) == ["Olga Old"]
    assert contacts(TODAY - timedelta(days=10)) == ["Nina New"]
    assert contacts(None) == ["Nina New"]
    assert contacts(TODAY - timedelta(days=301)) == []


def test_the_pdf_names_the_holders_on_the_versions_effective_date(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    start = TODAY - timedelta(days=30)
    add(
        session,
        council,
        role="lead_information_officer",
        name="Lia Lead",
        started_on=TODAY - timedelta(days=300),
    )
    add(
        session,
        council,
        role="lead_information_officer",
        name="Leo Later",
        started_on=TODAY - timedelta(days=5),
        replaces_current=True,
    )
    add(session, council, name="Carol Guard", started_on=TODAY - timedelta(days=40))
    protocol, _ = chain(session, council, police, effective_from=start)
    session.refresh(protocol)
    parties = {p["agency"]: p for p in pdfs.build(session, protocol)["parties"]}
    since = TODAY - timedelta(days=300)
    assert parties["Council"]["lead_officer"] == (
        f"Lia Lead, Director, since {since.day} {since.strftime('%B')} {since.year}"
    )
    assert parties["Council"]["caldicott"].startswith("Carol Guard, Director, since ")
    assert parties["Police"]["caldicott"] == "Not recorded"


def test_two_requests_cannot_both_add_a_holder(app, session):
    council = make_agency(session, name="Council")
    council_id = council.id

    def add_one(n: int) -> None:
        agencies.add_officer(
            db.session,
            ADMIN,
            council_id,
            {"role": "dpo", "name": f"Dpo {n}", "job_title": "DPO", "email": "d@example.org"},
            today=TODAY,
            now=FIXED_NOW,
        )

    errors = race(app, add_one, range(4))
    session.rollback()
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors)
    assert len(session.scalars(select(Officer).where(Officer.agency_id == council_id)).all()) == 1


def test_an_agency_that_has_withdrawn_is_not_told(session):
    council, police, school = (
        make_agency(session, name=n) for n in ("Council", "Police", "School")
    )
    protocol = activate(
        session,
        make_draft(
            session, tier=1, owner=council, parties=[party(council), party(police), party(school)]
        ),
    )
    leads = {a.name: make_user(session, roles=("ig_lead",), agency=a) for a in (police, school)}
    agreement_lifecycle.withdraw(
        session,
        leads["School"].actor(),
        protocol.id,
        agency_id=school.id,
        effective_on=TODAY,
        reason="The school has joined a trust with its own protocol",
        today=TODAY,
        now=FIXED_NOW,
    )
    session.query(Notification).delete()
    session.commit()
    add(session, council, name="Carol Guard")
    assert {n.email for n in session.scalars(select(Notification))} == {leads["Police"].email}


def test_a_phone_number_longer_than_its_column_is_refused_not_a_server_error(session):
    """Found by the form fuzzer on PostgreSQL (a 750-digit number reached the database and
    answered 500; SQLite stores any length, so only PostgreSQL showed it)."""
    council = make_agency(session, name="Council")
    officer = add(session, council, phone="01234 567890")
    with pytest.raises(ValidationFailed) as refused:
        agencies.update_officer(
            session, ADMIN, council.id, officer.id, {"phone": "0" * 41}, now=FIXED_NOW, today=TODAY
        )
    assert refused.value.fields == {"phone": "The phone number must be 40 characters or fewer"}
    with pytest.raises(ValidationFailed):
        add(session, council, role="siro", phone="9" * 41)
    session.refresh(officer)
    assert officer.phone == "01234 567890"
