"""Officers' dates on the agency pages: the start date, the second step when a role is
held, the confirmation of a leaving date, and the history shown."""

from datetime import timedelta

from bs4 import BeautifulSoup

from registry.models import Officer

from ..factories import TODAY, make_agency, make_officer, make_user

NEW_GUARDIAN = {
    "role": "caldicott_guardian",
    "name": "Dev Guard",
    "job_title": "Medical Director",
    "email": "dev@example.org",
    "phone": "01632 960000",
    "started_on": ["1", "9", "2026"],
}


def _soup(response):
    return BeautifulSoup(response.data, "html.parser")


def _holder(client, session):
    council = make_agency(session, name="Council")
    make_officer(
        session,
        council,
        role="caldicott_guardian",
        name="Carol Guard",
        started_on=TODAY - timedelta(days=400),
    )
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    return council


def test_the_form_offers_today_as_the_start_date(client, session):
    council = _holder(client, session)
    page = client.page(f"/agencies/{council.id}/officers/new")
    parts = [page.find(id=f"started_on-{p}")["value"] for p in ("day", "month", "year")]
    assert parts == ["15", "06", "2026"]


def test_adding_a_holder_asks_whether_the_current_one_leaves_and_yes_replaces(client, session):
    council = _holder(client, session)
    url = f"/agencies/{council.id}/officers/new"
    asked = client.submit(url, NEW_GUARDIAN)
    assert asked.status_code == 200
    soup = _soup(asked)
    legend = soup.select_one("legend").get_text(" ", strip=True)
    assert (
        legend
        == "Carol Guard is the current Caldicott Guardian. Do they leave on 1 September 2026?"
    )
    hidden = {i["name"]: i["value"] for i in soup.select("input[type=hidden]")}
    assert hidden["name"] == "Dev Guard" and hidden["phone"] == "01632 960000"
    assert [i["value"] for i in soup.select("input[name=started_on]")] == ["1", "9", "2026"]
    session.rollback()
    assert session.query(Officer).count() == 1  # nothing saved before the answer
    # No answer: asked again, with an error.
    again = client.submit(url, {**hidden, "started_on": ["1", "9", "2026"]}, token_from=url)
    assert again.status_code == 422
    assert "Choose yes" in _soup(again).select_one(".govuk-error-summary").get_text()
    assert hidden["step"] == "replace"
    done = client.submit(url, {**hidden, "started_on": ["1", "9", "2026"], "replaces": "yes"})
    assert done.status_code == 302
    session.rollback()
    carol = session.query(Officer).filter_by(name="Carol Guard").one()
    dev = session.query(Officer).filter_by(name="Dev Guard").one()
    assert carol.ended_on == dev.started_on == TODAY.replace(month=9, day=1)
    page = client.page(f"/agencies/{council.id}")
    rows = [
        [c.get_text(" ", strip=True) for c in tr.find_all("td")[:4]]
        for tr in page.select("#current-officers tbody tr")
    ]
    assert [
        "Caldicott Guardian",
        "Dev Guard Medical Director",
        "dev@example.org 01632 960000",
        "from 1 September 2026",
    ] in rows
    carol_row = next(r for r in rows if r[1].startswith("Carol Guard"))
    assert carol_row[3].startswith("since ") and carol_row[3].endswith("leaves 1 September 2026")


def test_no_saves_nothing_and_keeps_what_was_typed(client, session):
    council = _holder(client, session)
    url = f"/agencies/{council.id}/officers/new"
    response = client.submit(url, {**NEW_GUARDIAN, "step": "replace", "replaces": "no"})
    assert response.status_code == 200
    soup = _soup(response)
    notice = soup.select_one("#officer-notice").get_text(" ", strip=True)
    assert "Nothing has been saved: Carol Guard stays Caldicott Guardian" in notice
    assert soup.find("input", attrs={"name": "name"})["value"] == "Dev Guard"
    assert soup.find(id="started_on-month")["value"] == "9"
    session.rollback()
    assert session.query(Officer).count() == 1


def test_marking_as_left_confirms_a_date_and_past_officers_show_their_dates(client, session):
    council = _holder(client, session)
    carol = session.query(Officer).one()
    url = f"/agencies/{council.id}/officers/{carol.id}/end"
    page = client.page(f"/agencies/{council.id}")
    [link] = [a for a in page.select("a") if "Mark as left" in a.get_text()]
    assert link["href"] == url
    confirm = client.page(url)
    assert confirm.select_one("h1").get_text() == "Mark Carol Guard as left"
    assert confirm.find(id="ended_on-day")["value"] == "15"
    wrong = client.submit(url, {"ended_on": ["1", "1", "2020"]})
    assert wrong.status_code == 422
    assert "on or after" in _soup(wrong).select_one(".govuk-error-summary").get_text()
    assert client.submit(url, {"ended_on": ["10", "6", "2026"]}).status_code == 302
    page = client.page(f"/agencies/{council.id}")
    past = [
        [c.get_text(" ", strip=True) for c in tr.find_all("td")[:4]]
        for tr in page.select("#past-officers tbody tr")
    ]
    start = TODAY - timedelta(days=400)
    assert past == [
        [
            "Caldicott Guardian",
            "Carol Guard Officer",
            f"{start.day} {start.strftime('%B')} {start.year}",
            "10 June 2026",
        ]
    ]
    assert page.select("#current-officers") == []


def test_a_past_officers_dates_can_be_corrected_but_not_their_details(client, session):
    council = _holder(client, session)
    carol = session.query(Officer).one()
    client.submit(
        f"/agencies/{council.id}/officers/{carol.id}/end", {"ended_on": ["1", "6", "2026"]}
    )
    url = f"/agencies/{council.id}/officers/{carol.id}/edit"
    form = client.page(url)
    assert [form.find(id=f"ended_on-{p}")["value"] for p in ("day", "month", "year")] == [
        "01",
        "06",
        "2026",
    ]
    fields = {
        "role": "caldicott_guardian",
        "name": "Carol Guard",
        "job_title": "Officer",
        "email": "olive@example.org",
        "started_on": ["1", "1", "2025"],
        "ended_on": ["2", "6", "2026"],
    }
    renamed = client.submit(url, {**fields, "name": "Caroline Guard"})
    assert renamed.status_code == 422
    summary = _soup(renamed).select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "only their dates can be corrected" in summary
    assert client.submit(url, fields).status_code == 302
    session.rollback()
    carol = session.get(Officer, carol.id)
    assert (carol.started_on.isoformat(), carol.ended_on.isoformat()) == (
        "2025-01-01",
        "2026-06-02",
    )


def test_a_successor_recorded_ahead_is_asked_about_as_such(client, session):
    council = _holder(client, session)
    url = f"/agencies/{council.id}/officers/new"
    first = client.submit(url, {**NEW_GUARDIAN, "step": "replace", "replaces": "yes"})
    assert first.status_code == 302
    later = client.submit(
        url, {**NEW_GUARDIAN, "name": "Eve Later", "started_on": ["1", "3", "2027"]}
    )
    legend = _soup(later).select_one("legend").get_text(" ", strip=True)
    assert legend == (
        "Dev Guard is recorded as the Caldicott Guardian from 1 September 2026. "
        "Do they leave on 1 March 2027?"
    )
