"""GET /api/v1/agreements/{id}/terms.jsonld: the terms as JSON-LD, public exactly where the
register is (tier 1 and 2 in force), the same 401 as GET /agreements/{id} elsewhere."""

import json
from datetime import timedelta

from registry.services import agreement_lifecycle, agreements, terms

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
    police_to_council,
)
from .test_api_agencies import assert_error

DPV = "https://w3id.org/dpv#"
ODRL = "http://www.w3.org/ns/odrl/2/"


def terms_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    return json.loads(response.data)


def test_anyone_reads_a_public_tier_2_agreements_terms_in_dpv_and_odrl(api_as, session):
    council = make_agency(session, name="Council", ico="ZA123456")
    police = make_agency(session, name="Police", kind="police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    mash = activate(
        session,
        make_draft(
            session,
            tier=2,
            owner=council,
            parent=protocol,
            parties=[party(council, disclose=False), party(police, receive=False)],
            purposes=["mash_triage", "marac"],
            data_categories=["identity_contact", "health"],
            lawful_bases=["art6_1_e", "art9_2_g", "sch1_para18"],
            data_subjects="Children referred to the MASH",
        ),
    )
    anyone = api_as(None)
    document = terms_of(anyone.get(f"/agreements/{mash.id}/terms.jsonld"))

    context = document["@context"]
    assert context["dpv"] == DPV and context["odrl"] == ODRL
    assert "odrl:Agreement" in document["@type"]
    assert document["dct:identifier"] == mash.reference
    assert document["schema:sha256"] == mash.latest.content_sha256
    assert document["dct:requires"]["dct:identifier"] == protocol.reference
    # Police may disclose to the council, and nothing else: one permission, that way round.
    police_id, council_id = f"#agency-{police.id}", f"#agency-{council.id}"
    [permission] = document["odrl:permission"]
    assert permission["odrl:assigner"] == {"@id": police_id}
    assert permission["odrl:assignee"] == {"@id": council_id}
    assert permission["odrl:action"] == {"@id": "odrl:distribute"}
    controllers = {c["@id"]: c for c in document["dpv:hasDataController"]}
    assert controllers[council_id]["dpv:hasIdentifier"] == "ZA123456"
    assert document["dpv:hasRecipientDataController"] == [{"@id": council_id}]
    # The registry's codes beside DPV's terms, where DPV has one.
    purposes = {p["skos:notation"]: p for p in document["dpv:hasPurpose"]}
    assert purposes["marac"]["skos:broadMatch"] == [
        {"@id": "sector-law:CrimeVictimSafetyManagement"}
    ]
    assert "skos:broadMatch" not in purposes["mash_triage"]  # DPV has no term for it
    categories = {c["skos:notation"]: c for c in document["dpv:hasPersonalData"]}
    assert categories["health"]["@type"] == "dpv:SpecialCategoryPersonalData"
    assert categories["health"]["skos:closeMatch"] == [{"@id": "pd:Health"}]
    bases = {b["skos:notation"]: b for b in document["dpv:hasLegalBasis"]}
    assert bases["art9_2_g"]["skos:closeMatch"] == [{"@id": "eu-gdpr:A9-2-g"}]
    assert bases["sch1_para18"]["dct:source"]["@id"].endswith("2018/12/schedule/1/paragraph/18")
    # The plain view a system that knows only the registry's codes reads.
    plain = document["registry"]
    assert plain["tier"] == 2 and plain["status"] == "active"
    assert plain["purposes"] == ["marac", "mash_triage"]
    assert [(p["agency"], p["may_disclose"], p["may_receive"]) for p in plain["parties"]] == [
        ("Council", False, True),
        ("Police", True, False),
    ]
    assert plain["data_subjects"] == "Children referred to the MASH"
    assert plain["content_sha256"] == mash.latest.content_sha256


