"""Choosing one agency among tens of thousands (issue 20 point 5): the lookup the box asks
as one types, the same box read on the server when a page is sent without JavaScript, and
a protocol's draft page that no longer carries every agency."""

from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import insert

from registry.models import Agency, User
from registry.services.agencies import LOOKUP_LIMIT

from ..factories import activate, chain, make_admin, make_agency, make_draft, make_user, party


def _names(answer) -> list[str]:
    return [a["name"] for a in answer.get_json()["agencies"]]


@pytest.fixture
def northshire(session):
    return {
        "council": make_agency(session, name="Northshire Council", ico="ZA111111"),
        "police": make_agency(session, name="Northshire Police", ico="ZB222222", ods_code="NP1"),
        "probation": make_agency(session, name="Northshire Probation", ico="ZC333333"),
        "aid": make_agency(session, name="Women's Aid 100%_Safe", ico="ZD444444"),
    }


def test_the_lookup_answers_signed_in_people_only(client, session, northshire):
    signed_out = client.get("/agencies/lookup?q=police")
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.headers["Location"]
    client.sign_in(make_user(session, agency=northshire["council"]))
    answer = client.get("/agencies/lookup?q=police")
    assert answer.status_code == 200 and answer.is_json
    assert answer.get_json() == {
        "agencies": [
            {
                "id": northshire["police"].id,
                "name": "Northshire Police",
                "ico_registration": "ZB222222",
                "ods_code": "NP1",
            }
        ],
        "more": False,
    }
    assert "no-store" in answer.headers["Cache-Control"]


def test_the_lookup_finds_by_part_of_a_name_or_the_start_of_a_code(client, session, northshire):
    client.sign_in(make_user(session, agency=northshire["council"]))
    assert _names(client.get("/agencies/lookup?q=SHIRE P")) == [
        "Northshire Police",
        "Northshire Probation",
    ]
    assert _names(client.get("/agencies/lookup?q=zc333")) == ["Northshire Probation"]
    assert _names(client.get("/agencies/lookup?q=np1")) == ["Northshire Police"]
    assert _names(client.get("/agencies/lookup?q=333")) == []  # codes match from the start
    # The exact name first, then names that start with what was typed, then the rest.
    make_agency(session, name="Police")
    make_agency(session, name="Police Scotland Liaison")
    assert _names(client.get("/agencies/lookup?q=police")) == [
        "Police",
        "Police Scotland Liaison",
        "Northshire Police",
    ]


@pytest.mark.parametrize(
    "query,found",
    [
        ("", []),
        ("   ", []),
        ("%", ["Women's Aid 100%_Safe"]),  # itself, not "anything"
        ("_", ["Women's Aid 100%_Safe"]),
        ("x" * 201, []),  # longer than any name
        ("x" * 5000, []),
        ("\x00", []),
        ("'; drop table agencies; --", []),
        ("北", []),
    ],
)
def test_odd_lookups_answer_an_empty_or_exact_list(client, session, northshire, query, found):
    client.sign_in(make_user(session, agency=northshire["council"]))
    answer = client.get("/agencies/lookup?" + urlencode({"q": query}))
    assert answer.status_code == 200, answer.status_code
    assert _names(answer) == found


def test_the_lookup_lists_at_most_its_limit_and_says_there_are_more(client, session):
    for n in range(LOOKUP_LIMIT + 5):
        make_agency(session, name=f"Eastmoor School {n:02d}")
    client.sign_in(make_user(session, agency=make_agency(session, name="Council")))
    answer = client.get("/agencies/lookup?q=eastmoor").get_json()
    assert len(answer["agencies"]) == LOOKUP_LIMIT and answer["more"] is True
    assert client.get("/agencies/lookup?q=school 2").get_json()["more"] is False
    # Among more matches than it lists: the exact name, then names that start with it.
    make_agency(session, name="School Nurses")
    make_agency(session, name="SCHOOL")
    listed = _names(client.get("/agencies/lookup?q=school"))
    assert listed[:3] == ["SCHOOL", "School Nurses", "Eastmoor School 00"], listed


def test_the_lookup_within_an_agreement_offers_its_parties_alone(client, session, northshire):
    council, police = northshire["council"], northshire["police"]
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    assert _names(client.get(f"/agencies/lookup?q=northshire&within={protocol.id}")) == [
        "Northshire Council",
        "Northshire Police",
    ]  # not Probation: not a party of the protocol
    for odd in ("999999", "abc", "-1", "99999999999999999999999"):
        refused = client.get(f"/agencies/lookup?q=north&within={odd}")
        assert refused.status_code == 404 and refused.get_json()["error"]["fields"] == {
            "within": "No agreement has that id"
        }


