"""Decision follow-ups and reports on pages (issue 19 points 3 and 4)."""

import csv
import io
from datetime import UTC, datetime, timedelta

from ..factories import (
    FIXED_NOW,
    TODAY,
    make_agency,
    make_decision,
    make_follow_up,
    make_user,
)


def words(soup) -> str:
    return " ".join(soup.get_text(" ").split())


def test_a_practitioner_adds_a_follow_up_and_the_decision_page_tells_the_story(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police, follow_up_on=TODAY)
    client.sign_in(user)
    home = client.page("/")
    due = home.select_one("#follow-ups-due")
    assert due is not None and "Decision 1" in due.get_text()
    assert due.find("a")["href"] == f"/decisions/{decision.id}#follow-ups"

    url = f"/decisions/{decision.id}/follow-ups/new"
    response = client.submit(
        url,
        {
            "consent_withdrawn": "yes",
            "share_stopped": "yes",
            "information": "returned",
            "outcome": "Police returned the referral form by hand",
        },
    )
    assert response.status_code == 302
    page = words(client.page(f"/decisions/{decision.id}"))
    assert "Consent withdrawn Yes" in page and "Returned to us" in page
    assert "Police returned the referral form by hand" in page
    assert client.page("/").select_one("#follow-ups-due") is None  # nothing due now


def test_every_error_shows_at_once_and_nothing_typed_is_lost(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    client.sign_in(user)
    url = f"/decisions/{decision.id}/follow-ups/new"
    response = client.submit(
        url,
        {
            "outcome": "Spoke to the duty sergeant",
            "next_follow_up_on": ["31", "2", "2026"],
        },
    )
    assert response.status_code == 422
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(response.data, "html.parser")
    summary = [a.get_text(" ", strip=True) for a in soup.select(".govuk-error-summary__list a")]
    assert len(summary) == 4, summary  # consent, sharing, information, the date
    assert any("withdrawn" in s for s in summary) and any("date" in s.lower() for s in summary)
    assert soup.select_one("textarea[name=outcome]").get_text() == "Spoke to the duty sergeant"
    # Missing date boxes are an error, not a server error.
    odd = client.submit(url, {"next_follow_up_on": "31"})
    assert odd.status_code == 422


def test_a_colleague_cannot_add_a_follow_up(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    decision = make_decision(session, make_user(session, agency=council), police)
    client.sign_in(make_user(session, agency=council))
    assert client.get(f"/decisions/{decision.id}/follow-ups/new").status_code == 403


def test_the_ig_lead_sees_the_agency_s_follow_ups_due(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council, name="Pat Practitioner")
    earlier = FIXED_NOW - timedelta(days=20)
    make_decision(session, user, police, now=earlier, follow_up_on=TODAY - timedelta(days=2))
    lead = make_user(session, roles=("ig_lead",), agency=council)
    client.sign_in(lead)
    due = words(client.page("/").select_one("#follow-ups-due"))
    assert "1 follow-up is due at your agency" in due
    assert "recorded by Pat Practitioner" in due and "Police" in due


def test_filters_are_kept_in_the_form_and_the_csv_exports_what_is_filtered(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    health = make_agency(session, name="Health")
    user = make_user(session, agency=council)
    make_decision(session, user, police, key_questions={"confidential": "yes"})
    make_decision(session, user, health, decision="not_share")
    lead = make_user(session, roles=("ig_lead",), agency=council)
    client.sign_in(lead)
    soup = client.page(f"/decisions?decision=share&to_agency_id={police.id}&coverage=no_check")
    assert soup.select_one("#decision option[selected]")["value"] == "share"
    assert soup.select_one("#coverage option[selected]")["value"] == "no_check"
    rows = soup.select("tbody tr")
    assert len(rows) == 1 and "Police" in rows[0].get_text()
    link = soup.find("a", string=lambda s: s and "CSV" in s)["href"]
    assert "decision=share" in link and f"to_agency_id={police.id}" in link
    body = client.get(link).data.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(body)))
    assert [r["to_agency"] for r in table] == ["Police"]
    assert table[0]["check_outcome"] == "no_check"
    assert table[0]["key_question_confidential"] == "yes"


def test_a_bad_date_filter_is_named_not_a_server_error(client, session):
    lead = make_user(session, roles=("ig_lead",))
    client.sign_in(lead)
    soup = client.page("/decisions?from=2026-13-40&to=2025-01-01", status=400)
    assert "must be a real date" in words(soup.select_one(".govuk-error-summary"))
    soup = client.page("/decisions?from=2026-06-01&to=2026-05-01", status=400)
    assert "same as or after" in words(soup.select_one(".govuk-error-summary"))
    assert soup.select_one("#from")["value"] == "2026-06-01"  # what was typed stays


def test_the_summary_shows_a_chart_and_the_same_figures_as_a_table(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    may = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
    make_decision(session, user, police, now=may)
    make_decision(session, user, police, now=may, decision="not_share", consent="refused")
    make_decision(session, user, police)
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    soup = client.page("/decisions/summary")
    chart = soup.select_one("svg.registry-chart")
    assert chart is not None and chart["role"] == "img"
    assert not soup.find("script", src=lambda s: s and "chart" in s)
    table = [
        [c.get_text(strip=True) for c in row.select("th, td")] for row in soup.select("tbody tr")
    ]
    assert table == [["May 2026", "1", "1", "0", "1"], ["June 2026", "1", "0", "0", "0"]]
    # The bars are as long as their numbers: May's share and June's share are equal.
    groups = chart.select("g")
    assert groups[0].select("rect")[0]["width"] == groups[1].select("rect")[0]["width"]
    assert float(groups[1].select("rect")[1]["width"]) == 0
    # A practitioner has no summary page.
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})
    client.sign_in(user)
    assert client.get("/decisions/summary").status_code == 403


def test_a_follow_up_changed_outside_the_registry_is_flagged_on_the_page(client, session):
    from ..tamper import tamper

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    make_follow_up(session, user, decision)
    tamper(session, "decision_follow_ups", "UPDATE decision_follow_ups SET outcome = 'Nothing'")
    client.sign_in(user)
    page = words(client.page(f"/decisions/{decision.id}"))
    assert "This follow-up does not match the fingerprint" in page


def test_each_error_links_to_its_field(client, session):
    from bs4 import BeautifulSoup

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    client.sign_in(user)
    response = client.submit(f"/decisions/{decision.id}/follow-ups/new", {})
    soup = BeautifulSoup(response.data, "html.parser")
    links = [a["href"] for a in soup.select(".govuk-error-summary__list a")]
    assert len(links) == 4
    for href in links:
        assert soup.find(id=href.removeprefix("#")) is not None, href
