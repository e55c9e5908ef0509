"""Issue 19 in the API: the one search and the audit trail in words, each answering what
its page shows, in the shape the OpenAPI document gives."""

from __future__ import annotations

from registry.web.api.openapi import document

from ..factories import (
    activate,
    make_admin,
    make_agency,
    make_draft,
    make_officer,
    make_user,
    party,
)
from .test_openapi import _validate


def _world(session):
    council = make_agency(session, name="Harbour Council", ods_code="HBC1")
    police = make_agency(session, name="Harbour Police")
    make_officer(session, council, name="Hana Lead", email="hana@harbour.example")
    protocol = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=council,
            parties=[party(council), party(police)],
            title="Harbour protocol",
        ),
    )
    return council, police, protocol


def test_the_search_answers_groups_with_counts_in_the_documented_shape(api_as, session):
    council, police, protocol = _world(session)
    api = api_as(make_user(session, roles=("signatory",), agency=police))
    response = api.get("/search?q=HARBOUR")
    assert response.status_code == 200
    _validate(document(), "/search", "get", response)
    groups = {g["key"]: g for g in response.get_json()["groups"]}
    assert set(groups) == {"agreements", "agencies", "officers"}  # a signatory: no decisions
    assert groups["agreements"]["total"] == 1
    assert groups["agreements"]["items"][0]["label"] == f"{protocol.reference} Harbour protocol"
    assert [i["label"] for i in groups["agencies"]["items"]] == [
        "Harbour Council",
        "Harbour Police",
    ]
    assert groups["officers"]["items"][0]["agency_id"] == council.id

    short = api.get("/search?q=ha")
    assert short.status_code == 422
    assert short.get_json()["error"]["fields"]["q"].startswith("Give 3 to 200 characters")
    spaced = api.get("/search?q=a%20%20%20%20").get_json()["error"]["fields"]["q"]
    assert spaced == "Give at least 3 characters besides spaces to search for"
    _validate(document(), "/search", "get", short)
    assert api_as(None).get("/search?q=harbour").status_code == 401


def test_the_audit_trail_answers_in_words_for_the_administrator_only(api_as, session):
    council, police, protocol = _world(session)
    admin = api_as(make_admin(session))
    response = admin.get(f"/audit?action=agreement.sign&agency_id={police.id}")
    assert response.status_code == 200
    _validate(document(), "/audit", "get", response)
    body = response.get_json()
    assert body["total"] == 2  # both parties signed
    sentences = {e["sentence"] for e in body["items"]}
    wanted = "Signer for Harbour Police (signatory, Harbour Police) signed"
    assert f"{wanted} {protocol.reference} ‘Harbour protocol’" in sentences, sentences
    assert all(e["agreement_id"] == protocol.id for e in body["items"])

    bad = admin.get("/audit?action=nonsense&date_from=2026-02-30")
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) >= {"date_from"}
    lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    assert lead.get("/audit").status_code == 403
