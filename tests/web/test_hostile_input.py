"""What an attacker types into the pages: a line break in `next=`, far dates, control
characters, and bytes that are not UTF-8 (or encode a lone surrogate). A message or a safe
redirect each time, never a server error, on either engine."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from registry.models import Agency, Agreement

from ..factories import activate, make_admin, make_agency, make_draft, make_user, party


def summary(response) -> str:
    found = BeautifulSoup(response.data, "html.parser").select_one(".govuk-error-summary")
    return found.get_text(" ", strip=True) if found else ""


NEXT_TARGETS = [
    "/agencies\r\nSet-Cookie: x=1",
    "/agencies\nLocation: https://evil.example",
    "/agencies\r",
    "/\t/evil.example",
    "/\n/evil.example",
    "/agencies\u202e",
    "/agencies x",
]


@pytest.mark.parametrize("target", NEXT_TARGETS)
def test_a_next_with_a_control_character_goes_to_the_home_page(client, session, target):
    user = make_user(session)
    token = client.csrf_token("/sign-in")
    response = client.post(
        "/sign-in",
        query_string={"next": target},  # percent-encoded, as a link would carry it
        data={"email": user.email, "password": client.password, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_raw_line_break_in_the_query_string_is_not_followed(client, session):
    user = make_user(session)
    token = client.csrf_token("/sign-in")
    # Not percent-encoded: the bytes as a hand-made request line would send them.
    response = client.post(
        "/sign-in?next=/agencies%0D%0ASet-Cookie:%20x=1",
        data={"email": user.email, "password": client.password, "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_good_next_is_still_followed(client, session):
    user = make_user(session)
    token = client.csrf_token("/sign-in")
    response = client.post(
        "/sign-in",
        query_string={"next": "/agreements?search=Caf%C3%A9&page=2"},
        data={"email": user.email, "password": client.password, "csrf_token": token},
    )
    assert response.headers["Location"] == "/agreements?search=Caf%C3%A9&page=2"


def _agreement_form(council, police, **changes):
    data = {
        "title": "Protocol",
        "disclosers": [str(council.id), str(police.id)],
        "receivers": [str(council.id), str(police.id)],
        "lawful_bases": ["art6_1_e"],
        "effective_from": ["1", "6", "2026"],
        "review_period_months": "12",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("year", ["9999", "2200", "1000"])
def test_a_far_effective_date_on_the_agreement_form_is_a_message(client, session, year):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    client.sign_in(make_admin(session))
    url = f"/agreements/new?tier=1&owner_agency_id={council.id}"
    response = client.submit(
        url, _agreement_form(council, police, effective_from=["31", "12", year]), token_from="/"
    )
    assert response.status_code == 422
    assert "Effective date must be between 1 January 1900 and 31 December 2199" in summary(response)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Agreement)) == 0


def test_a_far_withdrawal_date_is_a_message(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = activate(
        session,
        make_draft(session, tier=1, owner=council, parties=[party(council), party(police)]),
    )
    client.sign_in(make_user(session, roles=("ig_lead",), agency=police))
    response = client.submit(
        f"/agreements/{protocol.id}/withdraw",
        {"effective_on": ["31", "12", "9999"], "reason": "Leaving the partnership"},
        token_from=f"/agreements/{protocol.id}",
    )
    assert response.status_code == 422
    assert "between 1 January 1900 and 31 December 2199" in summary(response)


@pytest.mark.parametrize(
    "parts",
    [
        ["99999999999999999999", "12", "2026"],  # too large for a C long: was a 500
        ["1", "99999999999999999999", "2027"],
        ["1", "1", "\uff12\uff10\uff12\uff17"],  # full-width digits: was taken as 2027
        ["1", "1", "\u0662\u0660\u0662\u0667"],  # Arabic-Indic digits
        ["1", "1", "2027", "5"],  # a fourth value: was ignored
    ],
)
def test_an_odd_date_on_the_withdrawal_form_is_a_message_and_no_notice(client, session, parts):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = activate(
        session,
        make_draft(session, tier=1, owner=council, parties=[party(council), party(police)]),
    )
    client.sign_in(make_user(session, roles=("ig_lead",), agency=police))
    response = client.submit(
        f"/agreements/{protocol.id}/withdraw",
        {"effective_on": parts, "reason": "Leaving the partnership"},
        token_from=f"/agreements/{protocol.id}",
    )
    assert response.status_code == 422
    assert "Date" in summary(response) or "date" in summary(response)
    session.rollback()
    assert session.get(Agreement, protocol.id).withdrawals == []


def test_a_title_with_a_line_break_is_refused_on_the_form(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    client.sign_in(make_admin(session))
    url = f"/agreements/new?tier=1&owner_agency_id={council.id}"
    response = client.submit(
        url,
        _agreement_form(council, police, title="Protocol\r\nEND:VEVENT", security="One\r\nTwo"),
        token_from="/",
    )
    assert response.status_code == 422
    assert "Title must be on one line: remove the line break" in summary(response)
    assert "Security" not in summary(response)  # a multi-line field keeps its breaks


@pytest.mark.parametrize(
    "bad", ["\x01", "\x1b[31m", "\u202e", "\t", "\u200b", "\u3164", "\U000e0041", "\uffff"]
)
def test_an_agency_name_with_a_control_character_is_refused_on_the_form(client, session, bad):
    client.sign_in(make_admin(session))
    response = client.submit(
        "/agencies/new",
        {"name": f"North{bad}Council", "kind": "police", "ico_registration": "Z7654321"},
    )
    assert response.status_code == 422
    assert "The agency's name must" in summary(response)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Agency)) == 0


# Bytes that are not text --------------------------------------------------------------

SURROGATE = "%ED%A0%80"  # U+D800 as UTF-8 would write it, were it allowed
NOT_UTF8 = "%FF%FE"


@pytest.mark.parametrize("raw", [SURROGATE, NOT_UTF8, "%C0%AF", "%ED%BF%BF%00"])
def test_bytes_that_are_not_text_never_give_a_server_error(client, session, raw):
    make_agency(session, name="Council")
    client.sign_in(make_admin(session))
    for url in (
        f"/agencies?search={raw}",
        f"/agreements?search={raw}&status={raw}",
        f"/agencies/{raw}",
        f"/register?search={raw}",
        f"/sign-in?next={raw}",
    ):
        assert client.get(url).status_code < 500, url
    token = client.csrf_token("/agencies/new")
    body = f"csrf_token={quote(token)}&name=North{raw}&kind=police&ico_registration=Z7654321"
    response = client.post(
        "/agencies/new", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500
    # The same bytes raw, not percent-encoded, in a urlencoded body and a multipart one.
    raw_bytes = bytes.fromhex(raw.replace("%", ""))
    response = client.post(
        "/agencies/new",
        data=b"csrf_token=" + token.encode() + b"&name=North" + raw_bytes + b"&kind=police",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500
    boundary = "xyzzy"
    multipart = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
        ).encode()
        + b"North"
        + raw_bytes
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/agencies/new",
        data=multipart,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code < 500
    session.rollback()
    names = session.scalars(select(Agency.name)).all()
    assert all("\ud800" not in n and "\x00" not in n for n in names)


def test_far_dates_and_control_characters_on_the_check_and_decision_forms(client, session):
    from ..factories import chain

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    chain(session, council, police)
    client.sign_in(make_user(session, agency=council))
    question = {
        "to_agency_id": police.id,
        "purpose": "mash_triage",
        "data_categories": ["identity_contact"],
    }
    response = client.submit("/coverage", {**question, "on_date": ["31", "12", "9999"]})
    assert response.status_code == 422
    assert "The date of the share must be between 1 January 1900" in summary(response)
    record = client.submit("/coverage", question).headers["Location"]
    decision_url = client.page(record).find("a", string="Record your decision")["href"]
    response = client.submit(
        decision_url,
        {
            **question,
            "decision": "share",
            "consent": "given",
            "reasons": "Strategy\x1b[2J discussion",
            "follow_up_on": ["1", "1", "9999"],
        },
    )
    assert response.status_code == 422
    text = summary(response)
    assert "The reasons must not contain control characters (U+001B)" in text
    assert "The follow-up date must be between 1 January 1900" in text


@pytest.mark.parametrize("blank", ["\u200b", "\u3164", "\u2800"])
def test_an_agency_name_that_shows_nothing_is_refused_on_the_form(client, session, blank):
    client.sign_in(make_admin(session))
    response = client.submit(
        "/agencies/new", {"name": blank * 3, "kind": "police", "ico_registration": "Z7654321"}
    )
    assert response.status_code == 422
    assert "The agency's name must not contain invisible characters" in summary(response)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Agency)) == 0


# One resource, one URL ----------------------------------------------------------------


def test_a_page_id_with_a_leading_zero_or_foreign_digits_is_not_found(client, session):
    agency = make_agency(session, name="Council")
    client.sign_in(make_admin(session))
    assert agency.id == 1 and client.get("/agencies/1").status_code == 200
    # 01 and 0001 would be agency 1 again; so would an Arabic-Indic or a full-width one.
    for written in ("01", "0001", "0", "%D9%A1", "%EF%BC%91"):
        assert client.get(f"/agencies/{written}").status_code == 404, written
    assert client.get("/agencies/" + "9" * 40).status_code == 404
