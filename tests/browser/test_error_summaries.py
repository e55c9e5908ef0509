"""A form sent with mistakes comes back with a GOV.UK error summary that takes the focus
(so a screen reader announces it and the keyboard starts there), whose links move the
focus to the field in question, and with what was typed still there."""

import re

import pytest

from ..factories import chain, make_agency, make_user

pytestmark = pytest.mark.browser

FOCUSED_SUMMARY = "document.activeElement.classList.contains('govuk-error-summary')"


def _sent_with_mistakes(tab, button: str) -> None:
    page = tab.page
    tab.act.go(page.get_by_role("button", name=button))
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.evaluate(FOCUSED_SUMMARY), page.evaluate("document.activeElement.outerHTML")
    tab.axe()


def _first_link_focuses_its_field(tab) -> None:
    page = tab.page
    link = page.locator(".govuk-error-summary__list a").first
    target = link.get_attribute("href").split("#", 1)[1]
    page.keyboard.press("Tab")  # from the summary to its first link
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"#{target}"
    page.keyboard.press("Enter")
    focused = page.evaluate("document.activeElement.id")
    assert focused == target or focused.startswith(target), (focused, target)


def test_error_summaries_take_the_focus_and_keep_what_was_typed(journey, live_session):
    council, police = (make_agency(live_session, name=n) for n in ("Council", "Police"))
    chain(live_session, council, police)
    practitioner = make_user(live_session, agency=council)
    tab = journey("keyboard")

    tab.visit("/sign-in")
    tab.act.fill("input[name=email]", practitioner.email)
    tab.act.fill("input[name=password]", "not the password at all")
    _sent_with_mistakes(tab, "Sign in")
    assert tab.page.input_value("input[name=email]") == practitioner.email

    tab.sign_in(practitioner)
    tab.visit("/coverage")
    tab.act.pick("to_agency_id", "Pol", "Police")
    _sent_with_mistakes(tab, "Check")  # no purpose, no category
    assert tab.page.input_value("input[name=to_agency_id]") == str(police.id)
    assert tab.page.input_value("input#to_agency_id") == "Police"
    _first_link_focuses_its_field(tab)

    tab.visit("/decisions/new")
    tab.act.fill("textarea[name=reasons]", "Typed before the mistake")
    _sent_with_mistakes(tab, re.compile("Record"))
    assert tab.page.input_value("textarea[name=reasons]") == "Typed before the mistake"
    _first_link_focuses_its_field(tab)
