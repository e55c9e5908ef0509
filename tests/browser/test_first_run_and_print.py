"""What a new user meets first, and what a page looks like on paper."""

import pytest

from registry.services.demo import DEMO_PASSWORD, seed_demo

from ..factories import FIXED_NOW, chain, make_agency, make_user

pytestmark = pytest.mark.browser


def test_the_first_page_says_what_the_registry_is_and_how_to_try_it(
    journey, live_app, live_session
):
    live_app.config["DEMO_MODE"] = True
    seed_demo(live_session, now=FIXED_NOW)
    tab = journey()
    tab.visit("/")
    said = tab.page.inner_text("main")
    assert "information sharing agreements" in said
    assert DEMO_PASSWORD in said and "practitioner.council@northshire.example" in said
    # and the demo logins work from there, as printed
    tab.act.go(tab.page.get_by_role("button", name="Sign in"))
    tab.act.fill("input[name=email]", "practitioner.council@northshire.example")
    tab.act.fill("input[name=password]", DEMO_PASSWORD)
    tab.act.go(tab.page.get_by_role("button", name="Sign in"))
    assert tab.page.get_by_role("link", name="Check a share").is_visible()
    tab.axe()


def test_a_page_prints_its_content_without_the_controls(journey, live_session):
    council, police = (
        make_agency(live_session, name="Council"),
        make_agency(live_session, name="Police"),
    )
    _, agreement = chain(live_session, council, police)
    tab = journey()
    tab.sign_in(make_user(live_session, roles=("ig_lead",), agency=council))
    tab.visit(f"/agreements/{agreement.id}")
    page = tab.page
    controls = (
        ".govuk-service-navigation, .govuk-back-link, .govuk-footer, .govuk-button, "
        ".registry-actions"
    )
    assert page.locator(controls).first.is_visible()
    page.emulate_media(media="print")
    assert all(not c.is_visible() for c in page.locator(controls).all())
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.get_by_text("Parties to version").is_visible()
