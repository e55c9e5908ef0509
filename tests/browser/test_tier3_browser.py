"""The tier-3, DPIA and controller questions and answers in a real browser (issue 19):
axe-clean, and no wider than a phone's screen."""

import os
from datetime import timedelta

import pytest

from ..factories import TODAY, activate, chain, make_agency, make_draft, make_user, party

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("REGISTRY_SHOTS")  # a folder: save screenshots there to look at


def _fits(tab, name: str, width: int, within: str | None = None) -> None:
    """Nothing wider than the screen: the whole page, or (`within`) the elements named.
    (The agreement page's parties and versions tables are wider than a phone: not this
    issue's, and left to the tables' own fix.)"""
    page = tab.page
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    if width >= 400:
        return
    if within is None:
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    else:
        widest = page.evaluate(
            "s => Math.max(...[...document.querySelectorAll(s)].map("
            "e => e.getBoundingClientRect().right))",
            within,
        )
        assert widest <= width, (name, widest)


@pytest.mark.parametrize("width", [1280, 390])
def test_tier3_form_and_page_are_accessible_at_every_width(journey, live_session, width):
    council = make_agency(live_session, name="Northshire Council")
    police = make_agency(live_session, name="Northshire Police", kind="police")
    _protocol, tier2 = chain(live_session, council, police)
    flow = activate(
        live_session,
        make_draft(
            live_session,
            tier=3,
            owner=council,
            parent=tier2,
            parties=[party(police), party(council)],
            title="Daily domestic abuse notifications",
            frequency="daily",
            frequency_detail="Before 9am, covering the previous 24 hours",
            transfer_methods=["secure_file_transfer", "secure_email"],
            data_items=[
                "Names and dates of birth of the adults and children present",
                "Home address",
                "Date, time and nature of the incident",
            ],
            controller_relationship="separate",
            dpia_reference="NP-DPIA-0412",
            dpia_completed_on=TODAY - timedelta(days=30),
            dpia_outcome="risks_reduced",
            dpia_link="https://intranet.northshire.example/ig/dpia/NP-DPIA-0412-a-long-address",
        ),
    )
    lead = make_user(live_session, roles=("ig_lead",), agency=council)
    tab = journey()
    tab.page.set_viewport_size({"width": width, "height": 900})
    tab.sign_in(lead)

    tab.visit(f"/agreements/{flow.id}")
    rows = "dl.govuk-summary-list .govuk-summary-list__row"
    _fits(tab, "tier3-page", width, within=rows)
    assert "Daily: Before 9am" in tab.page.locator(rows).filter(has_text="How often").inner_text()

    tab.visit(f"/agreements/new?tier=3&parent_id={tier2.id}&owner_agency_id={council.id}")
    _fits(tab, "tier3-form", width)
    page = tab.page
    page.fill("input[name=title]", "Weekly school attendance")
    page.fill("input[name=frequency_detail]", "Each Monday")
    page.fill("textarea[name=data_items]", "Name\n" + "x" * 210)
    page.fill("input[name=dpia_link]", "intranet/dpia")
    tab.act.go(page.get_by_role("button", name="Save draft"))
    assert page.locator(".govuk-error-summary").is_visible()
    tab.axe()
    _fits(tab, "tier3-form-errors", width)
    assert page.input_value("input[name=frequency_detail]") == "Each Monday"
