"""Issue 18 point 6 in the API: a notice of withdrawal carries its reason, the agreement's
answer shows every notice, and DELETE /agreements/{id}/withdrawals/{agency_id} cancels one
before it takes effect."""

from registry.models import Withdrawal

from ..factories import chain, make_admin, make_agency, make_user
from .test_api_agencies import assert_error

REASON = "The service transfers to the new integrated care board"


def _setting(session, api_as):
    a, b, c = (make_agency(session, name=n) for n in ("Council", "Police", "NHS"))
    _, mash = chain(session, a, b, c)
    police = api_as(make_user(session, roles=("ig_lead",), agency=b, name="Pat Police"))
    return (a, b, c), mash, police


def test_notice_needs_a_reason_and_answers_it(api_as, session):
    (_, police_agency, _), mash, police = _setting(session, api_as)
    url = f"/agreements/{mash.id}/withdraw"
    missing = police.post(url, {"agency_id": police_agency.id, "effective_on": "2026-07-15"})
    assert_error(missing, 422, "reason")
    blank = police.post(
        url, {"agency_id": police_agency.id, "effective_on": "2026-07-15", "reason": "   "}
    )
    assert_error(blank, 422, "reason")
    given = police.post(
        url, {"agency_id": police_agency.id, "effective_on": "2026-07-15", "reason": REASON}
    )
    assert given.status_code == 201, given.get_json()
    assert given.get_json() == {
        "agency_id": police_agency.id,
        "agency_name": "Police",
        "effective_on": "2026-07-15",
        "reason": REASON,
        "given_by": "Pat Police",
        "given_at": "2026-06-15T11:00:00+00:00",
        "in_effect": False,
    }
    answer = police.get(f"/agreements/{mash.id}").get_json()
    assert answer["withdrawals"] == [given.get_json()]
    [party] = [p for p in answer["parties"] if p["agency_id"] == police_agency.id]
    assert party["withdrawn_from"] == "2026-07-15"


def test_cancel_before_it_takes_effect_answers_the_agreement(api_as, session):
    (council, police_agency, nhs), mash, police = _setting(session, api_as)
    police.post(
        f"/agreements/{mash.id}/withdraw",
        {"agency_id": police_agency.id, "effective_on": "2026-07-15", "reason": REASON},
    )
    url = f"/agreements/{mash.id}/withdrawals/{police_agency.id}"
    council_lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    assert_error(council_lead.delete(url), 403)  # another party's IG lead
    assert_error(api_as(make_user(session, agency=police_agency)).delete(url), 403)
    assert_error(police.delete(f"/agreements/{mash.id}/withdrawals/{nhs.id}"), 403)
    assert_error(
        api_as(make_admin(session)).delete(f"/agreements/{mash.id}/withdrawals/{nhs.id}"), 404
    )
    cancelled = police.delete(url)
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["withdrawals"] == []
    assert cancelled.get_json()["reference"] == mash.reference
    assert_error(police.delete(url), 404)  # gone: nothing left to cancel
    again = police.post(
        f"/agreements/{mash.id}/withdraw",
        {"agency_id": police_agency.id, "effective_on": "2026-08-01", "reason": "Second thoughts"},
    )
    assert again.status_code == 201


def test_a_notice_in_effect_is_409_and_the_administrator_may_cancel(api_as, session):
    (_, police_agency, _), mash, police = _setting(session, api_as)
    police.post(
        f"/agreements/{mash.id}/withdraw",
        {"agency_id": police_agency.id, "effective_on": "2026-06-15", "reason": REASON},
    )
    url = f"/agreements/{mash.id}/withdrawals/{police_agency.id}"
    error = assert_error(police.delete(url), 409)
    assert error["code"] == "notice_in_effect"
    assert "took effect on 15 June 2026, so it can no longer be cancelled" in error["message"]
    session.rollback()
    assert session.query(Withdrawal).count() == 1
    # The administrator may cancel one not yet in effect (the NHS's, say).
    nhs = api_as(make_user(session, roles=("ig_lead",), agency=mash.latest.parties[2].agency))
    nhs.post(
        f"/agreements/{mash.id}/withdraw",
        {
            "agency_id": mash.latest.parties[2].agency_id,
            "effective_on": "2026-09-01",
            "reason": "Merging",
        },
    )
    admin = api_as(make_admin(session))
    done = admin.delete(f"/agreements/{mash.id}/withdrawals/{mash.latest.parties[2].agency_id}")
    assert done.status_code == 200
    assert [w["agency_name"] for w in done.get_json()["withdrawals"]] == ["Police"]


def test_the_owner_cannot_give_notice_on_its_own_agreement(api_as, session):
    (council, _, _), mash, _ = _setting(session, api_as)
    council_lead = api_as(make_user(session, roles=("ig_lead",), agency=council))
    refused = council_lead.post(
        f"/agreements/{mash.id}/withdraw",
        {"agency_id": council.id, "effective_on": "2026-07-15", "reason": REASON},
    )
    assert_error(refused, 409)
    assert refused.get_json()["error"]["code"] == "owner_cannot_withdraw"
    assert "terminate" in refused.get_json()["error"]["message"]
    session.rollback()
    assert session.query(Withdrawal).count() == 0
