from bs4 import BeautifulSoup
from sqlalchemy import event

from registry.extensions import db
from registry.models import DecisionRecord

from ..factories import activate, chain, make_agency, make_draft, make_officer, make_user, party


def test_practitioner_checks_a_covered_share_and_records_a_decision(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    make_officer(session, council, role="lead_information_officer", name="Lia Lead")
    protocol, mash = chain(session, council, police)
    client.sign_in(make_user(session, agency=council))
    form = client.page("/coverage")
    assert "Council (your agency)" in form.get_text()
    response = client.submit(
        "/coverage",
        {
            "from_agency_id": police.id,  # ignored: own agency
            "to_agency_id": police.id,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
        },
    )
    assert response.status_code == 302
    answer = client.page(response.headers["Location"])
    text = answer.select_one("main").get_text(" ", strip=True)
    assert "Covered" in answer.find("h1").get_text()
    assert f"{mash.reference} covers sharing from Council to Police" in text
    assert [li.get_text() for li in answer.select("ol li")] == [
        f"{protocol.reference} Protocol",
        f"{mash.reference} MASH",
    ]
    assert "Lia Lead" in text
    record = answer.find("a", string="Record your decision")["href"]
    decision_form = client.page(record)
    assert decision_form.find("input", attrs={"name": "to_agency_id"})["value"] == str(police.id)
    assert decision_form.find("input", attrs={"name": "to_agency_id_text"})["value"] == "Police"
    response = client.submit(
        record,
        {
            "to_agency_id": police.id,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
            "decision": "share",
            "consent": "given",
            "reasons": "Strategy discussion tomorrow",
            "q_legitimate_purpose": "yes",
            "case_reference": "CS-1",
        },
    )
    assert response.status_code == 302
    session.rollback()
    saved = session.query(DecisionRecord).one()
    assert saved.check_id and saved.key_questions == {"legitimate_purpose": "yes"}
    shown = client.page(response.headers["Location"])
    assert "cannot be changed" in shown.get_text()


def test_not_covered_shows_reasons_and_the_safeguarding_reminder(client, session):
    council, police, school = (
        make_agency(session, name=n) for n in ("Council", "Police", "School")
    )
    chain(session, council, police)
    client.sign_in(make_user(session, agency=school))
    response = client.submit(
        "/coverage",
        {"to_agency_id": police.id, "purpose": "marac", "data_categories": ["identity_contact"]},
    )
    answer = client.page(response.headers["Location"])
    assert "Not covered" in answer.find("h1").get_text()
    reminder = answer.select_one(".govuk-inset-text").get_text()
    assert "significant harm" in reminder and "record your decision" in reminder
    assert "No tier 2 or tier 3 agreement has both School and Police" in answer.get_text()


def test_check_form_errors_keep_what_was_typed(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    client.sign_in(make_user(session, agency=council))
    response = client.submit(
        "/coverage", {"to_agency_id": police.id, "purpose": "", "on_date": ["31", "2", "2026"]}
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.data, "html.parser")
    summary = soup.select_one(".govuk-error-summary").get_text()
    assert "Choose what the share is for" in summary
    assert "Choose at least one kind of information" in summary
    assert "must be a real date" in summary
    assert soup.find("input", attrs={"name": "to_agency_id"})["value"] == str(police.id)
    assert soup.find("input", id="to_agency_id")["value"] == "Police"


def test_the_agency_box_is_gov_uk_markup_with_names_escaped(client, session):
    council = make_agency(session, name="Council")
    odd = make_agency(session, name='Women\'s Aid <b>& "Friends"</b>')
    client.sign_in(make_user(session, agency=council))
    soup = client.page("/coverage")
    box = soup.find("input", id="to_agency_id")
    assert box["class"] == ["govuk-input"] and box["name"] == "to_agency_id_text"
    assert box.find_parent(attrs={"data-registry-agency-box": True})["data-lookup"] == (
        "/agencies/lookup"
    )
    assert (
        soup.find("label", attrs={"for": box["id"]}).get_text(strip=True)
        == "Who do you want to share with?"
    )
    assert not soup.find("option", string="Council")  # no list of every agency

    response = client.submit(
        "/coverage",
        {"to_agency_id": "", "purpose": "mash_triage", "data_categories": ["identity_contact"]},
    )
    soup = BeautifulSoup(response.data, "html.parser")
    box = soup.find("input", id="to_agency_id")
    assert box["class"] == ["govuk-input", "govuk-input--error"]
    error = soup.find(id=box["aria-describedby"].split()[-1])
    assert error.get_text(" ", strip=True) == "Error: Choose who you want to share with"
    assert "govuk-form-group--error" in box.parent["class"]
    response = client.submit("/coverage", {"to_agency_id": str(odd.id), "purpose": ""})
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find("input", attrs={"name": "to_agency_id"})["value"] == str(odd.id)
    box = soup.find("input", id="to_agency_id")
    assert box["value"] == 'Women\'s Aid <b>& "Friends"</b>' and box.find("b") is None
    assert b"<b>& " not in response.data  # the name is text, not markup


def test_someone_elses_check_and_decision_are_refused(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    chain(session, council, police)
    owner = make_user(session, agency=council)
    client.sign_in(owner)
    response = client.submit(
        "/coverage",
        {
            "to_agency_id": police.id,
            "purpose": "mash_triage",
            "data_categories": ["identity_contact"],
        },
    )
    check_url = response.headers["Location"]
    check_id = check_url.rsplit("/", 1)[1]
    client.submit("/sign-out", token_from="/")
    client.sign_in(make_user(session, agency=council))
    assert client.get(check_url).status_code == 403
    assert client.get(f"/decisions/new?check_id={check_id}").status_code == 403
    assert client.get("/coverage/checks/nonsense").status_code == 404


def test_ig_lead_lists_and_downloads_decisions(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    practitioner = make_user(session, agency=council)
    client.sign_in(practitioner)
    client.submit(
        "/decisions/new",
        {
            "to_agency_id": police.id,
            "purpose": "marac",
            "data_categories": ["housing"],
            "decision": "not_share",
            "consent": "refused",
            "reasons": "Not proportionate",
        },
    )
    client.submit("/sign-out", token_from="/")
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    listing = client.page("/decisions")
    assert "Your agency's decisions" in listing.find("h1").get_text()
    assert len(listing.select("tbody tr")) == 1
    csv_response = client.get("/decisions/export.csv")
    assert csv_response.mimetype == "text/csv"
    assert "Not proportionate" in csv_response.get_data(as_text=True)
    client.submit("/sign-out", token_from="/")
    # SPEC section 13: a practitioner downloads its own decisions, and no one else's.
    colleague = make_user(session, agency=council)
    client.sign_in(colleague)
    own = client.get("/decisions/export.csv")
    assert own.status_code == 200 and own.mimetype == "text/csv"
    assert "Not proportionate" not in own.get_data(as_text=True)
    client.submit("/sign-out", token_from="/")
    client.sign_in(practitioner)
    assert "Not proportionate" in client.get("/decisions/export.csv").get_data(as_text=True)


def _partnership_in_groups(session, count: int):
    """`count` agencies ("Agency 00", …) under one protocol, with a MASH agreement for
    each ten of them in turn."""
    agencies = [make_agency(session, name=f"Agency {n:02d}") for n in range(count)]
    protocol = activate(
        session,
        make_draft(session, tier=1, owner=agencies[0], parties=[party(a) for a in agencies]),
    )
    for start in range(0, count, 10):
        group = agencies[start : start + 10]
        activate(
            session,
            make_draft(
                session,
                owner=group[0],
                parent=protocol,
                parties=[party(a) for a in group],
                title=f"Group {start}",
            ),
        )
    return agencies


def test_the_coverage_map_for_sixty_agencies_from_a_handful_of_queries(client, session):
    agencies = _partnership_in_groups(session, 60)
    client.sign_in(make_user(session, agency=agencies[0]))
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = client.page("/coverage/map?purpose=mash_triage")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    selects = [
        s for s in statements if s.lstrip().upper().startswith("SELECT") and "pg_advisory" not in s
    ]
    assert len(selects) <= 25, len(selects)
    rows = page.select("table.registry-map tbody tr")
    assert len(rows) == 60
    covered = page.select("td.registry-map__cell--yes")
    assert len(covered) == 6 * 10 * 9  # each group of ten shares among itself
    first = rows[0].find_all("td")
    assert first[1].find("a") is not None and first[10].find("a") is None
    # What a screen reader says of each kind of cell.
    names = [r.th.get_text(strip=True).split(". ", 1)[1] for r in rows]
    hidden = [td.select_one(".govuk-visually-hidden").get_text() for td in first[:11]]
    assert hidden[0] == "same agency"
    reference = first[1].a["href"], first[1].a["title"]
    assert hidden[1].startswith(f" {names[0]} to {names[1]} under ISA-")
    assert reference[1] == f"{names[0]} to {names[1]}: {hidden[1].rsplit(' ', 1)[1]}"
    assert hidden[10] == f"{names[0]} to {names[10]}: not covered"


def test_the_coverage_map_shows_sixty_agencies_at_most_and_finds_others_by_name(client, session):
    agencies = _partnership_in_groups(session, 65)
    client.sign_in(make_user(session, agency=agencies[0]))
    page = client.page("/coverage/map?purpose=mash_triage")
    assert len(page.select("table.registry-map tbody tr")) == 60
    assert "first 60 of 65 agencies" in page.select_one(".govuk-inset-text").get_text()
    # Agency 64 first, then those it shares with (its group: 60 to 63), not its whole
    # protocol.
    found = client.page("/coverage/map?purpose=mash_triage&q=agency+64")
    rows = found.select("table.registry-map tbody tr")
    assert [r.th.get_text(strip=True) for r in rows] == [
        f"{i}. Agency {n}" for i, n in enumerate((64, 60, 61, 62, 63), start=1)
    ]
    assert len(found.select("td.registry-map__cell--yes")) == 5 * 4
    assert found.select_one(".govuk-inset-text") is None
    assert found.select_one("#q")["value"] == "agency 64"  # the search stays in its box
    # A name found in several groups shows each with its partners, 60 at most.
    many = client.page("/coverage/map?purpose=mash_triage&q=agency+0")  # Agency 00 to 09
    assert len(many.select("table.registry-map tbody tr")) == 10
    spaces = client.page("/coverage/map?purpose=mash_triage&q=+++")
    assert "first 60 of 65 agencies, in name order" in spaces.get_text()  # no search
    assert "q=" not in spaces.find("a", string="Show as a list")["href"]
    none = client.page("/coverage/map?purpose=mash_triage&q=nobody")
    assert "No agency whose name contains “nobody”" in none.get_text()


def test_a_search_of_the_coverage_map_shows_the_agencies_found_before_their_partners(
    client, session, monkeypatch
):
    agencies = _partnership_in_groups(session, 65)
    client.sign_in(make_user(session, agency=agencies[0]))
    # "5" is in five names of the groups 00 to 49 and in every name of the group 50 to 59.
    page = client.page("/coverage/map?purpose=mash_triage&q=5")
    names = [r.th.get_text(strip=True).split(". ", 1)[1] for r in page.select("tbody tr")]
    found = [f"Agency {n}" for n in ("05", "15", "25", "35", "45", *range(50, 60))]
    partners = [f"Agency {n:02d}" for n in range(50) if n % 10 != 5]
    assert names == found + partners
    # Agency 05 may disclose to its partner Agency 00, shown after the agencies found.
    cell = page.select("tbody tr")[0].find_all("td")[names.index("Agency 00")]
    assert "Agency 05 to Agency 00 under ISA-" in cell.get_text()
    assert page.select_one(".govuk-inset-text") is None  # all 60 shown
    cut = client.page("/coverage/map?purpose=mash_triage&q=agency")
    assert len(cut.select("tbody tr")) == 60
    said = " ".join(cut.select_one(".govuk-inset-text").get_text().split())
    assert said.startswith(
        "The map shows the first 60 of 65 agencies: those whose name contains “agency” first, "
        "then the agencies they share with for this purpose, each in name order."
    )

    # More found by name than the count goes to: the grid is theirs, and no partner is read.
    from registry.clock import today
    from registry.domain.lifecycle import StatusSettings
    from registry.services import coverage_map

    monkeypatch.setattr(coverage_map, "COUNT_UP_TO", 5)
    grid = coverage_map.build(
        session, "mash_triage", today=today(), settings=StatusSettings(), search="5", limit=4
    )
    assert [name for _, name in grid.agencies] == found[:4]
    assert grid.more and grid.cut
    # Fewer than the bound: the partners are counted too.
    monkeypatch.setattr(coverage_map, "COUNT_UP_TO", 300)
    grid = coverage_map.build(
        session, "mash_triage", today=today(), settings=StatusSettings(), search="5", limit=4
    )
    assert [name for _, name in grid.agencies] == found[:4]
    assert grid.total == len(found) + len(partners) and not grid.more


def test_the_coverage_map_counts_its_agencies_up_to_a_bound(client, session, monkeypatch):
    from registry.services import coverage_map

    monkeypatch.setattr(coverage_map, "COUNT_UP_TO", 62)
    agencies = _partnership_in_groups(session, 65)
    client.sign_in(make_user(session, agency=agencies[0]))
    page = client.page("/coverage/map?purpose=mash_triage")
    assert len(page.select("table.registry-map tbody tr")) == 60
    assert "first 60 of more than 62 agencies" in page.select_one(".govuk-inset-text").get_text()
