from ..factories import chain, make_agency, make_officer, make_user
from .test_api_agencies import assert_error


def test_coverage_answer_has_the_spec_shape(api_as, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    make_officer(session, council, role="dpo", name="Dee Pio", email="dee@council.example")
    protocol, mash = chain(session, council, police)
    api = api_as(make_user(session, agency=council))
    body = api.post(
        "/coverage",
        {
            "from_agency_id": council.id,
            "to_agency_id": police.id,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
        },
    ).get_json()
    assert body["outcome"] == "covered"
    assert body["agreement"] == {
        "id": mash.id,
        "reference": mash.reference,
        "title": "MASH",
        "tier": 2,
        "version": 1,
    }
    assert body["chain"] == [protocol.reference, mash.reference]
    assert body["advice"]["contacts"] == [
        {
            "role": "dpo",
            "name": "Dee Pio",
            "job_title": "Officer",
            "email": "dee@council.example",
            "agency": "Council",
        }
    ]
    assert len(body["check_id"]) == 32


def test_coverage_bad_input_is_422_naming_the_field(api_as, session):
    council = make_agency(session)
    api = api_as(make_user(session, agency=council))
    error = assert_error(
        api.post(
            "/coverage",
            {
                "from_agency_id": council.id,
                "to_agency_id": 424242,
                "purpose": "x",
                "data_categories": [],
                "on_date": "2026-02-31",
            },
        ),
        422,
        "on_date",
        "to_agency_id",
        "purpose",
        "data_categories",
    )
    assert "YYYY-MM-DD" in error["fields"]["on_date"]
    # one answer names every fault, whether of shape or of an unknown name
    assert error["fields"]["to_agency_id"] == "There is no agency with id 424242"
    assert error["fields"]["purpose"] == "Unknown purpose: x"
    error = assert_error(
        api.post(
            "/coverage",
            {
                "from_agency_id": "one",
                "to_agency_id": council.id,
                "purpose": "mash_triage",
                "data_categories": ["nonsense"],
            },
        ),
        422,
        "from_agency_id",
        "data_categories",
    )
    assert error["fields"]["from_agency_id"] == "from_agency_id must be a whole number"
    assert error["fields"]["data_categories"] == "Unknown data category: nonsense"
    assert set(error["fields"]) == {"from_agency_id", "data_categories"}
    error = assert_error(
        api.post(
            "/coverage",
            {
                "from_agency_id": council.id,
                "to_agency_id": 424242,
                "purpose": "x",
                "data_categories": [],
            },
        ),
        422,
        "to_agency_id",
        "purpose",
        "data_categories",
    )
    assert_error(api_as(None).post("/coverage", {}), 401)


def test_decisions_through_the_api(api_as, session, client):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    chain(session, council, police)
    practitioner = make_user(session, agency=council)
    api = api_as(practitioner)
    check = api.post(
        "/coverage",
        {
            "from_agency_id": council.id,
            "to_agency_id": police.id,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
        },
    ).get_json()
    payload = {
        "check_id": check["check_id"],
        "from_agency_id": council.id,
        "to_agency_id": police.id,
        "purpose": "mash_triage",
        "data_categories": ["identity_contact"],
        "decision": "share",
        "consent": "not_sought",
        "consent_reason": "Seeking consent would put the child at risk",
        "reasons": "Domestic abuse incident",
        "case_reference": "CS-104233",
        "key_questions": {"legitimate_purpose": "yes"},
        "child_name": "Jane Smith",
        "sequence": 99,
    }
    created = api.post("/decisions", payload, headers={"Idempotency-Key": "k-1"})
    assert created.status_code == 201
    record = created.get_json()
    assert record["sequence"] == 1 and "child_name" not in record
    again = api.post("/decisions", payload, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.get_json()["id"] == record["id"]
    assert api.get("/decisions").get_json()["total"] == 1
    assert api.get(f"/decisions/{record['id']}").get_json()["case_reference"] == "CS-104233"
    for method in ("put", "patch", "delete"):
        assert_error(getattr(api, method)(f"/decisions/{record['id']}", {}), 405)
        assert_error(getattr(api, method)("/decisions", {}), 405)
    error = assert_error(
        api.post("/decisions", {**payload, "consent_reason": None}), 422, "consent_reason"
    )
    assert "without consent" in error["fields"]["consent_reason"]
    other = api_as(make_user(session, agency=police))
    assert_error(other.post("/decisions", payload), 403)
    assert_error(other.get(f"/decisions/{record['id']}"), 403)
    assert_error(api.get("/decisions/999"), 404)
    lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    assert lead.get("/decisions").get_json()["total"] == 1
    assert_error(lead.post("/decisions", payload), 403)
