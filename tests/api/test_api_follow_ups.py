"""Follow-ups and the decisions list's filters through the API (issue 19)."""

from datetime import UTC, datetime

from ..factories import make_agency, make_decision, make_user


def test_the_practitioner_adds_and_reads_follow_ups(api_as, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    api = api_as(user)
    body = {
        "consent_withdrawn": True,
        "share_stopped": True,
        "information": "deleted",
        "outcome": "Police confirmed deletion",
        "next_follow_up_on": "2026-07-01",
    }
    created = api.post(f"/decisions/{decision.id}/follow-ups", json=body)
    assert created.status_code == 201, created.json
    answer = created.json
    assert answer["sequence"] == 1 and answer["decision_id"] == decision.id
    assert answer["information"] == "deleted" and answer["next_follow_up_on"] == "2026-07-01"
    assert len(answer["entry_hash"]) == 64 and "user_id" not in answer
    again = api.post(f"/decisions/{decision.id}/follow-ups", json=body)  # a retry
    assert again.status_code == 200 and again.json == answer
    listed = api.get(f"/decisions/{decision.id}/follow-ups").json
    assert listed["total"] == 1 and listed["items"][0]["outcome"] == "Police confirmed deletion"
    # The IG lead of the agency reads them; another agency's does not.
    lead = make_user(session, roles=("ig_lead",), agency=council)
    assert api_as(lead).get(f"/decisions/{decision.id}/follow-ups").json["total"] == 1
    other = make_user(session, roles=("ig_lead",), agency=police)
    assert api_as(other).get(f"/decisions/{decision.id}/follow-ups").status_code == 403


def test_a_bad_follow_up_names_every_field_in_the_error_shape(api_as, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    response = api_as(user).post(
        f"/decisions/{decision.id}/follow-ups",
        json={"consent_withdrawn": "maybe", "information": "burnt", "outcome": ""},
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert {"consent_withdrawn", "share_stopped", "information", "outcome"} <= set(error["fields"])
    colleague = make_user(session, agency=council)
    refused = api_as(colleague).post(
        f"/decisions/{decision.id}/follow-ups",
        json={
            "consent_withdrawn": False,
            "share_stopped": False,
            "information": "kept",
            "outcome": "Checked",
        },
    )
    assert refused.status_code == 403 and refused.json["error"]["code"]
    missing = api_as(user).get("/decisions/987654/follow-ups")
    assert missing.status_code == 404


def test_the_decisions_list_takes_the_report_filters(api_as, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    health = make_agency(session, name="Health")
    user = make_user(session, agency=council)
    may = datetime(2026, 5, 3, 9, 0, tzinfo=UTC)
    make_decision(session, user, police, now=may)
    make_decision(session, user, health, consent="not_applicable", purpose="marac")
    lead = make_user(session, roles=("ig_lead",), agency=council)
    api = api_as(lead)
    assert api.get("/decisions?recorded_to=2026-05-31").json["total"] == 1
    assert api.get("/decisions?recorded_from=2026-06-01").json["total"] == 1
    found = api.get(f"/decisions?to_agency_id={health.id}&purpose=marac&consent=not_applicable")
    assert [d["to_agency_id"] for d in found.json["items"]] == [health.id]
    assert api.get("/decisions?coverage=not_covered").json["total"] == 0
    assert api.get("/decisions?coverage=no_check").json["total"] == 2
    assert api.get("/decisions?coverage=sometimes").status_code == 422


def test_the_openapi_document_describes_follow_ups_and_the_filters(client):
    document = client.get("/api/v1/openapi.json").json
    path = document["paths"]["/decisions/{decision_id}/follow-ups"]
    assert set(path) >= {"get", "post"}
    assert "201" in path["post"]["responses"] and "422" in path["post"]["responses"]
    names = {p["name"] for p in document["paths"]["/decisions"]["get"]["parameters"]}
    assert {"recorded_from", "recorded_to", "purpose", "to_agency_id", "consent", "coverage"} <= (
        names
    )
