"""The OpenAPI document is valid as outside tools read it, and says what the server
enforces: a value the document allows is accepted, one it refuses is refused."""

import jsonschema
import jsonschema_rs
from openapi_spec_validator import OpenAPIV31SpecValidator
from sqlalchemy import select

from registry.models import Purpose
from registry.services.vocabularies import KINDS

from ..factories import chain, make_admin, make_agency, make_user


def _served(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def test_the_document_is_valid_openapi(client):
    # Optional fields once carried `default: null` on `type: string`: 18 errors.
    errors = [e.message for e in OpenAPIV31SpecValidator(_served(client)).iter_errors()]
    assert errors == []


def test_no_default_is_a_value_its_own_schema_refuses(client):
    doc = _served(client)
    for schema in doc["components"]["schemas"].values():
        for field in schema.get("properties", {}).values():
            if "default" in field:
                check = {**field, "components": doc["components"]}
                jsonschema.validate(field["default"], check)


def _allows(doc, component: str, prop: str, value) -> bool:
    """Whether the document lets `value` through, as an ECMA-262 engine reads its patterns
    (where `$` is the end of the text: Python's `re` also matches it before a last \\n)."""
    schema = {**doc["components"]["schemas"][component]["properties"][prop]}
    schema["components"] = doc["components"]
    return jsonschema_rs.Draft202012Validator(schema).is_valid(value)


ICO_NUMBERS = {
    "": False,
    "Z12": False,
    "X1234567": False,
    "Z1234567\n": False,
    "Z١٢٣٤٥٦٧": False,  # digits, but not the ICO's
    "z1234561": True,
    " ZA 123 452 ": True,
    "Zb123453": True,
}
EMAILS = {
    "": False,
    "   ": False,
    "name@example": False,
    "na me@example.org": False,
    "a@b@example.org": False,
    "name@example.org\u202e": False,
    " Name@Example.ORG ": True,
    "o'neil@example.org": True,
}


def test_ico_numbers_and_emails_the_document_allows_are_the_ones_the_server_takes(
    api_as, session, client
):
    doc = _served(client)
    admin = api_as(make_admin(session))
    for n, (ico, ok) in enumerate(ICO_NUMBERS.items()):
        assert _allows(doc, "AgencyCreate", "ico_registration", ico) is ok, repr(ico)
        created = admin.post(
            "/agencies", {"name": f"Agency {n}", "kind": "police", "ico_registration": ico}
        )
        assert created.status_code == (201 if ok else 422), (ico, created.get_json())
        if not ok:
            fields = created.get_json()["error"]["fields"]
            assert "Z1234567 or ZA123456" in fields["ico_registration"]
    agency = make_agency(session)
    for email, ok in EMAILS.items():
        for component in ("OfficerCreate", "UserCreate"):
            assert _allows(doc, component, "email", email) is ok, (component, repr(email))
        officer = admin.post(
            f"/agencies/{agency.id}/officers",
            # signatories, of whom an agency may have many (a DPO has one holder at a time)
            {"role": "signatory", "name": "Sam", "job_title": "Director", "email": email},
        )
        assert officer.status_code == (201 if ok else 422), (email, officer.get_json())
        # An agency's email may be left blank; otherwise the same rule.
        blank = not email.strip()
        assert _allows(doc, "AgencyUpdate", "email", email) is (ok or blank)
        changed = admin.patch(f"/agencies/{agency.id}", {"email": email})
        assert changed.status_code == (200 if ok or blank else 422), changed.get_json()


def test_ods_codes_the_document_allows_are_the_ones_the_server_takes(api_as, session, client):
    doc = _served(client)
    admin = api_as(make_admin(session))
    agency = make_agency(session)
    for code, ok in {"": True, "  ": True, "rx1": True, "A81 001": True, "AB": False,
                     "ABCDEFG": False, "RX-1": False}.items():  # fmt: skip
        assert _allows(doc, "AgencyUpdate", "ods_code", code) is ok, repr(code)
        changed = admin.patch(f"/agencies/{agency.id}", {"ods_code": code})
        assert changed.status_code == (200 if ok else 422), (code, changed.get_json())


def test_a_review_needs_notes_in_the_document_as_on_the_server(api_as, session, client):
    doc = _served(client)
    assert not _allows(doc, "ReviewInput", "notes", "")
    assert not _allows(doc, "ReviewInput", "notes", "  \n ")
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    _, tier2 = chain(session, a, b)
    lead = api_as(make_user(session, roles=("ig_lead",), agency=a))
    refused = lead.post(f"/agreements/{tier2.id}/reviews", {"outcome": "continue", "notes": ""})
    assert refused.status_code == 422
    assert "notes" in refused.get_json()["error"]["fields"]


def test_a_query_parameter_given_twice_is_refused(api_as, session):
    api = api_as(make_admin(session))
    for path in ("/agencies?page=1&page=2", "/users?q=a&q=b", "/agreements?tier=2&tier=2"):
        response = api.get(path)
        assert response.status_code == 422, (path, response.get_json())
        name = path.split("?")[1].split("=")[0]
        assert response.get_json()["error"]["fields"] == {name: f"Give {name} once"}
    assert api.get("/agencies?page=1&per_page=5").status_code == 200


def test_every_status_and_header_the_server_sends_is_documented(client):
    doc = _served(client)
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            responses = op["responses"]
            if "requestBody" in op:
                assert "413" in responses, (method, path)
            if "401" in responses:
                assert "WWW-Authenticate" in responses["401"]["headers"], (method, path)
            if "429" in responses:
                assert "Retry-After" in responses["429"]["headers"], (method, path)
    assert "429" in doc["paths"]["/auth/token"]["post"]["responses"]
    pdf = doc["paths"]["/agreements/{agreement_id}/pdf"]["get"]
    assert {"ETag", "Last-Modified", "Content-Disposition"} <= set(
        pdf["responses"]["200"]["headers"]
    )
    assert {"ETag", "Last-Modified"} <= set(pdf["responses"]["304"]["headers"])
    asked = {p["name"] for p in pdf["parameters"] if p["in"] == "header"}
    assert asked == {"If-None-Match", "If-Modified-Since"}


def _codes(prop: dict) -> list:
    return prop.get("items", prop)["enum"]


def test_the_document_names_the_codes_the_registry_knows_as_they_change(client, session):
    doc = _served(client)
    known = {kind: sorted(session.scalars(select(model.code))) for kind, model in KINDS.items()}
    coverage = doc["components"]["schemas"]["CoverageInput"]["properties"]
    assert _codes(coverage["purpose"]) == known["purposes"]
    assert _codes(coverage["data_categories"]) == known["data_categories"]
    draft = doc["components"]["schemas"]["AgreementCreate"]["properties"]
    assert _codes(draft["lawful_bases"]) == known["lawful_bases"]
    assert "0" not in _codes(doc["components"]["schemas"]["DecisionInput"]["properties"]["purpose"])
    session.add(Purpose(code="youth_justice_panel", label="Youth justice panel", active=True))
    session.commit()
    again = _served(client)["components"]["schemas"]["CoverageInput"]["properties"]["purpose"]
    assert "youth_justice_panel" in _codes(again)


def test_sharing_without_consent_needs_a_reason_in_the_document_as_on_the_server(
    api_as, session, client
):
    doc = _served(client)
    schema = {**doc["components"]["schemas"]["DecisionInput"], "components": doc["components"]}
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    chain(session, a, b)
    practitioner = api_as(make_user(session, agency=a))
    body = {
        "from_agency_id": a.id,
        "to_agency_id": b.id,
        "purpose": "mash_triage",
        "data_categories": ["identity_contact"],
        "decision": "share",
        "consent": "not_sought",
        "reasons": "Risk of significant harm",
    }
    for reason, ok in ((None, False), (" ", False), ("Asking would put her at risk", True)):
        sent = body if reason is None else {**body, "consent_reason": reason}
        assert jsonschema_rs.Draft202012Validator(schema).is_valid(sent) is ok, reason
        answer = practitioner.post("/decisions", sent)
        assert answer.status_code == (201 if ok else 422), answer.get_json()
