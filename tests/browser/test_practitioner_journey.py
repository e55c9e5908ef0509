"""A practitioner checks a share that is covered and one that is not, and records a
decision for each, in Chromium, with every page checked by axe."""

import re

import pytest

from ..factories import chain, make_agency, make_officer, make_user

pytestmark = pytest.mark.browser


@pytest.fixture(params=["mouse", "keyboard"])
def driver(request):
    return request.param


def _check(tab, to_agency, categories):
    page, act = tab.page, tab.act
    tab.visit("/coverage")
    act.choose("select[name=to_agency_id]", str(to_agency.id))
    act.choose("select[name=purpose]", "mash_triage")
    for code in categories:
        act.tick(f"input[name=data_categories][value={code}]")
    act.go(page.get_by_role("button", name="Check"))
    assert re.search(r"/coverage/checks/", page.url), page.inner_text("main")
    tab.axe()
    return page.inner_text("main")


def _record(tab, decision, reasons):
    page, act = tab.page, tab.act
    act.go(page.get_by_role("link", name="Record your decision"))
    assert "/decisions/new" in page.url
    tab.axe()
    act.tick(f"input[name=decision][value={decision}]")
    act.tick("input[name=consent][value=not_sought]")
    act.fill("textarea[name=consent_reason]", "Seeking consent would place the child at risk")
    act.fill("textarea[name=reasons]", reasons)
    act.go(page.get_by_role("button", name=re.compile("Record")))
    assert re.search(r"/decisions/\d+$", page.url), page.inner_text("main")
    tab.axe()
    return page.inner_text("main")


def test_a_practitioner_checks_two_shares_and_records_both(journey, live_app, live_session,
                                                           driver):
    # A partnership may ask practitioners for a second factor too (TWO_FACTOR_ROLES):
    # here it does, so this journey signs in with a code as well.
    live_app.config["TWO_FACTOR_ROLES"] = ["admin", "ig_lead", "signatory", "practitioner"]
    council, police = make_agency(live_session, name="Northshire Council"), make_agency(
        live_session, name="Northshire Police")
    school = make_agency(live_session, name="Eastmoor School")
    make_officer(live_session, council, role="caldicott_guardian", name="Cal Guardian")
    chain(live_session, council, police)
    practitioner = make_user(live_session, agency=council, name="Pat Practitioner")
    tab = journey(driver)
    tab.sign_in(practitioner)
    assert tab.gave_a_code

    covered = _check(tab, police, ["identity_contact"])
    assert "covered" in covered.lower() and "not covered" not in covered.lower()
    answer_page = tab.page.url
    recorded = _record(tab, "share", "Police need the address for the strategy meeting")
    assert "Police need the address" in recorded
    # Someone at another agency cannot read the answer or the decision.
    other = journey(driver)
    other.sign_in(make_user(live_session, agency=school, name="Sid School"))
    for address in (answer_page, tab.page.url):
        assert other.visit(address) == 403, address
        assert other.page.get_by_role("heading", level=1).inner_text() == \
            "You do not have permission"

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
