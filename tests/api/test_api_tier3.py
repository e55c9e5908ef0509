"""Tier-3 particulars, the DPIA and the controller relationship through the API (issue 19)."""

from ..factories import chain, make_agency, make_user
from .test_api_agencies import assert_error

TIER3 = {
    "frequency": "each_referral",
    "frequency_detail": "Within 24 hours of each incident",
    "transfer_methods": ["secure_email", "secure_file_transfer"],
    "data_items": ["Name", "Date of birth", "Nature of incident"],
}
RECORDS = {
    "controller_relationship": "joint",
    "dpia_reference": "DPIA-MARAC-3",
    "dpia_completed_on": "2026-03-01",
    "dpia_outcome": "no_high_risk",
    "dpia_link": "https://intranet.example.org/dpia/3",
}


def body(parent, tier, *agencies, **extra):
    return {
        "title": "Notifications",
        "tier": tier,
        "parent_id": parent.id,
        "owner_agency_id": agencies[0].id,
        "purposes": ["mash_triage"],
        "data_categories": ["identity_contact"],
        "lawful_bases": ["art6_1_e"],
        "effective_from": "2026-05-01",
        "parties": [
            {"agency_id": a.id, "may_disclose": True, "may_receive": True} for a in agencies
        ],
        **extra,
    }


def setting(session, api_as):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, tier2 = chain(session, council, police)
    lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    return council, police, protocol, tier2, lead


def test_a_tier3_is_created_read_and_edited_with_them(api_as, session):
    council, police, _protocol, tier2, lead = setting(session, api_as)
    created = lead.post("/agreements", body(tier2, 3, council, police, **TIER3, **RECORDS))
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    for name, value in {**TIER3, **RECORDS}.items():
        assert answer[name] == value, name
    aid = answer["id"]
    patched = lead.patch(
        f"/agreements/{aid}",
        {"frequency": "weekly", "data_items": ["Name"], "dpia_link": ""},
    )
    assert patched.status_code == 200, patched.get_json()
    again = lead.get(f"/agreements/{aid}").get_json()
    assert again["frequency"] == "weekly" and again["data_items"] == ["Name"]
    assert again["dpia_link"] == "" and again["dpia_reference"] == "DPIA-MARAC-3"
    assert again["transfer_methods"] == ["secure_email", "secure_file_transfer"]  # kept


def test_another_tier_sending_them_is_told_why(api_as, session):
    council, police, protocol, _tier2, lead = setting(session, api_as)
    refused = lead.post("/agreements", body(protocol, 2, council, police, **TIER3))
    fields = assert_error(refused, 422)["fields"]
    assert fields["frequency"].startswith("Only a tier 3 agreement records how often")
    assert fields["data_items"].startswith("Only a tier 3 agreement records named data items")
    # The DPIA and controllers are for every tier.
    created = lead.post("/agreements", body(protocol, 2, council, police, **RECORDS))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["controller_relationship"] == "joint"


def test_a_part_dpia_and_bad_values_are_422_naming_each(api_as, session):
    council, police, _protocol, tier2, lead = setting(session, api_as)
    refused = lead.post(
        "/agreements",
        body(tier2, 3, council, police, dpia_outcome="no_high_risk", transfer_methods=["fax"]),
    )
    fields = assert_error(refused, 422)["fields"]
    assert "dpia_reference" in fields and "dpia_completed_on" in fields
    assert "fax" in fields["transfer_methods"]
    wrong = lead.post(
        "/agreements",
        body(tier2, 3, council, police, frequency="hourly", dpia_link="ftp://x"),
    )
    fields = assert_error(wrong, 422)["fields"]
    assert set(fields) >= {"frequency", "dpia_link"}


def test_vocabularies_list_transfer_methods(api_as, session):
    reader = api_as(make_user(session, roles=("practitioner",), agency=make_agency(session)))
    methods = reader.get("/vocabularies").get_json()["transfer_methods"]
    assert {"code": "shared_case_system", "label": "Shared case management system"} in [
        {"code": m["code"], "label": m["label"]} for m in methods
    ]


def test_the_document_describes_them(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    update = schemas["AgreementUpdate"]["properties"]
    for name in ("frequency", "transfer_methods", "data_items", "dpia_reference", "dpia_link"):
        assert name in update, name
    assert "secure_email" in str(update["transfer_methods"])
    answer = schemas["Agreement"]["properties"]
    assert {"controller_relationship", "dpia_outcome", "data_items"} <= set(answer)


def test_the_terms_document_carries_them_without_the_link(api_as, session):
    council, police, _protocol, tier2, lead = setting(session, api_as)
    created = lead.post("/agreements", body(tier2, 3, council, police, **TIER3, **RECORDS))
    plain = lead.get(f"/agreements/{created.get_json()['id']}/terms.jsonld").get_json()["registry"]
    assert plain["frequency"] == "each_referral"
    assert plain["data_items"] == ["Name", "Date of birth", "Nature of incident"]
    assert plain["dpia"] == {
        "reference": "DPIA-MARAC-3",
        "completed_on": "2026-03-01",
        "outcome": "no_high_risk",
    }
    assert "dpia_link" not in plain and "intranet" not in str(plain)
    # A version that records none of them reads as it did before they existed.
    before = lead.get(f"/agreements/{tier2.id}/terms.jsonld").get_json()["registry"]
    assert not {"frequency", "data_items", "dpia", "controller_relationship"} & set(before)
