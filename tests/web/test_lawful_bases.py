"""Lawful bases on the agreement form are listed under a heading for each kind, numbers read
as numbers; the agreement page lists them in the same order; and the agreement and decision
forms report every problem in one go, not one wave after another (issue 19)."""

from bs4 import BeautifulSoup

from ..factories import activate, make_agency, make_draft, make_user, party


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def _summary(soup: BeautifulSoup) -> list[str]:
    return [a.get_text(" ", strip=True) for a in soup.select(".govuk-error-summary__list a")]


def _protocol(session):
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police", kind="police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    return council, police, protocol


def test_the_form_groups_lawful_bases_by_kind_with_paragraphs_in_number_order(client, session):
    council, _police, protocol = _protocol(session)
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    soup = client.page(
        f"/agreements/new?tier=2&parent_id={protocol.id}&owner_agency_id={council.id}"
    )
    fieldset = soup.select_one("input[name=lawful_bases]").find_parent("fieldset")
    headings = [h.get_text(strip=True) for h in fieldset.find_all("h3")]
    assert [h.split(":")[0] for h in headings] == [
        "UK GDPR Article 6",
        "UK GDPR Article 9",
        "Data Protection Act 2018 Schedule 1",
        "Statutory gateways",
    ]
    groups = {
        h.get_text(strip=True).split(":")[0]: [
            label.get_text(strip=True)
            for label in h.find_next_sibling("div").select(".govuk-checkboxes__label")
        ]
        for h in fieldset.find_all("h3")
    }
    paragraphs = [
        label.split(":")[0].rsplit(" ", 1)[1]
        for label in groups["Data Protection Act 2018 Schedule 1"]
    ]
    assert paragraphs == ["2", "6", "8", "10", "12", "18", "19", "33"]
    assert [label[len("UK GDPR Art ") :][:7] for label in groups["UK GDPR Article 6"]] == [
        f"6(1)({x})" for x in "abcdef"
    ]
    # One set of boxes under one name; the first has the id the error summary links to.
    boxes = soup.select("input[name=lawful_bases]")
    assert boxes[0]["id"] == "lawful_bases"
    assert len({b["id"] for b in boxes}) == len(boxes)


def test_every_missing_basis_is_reported_at_once_and_the_ticks_are_kept(client, session):
    council, police, protocol = _protocol(session)
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    url = f"/agreements/new?tier=2&parent_id={protocol.id}&owner_agency_id={council.id}"
    data = {
        "title": "",  # the form's own check fails too: the rules must still be read
        "disclosers": [str(council.id), str(police.id)],
        "receivers": [str(council.id)],
        "purposes": ["mash_triage"],
        "data_categories": ["health", "criminal_offence"],
        "lawful_bases": ["ca2004_s11"],  # a gateway only: no Article 6, 9 or Schedule 1
        "effective_from": ["1", "6", "2026"],
        "review_period_months": "12",
    }
    soup = _soup(client.submit(url, data))
    said = " ".join(_summary(soup))
    assert "Enter a title" in said
    assert "Article 6" in said
    assert "special category data: choose an Article 9 condition" in said
    assert "criminal offence data: choose an Article 10 / DPA 2018 Schedule 1 condition" in said
    ticked = [b["value"] for b in soup.select("input[name=lawful_bases][checked]")]
    assert ticked == ["ca2004_s11"]

    # Article 9 given, Schedule 1 still missing: said on the first send, not a second wave.
    data |= {"title": "MASH", "lawful_bases": ["art6_1_e", "art9_2_h"]}
    soup = _soup(client.submit(url, data))
    assert [s for s in _summary(soup) if "Schedule 1" in s]
    data["lawful_bases"] = ["art6_1_e", "art9_2_h", "sch1_para18"]
    response = client.submit(url, data)
    assert response.status_code == 302, _summary(_soup(response))


def test_the_agreement_page_lists_bases_by_kind_and_paragraph_number(client, session):
    council, police, protocol = _protocol(session)
    agreement = make_draft(
        session,
        owner=council,
        parent=protocol,
        parties=[party(council), party(police)],
        data_categories=["identity_contact", "criminal_offence"],
        lawful_bases=["sch1_para18", "ca2004_s11", "sch1_para2", "art6_1_e", "sch1_para10"],
    )
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    soup = client.page(f"/agreements/{agreement.id}")
    row = next(
        dt.find_parent("div")
        for dt in soup.select(".govuk-summary-list__key")
        if dt.get_text(strip=True) == "Lawful bases"
    )
    listed = [li.get_text(strip=True).split(":")[0] for li in row.select("li")]
    assert listed == [
        "UK GDPR Art 6(1)(e)",
        "DPA 2018 Sch 1 para 2",
        "DPA 2018 Sch 1 para 10",
        "DPA 2018 Sch 1 para 18",
        "Children Act 2004 s11",
    ]


def test_the_decision_form_asks_for_the_consent_reason_with_the_other_problems(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    client.sign_in(make_user(session, agency=council))
    sent = {
        "to_agency_id": str(police.id),
        "purpose": "marac",
        "data_categories": ["housing"],
        "decision": "share",
        "consent": "not_sought",
        "consent_reason": "",
        "reasons": "",  # the form's own check: before, the consent reason waited behind it
        "case_reference": "CS-1",
    }
    response = client.submit("/decisions/new", sent)
    assert response.status_code == 422
    soup = _soup(response)
    said = _summary(soup)
    assert any("Record the reasons" in s for s in said), said
    assert any("without consent" in s for s in said), said
    assert soup.select_one("#consent_reason-error") is not None
    assert soup.find("input", attrs={"name": "case_reference"})["value"] == "CS-1"
