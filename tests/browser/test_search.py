"""The header's search box in a real browser: typed into and sent with the mouse or the
keyboard alone, its grouped results reached and opened; and issue 19's pages (search,
audit trail, the administrator's dashboard) pass axe and fit a phone's 390 px."""

from __future__ import annotations

import pytest

from ..factories import (
    activate,
    make_admin,
    make_agency,
    make_draft,
    make_officer,
    make_user,
    party,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def _world(session):
    council = make_agency(session, name="Lakeside Council", ods_code="LKC01")
    police = make_agency(session, name="Lakeside Police")
    make_officer(session, council, name="Lena Lakeside", email="lena@lakeside.example")
    protocol = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=council,
            parties=[party(council), party(police)],
            title="Lakeside overarching protocol",
        ),
    )
    return council, police, protocol


@pytest.mark.parametrize("driver", ["mouse", "keyboard"])
def test_the_header_box_searches_and_a_result_opens(journey, live_session, driver):
    council, _, protocol = _world(live_session)
    tab = journey(driver)
    tab.sign_in(make_user(live_session, agency=council))
    page, act = tab.page, tab.act

    act.fill("header input[name=q]", "lakeside")
    if driver == "keyboard":
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        act.go(page.locator("header").get_by_role("button", name="Search"))
    tab.axe()
    assert "/search?q=lakeside" in page.url
    headings = page.locator("section.registry-search-group h2").all_inner_texts()
    assert headings == ["Agreements (1)", "Agencies (2)", "Officers (1)"]
    assert page.input_value("input#q") == "lakeside"  # what was typed, kept to refine

    # The jump list takes the reader to a group; its results are links that open.
    act.press(page.get_by_role("link", name="Agencies (2)"))
    assert page.evaluate("document.activeElement.id") == "group-agencies"
    act.go(page.get_by_role("link", name=f"{protocol.reference} Lakeside overarching protocol"))
    tab.axe()
    assert page.url.endswith(f"/agreements/{protocol.id}")


def test_issue_19_pages_pass_axe_and_fit_a_phone(journey, live_session):
    council, police, _ = _world(live_session)
    make_agency(live_session, name="Lakeside Health Trust", kind="health")
    tab = journey()
    tab.sign_in(make_admin(live_session))
    for width in (1280, PHONE["width"]):
        tab.page.set_viewport_size({"width": width, "height": PHONE["height"]})
        for path in (
            "/",
            "/admin/audit",
            f"/admin/audit?agency={council.id}&action=agreement.sign",
            "/admin/audit?from=2026-02-31",
            "/search?q=lakeside",
            "/search?q=la",
            "/agencies?missing=caldicott_guardian",
            "/agreements?signatures_late=1",
        ):
            tab.visit(path)
            assert tab.page.evaluate(FITS), (width, path)
    home = tab.page
    home.set_viewport_size({"width": 1280, "height": 900})
    tab.visit("/")
    # Council and police (local authorities by default) and the trust: no Caldicott Guardian.
    figure = home.locator("#figure-gap-caldicott_guardian")
    assert figure.locator(".registry-figure__count").inner_text() == "3"
    tab.act.go(figure.get_by_role("link"))
    tab.axe()
    assert home.locator("table tbody tr").count() == 3
