"""A practitioner checks a share that is covered and one that is not, and records a
decision for each, in Chromium, with every page checked by axe."""

import re

import pytest
from playwright.sync_api import expect

from ..factories import chain, make_agency, make_officer, make_user

pytestmark = pytest.mark.browser


@pytest.fixture(params=["mouse", "keyboard"])
def driver(request):
    return request.param


def _check(tab, to_agency, categories):
    page, act = tab.page, tab.act
    tab.visit("/coverage")
    # Part of the name, not its start: the box lists every agency whose name contains it.
    act.pick("to_agency_id", to_agency.name.split()[-1].lower(), to_agency.name)
    assert page.input_value("input[name=to_agency_id]") == str(to_agency.id)
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


def test_a_practitioner_checks_two_shares_and_records_both(journey, live_app, live_session, driver):
    # A partnership may ask practitioners for a second factor too (TWO_FACTOR_ROLES):
    # here it does, so this journey signs in with a code as well.
    live_app.config["TWO_FACTOR_ROLES"] = ["admin", "ig_lead", "signatory", "practitioner"]
    council, police = (
        make_agency(live_session, name="Northshire Council"),
        make_agency(live_session, name="Northshire Police"),
    )
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
        assert (
            other.page.get_by_role("heading", level=1).inner_text() == "You do not have permission"
        )

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
    tab.page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', "
        "'<input type=text name=unlabelled>')"
    )
    with pytest.raises(AssertionError, match="label"):
        tab.axe()


def test_the_agency_box_sends_only_a_name_it_lists(journey, live_app, live_session):
    """Under the registry's own Content-Security-Policy (the other journeys lift it to run
    axe): the box appears, lists matches, and a name cleared or changed to one no agency
    has is not sent as the agency chosen before."""
    council = make_agency(live_session, name="Northshire Council")
    make_agency(live_session, name="Northshire Police")
    make_agency(live_session, name="Northshire Probation")
    practitioner = make_user(live_session, agency=council)
    tab = journey()
    tab.sign_in(practitioner)
    context = tab.context.browser.new_context(base_url=live_app.config["LIVE_URL"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    context.add_cookies(tab.context.cookies())
    page.goto("/coverage")
    box = page.locator("input#to_agency_id")

    def settled():  # after what the page set off in a later turn (registry.js's blur)
        page.evaluate("() => new Promise(done => setTimeout(done, 0))")

    box.fill("shire p")
    expect(page.locator(".autocomplete__option")).to_have_text(  # each with its ICO number
        [re.compile(r"^Northshire Police ICO \w+"), re.compile(r"^Northshire Probation ICO \w+")]
    )
    page.locator(".autocomplete__option", has_text="Northshire Probation").click()
    assert box.input_value() == "Northshire Probation"
    probation = page.input_value("input[name=to_agency_id]")
    assert probation
    sent = page.locator("input[name=to_agency_id]")
    box.click()  # in and out again, changing nothing
    page.keyboard.press("Tab")
    settled()
    assert sent.input_value() == probation

    box.fill("Nowhere Agency")
    page.keyboard.press("Tab")
    settled()
    assert sent.input_value() == ""
    box.fill("northshire")
    page.keyboard.press("Escape")  # closes the list: the box still says "northshire"
    box.fill("")
    page.keyboard.press("Tab")
    settled()
    assert sent.input_value() == ""

    box.fill("northshire prob")  # leaving the box takes the first match listed
    expect(page.locator(".autocomplete__option").first).to_contain_text("Northshire Probation")
    page.keyboard.press("Tab")
    expect(box).to_have_value("Northshire Probation")
    expect(sent).to_have_value(probation)
    with page.expect_navigation():
        page.get_by_role("button", name="Check").click()
    assert page.locator(".govuk-error-summary").is_visible()  # no purpose yet
    assert page.input_value("input[name=to_agency_id]") == probation
    assert page.locator("input#to_agency_id").input_value() == "Northshire Probation"
    assert refused == []
    context.close()
