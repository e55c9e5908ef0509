"""The OpenAPI document matches the routes, and real answers match its schemas."""

import re

import jsonschema
import pytest

from registry.web.api.openapi import document

from ..factories import chain, make_admin, make_agency, make_officer, make_user


def flask_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_every_api_route_is_documented_and_nothing_else(app, client):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((flask_to_openapi(rule.rule), method.lower()))
    served = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, ops in served["paths"].items() for method in ops}
    assert routes == documented
    assert served["openapi"].startswith("3.")


def _schema(doc, path, method, status):
    schema = doc["paths"][path][method]["responses"][str(status)]["content"]["application/json"][
        "schema"
    ]
    return {**schema, "components": doc["components"]}


def _validate(doc, path, method, response):
    jsonschema.validate(response.get_json(), _schema(doc, path, method, response.status_code))


def test_answers_match_the_documented_schemas(api_as, session):
    doc = document()
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    make_officer(session, a)
    _, tier2 = chain(session, a, b)
    api = api_as(make_user(session, roles=("ig_lead",), agency=a))
    checks = [
        ("/agencies", "get", api.get("/agencies")),
        ("/agencies/{agency_id}", "get", api.get(f"/agencies/{a.id}")),
        ("/agencies/{agency_id}/officers", "get", api.get(f"/agencies/{a.id}/officers")),
        ("/vocabularies", "get", api.get("/vocabularies")),
        ("/agreements", "get", api.get("/agreements")),
        ("/agreements/{agreement_id}", "get", api.get(f"/agreements/{tier2.id}")),
        ("/agreements/{agreement_id}/versions", "get", api.get(f"/agreements/{tier2.id}/versions")),
        ("/agreements/{agreement_id}", "get", api.get("/agreements/999")),
        ("/agencies", "post", api.post("/agencies", {})),
        (
            "/agreements/{agreement_id}/reviews",
            "post",
            api.post(f"/agreements/{tier2.id}/reviews", {"outcome": "continue", "notes": "ok"}),
        ),
    ]
    practitioner = api_as(make_user(session, agency=a))
    answer = practitioner.post(
        "/coverage",
        {
            "from_agency_id": a.id,
            "to_agency_id": b.id,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
        },
    )
    uncovered = practitioner.post(
        "/coverage",
        {
            "from_agency_id": a.id,
            "to_agency_id": b.id,
            "purpose": "marac",
            "data_categories": ["identity_contact"],
        },
    )
    decision = practitioner.post(
        "/decisions",
        {
            "check_id": answer.get_json()["check_id"],
            "from_agency_id": a.id,
            "to_agency_id": b.id,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
            "decision": "share",
            "consent": "given",
            "reasons": "r",
        },
    )
    checks += [
        ("/coverage", "post", answer),
        ("/coverage", "post", uncovered),
        ("/decisions", "post", decision),
        ("/decisions", "get", practitioner.get("/decisions")),
        (
            "/decisions/{decision_id}",
            "get",
            practitioner.get(f"/decisions/{decision.get_json()['id']}"),
        ),
    ]
    for path, method, response in checks:
        _validate(doc, path, method, response)


def test_schema_validation_would_catch_a_wrong_answer(api_as, session):
    doc = document()
    schema = _schema(doc, "/agencies/{agency_id}", "get", 200)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "not a number", "name": "x"}, schema)


def test_more_answers_match_the_documented_schemas(api_as, session):
    doc = document()
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    officer = make_officer(session, a)
    _, tier2 = chain(session, a, b)
    admin = api_as(make_admin(session))
    user = make_user(session, agency=a)
    checks = [
        ("/users", "get", admin.get("/users?per_page=500")),
        ("/users/{user_id}", "get", admin.get(f"/users/{user.id}")),
        ("/users/{user_id}", "patch", admin.patch(f"/users/{user.id}", {"job_title": "Nurse"})),
        ("/tokens", "get", admin.get("/tokens")),
        ("/agencies", "get", admin.get("/agencies?kind=local_authority&page=1")),
        ("/agencies/{agency_id}/officers", "get", admin.get(f"/agencies/{a.id}/officers")),
        (
            "/agencies/{agency_id}/officers/{officer_id}",
            "patch",
            admin.patch(f"/agencies/{a.id}/officers/{officer.id}", {"phone": "01234 567890"}),
        ),
        ("/agreements", "get", admin.get("/agreements?tier=2&review_due=false")),
        ("/agreements", "get", admin.get("/agreements?per_page=0")),
        (
            "/agreements/{agreement_id}/suspend",
            "post",
            admin.post(f"/agreements/{tier2.id}/suspend", {"reason": "Breach"}),
        ),
        ("/decisions", "get", admin.get("/decisions?decision=share")),
    ]
    for path, method, response in checks:
        assert response.status_code < 500, response.get_data(as_text=True)
        _validate(doc, path, method, response)


def _component(doc, name):
    return doc["components"]["schemas"][name]


