"""A practitioner checks a share that is covered and one that is not, and records a
decision for each, in Chromium, with every page checked by axe."""

import re

import pytest

from ..factories import chain, make_agency, make_officer, make_user

pytestmark = pytest.mark.browser


def _sign_in(tab, user, password="correct horse battery staple"):
    page = tab.page
    page.goto("/sign-in")
    tab.axe()
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Sign in'), input[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    tab.axe()


def _check(tab, to_agency, categories):
    page = tab.page
    page.goto("/coverage")
    tab.axe()
    page.select_option("select[name=to_agency_id]", str(to_agency.id))
    page.select_option("select[name=purpose]", "mash_triage")
    for code in categories:
        page.check(f"input[name=data_categories][value={code}]")
    page.click("button:has-text('Check'), input[type=submit][value=Check]")
    page.wait_for_url(re.compile(r"/coverage/checks/"))
    tab.axe()
    return page.inner_text("main")


def _record(tab, decision, reasons):
    page = tab.page
    page.get_by_role("link", name="Record your decision").click()
    page.wait_for_url(re.compile(r"/decisions/new"))
    tab.axe()
    page.check(f"input[name=decision][value={decision}]")
    page.check("input[name=consent][value=not_sought]")
    if page.locator("textarea[name=consent_reason]").count():
        page.fill("textarea[name=consent_reason]", "Seeking consent would place the child "
                                                   "at risk")
    page.fill("textarea[name=reasons]", reasons)
    page.click("button:has-text('Record'), input[type=submit]")
    page.wait_for_url(re.compile(r"/decisions/\d+$"))
    tab.axe()
    return page.inner_text("main")


def test_a_practitioner_checks_two_shares_and_records_both(journey, live_session):
    council, police = make_agency(live_session, name="Northshire Council"), make_agency(
        live_session, name="Northshire Police")
    school = make_agency(live_session, name="Eastmoor School")
    make_officer(live_session, council, role="caldicott_guardian", name="Cal Guardian")
    chain(live_session, council, police)
    practitioner = make_user(live_session, agency=council, name="Pat Practitioner")
    tab = journey()
    _sign_in(tab, practitioner)

    covered = _check(tab, police, ["identity_contact"])
    assert "covered" in covered.lower() and "not covered" not in covered.lower()
    recorded = _record(tab, "share", "Police need the address for the strategy meeting")
    assert "Police need the address" in recorded

    refused = _check(tab, school, ["identity_contact"])
    assert "not covered" in refused.lower()
    assert "significant harm" in refused  # the safeguarding reminder
    assert "Cal Guardian" in refused  # who to ask
    recorded = _record(tab, "not_share", "No agreement with the school; asked the IG lead")
    assert "No agreement with the school" in recorded
    assert len(tab.checked) >= 9


def test_the_accessibility_check_fails_on_a_real_problem(journey):
    tab = journey()
    tab.page.goto("/sign-in")
    tab.page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                      "'<input type=text name=unlabelled>')")
    with pytest.raises(AssertionError, match="label"):
        tab.axe()
