"""The one search box: agreements, agencies, officers and one's own (or one's agency's)
decisions by case reference, grouped with counts, each result a link its reader may open."""

from __future__ import annotations

from sqlalchemy import event

from registry.extensions import db
from registry.services.decisions import DecisionInput, record_decision

from ..factories import (
    FIXED_NOW,
    TODAY,
    activate,
    make_admin,
    make_agency,
    make_draft,
    make_officer,
    make_user,
    party,
)


def _world(session):
    council = make_agency(session, name="Riverside Council", ods_code="RVC01")
    police = make_agency(session, name="Riverside Police", ico="ZA123456")
    make_officer(session, council, name="Priya Guardian", email="priya.g@riverside.example")
    protocol = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=council,
            parties=[party(council), party(police)],
            title="Riverside overarching protocol",
        ),
    )
    mash = activate(
        session,
        make_draft(
            session,
            owner=council,
            parent=protocol,
            parties=[party(council), party(police)],
            title="MASH information sharing",
        ),
    )
    return council, police, protocol, mash


def _decide(session, user, to_agency, case: str):
    record, _ = record_decision(
        session,
        user.actor(),
        DecisionInput(
            from_agency_id=user.agency_id,
            to_agency_id=to_agency.id,
            purpose="mash_triage",
            data_categories=["identity_contact"],
            decision="share",
            consent="given",
            reasons="Risk of harm",
            case_reference=case,
        ),
        idempotency_key=None,
        today=TODAY,
        now=FIXED_NOW,
    )
    return record


def _groups(page) -> dict[str, list[tuple[str, str]]]:
    """Each group's heading, and its results as (text, href)."""
    found = {}
    for section in page.select("section.registry-search-group"):
        heading = section.find("h2").get_text(strip=True)
        found[heading] = [
            (" ".join(a.get_text(" ").split()), a["href"])
            for a in section.select("ul.registry-search-results a")
        ]
    return found


def test_one_box_finds_agreements_agencies_and_officers_grouped_with_counts(client, session):
    council, police, protocol, mash = _world(session)
    client.sign_in(make_user(session, roles=("signatory",), agency=police))

    groups = _groups(client.page("/search?q=riverside"))
    assert set(groups) == {"Agreements (1)", "Agencies (2)", "Officers (1)"}, groups
    assert groups["Agreements (1)"] == [
        (f"{protocol.reference} Riverside overarching protocol", f"/agreements/{protocol.id}")
    ]
    assert [text for text, _ in groups["Agencies (2)"]] == ["Riverside Council", "Riverside Police"]
    assert groups["Officers (1)"][0][0].startswith("Priya Guardian, Lead information officer")
    for results in groups.values():
        for _, href in results:
            assert client.get(href).status_code == 200, href

    by_reference = _groups(client.page(f"/search?q={mash.reference.lower()}"))
    assert by_reference == {
        "Agreements (1)": [(f"{mash.reference} MASH information sharing", f"/agreements/{mash.id}")]
    }
    assert "Riverside Police" in str(_groups(client.page("/search?q=za123456")))
    assert "Riverside Council" in str(_groups(client.page("/search?q=rvc01")))
    assert "Priya Guardian" in str(_groups(client.page("/search?q=PRIYA.G@")))

    nothing = client.page("/search?q=zzz-nothing")
    assert "Nothing matches ‘zzz-nothing’" in nothing.select_one("#search-summary").get_text()


def test_decisions_are_found_by_case_reference_only_by_those_who_may_read_them(client, session):
    council, police, _, _ = _world(session)
    mine = make_user(session, agency=council, name="Pat Practitioner")
    colleague = make_user(session, agency=council, name="Colleague")
    elsewhere = make_user(session, agency=police, name="Officer Elsewhere")
    own = _decide(session, mine, police, "CASE-7781")
    theirs = _decide(session, colleague, police, "CASE-7782")
    _decide(session, elsewhere, council, "CASE-7783")

    client.sign_in(mine)
    groups = _groups(client.page("/search?q=case-778"))
    assert groups == {
        "Your decisions (1)": [(f"Case CASE-7781: decision {own.sequence}", f"/decisions/{own.id}")]
    }
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})

    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    groups = _groups(client.page("/search?q=case-778"))
    assert [t for t, _ in groups["Your agency's decisions (2)"]] == [
        f"Case CASE-7782: decision {theirs.sequence}",
        f"Case CASE-7781: decision {own.sequence}",
    ]
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})

    for who in (make_user(session, roles=("signatory",), agency=council), make_admin(session)):
        client.sign_in(who)
        page = client.page("/search?q=case-778")
        assert _groups(page) == {}, who.name
        assert "CASE-778" not in page.select_one("main").get_text()
        client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})


def test_a_search_too_short_to_be_useful_says_so_and_keeps_what_was_typed(client, session):
    client.sign_in(make_user(session))
    response = client.get("/search?q=ab")
    page = client.page("/search?q=ab")
    assert response.status_code == 200
    summary = page.select_one(".govuk-error-summary")
    assert "at least 3 letters or numbers" in summary.get_text()
    assert summary.find("a")["href"] == "#q"
    assert page.find("input", attrs={"id": "q"})["value"] == "ab"
    blank = client.page("/search")
    assert blank.select_one(".govuk-error-summary") is None
    assert blank.find("label", attrs={"for": "q"}) is not None


def test_the_header_box_is_on_every_signed_in_page_and_not_for_the_public(client, session):
    assert client.page("/register").select_one("#registry-search") is None
    client.sign_in(make_user(session))
    for path in ("/", "/agreements", "/agencies"):
        page = client.page(path)
        form = page.select_one("header [role=search] form")
        assert form is not None and form["action"] == "/search", path
        box = form.select_one("input[name=q]")
        assert page.find("label", attrs={"for": box["id"]}).get_text() == "Search the registry"


def test_a_search_costs_a_few_queries_however_much_matches(client, session):
    council, police, protocol, _ = _world(session)
    user = make_user(session, roles=("ig_lead",), agency=council)
    client.sign_in(user)

    def selects(url: str) -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            client.page(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    few = selects("/search?q=riverside")
    for n in range(15):
        agency = make_agency(session, name=f"Riverside School {n}")
        make_officer(session, agency, name=f"Riverside Officer {n}", email=f"o{n}@r.example")
        activate(
            session,
            make_draft(
                session,
                owner=council,
                parent=protocol,
                parties=[party(council), party(police)],
                title=f"Riverside school sharing {n}",
            ),
        )
    page_many = selects("/search?q=riverside")
    assert page_many <= few + 2, (few, page_many)
    groups = _groups(client.page("/search?q=riverside"))
    assert "Agreements (16)" in groups and len(groups["Agreements (16)"]) == 10
