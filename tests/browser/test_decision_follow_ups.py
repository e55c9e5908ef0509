"""Issue 19 in Chromium, every page checked by axe, at a desktop width and a phone's:
a practitioner follows up a decision that is due; the IG lead filters the agency's
decisions and reads the monthly summary."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from ..factories import FIXED_NOW, TODAY, make_agency, make_decision, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _fits(tab) -> None:
    """Nothing wider than the screen: a wide table scrolls inside its own box."""
    wide = tab.page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide, f"{tab.page.url} is wider than the screen"


@pytest.mark.parametrize("size", [None, PHONE])
def test_follow_up_and_report(journey, live_session, size):
    council, police = (
        make_agency(live_session, name="Northshire Council"),
        make_agency(live_session, name="Northshire Police"),
    )
    practitioner = make_user(live_session, agency=council, name="Pat Practitioner")
    make_decision(
        live_session,
        practitioner,
        police,
        now=datetime(2026, 4, 2, 9, 0, tzinfo=UTC),
        decision="not_share",
        consent="refused",
    )
    decision = make_decision(
        live_session,
        practitioner,
        police,
        now=FIXED_NOW - timedelta(days=10),
        follow_up_on=TODAY - timedelta(days=1),
        case_reference="CS-2001",
    )
    lead = make_user(live_session, roles=("ig_lead",), agency=council, name="Ivy Lead")

    tab = journey()
    if size:
        tab.page.set_viewport_size(size)
    page, act = tab.page, tab.act
    tab.sign_in(practitioner)
    _fits(tab)
    due = page.locator("#follow-ups-due")
    assert "1 follow-up is due" in due.inner_text()
    act.go(due.get_by_role("link", name=re.compile("Decision 2")))
    assert page.url.endswith(f"/decisions/{decision.id}#follow-ups")
    tab.axe()
    act.go(page.get_by_role("link", name="Add a follow-up"))
    tab.axe()
    _fits(tab)
    act.fill("textarea[name=outcome]", "Police confirmed they deleted it")
    act.go(page.get_by_role("button", name="Add follow-up"))
    tab.axe()  # the page with its errors
    assert page.locator(".govuk-error-summary li").count() == 3
    assert page.input_value("textarea[name=outcome]") == "Police confirmed they deleted it"
    act.tick("input[name=consent_withdrawn][value=yes]")
    act.tick("input[name=share_stopped][value=yes]")
    act.tick("input[name=information][value=deleted]")
    act.go(page.get_by_role("button", name="Add follow-up"))
    assert re.search(rf"/decisions/{decision.id}#follow-ups$", page.url), page.url
    tab.axe()
    _fits(tab)
    assert "Deleted by the recipient" in page.inner_text("main")
    act.go(page.get_by_role("button", name="Sign out"))

    tab.sign_in(lead)
    tab.visit("/decisions?decision=not_share")
    _fits(tab)
    assert page.locator("tbody tr").count() == 1
    tab.visit("/decisions/summary")
    _fits(tab)
    rows = page.locator("tbody tr")
    assert rows.count() == 3  # April, May (none) and June
    assert rows.nth(0).inner_text().split("\t")[:2] == ["April 2026", "0"]
