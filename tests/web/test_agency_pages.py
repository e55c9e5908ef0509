from bs4 import BeautifulSoup

from registry.models import Agency, Officer

from ..factories import chain, make_admin, make_agency, make_officer, make_user


def rows(soup):
    return [
        [c.get_text(" ", strip=True) for c in tr.find_all("td")] for tr in soup.select("tbody tr")
    ]


def test_directory_search_and_kind_filter(client, session):
    make_agency(session, name="Northshire Police", kind="police")
    make_agency(session, name="Riverside Practice", kind="health")
    client.sign_in(make_user(session, agency=make_agency(session, name="Council")))
    names = [r[0] for r in rows(client.page("/agencies?q=river"))]
    assert names == ["Riverside Practice"]
    names = [r[0] for r in rows(client.page("/agencies?kind=police"))]
    assert names == ["Northshire Police"]
    empty = client.page("/agencies?q=zzz")
    assert "No agency matches" in empty.select_one("main").get_text()
    assert client.get("/agencies?kind=nonsense&page=abc").status_code == 200


def test_admin_adds_an_agency_and_errors_keep_what_was_typed(client, session):
    client.sign_in(make_admin(session))
    response = client.submit(
        "/agencies/new",
        {"name": "Eastmoor Homes", "kind": "housing", "ico_registration": "12345", "ods_code": "x"},
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.data, "html.parser")
    summary = soup.select_one(".govuk-error-summary").get_text()
    assert "Enter the ICO registration number as Z and 7 digits" in summary
    assert "ODS code" in summary
    assert soup.find("input", attrs={"name": "name"})["value"] == "Eastmoor Homes"
    assert soup.find("input", attrs={"name": "kind", "value": "housing"}).has_attr("checked")
    response = client.submit(
        "/agencies/new",
        {"name": "Eastmoor Homes", "kind": "housing", "ico_registration": "Z7654321"},
    )
    assert response.status_code == 302
    session.rollback()
    assert session.query(Agency).filter_by(name="Eastmoor Homes").one().kind.value == "housing"


def test_duplicate_ico_is_shown_on_the_field(client, session):
    make_agency(session, name="First", ico="Z1111111")
    client.sign_in(make_admin(session))
    response = client.submit(
        "/agencies/new", {"name": "Second", "kind": "police", "ico_registration": "Z1111111"}
    )
    soup = BeautifulSoup(response.data, "html.parser")
    assert (
        "First already has the ICO registration number Z1111111"
        in soup.select_one("#ico_registration-error").get_text()
    )


def test_ig_lead_edits_own_agency_but_gets_403_for_another(client, session):
    mine, theirs = make_agency(session, name="Mine"), make_agency(session, name="Theirs")
    client.sign_in(make_user(session, roles=("ig_lead",), agency=mine))
    assert client.get(f"/agencies/{theirs.id}/edit").status_code == 403
    response = client.post(
        f"/agencies/{theirs.id}/edit",
        data={
            "name": "Hijacked",
            "kind": "police",
            "ico_registration": theirs.ico_registration,
            "csrf_token": client.csrf_token("/"),
        },
    )
    assert response.status_code == 403
    assert client.get(f"/agencies/{theirs.id}/officers/new").status_code == 403
    session.rollback()  # end the read snapshot: see what the request wrote
    assert session.get(Agency, theirs.id).name == "Theirs"
    response = client.submit(
        f"/agencies/{mine.id}/edit",
        {
            "name": "Mine renamed",
            "kind": "local_authority",
            "ico_registration": mine.ico_registration,
        },
    )
    assert response.status_code == 302
    assert client.get("/agencies/99999/edit").status_code == 404


