"""What makes the pages usable on a phone, as the server sends it (issue 19): the coverage
map as a list, wide tables inside a box of their own that the keyboard can reach and a
screen reader names, and a navigation short enough for one row, with the review calendar
and the map one click away inside their areas. The widths themselves are measured in a
browser by tests/browser/test_phone_widths.py."""

from ..factories import chain, make_agency, make_user


def test_the_coverage_map_can_be_read_as_a_list_without_scripts(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    school = make_agency(session, name="School")
    _, mash = chain(session, council, police)
    chain(session, school, make_agency(session, name="Health"))
    client.sign_in(make_user(session, agency=council))
    grid = client.page("/coverage/map?purpose=mash_triage&q=ounc")
    toggle = grid.find("a", string="Show as a list")
    assert toggle is not None
    listing = client.page(toggle["href"])
    assert listing.select("table.registry-map") == []
    assert listing.find("a", string="Show as a grid") is not None
    # The search typed stays when switching, and the filter form keeps the list view.
    assert listing.find("input", attrs={"name": "view"})["value"] == "list"
    sections = {}  # each agency's heading, and what follows it up to the next one
    for heading in listing.select("main h3"):
        after = []
        for sibling in heading.find_next_siblings():
            if sibling.name == "h3":
                break
            after.append(sibling.get_text(" ", strip=True))
        sections[heading.get_text(strip=True)] = (" ".join(after), heading)
    assert set(sections) == {"Council", "Police"}  # those named …ounc… and their partners
    said, heading = sections["Council"]
    assert f"May disclose to: Police, under {mash.reference}" in said
    assert heading.find_next("a")["href"].endswith(f"/agreements/{mash.id}")


def test_wide_tables_sit_in_a_named_box_the_keyboard_can_reach(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    chain(session, council, police)
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    for url in ("/agreements", f"/agencies/{council.id}", "/register", "/agreements/reviews"):
        page = client.page(url)
        tables = page.select("main table")
        assert tables, url
        for table in tables:
            box = table.parent
            assert "registry-table-box" in box.get("class", []), (url, box.name)
            assert box["role"] == "region" and box["tabindex"] == "0", url
            assert box["aria-label"].strip(), url


def test_the_navigation_keeps_the_calendar_and_the_map_inside_their_areas(client, session):
    council = make_agency(session, name="Council")
    client.sign_in(
        make_user(session, roles=("ig_lead", "signatory", "practitioner"), agency=council)
    )
    home = client.page("/")
    top = [a.get_text(strip=True) for a in home.select(".govuk-service-navigation__link")][1:]
    assert top == [
        "Home",
        "Notifications",
        "Check a share",
        "Decisions",
        "Delegations",
        "Agreements",
        "Agencies",
    ]
    assert home.select(".registry-subnav") == []
    for url, area, here, other in (
        ("/agreements/reviews", "Agreements", "Review calendar", "All agreements"),
        ("/coverage/map", "Agencies", "Coverage map", "All agencies"),
    ):
        page = client.page(url)
        active = page.select_one(".govuk-service-navigation__item--active")
        assert active.get_text(strip=True) == area, url
        subnav = page.select_one(f"nav.registry-subnav[aria-label='{area}']")
        current = subnav.select_one("a[aria-current=page]")
        assert current.get_text(strip=True) == here
        assert subnav.find("a", string=other) is not None
