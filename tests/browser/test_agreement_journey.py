"""An agreement from draft to sealed PDF to review, in Chromium, with the mouse and with
the keyboard alone: an IG lead drafts a tier-2 agreement with three parties and submits
it; each party's signatory signs on a page that restates what is signed; the agreement
comes into force and its sealed PDF downloads; the IG lead records a review and the
review date moves. People of an agency that is not a party are refused at each step.
Everyone signs in through the real sign-in page with a two-factor code."""

import re

import pytest
from playwright.sync_api import expect

from ..factories import activate, make_agency, make_draft, make_user, party
from ..seal_jobs import seal_pending
from .drivers import totp_now

pytestmark = pytest.mark.browser


@pytest.fixture(params=["mouse", "keyboard"])
def driver(request):
    return request.param


def _refused(tab, path: str) -> None:
    """`tab`'s person opens `path` and is told it is not theirs; nothing else happens."""
    assert tab.visit(path) == 403, path
    assert tab.page.get_by_role("heading", level=1).inner_text() == "You do not have permission"


def _draft(tab, protocol, agencies, title: str) -> str:
    """Draft a tier-2 agreement under `protocol` with `agencies` as parties; answer
    its page's address."""
    page, act = tab.page, tab.act
    tab.visit("/agreements")
    act.go(page.get_by_role("link", name="Draft an agreement"))
    tab.axe()
    act.tick("input[name=tier][value='2']")
    act.choose("select[name=parent_id]", str(protocol.id))
    act.go(page.get_by_role("button", name="Continue"))
    tab.axe()
    act.fill("input[name=title]", title)
    for agency in agencies:  # each found by part of its name; added ticked both ways
        act.pick("party", agency.name.split()[-1][:5], agency.name)
        expect(page.locator(f"input[name=receivers][value='{agency.id}']")).to_be_checked()
    _complete_and_save(tab)
    return page.url


def _complete_and_save(tab) -> None:
    """Fill in the rest of a tier-2 draft (one purpose, category and basis, a start date)
    and save it."""
    page, act = tab.page, tab.act
    act.tick("input[name=purposes][value=mash_triage]")
    act.tick("input[name=data_categories][value=identity_contact]")
    act.tick("input[name=lawful_bases][value=art6_1_e]")
    act.fill("textarea[name=data_subjects]", "Children referred to the MASH")
    act.fill("#effective_from-day", "1")
    act.fill("#effective_from-month", "6")
    act.fill("#effective_from-year", "2026")
    act.go(page.get_by_role("button", name="Save draft"))
    assert re.search(r"/agreements/\d+$", page.url), page.inner_text("main")
    tab.axe()


def _submit(tab, address: str) -> None:
    page = tab.page
    tab.visit(address)
    tab.act.go(page.get_by_role("button", name="Submit for signature"))
    tab.axe()
    assert "Awaiting signatures" in page.inner_text("main")


def _sign(tab, address: str, title: str, agencies) -> None:
    page, act = tab.page, tab.act
    tab.visit(address)
    act.go(page.get_by_role("link", name=re.compile("Read and sign")))
    tab.axe()
    restated = page.inner_text("main")
    assert title in restated and all(a.name in restated for a in agencies)
    assert "Children referred to the MASH" in restated
    act.tick("input[name=declaration]")
    # Fresh proof: without the code, the page says so and nothing is signed.
    act.go(page.get_by_role("button", name="Sign this agreement"))
    assert "Enter the 6-digit code" in page.locator(".govuk-error-summary").inner_text()
    tab.axe()
    assert page.locator("input[name=declaration]").is_checked()  # what was ticked stays
    # The code signed in with was this step's; the app shows the next one 30 s on.
    act.fill("input[name=code]", totp_now(tab.secret, 1))
    act.go(page.get_by_role("button", name="Sign this agreement"))
    assert re.search(r"/agreements/\d+$", page.url), page.inner_text("main")
    tab.axe()
    assert "Confirmed with a two-factor code" in page.inner_text("main")