def test_officers_added_ended_and_gaps_shown_to_the_ig_lead(client, session):
    council = make_agency(session, name="Council", kind="local_authority")
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    page = client.page(f"/agencies/{council.id}")
    warnings = [w.get_text(" ", strip=True) for w in page.select(".govuk-warning-text")]
    assert any("Council has no lead information officer" in w for w in warnings)
    assert any("Council has no Caldicott Guardian" in w for w in warnings)
    response = client.submit(
        f"/agencies/{council.id}/officers/new",
        {
            "role": "caldicott_guardian",
            "name": "Dr Carol Guard",
            "job_title": "Medical Director",
            "email": "carol@example.org",
        },
    )
    assert response.status_code == 302
    page = client.page(f"/agencies/{council.id}")
    assert not any("Caldicott" in w.get_text() for w in page.select(".govuk-warning-text"))
    session.rollback()
    officer = session.query(Officer).filter_by(name="Dr Carol Guard").one()
    # Marking as left asks for the leaving date on its own page (today by default).
    client.submit(
        f"/agencies/{council.id}/officers/{officer.id}/end", {"ended_on": ["15", "6", "2026"]}
    )
    page = client.page(f"/agencies/{council.id}")
    assert "Dr Carol Guard" in page.select_one("#past-officers").get_text()
    assert any("Caldicott" in w.get_text() for w in page.select(".govuk-warning-text"))


def test_a_practitioner_sees_no_gaps_or_edit_links(client, session):
    council = make_agency(session, name="Council")
    make_officer(session, council, role="dpo", name="Dee Pio")
    client.sign_in(make_user(session, agency=council))
    page = client.page(f"/agencies/{council.id}")
    assert "Dee Pio" in page.get_text()
    assert page.select(".govuk-warning-text") == []
    assert page.find("a", string="Edit agency details") is None


def _awaiting_police(session, council, police, protocol):
    """A tier 2 'MASH' under `protocol`, signed by the council, awaiting the police."""
    from ..factories import activate, make_draft, party

    return activate(
        session,
        make_draft(
            session,
            owner=council,
            parent=protocol,
            title="MASH",
            parties=[party(council), party(police)],
        ),
        skip=(police,),
    )


def test_the_home_page_shows_what_waits_for_each_agency(client, session):
    from ..factories import activate, make_draft, party

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    waiting = _awaiting_police(session, council, police, protocol)
    client.sign_in(make_user(session, roles=("signatory",), agency=police))
    home = client.page("/")
    listed = home.find("h2", string="Waiting for your signature").find_next("ul").get_text()
    assert waiting.reference in listed and "MASH" in listed
    client.submit("/sign-out", token_from="/")
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    home = client.page("/")
    awaited = home.find("h2", string="Signatures awaited").find_next("ul").get_text()
    assert "MASH: 1 of 2 parties have signed version 1" in " ".join(awaited.split())
    agreements = home.find("h2", string="Your agency's agreements").find_next("table")
    assert protocol.reference in agreements.get_text()


def test_the_home_page_of_an_agency_in_many_agreements_lists_the_first_and_links_the_rest(
    client, session, monkeypatch
):
    from registry.services import dashboard

    monkeypatch.setattr(dashboard, "AGREEMENTS_SHOWN", 1)
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)  # ISA-…1 and ISA-…2, both active
    # the newest by reference: the one listed, as on the agreements list's first page
    waiting = _awaiting_police(session, council, police, protocol)
    client.sign_in(make_user(session, roles=("signatory",), agency=police))
    home = client.page("/")
    listed = home.find("h2", string="Waiting for your signature").find_next("ul").get_text()
    assert waiting.reference in listed
    table = home.find("h2", string="Your agency's agreements").find_next("table")
    assert len(table.select("tbody tr")) == 1 and waiting.reference in table.get_text()
    text = home.select_one("main").get_text(" ", strip=True)
    assert "Your agency is a party to 3 agreements; the first 1 are below" in text
    link = home.find("a", string="See all 3 in the agreements list")
    assert link["href"] == f"/agreements?agency={police.id}"