# Without JavaScript: the box's text, read on the server ----------------------------------


def _coverage(client, **sent):
    return client.submit(
        "/coverage", {"purpose": "mash_triage", "data_categories": ["identity_contact"], **sent}
    )


def test_an_exact_name_or_code_typed_without_javascript_is_that_agency(client, session, northshire):
    council, police = northshire["council"], northshire["police"]
    chain(session, council, police)
    client.sign_in(make_user(session, agency=council))
    for typed in ("Northshire Police", "  northshire   POLICE ", "ZB222222", "np1"):
        answer = _coverage(client, to_agency_id="", to_agency_id_text=typed)
        assert answer.status_code == 302, typed
        shown = client.page(answer.headers["Location"]).get_text(" ", strip=True)
        assert "Northshire Council to Northshire Police" in shown, typed


def test_an_ambiguous_name_shows_the_candidates_to_choose_from(client, session, northshire):
    council, police = northshire["council"], northshire["police"]
    chain(session, council, police)
    client.sign_in(make_user(session, agency=council))
    answer = _coverage(client, to_agency_id="", to_agency_id_text="shire p", on_date=["1", "x", ""])
    assert answer.status_code == 422
    soup = BeautifulSoup(answer.data, "html.parser")
    summary = soup.select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "More than one agency matches “shire p”" in summary
    assert soup.select_one(".govuk-error-summary a[href='#to_agency_id']")
    assert soup.find("input", id="to_agency_id")["value"] == "shire p"  # kept
    picks = soup.select("input[type=radio][name=to_agency_id]")
    assert [soup.find("label", attrs={"for": p["id"]}).contents[0] for p in picks] == [
        "Northshire Police",
        "Northshire Probation",
    ]
    # Choosing one (the text still says what was typed) is that agency.
    chosen = _coverage(client, to_agency_id=str(police.id), to_agency_id_text="shire p")
    assert chosen.status_code == 302


def test_one_near_match_is_offered_not_taken(client, session, northshire):
    client.sign_in(make_user(session, agency=northshire["council"]))
    answer = _coverage(client, to_agency_id="", to_agency_id_text="probat")
    assert answer.status_code == 422
    soup = BeautifulSoup(answer.data, "html.parser")
    assert "Did you mean Northshire Probation?" in soup.select_one("#to_agency_id-error").text
    assert len(soup.select("input[type=radio][name=to_agency_id]")) == 1


def test_an_unknown_name_says_so_and_keeps_it(client, session, northshire):
    client.sign_in(make_user(session, agency=northshire["council"]))
    answer = _coverage(
        client, to_agency_id=str(northshire["police"].id), to_agency_id_text="Nowhere"
    )
    assert answer.status_code == 422
    soup = BeautifulSoup(answer.data, "html.parser")
    assert "No agency matches “Nowhere”" in soup.select_one(".govuk-error-summary").text
    assert soup.find("input", id="to_agency_id")["value"] == "Nowhere"
    assert soup.find("input", attrs={"name": "to_agency_id", "type": "hidden"})["value"] == ""
    blank = _coverage(client, to_agency_id=str(northshire["police"].id), to_agency_id_text=" ")
    assert "Choose who you want to share with" in blank.get_data(as_text=True)


def test_a_list_filter_reads_a_typed_agency_and_shows_only_its_name(client, session, northshire):
    council, police = northshire["council"], northshire["police"]
    protocol, tier2 = chain(session, council, police)
    lonely = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=northshire["probation"],
            parties=[party(northshire["probation"]), party(northshire["aid"])],
        ),
    )
    client.sign_in(make_user(session, agency=council))
    shown = client.page("/agreements?agency_text=zb222222")
    listed = shown.select_one("main").get_text(" ", strip=True)
    assert tier2.reference in listed and lonely.reference not in listed
    assert shown.find("input", id="agency")["value"] == "Northshire Police"
    assert shown.find("input", attrs={"name": "agency", "type": "hidden"})["value"] == str(
        police.id
    )
    assert not shown.find("option", string="Northshire Probation")  # no list of agencies
    ambiguous = client.page("/agreements?agency_text=northshire")
    assert "More than one agency matches" in ambiguous.select_one("#agency-error").text
    summary = ambiguous.select_one(".govuk-error-summary a[href='#agency']")
    assert "More than one agency matches" in summary.text
    assert len(ambiguous.select("input[type=radio][name=agency]")) == 3


