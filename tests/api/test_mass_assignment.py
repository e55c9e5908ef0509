"""Extra fields (agency_id, status, roles, version, owner ...) sent in bodies and forms
change nothing they name: each route reads only the fields it declares."""

from registry.models import Agreement, DecisionRecord, Officer, User

from ..factories import TODAY, chain, make_agency, make_draft, make_user, party

EXTRA = {
    "agency_id": None,
    "status": "active",
    "roles": ["admin"],
    "version": 99,
    "id": 4242,
    "owner_agency_id": None,
    "reference": "ISA-1999-0001",
    "user_id": None,
    "active": False,
    "session_epoch": 7,
    "sequence": 1,
    "entry_hash": "0" * 64,
    "content_sha256": "0" * 64,
    "tier": 1,
}


def _extra(**override):
    return {**EXTRA, **override}


def test_an_agreement_edit_changes_only_its_content(api_as, session):
    council, police, other = (make_agency(session, name=n) for n in ("C", "P", "O"))
    protocol, _ = chain(session, council, police)
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    response = lead.patch(
        f"/agreements/{draft.id}",
        {"title": "Renamed", **_extra(owner_agency_id=other.id, agency_id=other.id)},
    )
    assert response.status_code == 200
    session.rollback()
    stored = session.get(Agreement, draft.id)
    assert stored.latest.title == "Renamed"
    assert stored.owner_agency_id == council.id and stored.tier == 2
    assert stored.reference == draft.reference and stored.latest.number == 1
    assert stored.latest.status.value == "draft"


def test_a_decision_is_recorded_as_the_practitioners_own(api_as, session):
    council, police = make_agency(session, name="C"), make_agency(session, name="P")
    chain(session, council, police)
    practitioner = make_user(session, agency=council)
    someone = make_user(session, agency=police)
    api = api_as(practitioner)
    response = api.post(
        "/decisions",
        {
            "from_agency_id": council.id,
            "to_agency_id": police.id,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
            "decision": "share",
            "consent": "given",
            "reasons": "Strategy meeting",
            **_extra(agency_id=police.id, user_id=someone.id, recorded_at="2000-01-01T00:00:00Z"),
        },
    )
    assert response.status_code == 201
    session.rollback()
    record = session.get(DecisionRecord, response.get_json()["id"])
    assert record.agency_id == council.id and record.user_id == practitioner.id
    assert record.recorded_at.year == TODAY.year
    assert record.entry_hash != "0" * 64


def test_an_officer_stays_with_the_agency_in_the_path(api_as, session):
    council, police = make_agency(session, name="C"), make_agency(session, name="P")
    lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    response = lead.post(
        f"/agencies/{council.id}/officers",
        {
            "role": "dpo",
            "name": "Dee Pio",
            "job_title": "DPO",
            "email": "dpo@example.org",
            **_extra(agency_id=police.id),
        },
    )
    assert response.status_code == 201
    session.rollback()
    officer = session.get(Officer, response.get_json()["id"])
    assert officer.agency_id == council.id and officer.ended_on is None


def test_an_agency_edit_cannot_touch_what_it_does_not_name(api_as, session):
    council = make_agency(session, name="C")
    lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    response = lead.patch(f"/agencies/{council.id}", {"phone": "01234 567890", **_extra(id=999)})
    assert response.status_code == 200
    session.rollback()
    assert session.get(type(council), council.id).phone == "01234 567890"
    assert session.get(type(council), 999) is None


def test_a_password_change_form_cannot_grant_roles(client, session):
    user = make_user(session, agency=make_agency(session))
    client.sign_in(user)
    new = "lantern orchard velvet quarry"
    response = client.submit(
        "/account/password",
        {
            "current_password": client.password,
            "new_password": new,
            "confirm_password": new,
            "roles": "admin",
            "active": "",
            "agency_id": "999",
            "email": "boss@example.org",
        },
    )
    assert response.status_code == 302
    session.rollback()
    stored = session.get(User, user.id)
    assert {r.value for r in stored.roles} == {"practitioner"}
    assert stored.active and stored.email == user.email and stored.agency_id == user.agency_id


def test_an_agency_form_ignores_fields_it_does_not_have(client, session):
    council = make_agency(session, name="C")
    lead = make_user(session, roles=("ig_lead",), agency=council)
    client.sign_in(lead)
    page = client.page(f"/agencies/{council.id}/edit")
    data = {
        field["name"]: field.get("value", "")
        for field in page.select("form input")
        if field.get("name")
    }
    for select in page.select("form select"):
        chosen = select.find("option", selected=True) or select.find("option")
        data[select["name"]] = chosen.get("value", "")
    data.update(name="Council renamed", id="999", created_at="2000-01-01")
    response = client.post(f"/agencies/{council.id}/edit", data=data)
    assert response.status_code == 302
    session.rollback()
    stored = session.get(type(council), council.id)
    assert stored.name == "Council renamed" and stored.created_at.year != 2000
    assert session.get(type(council), 999) is None