def test_a_tier_1_protocol_in_force_is_public_and_grants_no_permission(api_as, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    document = terms_of(api_as(None).get(f"/agreements/{protocol.id}/terms.jsonld"))
    assert document["registry"]["tier"] == 1
    assert document["@type"] == ["dpv:DataProcessingAgreement"]
    assert "odrl:permission" not in document  # a protocol covers no share by itself


def test_tier_3_drafts_and_agreements_not_in_force_need_a_token(api_as, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    _, tier2 = chain(session, council, police)
    tier3 = police_to_council(session, tier2, police, council)
    draft = make_draft(
        session, tier=2, owner=council, parent=tier2.parent, parties=[party(council), party(police)]
    )
    scheduled = activate(
        session,
        make_draft(
            session,
            tier=2,
            owner=council,
            parent=tier2.parent,
            parties=[party(council), party(police)],
            effective_from=TODAY + timedelta(days=10),
        ),
    )
    anyone = api_as(None)
    reader = api_as(make_user(session, agency=council))
    for agreement in (tier3, draft, scheduled):
        refused = anyone.get(f"/agreements/{agreement.id}/terms.jsonld")
        error = assert_error(refused, 401)
        assert error["code"] == "unauthenticated"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert terms_of(reader.get(f"/agreements/{agreement.id}/terms.jsonld"))["registry"][
            "reference"
        ] == (agreement.reference)
    # The draft's terms say what it is: no content hash until it is submitted.
    plain = terms_of(reader.get(f"/agreements/{draft.id}/terms.jsonld"))["registry"]
    assert plain["status"] == "draft" and plain["content_sha256"] is None
    # An agreement that does not exist: the same 401 without a token (nothing leaks), 404
    # with one.
    assert_error(anyone.get("/agreements/999999/terms.jsonld"), 401)
    assert_error(reader.get("/agreements/999999/terms.jsonld"), 404)


def test_version_in_force_by_default_others_by_number(api_as, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, tier2 = chain(session, council, police)
    agreement_lifecycle.amend(session, ADMIN, protocol.id, now=FIXED_NOW)
    agreements.update_draft(
        session, ADMIN, protocol.id, {"title": "Protocol, amended"}, now=FIXED_NOW
    )
    anyone = api_as(None)
    reader = api_as(make_user(session, agency=council))
    path = f"/agreements/{protocol.id}/terms.jsonld"
    assert terms_of(anyone.get(path))["registry"]["version"] == 1
    assert terms_of(reader.get(path))["registry"]["version"] == 1  # in force, not the draft
    assert terms_of(anyone.get(path + "?version=1"))["registry"]["version"] == 1
    # The draft version 2 of a public agreement is for signed-in users.
    assert_error(anyone.get(path + "?version=2"), 401)
    second = terms_of(reader.get(path + "?version=2"))
    assert second["registry"]["title"] == "Protocol, amended"
    assert second["@id"] == f"/api/v1/agreements/{protocol.id}/terms.jsonld?version=2"
    # Unknown versions are 404 in the error shape for a reader; without a token, the same
    # 401 as a draft that exists, so nobody learns which drafts there are.
    assert_error(reader.get(path + "?version=9"), 404)
    assert_error(anyone.get(path + "?version=9"), 401)
    for bad in ("abc", "0", "-1", "1.5", "99999999999"):
        assert_error(reader.get(path + f"?version={bad}"), 422, "version")
        assert_error(anyone.get(path + f"?version={bad}"), 422, "version")
    assert_error(reader.get(path + "?version=1&version=2"), 422, "version")


def test_the_same_version_is_the_same_bytes(api_as, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    _, tier2 = chain(session, council, police)
    anyone = api_as(None)
    first = anyone.get(f"/agreements/{tier2.id}/terms.jsonld?version=1")
    second = anyone.get(f"/agreements/{tier2.id}/terms.jsonld")
    assert first.status_code == 200 and first.data == second.data
    assert first.data == terms.terms_bytes(session, tier2, tier2.latest)
    assert first.headers["Cache-Control"] == "no-store"
