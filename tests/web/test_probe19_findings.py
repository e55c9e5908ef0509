"""Findings of the issue-19 probe (helper probe19), each written as the test that should
pass once fixed. They fail on dae502a: see the probe's report for the steps by hand."""

from __future__ import annotations

from bs4 import BeautifulSoup

from registry.models import TransferMethod

from ..factories import make_admin, make_agency, make_decision, make_user

# '²' is a digit to str.isdigit() but not to int(): the filters that guard int() with
# isdigit() answer it with a 500.
SUPERSCRIPT_TWO = "%C2%B2"


def test_a_superscript_digit_in_an_agency_filter_is_not_a_server_error(client, session):
    council = make_agency(session, name="Council")
    lead = make_user(session, agency=council, roles=("ig_lead",))
    client.sign_in(lead)
    for url in (
        f"/decisions?to_agency_id={SUPERSCRIPT_TWO}",
        f"/decisions/export.csv?to_agency_id={SUPERSCRIPT_TWO}",
        f"/decisions/summary?to_agency_id={SUPERSCRIPT_TWO}",
    ):
        assert client.get(url).status_code < 500, url
    client.submit("/sign-out", token_from="/")
    client.sign_in(make_admin(session))
    for url in (
        f"/admin/audit?agency={SUPERSCRIPT_TWO}",
        f"/admin/audit.csv?agency={SUPERSCRIPT_TWO}",
    ):
        assert client.get(url).status_code < 500, url


def test_the_decisions_csv_does_not_ignore_a_date_the_page_refuses(client, session):
    """The page names 30 February as wrong; the CSV link with the same filters downloads
    every decision instead, as if no date had been typed (the audit CSV answers 400)."""
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    make_decision(session, user, police)
    client.sign_in(user)
    response = client.get("/decisions/export.csv?from=2026-02-30")
    assert response.status_code == 303  # back to the page, which names the date
    assert response.headers["Location"] == "/decisions?from=2026-02-30"
    page = client.page(response.headers["Location"], status=400)
    summary = page.select_one(".govuk-error-summary").get_text()
    assert "The first date must be a real date" in summary
    assert page.select_one("#from")["value"] == "2026-02-30"


def test_adding_a_transfer_method_with_a_code_in_use_does_not_rewrite_that_entry(client, session):
    client.sign_in(make_admin(session))
    before = session.get(TransferMethod, "secure_email")
    assert before is not None and before.active
    label = before.label
    response = client.submit(
        "/admin/vocabularies/transfer_methods/edit",
        {"code": "secure_email", "label": "Fax", "active": "y"},
    )
    session.rollback()
    assert response.status_code == 422
    assert session.get(TransferMethod, "secure_email").label == label


def test_a_transfer_method_saved_reads_in_words_in_the_audit_trail(client, session):
    client.sign_in(make_admin(session))
    response = client.submit(
        "/admin/vocabularies/transfer_methods/edit",
        {"code": "courier", "label": "Courier", "active": "y"},
    )
    assert response.status_code == 302
    said = " ".join(client.page("/admin/audit").select_one("tbody").get_text(" ").split())
    assert "Courier" in said
    assert "vocabulary.transfer_methods.save" not in said


def test_search_finds_a_name_with_a_capital_letter_beyond_ascii(client, session):
    """SQLite's lower() folds A-Z only, so 'Ærø' in a name is never matched by the
    search's lower(query) ('ærø'), even when typed exactly as stored."""
    make_agency(session, name="Ærø Borough Council")
    user = make_user(session, agency=make_agency(session, name="Police"))
    client.sign_in(user)
    page = client.page("/search?q=%C3%86r%C3%B8")  # Ærø
    assert "Ærø Borough Council" in page.get_text()


def test_the_same_follow_up_form_sent_twice_is_recorded_once(client, session):
    """Follow-ups cannot be changed or removed: a form sent twice (a slow connection, a
    refresh that re-posts) should not leave the same follow-up twice on the record."""
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    client.sign_in(user)
    url = f"/decisions/{decision.id}/follow-ups/new"
    form = {
        "csrf_token": client.csrf_token(url),
        "consent_withdrawn": "yes",
        "share_stopped": "yes",
        "information": "deleted",
        "outcome": "The police deleted the referral",
    }
    assert client.post(url, data=form).status_code == 302
    client.post(url, data=form)
    page = " ".join(client.page(f"/decisions/{decision.id}").get_text(" ").split())
    assert page.count("The police deleted the referral") == 1


def test_length_and_date_errors_name_the_field_in_words(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    client.sign_in(user)
    url = f"/decisions/{decision.id}/follow-ups/new"
    response = client.post(
        url,
        data={
            "csrf_token": client.csrf_token(url),
            "consent_withdrawn": "no",
            "share_stopped": "no",
            "information": "kept",
            "outcome": "x" * 10001,
            "next_follow_up_on": ["1", "1", "99999"],
        },
    )
    assert response.status_code == 422
    summary = " ".join(
        BeautifulSoup(response.data, "html.parser")
        .select_one(".govuk-error-summary")
        .get_text()
        .split()
    )
    assert "What happened must be 10,000 characters or fewer" in summary
    assert "The date: the year must have 4 numbers" in summary
    assert "Field cannot be" not in summary and "(optional)" not in summary
    assert "That cannot be saved" not in summary  # no vague third error beside the two