def test_a_long_list_to_sign_shows_the_first_and_says_where_the_rest_are(
    client, session, monkeypatch
):
    from registry.services import dashboard

    monkeypatch.setattr(dashboard.Dashboard, "list_shown", 1)
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    first = _awaiting_police(session, council, police, protocol)
    second = _awaiting_police(session, council, police, protocol)
    client.sign_in(make_user(session, roles=("signatory",), agency=police))
    home = client.page("/")
    listed = home.find("h2", string="Waiting for your signature").find_next("ul")
    # Newest first, as the agreements list runs: its first page starts with those shown.
    assert len(listed.select("li")) == 1 and second.reference in listed.get_text()
    text = home.select_one("main").get_text(" ", strip=True)
    assert "2 agreements are waiting for your agency's signature; the first 1 are below" in text
    link = home.find("a", string="See them in the agreements list")
    assert link["href"] == f"/agreements?unsigned=1&agency={police.id}"
    rows = client.page(link["href"]).select("main tbody tr")
    assert [r.find("a").get_text(strip=True) for r in rows] == [
        second.reference,
        first.reference,
    ]


def test_the_ig_leads_long_lists_link_to_the_agreements_its_agency_owns(
    client, session, monkeypatch
):
    """The home page's "signatures awaited" counts the agreements the agency owns; its link
    lists those, not also one another agency owns that it is a party to."""
    from registry.services import dashboard

    from ..factories import activate, make_draft, party

    monkeypatch.setattr(dashboard.Dashboard, "list_shown", 1)
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    first = _awaiting_police(session, council, police, protocol)
    second = _awaiting_police(session, council, police, protocol)
    theirs = activate(  # owned by the police, waiting for the council
        session,
        make_draft(session, owner=police, parent=protocol, parties=[party(police), party(council)]),
        skip=(council,),
    )
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    home = client.page("/")
    text = home.select_one("main").get_text(" ", strip=True)
    assert "2 agreements your agency owns are waiting for signatures; the first 1" in text
    link = home.find("h2", string="Signatures awaited").find_next(
        "a", string="See them in the agreements list"
    )
    assert link["href"] == f"/agreements?awaiting=1&agency={council.id}&owned=1"
    listed = client.page(link["href"])
    references = [a.get_text(strip=True) for a in listed.select("tbody tr td:first-child a")]
    assert sorted(references) == sorted([first.reference, second.reference])
    assert theirs.reference not in listed.get_text()
    assert listed.select_one("#owned").has_attr("checked")
    # Without "owned", the party's list has the police's agreement too.
    party_to = client.page(f"/agreements?awaiting=1&agency={council.id}").get_text()
    assert theirs.reference in party_to


