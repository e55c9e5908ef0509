"""GET /api/v1/notifications and POST …/{id}/read and …/{id}/acknowledge: your own only."""

from __future__ import annotations

from datetime import timedelta

from registry.models import Notification, NotificationEvent
from registry.services.notifications import notify

from ..factories import FIXED_NOW, make_agency, make_user


def _tell(session, users, subject, *, minutes=0, ack=False):
    rows = notify(
        session,
        NotificationEvent.OFFICER_CHANGED if ack else NotificationEvent.SUBMITTED,
        users,
        subject=subject,
        body=f"{subject}.",
        now=FIXED_NOW + timedelta(minutes=minutes),
        link="/agreements/3",
        agreement_id=None,
        needs_acknowledgement=ack,
    )
    session.commit()
    return rows


def _two(session):
    council = make_agency(session, name="Council")
    return (
        make_user(session, roles=("signatory",), agency=council, email="sig@council.example"),
        make_user(session, roles=("signatory",), agency=council, email="two@council.example"),
    )


def test_the_list_is_the_users_own_newest_first(api_as, session):
    me, someone = _two(session)
    _tell(session, [me], "Please sign ISA-1", minutes=1)
    _tell(session, [me, someone], "Please sign ISA-2", minutes=2)
    _tell(session, [someone], "Please sign ISA-3", minutes=3)
    answer = api_as(me).get("/notifications")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["total"] == 2
    assert [n["subject"] for n in body["items"]] == ["Please sign ISA-2", "Please sign ISA-1"]
    first = body["items"][0]
    assert first["event"] == "submitted" and first["link"] == "/agreements/3"
    assert first["read_at"] is None and first["delivery"] == "pending"
    assert not first["needs_acknowledgement"] and first["acknowledged_at"] is None


def test_read_marks_one_read_and_the_unread_filter_leaves_it_out(api_as, session):
    me, _ = _two(session)
    [one] = _tell(session, [me], "Please sign ISA-1", minutes=1)
    _tell(session, [me], "Please sign ISA-2", minutes=2)
    api = api_as(me)
    read = api.post(f"/notifications/{one.id}/read")
    assert read.status_code == 200 and read.get_json()["read_at"] is not None
    unread = api.get("/notifications?unread=true").get_json()
    assert [n["subject"] for n in unread["items"]] == ["Please sign ISA-2"]
    assert unread["total"] == 1
    paged = api.get("/notifications?per_page=1&page=2").get_json()
    assert [n["subject"] for n in paged["items"]] == ["Please sign ISA-1"]
    bad = api.get("/notifications?unread=maybe")
    assert bad.status_code == 422 and "unread" in bad.get_json()["error"]["fields"]


def test_acknowledge_is_for_the_owner_alone(api_as, session):
    me, someone = _two(session)
    [mine, theirs] = _tell(session, [me, someone], "Police: new DPO", ack=True)
    done = api_as(me).post(f"/notifications/{mine.id}/acknowledge")
    assert done.status_code == 200
    assert done.get_json()["acknowledged_at"] is not None
    # Another user's id: not found, in SPEC §9's shape, and nothing changed.
    for path in (f"/notifications/{theirs.id}/acknowledge", f"/notifications/{theirs.id}/read"):
        refused = api_as(me).post(path)
        assert refused.status_code == 404
        assert refused.get_json()["error"]["code"] == "not_found"
    session.rollback()
    row = session.get(Notification, theirs.id)
    assert row.acknowledged_at is None and row.read_at is None
    assert api_as(me).post("/notifications/999999/read").status_code == 404


def test_without_a_token_it_is_401(api_as, session):
    assert api_as(None).get("/notifications").status_code == 401
