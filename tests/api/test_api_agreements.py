from ..client import RegistryClient
from ..factories import (
    activate,
    chain,
    make_admin,
    make_agency,
    make_draft,
    make_user,
    party,
    police_to_council,
)
from .test_api_agencies import assert_error

# Signing and declining need fresh proof: these users have no two-factor sign-in.
PROOF = {"password": RegistryClient.password}


def body(parent, *agencies, **extra):
    return {
        "title": "MASH",
        "tier": 2,
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


def test_draft_submit_sign_activate_through_the_api(api_as, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    created = lead.post("/agreements", body(protocol, council, police))
    assert created.status_code == 201, created.get_json()
    agreement = created.get_json()
    assert agreement["reference"].startswith("ISA-2026-")
    assert agreement["status"] == "draft" and agreement["effective_status"] == "draft"
    assert agreement["review_date"] == "2027-05-01"  # default: 12 months
    assert agreement["in_force_version"] is None
    aid = agreement["id"]
    patched = lead.patch(f"/agreements/{aid}", {"title": "MASH (Northshire)"})
    assert patched.get_json()["title"] == "MASH (Northshire)"
    signer = api_as(
        make_user(
            session, roles=("signatory",), agency=council, name="Martin Cole", job_title="Director"
        )
    )
    assert_error(signer.post(f"/agreements/{aid}/sign", {}), 409)  # a draft
    submitted = lead.post(f"/agreements/{aid}/submit", {})
    assert submitted.get_json()["status"] == "awaiting_signatures"
    assert_error(lead.patch(f"/agreements/{aid}", {"title": "x"}), 409)
    signature = signer.post(f"/agreements/{aid}/sign", PROOF)
    assert signature.status_code == 201
    sig = signature.get_json()
    assert sig["signatory_name"] == "Martin Cole" and sig["job_title"] == "Director"
    assert sig["content_sha256"] == submitted.get_json()["content_sha256"]
    police_signer = api_as(make_user(session, roles=("signatory",), agency=police))
    police_signer.post(f"/agreements/{aid}/sign", PROOF)
    final = lead.get(f"/agreements/{aid}").get_json()
    assert final["status"] == "active" and final["in_force_version"] == 1
    assert final["effective_status"] == "active"
    assert all(p["signed"] for p in final["parties"])
    versions = lead.get(f"/agreements/{aid}/versions").get_json()
    assert versions["total"] == 1 and versions["items"][0]["status"] == "active"


def test_rule_refusals_name_the_item(api_as, session):
    council, police, school = (
        make_agency(session, name=n) for n in ("Council", "Police", "School")
    )
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    error = assert_error(lead.post("/agreements", body(protocol, council, school)), 422, "parties")
    assert error["fields"]["parties"] == f"School is not a party to {protocol.reference}"
    error = assert_error(
        lead.post(
            "/agreements", body(protocol, council, police, data_categories=["health"], purposes=[])
        ),
        422,
        "purposes",
        "lawful_bases",
    )
    assert "Physical and mental health is special category data" in error["fields"]["lawful_bases"]
    assert_error(
        lead.post(
            "/agreements", body(protocol, council, police, effective_from="01/05/2026", tier="two")
        ),
        422,
        "effective_from",
        "tier",
    )
    assert_error(lead.post("/agreements", [1, 2]), 400)
    mash = activate(
        session,
        make_draft(
            session,
            owner=council,
            parent=protocol,
            parties=[party(council), party(police, disclose=False)],
        ),
    )
    error = assert_error(
        lead.post("/agreements", body(mash, council, police, tier=3)), 422, "parties"
    )
    assert error["fields"]["parties"] == (
        f"Police may not disclose under {mash.reference}, so cannot disclose under this agreement"
    )


def test_other_agencies_get_403_and_unknown_ids_404(api_as, session):
    a, b, outsider = (make_agency(session, name=n) for n in ("A", "B", "Outsider"))
    protocol, tier2 = chain(session, a, b)
    intruder = api_as(make_user(session, roles=("ig_lead",), agency=outsider))
    assert_error(intruder.patch(f"/agreements/{tier2.id}", {"title": "x"}), 403)
    assert_error(intruder.post(f"/agreements/{tier2.id}/amend", {}), 403)
    assert_error(
        intruder.post(f"/agreements/{tier2.id}/reviews", {"outcome": "continue", "notes": "x"}), 403
    )
    assert_error(
        intruder.post(
            f"/agreements/{tier2.id}/withdraw",
            {"agency_id": a.id, "effective_on": "2026-07-01", "reason": "Leaving"},
        ),
        403,
    )
    assert_error(intruder.post("/agreements", body(protocol, a, b)), 403)
    assert_error(intruder.get("/agreements/424242"), 404)
    assert_error(intruder.post("/agreements/424242/submit", {}), 404)
    practitioner = api_as(make_user(session, agency=a))
    assert_error(practitioner.post(f"/agreements/{tier2.id}/sign", {}), 403)
    admin = api_as(make_admin(session))
    assert_error(admin.post(f"/agreements/{tier2.id}/sign", {}), 403)  # never signs


def test_amend_review_withdraw_suspend_terminate(api_as, session):
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    _, tier2 = chain(session, a, b)
    lead = api_as(make_user(session, roles=("ig_lead",), agency=a))
    review = lead.post(f"/agreements/{tier2.id}/reviews", {"outcome": "continue", "notes": "Fine"})
    assert review.status_code == 201 and review.get_json()["new_review_date"] == "2027-06-15"
    assert_error(
        lead.post(f"/agreements/{tier2.id}/reviews", {"outcome": "maybe", "notes": "x"}),
        422,
        "outcome",
    )
    amended = lead.post(f"/agreements/{tier2.id}/amend", {})
    assert amended.status_code == 201
    assert amended.get_json()["version"] == 2 and amended.get_json()["in_force_version"] == 1
    assert_error(lead.post(f"/agreements/{tier2.id}/amend", {}), 409)
    withdraw = lead.post(
        f"/agreements/{tier2.id}/withdraw",
        {"agency_id": a.id, "effective_on": "2026-06-01", "reason": "Leaving"},
    )
    assert_error(withdraw, 422, "effective_on")
    admin = api_as(make_admin(session))
    assert_error(admin.post(f"/agreements/{tier2.id}/suspend", {}), 422, "reason")
    suspended = admin.post(f"/agreements/{tier2.id}/suspend", {"reason": "Breach"})
    assert suspended.get_json()["effective_status"] == "suspended"
    assert admin.post(f"/agreements/{tier2.id}/resume", {"reason": "Fixed"}).status_code == 200
    ended = lead.post(f"/agreements/{tier2.id}/terminate", {"reason": "Replaced"})
    assert ended.get_json()["effective_status"] == "terminated"


def test_decline_returns_to_draft_and_list_filters(api_as, session):
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    protocol, _ = chain(session, a, b)
    draft = make_draft(
        session, owner=a, parent=protocol, parties=[party(a), party(b)], title="Early help"
    )
    lead = api_as(make_user(session, roles=("ig_lead",), agency=a))
    lead.post(f"/agreements/{draft.id}/submit", {})
    signer = api_as(make_user(session, roles=("signatory",), agency=b))
    assert_error(signer.post(f"/agreements/{draft.id}/decline", {}), 422, "comment")
    declined = signer.post(f"/agreements/{draft.id}/decline", {"comment": "Too broad", **PROOF})
    assert declined.get_json()["status"] == "draft"
    listed = lead.get("/agreements?status=draft").get_json()
    assert [i["title"] for i in listed["items"]] == ["Early help"]
    assert lead.get("/agreements?tier=1").get_json()["total"] == 1
    assert_error(lead.get("/agreements?status=bogus"), 422, "status")
    assert_error(lead.get("/agreements?tier=7"), 422, "tier")


def test_write_methods_not_routed_answer_405(api_as, session):
    api = api_as(make_user(session))
    response = api.put("/agencies", {})
    assert_error(response, 405)


def test_pdf_download(api_as, session):
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    _, tier2 = chain(session, a, b)
    api = api_as(make_user(session, agency=a))
    response = api.get(f"/agreements/{tier2.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert_error(api.get(f"/agreements/{tier2.id}/pdf?version=7"), 404)
    assert_error(api.get(f"/agreements/{tier2.id}/pdf?version=x"), 422, "version")


def test_an_edit_over_someone_elses_later_save_is_a_conflict(api_as, session):
    from ..factories import chain, make_agency, make_draft, make_user, party

    council, police = make_agency(session, name="C"), make_agency(session, name="P")
    protocol, _ = chain(session, council, police)
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    first = api_as(make_user(session, roles=("ig_lead",), agency=council))
    second = api_as(make_user(session, roles=("ig_lead",), agency=council))
    seen = first.get(f"/agreements/{draft.id}").get_json()["lock_version"]
    assert second.get(f"/agreements/{draft.id}").get_json()["lock_version"] == seen
    saved = second.patch(
        f"/agreements/{draft.id}", {"title": "Second's title", "lock_version": seen}
    )
    assert saved.status_code == 200 and saved.get_json()["lock_version"] == seen + 1
    stale = first.patch(f"/agreements/{draft.id}", {"title": "First's title", "lock_version": seen})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "edit_conflict"
    assert first.get(f"/agreements/{draft.id}").get_json()["title"] == "Second's title"


def test_an_agreement_s_answer_names_the_children_that_exceed_it(api_as, session):
    from registry.services import agreement_lifecycle

    from ..factories import FIXED_NOW, ig_lead_actor

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    _, mash = chain(session, council, police)
    flow = police_to_council(session, mash, police, council)
    agreement_lifecycle.amend(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    edited = lead.patch(
        f"/agreements/{mash.id}",
        {"purposes": ["marac"]},
    )
    assert edited.status_code == 200, edited.get_json()
    answer = lead.post(f"/agreements/{mash.id}/submit", {}).get_json()
    assert answer["children_exceeding"] == [
        {
            "id": flow.id,
            "reference": flow.reference,
            "reasons": [
                "MASH triage of contacts and referrals is not among the purposes of "
                f"{mash.reference}"
            ],
        }
    ]
    assert lead.get(f"/agreements/{flow.id}").get_json()["exceeds_parent"] is None
    for agency in (council, police):
        signer = api_as(make_user(session, roles=("signatory",), agency=agency))
        assert signer.post(f"/agreements/{mash.id}/sign", PROOF).status_code == 201
    child = lead.get(f"/agreements/{flow.id}").get_json()
    assert child["exceeds_parent"].endswith(f"not among the purposes of {mash.reference}")
    listed = lead.get("/agreements?exceeds_parent=true").get_json()
    assert [a["id"] for a in listed["items"]] == [flow.id] and listed["total"] == 1
