"""Tier-3 particulars, the DPIA and the controller relationship on the pages (issue 19)."""

from datetime import timedelta

from bs4 import BeautifulSoup

from registry.models import Agreement
from registry.services import agreement_lifecycle, agreements

from ..factories import (
    FIXED_NOW,
    TODAY,
    activate,
    chain,
    ig_lead_actor,
    make_admin,
    make_agency,
    make_draft,
    make_user,
    party,
)


def summary(response) -> list[str]:
    soup = BeautifulSoup(response.data, "html.parser")
    return [a.get_text(" ", strip=True) for a in soup.select(".govuk-error-summary__list a")]


def rows(page) -> dict[str, str]:
    return {
        row.select_one("dt").get_text(" ", strip=True): row.select_one("dd").get_text(
            " ", strip=True
        )
        for row in page.select("dl.govuk-summary-list .govuk-summary-list__row")
    }


def setting(session):
    council = make_agency(session, name="Northshire Council")
    police = make_agency(session, name="Northshire Police", kind="police")
    _protocol, tier2 = chain(session, council, police)
    return council, police, tier2


def tier3_form(client, council, police, **extra):
    return {
        "title": "Domestic abuse notifications",
        "csrf_token": client.csrf_token("/"),
        "disclosers": [str(police.id)],
        "receivers": [str(council.id)],
        "purposes": ["mash_triage"],
        "data_categories": ["identity_contact"],
        "lawful_bases": ["art6_1_e"],
        "effective_from": ["1", "6", "2026"],
        "review_period_months": "12",
        **extra,
    }


def test_ig_lead_records_a_tier3_flow_and_sees_it(client, session):
    council, police, tier2 = setting(session)
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    url = f"/agreements/new?tier=3&parent_id={tier2.id}&owner_agency_id={council.id}"
    form = client.page(url)
    assert form.find("input", attrs={"name": "frequency", "value": "daily"}) is not None
    methods = {b["value"] for b in form.select("input[name=transfer_methods]")}
    assert {"secure_email", "shared_case_system", "phone", "meeting"} <= methods
    response = client.post(
        url,
        data=tier3_form(
            client,
            council,
            police,
            frequency="daily",
            frequency_detail="By 10am, for the previous 24 hours",
            transfer_methods=["secure_email", "shared_case_system"],
            data_items="Name\nDate of birth\nAddress\nNature of the incident\n",
            controller_relationship="separate",
            dpia_reference="DPIA-DA-07",
            dpia_completed_on=["3", "2", "2026"],
            dpia_outcome="risks_reduced",
            dpia_link="https://intranet.example.org/dpia/7",
        ),
    )
    assert response.status_code == 302, summary(response)
    session.rollback()
    agreement = session.query(Agreement).filter_by(tier=3).one()
    shown = rows(client.page(response.headers["Location"]))
    assert shown["How often"] == "Daily: By 10am, for the previous 24 hours"
    assert shown["How it is sent"] == "Secure email Shared case management system"
    assert shown["Named data items"] == "Name Date of birth Address Nature of the incident"
    assert shown["Controllers"] == "Separate controllers"
    dpia = shown["Data protection impact assessment (DPIA)"]
    assert "DPIA-DA-07, completed 3 February 2026" in dpia
    assert "High risks found and reduced to an acceptable level" in dpia

    # The edit page shows what was saved, data items one a line.
    edit = client.page(f"/agreements/{agreement.id}/edit")
    assert edit.find("textarea", attrs={"name": "data_items"}).get_text() == (
        "Name\nDate of birth\nAddress\nNature of the incident"
    )
    assert edit.find("input", attrs={"name": "frequency", "value": "daily"}).has_attr("checked")
    assert edit.find("input", attrs={"name": "dpia_outcome", "value": "risks_reduced"}).has_attr(
        "checked"
    )
    ticked = {b["value"] for b in edit.select("input[name=transfer_methods][checked]")}
    assert ticked == {"secure_email", "shared_case_system"}


def test_every_problem_at_once_and_nothing_typed_lost(client, session):
    council, police, tier2 = setting(session)
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    url = f"/agreements/new?tier=3&parent_id={tier2.id}&owner_agency_id={council.id}"
    response = client.post(
        url,
        data=tier3_form(
            client,
            council,
            police,
            title="",
            frequency_detail="Whenever",
            data_items="Name\n" + "x" * 250,
            dpia_outcome="no_high_risk",
            dpia_link="intranet/dpia 7",
            dpia_completed_on=["3", "", "2026"],
        ),
    )
    assert response.status_code == 422
    found = " | ".join(summary(response))
    assert "Enter a title" in found
    assert "Choose how often information is shared" in found
    assert "Data item 2 is longer than 200 characters" in found
    assert "Enter the DPIA's reference" in found
    assert "must include a month" in found
    assert "starting https://" in found
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find("input", attrs={"name": "frequency_detail"})["value"] == "Whenever"
    assert soup.find("input", attrs={"name": "dpia_link"})["value"] == "intranet/dpia 7"
    assert soup.find("textarea", attrs={"name": "data_items"}).get_text().startswith("Name\n")
    assert soup.find("input", attrs={"name": "dpia_outcome", "value": "no_high_risk"}).has_attr(
        "checked"
    )
    # Each summary link goes to a field on the page.
    for link in soup.select(".govuk-error-summary__list a"):
        target = link["href"].lstrip("#")
        assert soup.find(id=target) is not None, target


