import pytest

from registry.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from registry.models import AuditEntry
from registry.services import agencies

from ..factories import ADMIN, FIXED_NOW, TODAY, ig_lead_actor, make_agency, make_officer


def test_create_agency_normalises_and_audits(session):
    agency = make_agency(
        session, name="Northshire Police", kind="police", ico="za 123456", ods_code="rx1"
    )
    assert agency.ico_registration == "ZA123456"
    assert agency.ods_code == "RX1"
    entry = session.query(AuditEntry).filter_by(entity_type="agency").one()
    assert entry.action == "agency.create" and entry.after["name"] == "Northshire Police"


def test_invalid_fields_are_each_named(session):
    with pytest.raises(ValidationFailed) as caught:
        agencies.create_agency(
            session,
            ADMIN,
            {
                "name": "",
                "kind": "bank",
                "ico_registration": "12345",
                "ods_code": "toolong1",
                "email": "not-an-email",
            },
            now=FIXED_NOW,
        )
    assert set(caught.value.fields) == {"name", "kind", "ico_registration", "ods_code", "email"}


def test_a_second_agency_with_the_same_ico_number_conflicts(session):
    make_agency(session, name="First", ico="Z1111111")
    with pytest.raises(Conflict) as caught:
        make_agency(session, name="Second", ico="Z1111111")
    assert caught.value.fields == {
        "ico_registration": "First already has the ICO registration number Z1111111"
    }


def test_ig_lead_cannot_change_another_agency(session):
    mine, theirs = make_agency(session), make_agency(session)
    with pytest.raises(Forbidden):
        agencies.update_agency(
            session, ig_lead_actor(mine), theirs.id, {"name": "Taken"}, now=FIXED_NOW
        )
    session.refresh(theirs)
    assert theirs.name != "Taken"
    agencies.update_agency(
        session, ig_lead_actor(mine), mine.id, {"phone": "01632 960000"}, now=FIXED_NOW
    )
    assert mine.phone == "01632 960000"


def test_update_records_before_and_after(session):
    agency = make_agency(session, name="Old name")
    agencies.update_agency(session, ADMIN, agency.id, {"name": "New name"}, now=FIXED_NOW)
    entry = session.query(AuditEntry).filter_by(action="agency.update").one()
    assert entry.before["name"] == "Old name" and entry.after["name"] == "New name"


def test_search_and_kind_filter(session):
    make_agency(session, name="Northshire Police", kind="police")
    make_agency(session, name="Northshire County Council", kind="local_authority")
    make_agency(session, name="Riverside Practice", kind="health")
    assert [a.name for a in agencies.list_agencies(session, search="northshire").items] == [
        "Northshire County Council",
        "Northshire Police",
    ]
    assert [a.name for a in agencies.list_agencies(session, kind="health").items] == [
        "Riverside Practice"
    ]
    page = agencies.list_agencies(session, page=2, per_page=2)
    assert page.total == 3 and len(page.items) == 1


def test_officers_are_ended_not_erased(session):
    agency = make_agency(session)
    officer = make_officer(session, agency, role="dpo", name="Dee Pio")
    agencies.end_officer(session, ADMIN, agency.id, officer.id, today=TODAY, now=FIXED_NOW)
    assert agencies.list_officers(session, agency.id) == []
    history = agencies.list_officers(session, agency.id, include_ended=True)
    assert [(o.name, o.ended_on) for o in history] == [("Dee Pio", TODAY)]
    with pytest.raises(Conflict):
        agencies.end_officer(session, ADMIN, agency.id, officer.id, today=TODAY, now=FIXED_NOW)


def test_an_officer_of_another_agency_is_not_found_through_this_one(session):
    a, b = make_agency(session), make_agency(session)
    officer = make_officer(session, b)
    with pytest.raises(NotFound):
        agencies.end_officer(session, ADMIN, a.id, officer.id, today=TODAY, now=FIXED_NOW)


def test_officer_gaps(session):
    council = make_agency(session, name="Council", kind="local_authority")
    school = make_agency(session, name="School", kind="education")
    assert agencies.officer_gaps(council, TODAY) == [
        "Council has no lead information officer",
        "Council has no Caldicott Guardian",
    ]
    assert agencies.officer_gaps(school, TODAY) == ["School has no lead information officer"]
    make_officer(session, council, role="lead_information_officer")
    make_officer(session, council, role="caldicott_guardian")
    session.refresh(council)
    assert agencies.officer_gaps(council, TODAY) == []


def test_agency_names_reads_only_the_agencies_asked_for(session):
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police")
    make_agency(session, name="School")
    assert agencies.agency_names(
        session, [police.id, council.id, None, police.id, 10**30, "3", True]
    ) == {police.id: "Police", council.id: "Council"}
    assert agencies.agency_names(session, []) == {}
    # Past one statement's share of parameters, every name still comes back.
    many = [*range(-2500, 0), council.id, police.id]  # read third, after 2,500 unknown
    assert agencies.agency_names(session, many) == {council.id: "Council", police.id: "Police"}


def test_key_post_gaps_count_as_each_role_asked_alone(session):
    """The administrator's figures: one pass over officers and agencies gives, for each key
    post, the agencies that need it and have nobody holding it today (past and future
    holders do not count), as counting `without_holder` role by role does."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from registry.domain.agencies import KEY_ROLES
    from registry.models import Agency

    council = make_agency(session, kind="local_authority")
    trust = make_agency(session, kind="health")
    school = make_agency(session, kind="education")
    make_agency(session, kind="police")
    make_officer(session, council, role="lead_information_officer")
    make_officer(session, council, role="caldicott_guardian")
    make_officer(session, trust, role="siro")
    make_officer(
        session, school, role="lead_information_officer", started_on=TODAY + timedelta(days=3)
    )
    counted = agencies.key_post_gaps(session, TODAY)
    alone = [
        (
            role,
            session.scalar(
                select(func.count()).select_from(Agency).where(agencies.without_holder(role, TODAY))
            ),
        )
        for role in KEY_ROLES
    ]
    assert counted == alone
    # The lead: all but the council (the school's starts later).
    assert dict(counted)[KEY_ROLES[0]] == 3