def test_the_administrator_names_an_owner_and_a_users_agency_by_typing(client, session, northshire):
    client.sign_in(make_admin(session))
    details = client.page("/agreements/new?tier=1&owner_agency_id=&owner_agency_id_text=za111111")
    assert "owned by Northshire Council" in details.select_one(".govuk-caption-l").text
    start = client.page("/agreements/new?tier=1&owner_agency_id_text=northshire")
    assert "More than one agency matches" in start.select_one(".govuk-error-summary").text
    assert len(start.select("input[type=radio][name=owner_agency_id]")) == 3
    assert start.find("input", id="owner_agency_id")["value"] == "northshire"
    made = client.submit(
        "/admin/users/new",
        {
            "name": "Ria",
            "email": "ria@example.org",
            "roles": ["practitioner"],
            "agency_id": "",
            "agency_id_text": "Northshire Police",
            "password": "a good long password",
            "active": "y",
        },
    )
    assert made.status_code == 302
    session.rollback()
    assert session.query(User).filter_by(email="ria@example.org").one().agency_id == (
        northshire["police"].id
    )


# A protocol's parties ------------------------------------------------------------------


def _draft_form(client, url, **sent):
    return client.submit(
        url,
        {"title": "Protocol", "review_period_months": "12", **sent},
    )


def test_parties_are_added_by_name_without_javascript(client, session, northshire):
    council, police, probation = (northshire[k] for k in ("council", "police", "probation"))
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    url = f"/agreements/new?tier=2&parent_id={protocol.id}&owner_agency_id={council.id}"
    added = _draft_form(client, url, disclosers=[str(council.id)], party_text="northshire police")
    assert added.status_code == 200
    soup = BeautifulSoup(added.data, "html.parser")
    assert soup.find("input", attrs={"name": "title"})["value"] == "Protocol"  # kept
    ticked = {(box["name"], box["value"]) for box in soup.select("input[type=checkbox][checked]")}
    assert {("disclosers", str(council.id)), ("disclosers", str(police.id))} <= ticked
    assert ("receivers", str(police.id)) in ticked and soup.find("input", id="party")["value"] == ""
    # Probation is not a party of the protocol above: not offered, said so.
    refused = _draft_form(client, url, party_text="Northshire Probation", party="")
    assert refused.status_code == 422
    assert "No agency matches “Northshire Probation”" in refused.get_data(as_text=True)
    picked = _draft_form(client, url, party_text="northshire", party=str(probation.id))
    assert picked.status_code == 422  # an id outside the protocol is not taken either
    ambiguous = _draft_form(client, url, party_text="northshire")
    soup = BeautifulSoup(ambiguous.data, "html.parser")
    assert "More than one agency matches" in soup.select_one("#party-error").text
    assert len(soup.select("input[type=radio][name=party]")) == 2
    nothing = _draft_form(client, url, party_text="", add_party="1")
    assert (
        "Type the name"
        in BeautifulSoup(nothing.data, "html.parser").select_one(".govuk-error-summary").get_text()
    )


def _bulk_agencies(session, count: int, start: int) -> None:
    session.rollback()  # a fresh snapshot: the pages have written since this one began
    session.execute(
        insert(Agency),
        [
            {
                "name": f"Bulk Agency {n:06d}",
                "kind": "local_authority",
                "ico_registration": f"Y{n:07d}",
            }
            for n in range(start, start + count)
        ],
    )
    session.commit()


def test_a_protocols_draft_page_does_not_grow_with_the_agencies(client, session):
    """The page carries the parties and a box, never every agency: 3,000 more agencies
    add almost nothing to it (it was 2.3 MB at 5,000 before issue 20)."""
    council = make_agency(session, name="Council")
    client.sign_in(make_admin(session))
    url = f"/agreements/new?tier=1&owner_agency_id={council.id}"
    before = client.get(url)
    assert before.status_code == 200 and b'name="party_text"' in before.data
    _bulk_agencies(session, 3000, 1)
    after = client.get(url)
    assert after.status_code == 200
    assert b"Bulk Agency" not in after.data
    assert len(after.data) - len(before.data) < 1000, (len(before.data), len(after.data))
    assert len(after.data) < 200_000
    # And for each form and filter that chose among agencies.
    for path in (
        "/agreements",
        "/admin/audit",
        "/delegations",
        "/decisions",
        "/admin/users/new",
        "/agreements/new",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert b"Bulk Agency" not in page.data, path
