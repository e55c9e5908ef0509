from ..factories import make_admin, make_agency, make_officer, make_user


def assert_error(response, status, *fields):
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    for field in fields:
        assert field in error["fields"], error
    return error


def test_token_from_email_and_password(client, session):
    user = make_user(session)
    response = client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": client.password}
    )
    token = response.get_json()["token"]
    ok = client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    bad = client.post("/api/v1/auth/token", json={"email": user.email, "password": "nope"})
    assert_error(bad, 401)
    assert_error(client.post("/api/v1/auth/token", json={"email": user.email}), 422, "password")
    assert_error(
        client.post("/api/v1/auth/token", data="not json", content_type="application/json"), 400
    )


def test_no_token_or_a_bad_one_is_401(api_as, client):
    assert_error(api_as(None).get("/agencies"), 401)
    assert_error(client.get("/api/v1/agencies", headers={"Authorization": "Bearer nonsense"}), 401)


def test_admin_creates_agencies_with_field_named_errors(api_as, session):
    api = api_as(make_admin(session))
    created = api.post(
        "/agencies",
        {
            "name": "Northshire Police",
            "kind": "police",
            "ico_registration": "ZA123456",
            "ods_code": "RX1",
        },
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["ico_registration"] == "ZA123456" and body["id"] > 0
    error = assert_error(
        api.post(
            "/agencies",
            {"name": "X", "kind": "bank", "ico_registration": "Z12", "ods_code": "TOOLONG1"},
        ),
        422,
        "kind",
        "ico_registration",
        "ods_code",
    )
    assert "Z1234567" in error["fields"]["ico_registration"]
    assert_error(
        api.post("/agencies", {"name": "Y", "kind": "police", "ico_registration": "ZA123456"}),
        409,
        "ico_registration",
    )
    assert_error(
        api.post("/agencies", {"name": 5, "kind": "police"}), 422, "name", "ico_registration"
    )


def test_list_search_filter_and_paging(api_as, session):
    for name, kind in [
        ("Alpha Police", "police"),
        ("Beta Trust", "health"),
        ("Gamma Police", "police"),
    ]:
        make_agency(session, name=name, kind=kind)
    api = api_as(make_user(session, agency=make_agency(session, name="Zeta Council")))
    body = api.get("/agencies?kind=police").get_json()
    assert [a["name"] for a in body["items"]] == ["Alpha Police", "Gamma Police"]
    assert body["total"] == 2
    body = api.get("/agencies?per_page=2&page=2").get_json()
    assert body["total"] == 4 and len(body["items"]) == 2
    assert_error(api.get("/agencies?per_page=501"), 422, "per_page")
    assert_error(api.get("/agencies?kind=bank"), 422, "kind")


def test_ig_lead_changes_own_agency_only(api_as, session):
    mine, theirs = make_agency(session, name="Mine"), make_agency(session, name="Theirs")
    api = api_as(make_user(session, roles=("ig_lead",), agency=mine))
    assert api.patch(f"/agencies/{mine.id}", {"phone": "01632 960001"}).status_code == 200
    assert_error(api.patch(f"/agencies/{theirs.id}", {"name": "Taken"}), 403)
    assert_error(api.patch(f"/agencies/{theirs.id}", {"name": 12}), 403)  # 403 before 422
    assert_error(api.patch("/agencies/9999", {"name": "x"}), 404)
    assert_error(api.post(f"/agencies/{theirs.id}/officers", {"role": "dpo"}), 403)
    session.rollback()
    assert session.get(type(theirs), theirs.id).name == "Theirs"


def test_mass_assignment_is_ignored(api_as, session):
    agency = make_agency(session, name="Mine")
    api = api_as(make_user(session, roles=("ig_lead",), agency=agency))
    body = api.patch(
        f"/agencies/{agency.id}", {"id": 999, "created_at": "2000-01-01", "phone": "1"}
    ).get_json()
    assert body["id"] == agency.id and body["phone"] == "1"


def test_officers_listed_ended_and_kept(api_as, session):
    agency = make_agency(session)
    make_officer(session, agency, role="siro", name="Sam Siro")
    api = api_as(make_user(session, roles=("ig_lead",), agency=agency))
    created = api.post(
        f"/agencies/{agency.id}/officers",
        {"role": "dpo", "name": "Dee Pio", "job_title": "DPO", "email": "dee@example.org"},
    )
    assert created.status_code == 201
    officer_id = created.get_json()["id"]
    assert_error(
        api.post(f"/agencies/{agency.id}/officers", {"role": "chief"}),
        422,
        "role",
        "name",
        "job_title",
        "email",
    )
    ended = api.delete(f"/agencies/{agency.id}/officers/{officer_id}")
    assert ended.status_code == 200 and ended.get_json()["ended_on"] == "2026-06-15"
    current = api.get(f"/agencies/{agency.id}/officers").get_json()
    assert [o["name"] for o in current["items"]] == ["Sam Siro"]
    for flag in ("true", "1"):  # SPEC §9 writes ?include_ended=1
        everyone = api.get(f"/agencies/{agency.id}/officers?include_ended={flag}").get_json()
        assert {o["name"] for o in everyone["items"]} == {"Sam Siro", "Dee Pio"}
    assert_error(api.delete(f"/agencies/{agency.id}/officers/{officer_id}"), 409)


def test_a_held_role_answers_409_until_the_holder_is_replaced(api_as, session):
    agency = make_agency(session, name="Council")
    carol = make_officer(
        session, agency, role="caldicott_guardian", name="Carol Guard", started_on="2024-04-01"
    )
    api = api_as(make_user(session, roles=("ig_lead",), agency=agency))
    url = f"/agencies/{agency.id}/officers"
    new = {
        "role": "caldicott_guardian",
        "name": "Dev Guard",
        "job_title": "Medical Director",
        "email": "dev@example.org",
        "started_on": "2026-09-01",
    }
    error = assert_error(api.post(url, new), 409)
    assert error["code"] == "role_held"
    assert error["message"].startswith("Carol Guard is the Caldicott Guardian of Council")
    assert_error(api.post(url, {**new, "started_on": "2027-07-01"}), 422, "started_on")
    assert_error(api.post(url, {**new, "started_on": "1 September"}), 422, "started_on")
    created = api.post(url, {**new, "replaces_current": True})
    assert created.status_code == 201
    body = created.get_json()
    assert (body["started_on"], body["ended_on"]) == ("2026-09-01", None)
    listed = {o["name"]: o for o in api.get(url).get_json()["items"]}
    assert listed["Carol Guard"]["ended_on"] == "2026-09-01"  # leaves that day; listed till then
    assert listed["Dev Guard"]["started_on"] == "2026-09-01"
    # PATCH corrects dates within the same rules; DELETE takes the leaving date.
    officer = f"{url}/{body['id']}"
    assert_error(api.patch(officer, {"started_on": "2026-08-01"}), 409)  # Carol's time
    moved = api.patch(officer, {"started_on": "2026-09-02"})
    assert moved.status_code == 200 and moved.get_json()["started_on"] == "2026-09-02"
    assert_error(api.delete(f"{officer}?ended_on=2026-09-01"), 422, "ended_on")
    assert_error(api.delete(f"{officer}?ended_on=soon"), 422, "ended_on")
    ended = api.delete(f"{officer}?ended_on=2026-12-31")
    assert ended.status_code == 200 and ended.get_json()["ended_on"] == "2026-12-31"
    corrected = api.patch(f"{url}/{carol.id}", {"ended_on": "2026-09-02"})
    assert corrected.get_json()["ended_on"] == "2026-09-02"


def test_users_are_managed_by_the_admin(api_as, session):
    agency = make_agency(session)
    admin = api_as(make_admin(session))
    created = admin.post(
        "/users",
        {
            "email": "New@Example.org",
            "name": "New Person",
            "password": "a long enough password",
            "agency_id": agency.id,
            "roles": ["practitioner", "signatory"],
            "active": True,
        },
    )
    assert created.status_code == 201
    user = created.get_json()
    assert user["email"] == "new@example.org"
    assert user["roles"] == ["practitioner", "signatory"]
    assert "password" not in user and "password_hash" not in user
    # A signatory must set up two-factor sign-in (on the website) before the API gives a
    # token; as a practitioner alone, the password is enough.
    assert_error(
        admin.client.post(
            "/api/v1/auth/token",
            json={"email": "new@example.org", "password": "a long enough password"},
        ),
        401,  # refused as a wrong password is: the route does not confirm a right one
    )
    assert admin.patch(f"/users/{user['id']}", {"roles": ["practitioner"]}).status_code == 200
    token = admin.client.post(
        "/api/v1/auth/token",
        json={"email": "new@example.org", "password": "a long enough password"},
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert admin.client.get("/api/v1/agencies", headers=headers).status_code == 200
    assert_error(admin.client.get("/api/v1/users", headers=headers), 403)
    assert admin.patch(f"/users/{user['id']}", {"active": False}).status_code == 200
    assert_error(admin.client.get("/api/v1/agencies", headers=headers), 401)
    assert_error(admin.post("/users", {"email": "x"}), 422, "email", "name", "password")