def test_the_list_of_agreements_to_sign_has_amendments_and_leaves_out_the_signed(client, session):
    """The home page's link to every agreement waiting for the agency's signature: an
    amendment waiting (its version before still in force) is there, one the agency has
    signed is not; "Waiting for signatures" alone lists both."""
    from registry.services import agreement_lifecycle, signing

    from ..factories import FIXED_NOW, ig_lead_actor, signatory_for

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, mash = chain(session, council, police)
    new = _awaiting_police(session, council, police, protocol)
    agreement_lifecycle.amend(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    agreement_lifecycle.submit(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    signing.sign(
        session, signatory_for(session, council).actor(), mash.id, proof="password", now=FIXED_NOW
    )
    client.sign_in(make_user(session, roles=("signatory",), agency=council))
    found = client.page(f"/agreements?unsigned=1&agency={council.id}")
    assert "No agreements match" in found.get_text() or not found.select("tbody tr")
    listed = client.page(f"/agreements?unsigned=1&agency={police.id}")
    references = [a.get_text(strip=True) for a in listed.select("tbody tr td:first-child a")]
    assert sorted(references) == sorted([mash.reference, new.reference])
    assert listed.select_one("#unsigned").has_attr("checked")
    both = client.page("/agreements?awaiting=1")
    assert sorted(a.get_text(strip=True) for a in both.select("tbody tr td:first-child a")) == (
        sorted([mash.reference, new.reference])
    )


def test_an_agency_in_many_agreements_shows_the_first_and_says_where_the_rest_are(
    client, session, monkeypatch
):
    from registry.web.agencies import views

    monkeypatch.setattr(views, "AGREEMENTS_SHOWN", 1)
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    chain(session, council, police)  # a protocol and an agreement under it
    client.sign_in(make_user(session, agency=council))
    page = client.page(f"/agencies/{council.id}")
    assert len(page.select("tbody tr")) == 1
    text = page.select_one("main").get_text(" ", strip=True)
    assert "Council is a party to 2 agreements; the first 1 are below" in text
    link = page.find("a", string="See all 2 in the agreements list")
    assert link["href"] == f"/agreements?agency={council.id}"
    listed = client.page(link["href"])
    assert len(listed.select("tbody tr")) == 2


def test_the_home_page_lists_an_amendment_waiting_and_counts_as_its_link_does(
    client, session, monkeypatch
):
    """The home page's "Waiting for your signature" names the version that waits (an
    amendment's, its version before in force), and its count is the linked list's."""
    from registry.services import agreement_lifecycle, dashboard

    from ..factories import FIXED_NOW, ig_lead_actor

    monkeypatch.setattr(dashboard.Dashboard, "list_shown", 1)
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, mash = chain(session, council, police)
    later = _awaiting_police(session, council, police, protocol)
    agreement_lifecycle.amend(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    agreement_lifecycle.submit(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    client.sign_in(make_user(session, roles=("signatory",), agency=police))
    home = client.page("/")
    listed = home.find("h2", string="Waiting for your signature").find_next("ul")
    first = max([mash, later], key=lambda a: a.reference)  # newest first, as the list runs
    assert len(listed.select("li")) == 1 and first.reference in listed.get_text()
    if first is mash:
        assert "version 2" in listed.get_text()
    text = home.select_one("main").get_text(" ", strip=True)
    assert "2 agreements are waiting for your agency's signature; the first 1 are below" in text
    link = home.find("a", string="See them in the agreements list")
    found = client.page(link["href"])
    assert len(found.select("tbody tr")) == 2


def test_a_one_party_filter_without_a_party_says_so_rather_than_narrowing_nothing(client, session):
    council = make_agency(session, name="Council")
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    for ticked in ("owned=1", "unsigned=1"):
        page = client.page(f"/agreements?{ticked}")
        summary = page.select_one(".govuk-error-summary")
        assert summary is not None and "Choose the party" in summary.get_text()
        assert summary.find("a")["href"] == "#agency"
        assert page.title.get_text().startswith("Error: ")
    chosen = client.page(f"/agreements?owned=1&agency={council.id}")
    assert chosen.select_one(".govuk-error-summary") is None
    assert not chosen.title.get_text().startswith("Error")


def test_an_amendment_adding_a_party_is_in_its_list_to_sign_as_on_the_home_page(client, session):
    """An amendment that adds Health waits for Health's signature while the version in
    force does not name Health: the home page lists it, and so does the list its link
    opens (it narrowed to agreements whose shown version names the party, and lost it)."""
    from registry.services import agreement_lifecycle

    from ..factories import FIXED_NOW, amendment_adding, ig_lead_actor

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    health = make_agency(session, name="Health", kind="health")
    two = amendment_adding(session, council, police, health)
    agreement_lifecycle.submit(session, ig_lead_actor(council), two.id, now=FIXED_NOW)
    client.sign_in(make_user(session, roles=("signatory",), agency=health))
    listed = client.page("/").find("h2", string="Waiting for your signature").find_next("ul")
    assert two.reference in listed.get_text() and "version 2" in listed.get_text()
    found = client.page(f"/agreements?unsigned=1&agency={health.id}")
    assert [a.get_text() for a in found.select("tbody tr td:first-child a")] == [two.reference]


def test_a_parent_that_is_not_a_number_lists_nothing_and_says_so(client, session):
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police")
    chain(session, council, police)
    client.sign_in(make_user(session, agency=council))
    page = client.page("/agreements?parent=abc")
    assert "There is no agreement abc" in page.select_one(".govuk-inset-text").get_text()
    assert not page.select("tbody tr")