def test_an_agreement_is_drafted_signed_sealed_and_reviewed(
    journey, live_app, live_session, driver, tmp_path
):
    council, police, health = (
        make_agency(live_session, name=n)
        for n in ("Northshire Council", "Northshire Police", "Northshire Health")
    )
    outsider = make_agency(live_session, name="Westfield Academy")
    protocol = activate(
        live_session,
        make_draft(
            live_session,
            tier=1,
            owner=council,
            parties=[party(council), party(police), party(health), party(outsider)],
            title="Northshire information sharing protocol",
        ),
    )
    lead = make_user(live_session, roles=("ig_lead",), agency=council, name="Iris Lead")
    signers = [
        make_user(
            live_session,
            roles=("signatory",),
            agency=a,
            name=f"{a.name} signer",
            job_title="Director",
        )
        for a in (council, police, health)
    ]
    other_lead = make_user(live_session, roles=("ig_lead",), agency=outsider, name="Olu Other")
    other_signer = make_user(live_session, roles=("signatory",), agency=outsider, name="Sam Other")
    title = "MASH referrals between council, police and health"
    # Sealed in the background once it comes into force: the test runs the seal jobs
    # itself (in a thread of their own: the test's own thread runs Playwright's event
    # loop, in which pyHanko cannot run), as a serving process's runner thread would.
    live_app.config["SEAL_ON_ACTIVATION"] = True

    tab = journey(driver)
    tab.sign_in(lead)
    address = _draft(tab, protocol, (council, police, health), title)
    path = address.removeprefix(live_app.config["LIVE_URL"])

    outsiders = journey(driver)
    outsiders.sign_in(other_lead)
    _refused(outsiders, path + "/edit")

    _submit(tab, address)
    other = journey(driver)
    other.sign_in(other_signer)
    _refused(other, path + "/sign")

    for signer in signers:
        signing = journey(driver)
        signing.sign_in(signer)
        assert signing.gave_a_code
        _sign(signing, address, title, (council, police, health))
        signing.close()

    tab.visit(address)
    shown = tab.page.inner_text("main")
    assert "Active" in shown, shown
    # The last signature did not wait for the sealed PDF: the page says it is being sealed.
    assert "The PDF of version 1 is being sealed" in shown, shown
    assert not tab.page.get_by_role("link", name="Download version 1 as a PDF").count()
    assert seal_pending(live_app) == 1
    tab.visit(address)
    shown = tab.page.inner_text("main")
    assert "is being sealed" not in shown, shown
    tab.act.press(tab.page.locator("summary", has_text="Sealed copies issued"))
    copy = tab.page.get_by_role("link", name=re.compile(r"Version 1, review date"))
    with tab.page.expect_download() as download:
        tab.act.press(copy)
    saved = tmp_path / "sealed.pdf"
    assert re.fullmatch(
        r"ISA-\d{4}-\d{4}-v1-sealed-[0-9a-f]{8}\.pdf", download.value.suggested_filename
    )
    download.value.save_as(saved)
    body = saved.read_bytes()
    assert body.startswith(b"%PDF") and b"/ByteRange" in body  # sealed: a signature
    assert "1 June 2027" in shown  # the review date, 12 months on

    _refused(outsiders, path + "/review")
    page, act = tab.page, tab.act
    act.go(page.get_by_role("link", name="Record a review"))
    tab.axe()
    act.tick("input[name=outcome][value=continue]")
    act.fill("textarea[name=notes]", "Still needed; contacts checked")
    act.go(page.get_by_role("button", name="Record review"))
    assert re.search(r"/agreements/\d+$", page.url), page.inner_text("main")
    tab.axe()
    reviewed = page.inner_text("main")
    assert "Still needed; contacts checked" in reviewed
    assert re.search(r"Review date moved from 1 June 2027 to \d+ \w+ 2027", reviewed), reviewed
    assert len(tab.checked) >= 12


def test_parties_are_found_by_name_added_and_removed(journey, live_session):
    """Drafting under a protocol of many agencies: no list of them in the page; the box
    offers only the protocol's parties whose name contains what is typed, a chosen one
    becomes a row ticked both ways, a row can be taken out, and what is saved is what the
    table shows."""
    council = make_agency(live_session, name="Northshire Council")
    police = make_agency(live_session, name="Northshire Police")
    make_agency(live_session, name="Northshire Fire Service")  # not in the protocol
    schools = [make_agency(live_session, name=f"Eastmoor School {n:02d}") for n in range(16)]
    protocol = activate(
        live_session,
        make_draft(
            live_session,
            tier=1,
            owner=council,
            parties=[party(a) for a in (council, police, *schools)],
        ),
    )
    tab = journey()
    tab.sign_in(make_user(live_session, roles=("ig_lead",), agency=council))
    page, act = tab.page, tab.act
    tab.visit(f"/agreements/new?tier=2&parent_id={protocol.id}")
    assert page.locator("input[name=disclosers]").count() == 0  # no agency listed yet
    assert "Eastmoor School" not in page.content()

    page.fill("input#party", "northshire")
    options = page.locator(".autocomplete__option:not(.autocomplete__option--no-results)")
    expect(options).to_have_text(
        [re.compile(r"^Northshire Council ICO"), re.compile(r"^Northshire Police ICO")]
    )
    options.first.click()
    act.pick("party", "police", "Northshire Police")
    rows = page.locator("table.registry-parties tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("input#party")).to_have_value("")  # ready for the next
    page.uncheck(f"input[name=disclosers][value='{police.id}']")  # Police only receives

    act.pick("party", "school 07", "Eastmoor School 07")
    expect(rows).to_have_count(3)
    page.get_by_role("button", name="Remove Eastmoor School 07").click()
    expect(rows).to_have_count(2)
    tab.axe()
    page.fill("input[name=title]", "Police and council only")
    _complete_and_save(tab)
    parties = page.locator("table", has_text="May disclose").first.inner_text()
    assert "Northshire Council" in parties and "Northshire Police" in parties
    assert "Eastmoor School" not in parties