def test_a_tier2_form_has_no_tier3_questions_and_ignores_them(client, session):
    council, police, tier2 = setting(session)
    protocol = tier2.parent
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    url = f"/agreements/new?tier=2&parent_id={protocol.id}&owner_agency_id={council.id}"
    form = client.page(url)
    assert form.find("input", attrs={"name": "frequency"}) is None
    assert form.find("textarea", attrs={"name": "data_items"}) is None
    assert form.find("input", attrs={"name": "dpia_reference"}) is not None  # every tier
    response = client.post(
        url,
        data=tier3_form(
            client, council, police, frequency="daily", data_items="Name", title="MARAC"
        ),
    )
    assert response.status_code == 302, summary(response)
    session.rollback()
    made = session.query(Agreement).filter_by(tier=2).order_by(Agreement.id.desc()).first()
    assert made.latest.frequency is None and made.latest.data_items == []
    page = rows(client.page(response.headers["Location"]))
    assert "How often" not in page
    assert page["Controllers"] == "Not recorded"
    assert page["Data protection impact assessment (DPIA)"] == "Not recorded"


def test_show_amendments_names_the_changes_in_words(client, session):
    council, police, tier2 = setting(session)
    agreement = activate(
        session,
        make_draft(
            session,
            tier=3,
            owner=council,
            parent=tier2,
            parties=[party(police), party(council)],
            frequency="daily",
            transfer_methods=["secure_email"],
            data_items=["Name", "Address"],
        ),
    )
    actor = ig_lead_actor(council)
    agreement_lifecycle.amend(session, actor, agreement.id, now=FIXED_NOW)
    agreements.update_draft(
        session,
        actor,
        agreement.id,
        {
            "frequency": "weekly",
            "transfer_methods": ["secure_email", "phone"],
            "data_items": ["Name", "School"],
            "controller_relationship": "joint",
            "dpia_reference": "DPIA-1",
            "dpia_completed_on": TODAY - timedelta(days=5),
            "dpia_outcome": "no_high_risk",
        },
        now=FIXED_NOW,
    )
    client.sign_in(make_user(session, roles=("practitioner",), agency=police))
    page = client.page(f"/agreements/{agreement.id}")
    changes = [li.get_text(" ", strip=True) for li in page.select(".govuk-details__text li")]
    assert "How often: Daily → Weekly" in changes
    assert "How it is sent: added Telephone" in changes
    assert "Named data items: added School removed Address" in changes
    assert "Controllers: not recorded → Joint controllers" in changes
    assert "DPIA outcome: not recorded → No high risk to individuals found" in changes


def test_administrator_edits_transfer_methods(client, session):
    client.sign_in(make_admin(session))
    page = client.page("/admin/vocabularies")
    assert page.find(id="transfer_methods").get_text(strip=True) == "Transfer methods"
    labels = [td.get_text(strip=True) for td in page.select("table td")]
    assert "Secure file transfer" in labels
    response = client.submit(
        "/admin/vocabularies/transfer_methods/edit",
        {"code": "courier", "label": "Secure courier", "active": "y"},
    )
    assert response.status_code == 302
    council, police, tier2 = setting(session)
    client.submit("/sign-out", token_from="/")
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    form = client.page(f"/agreements/new?tier=3&parent_id={tier2.id}&owner_agency_id={council.id}")
    assert form.find("input", attrs={"name": "transfer_methods", "value": "courier"}) is not None


def test_the_public_register_json_gives_dpia_and_controllers_for_public_tiers(client, session):
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police", kind="police")
    records = {
        "controller_relationship": "separate",
        "dpia_reference": "DPIA-MASH-2",
        "dpia_completed_on": TODAY - timedelta(days=90),
        "dpia_outcome": "risks_reduced",
        "dpia_link": "https://intranet.example.org/dpia/2",
    }
    protocol = activate(
        session,
        make_draft(session, tier=1, owner=council, parties=[party(council), party(police)]),
    )
    mash = activate(
        session,
        make_draft(
            session,
            tier=2,
            owner=council,
            parent=protocol,
            parties=[party(council), party(police)],
            **records,
        ),
    )
    activate(
        session,
        make_draft(
            session,
            tier=3,
            owner=council,
            parent=mash,
            parties=[party(police), party(council)],
            frequency="daily",
            data_items=["Name"],
            **records,
        ),
    )
    items = {i["tier"]: i for i in client.get("/register.json").get_json()["items"]}
    assert items[2]["controller_relationship"] == "separate"
    assert items[2]["dpia"] == {
        "reference": "DPIA-MASH-2",
        "completed_on": (TODAY - timedelta(days=90)).isoformat(),
        "outcome": "risks_reduced",
    }  # the link, into a partner's own network, stays off the public register
    assert items[1]["dpia"] is None and items[1]["controller_relationship"] is None
    # A tier 3 shows only title, parties and purposes (SPEC section 8).
    assert items[3]["dpia"] is None and items[3]["controller_relationship"] is None
    assert "Name" not in str(items[3]) and "daily" not in str(items[3])
