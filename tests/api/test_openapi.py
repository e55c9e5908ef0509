"""The OpenAPI document matches the routes, and real answers match its schemas."""

import re

import jsonschema
import pytest

from registry.web.api.openapi import document

from ..factories import chain, make_agency, make_officer, make_user


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