def _enum(doc, schema) -> list:
    """The values an enum property allows, whether inline or a component."""
    schema = next((o for o in schema.get("anyOf", [schema]) if o.get("type") != "null"), schema)
    if "$ref" in schema:
        schema = _component(doc, schema["$ref"].rsplit("/", 1)[1])
    return schema["enum"]


def test_request_bodies_say_what_the_server_requires(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    coverage = _component(doc, "CoverageInput")
    assert set(coverage["required"]) == {
        "from_agency_id",
        "to_agency_id",
        "purpose",
        "data_categories",
    }
    assert coverage["properties"]["purpose"]["minLength"] == 1
    assert coverage["properties"]["data_categories"]["minItems"] == 1
    decision = _component(doc, "DecisionInput")
    assert {"decision", "consent", "reasons"} <= set(decision["required"])
    assert _enum(doc, decision["properties"]["decision"]) == ["share", "not_share"]
    assert "not_sought" in _enum(doc, decision["properties"]["consent"])
    assert "secure_email" in _enum(doc, decision["properties"]["method"])
    questions = decision["properties"]["key_questions"]["anyOf"][0]
    assert "legitimate_purpose" in questions["propertyNames"]["enum"]
    assert questions["additionalProperties"]["enum"] == ["yes", "no", "not_sure", "not_applicable"]
    assert decision["properties"]["reasons"]["minLength"] == 1
    assert "police" in _enum(doc, _component(doc, "AgencyCreate")["properties"]["kind"])
    assert "terminate" in _enum(doc, _component(doc, "ReviewInput")["properties"]["outcome"])
    assert "practitioner" in _component(doc, "Role")["enum"]
    assert set(_component(doc, "ReasonInput")["required"]) == {"reason"}


def test_query_parameters_and_headers_are_typed_and_bounded(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/agreements"]["get"]["parameters"]}
    assert params["page"]["schema"]["minimum"] == 1
    assert (params["per_page"]["schema"]["minimum"], params["per_page"]["schema"]["maximum"]) == (
        1,
        500,
    )
    assert params["review_due"]["schema"]["type"] == "boolean"
    assert params["tier"]["schema"]["enum"] == [1, 2, 3]
    officers = doc["paths"]["/agencies/{agency_id}/officers"]["get"]["parameters"]
    assert {p["name"]: p["schema"]["type"] for p in officers}["include_ended"] == "boolean"
    post = doc["paths"]["/decisions"]["post"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["schema"]["maxLength"] == 200
    assert {"200", "201"} <= set(post["responses"])  # the replay answers 200


def test_the_server_takes_what_the_document_says_and_nothing_else(api_as, session):
    agency = make_agency(session)
    api = api_as(make_user(session, agency=agency))
    assert api.get(f"/agencies/{agency.id}/officers?include_ended=true").status_code == 200
    # SPEC §9 writes the flag as `?include_ended=1`: 1 and 0 are taken too.
    assert api.get(f"/agencies/{agency.id}/officers?include_ended=1").status_code == 200
    for query in ("include_ended=yes", "include_ended=", "include_ended=2"):
        error = api.get(f"/agencies/{agency.id}/officers?{query}").get_json()["error"]
        assert error["fields"] == {
            "include_ended": "include_ended must be true or false (or 1 or 0)"
        }
    for query, field in (
        ("per_page=501", "per_page"),
        ("page=0", "page"),
        ("kind=bank", "kind"),
        ("q=North%00Council", "q"),  # pages drop NUL from a query; the API refuses it
    ):
        response = api.get(f"/agencies?{query}")
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"]
    response = api.post(
        "/decisions",
        {
            "from_agency_id": "1",
            "to_agency_id": agency.id,
            "purpose": "",
            "data_categories": ["identity_contact"],
            "decision": "maybe",
            "consent": "given",
            "method": "pigeon",
            "key_questions": {"legitimate_purpose": "perhaps"},
            "follow_up_on": "2026-13-01",
        },
        headers={"Idempotency-Key": "k" * 201},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_failed"
    assert response.get_json()["error"]["fields"] == {
        "from_agency_id": "from_agency_id must be a whole number",
        "purpose": "purpose must not be empty",
        "decision": "Choose whether you decided to share or not to share",
        "reasons": "reasons is required",
        "method": "Choose how the information was shared: secure_email, phone, in_person, "
        "meeting, case_system, letter, other",
        "key_questions": "Answer each key question with yes, no, not_sure or not_applicable",
        "follow_up_on": "follow_up_on must be a date written YYYY-MM-DD",
    }


def test_a_fault_inside_a_list_is_named_by_its_place(api_as, session):
    council = make_agency(session)
    lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    draft = {"tier": 2, "owner_agency_id": council.id, "title": "T", "effective_from": "2026-07-01"}
    for parties, message in (
        ([1], "parties[0] must be an object"),
        (
            [{"agency_id": council.id}, {"agency_id": "x"}],
            "parties[1].agency_id must be a whole number",
        ),
    ):
        response = lead.post("/agreements", {**draft, "parties": parties})
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["error"]["fields"] == {"parties": message}
