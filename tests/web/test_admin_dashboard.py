"""The administrator's home shows the partnership's figures, and each figure links to the
list it counts, which shows exactly that many."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from registry.services import agreement_lifecycle
from registry.services.decisions import DecisionInput, record_decision

from ..factories import (
    FIXED_NOW,
    TODAY,
    activate,
    ig_lead_actor,
    make_admin,
    make_agency,
    make_draft,
    make_officer,
    make_user,
    party,
)


def _figure(page, key: str) -> tuple[int, str]:
    item = page.select_one(f"#figure-{key}")
    assert item is not None, key
    link = item.find("a")
    return int(link.select_one(".registry-figure__count").get_text().replace(",", "")), link["href"]


def _partnership(session):
    council = make_agency(session, name="Council", kind="local_authority")
    police = make_agency(session, name="Police", kind="police")
    for agency in (council, police):
        for role in ("lead_information_officer", "siro", "dpo"):
            make_officer(session, agency, role=role, name=f"{role} of {agency.name}")
    make_officer(session, council, role="caldicott_guardian", name="Cal")
    trust = make_agency(session, name="Hospital Trust", kind="health")  # nobody in post
    make_agency(session, name="Youth Club", kind="voluntary")  # nobody, needs no Caldicott
    protocol = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=council,
            parties=[party(council), party(police)],
            effective_from=TODAY - timedelta(days=800),
            review_date=TODAY + timedelta(days=365),
        ),
    )
    for title, review in (("Overdue", 10), ("Lapsed", 120)):
        activate(
            session,
            make_draft(
                session,
                owner=council,
                parent=protocol,
                parties=[party(council), party(police)],
                title=title,
                effective_from=TODAY - timedelta(days=500),
                review_date=TODAY - timedelta(days=review),
            ),
        )
    late = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    agreement_lifecycle.submit(
        session, ig_lead_actor(council), late.id, now=FIXED_NOW - timedelta(days=40)
    )
    recent = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    agreement_lifecycle.submit(
        session, ig_lead_actor(council), recent.id, now=FIXED_NOW - timedelta(days=5)
    )
    practitioner = make_user(session, agency=council)
    for decision, when in (
        ("share", FIXED_NOW),  # this month, no check: counted
        ("not_share", FIXED_NOW),  # not a share
        ("share", FIXED_NOW - timedelta(days=40)),  # last month
    ):
        record_decision(
            session,
            practitioner.actor(),
            DecisionInput(
                from_agency_id=council.id,
                to_agency_id=police.id,
                purpose="mash_triage",
                data_categories=["identity_contact"],
                decision=decision,
                consent="given",
                reasons="Risk of harm",
            ),
            idempotency_key=None,
            today=when.date(),
            now=when,
        )
    return trust


def test_the_administrator_sees_the_partnership_and_each_figure_leads_to_its_list(client, session):
    _partnership(session)
    client.sign_in(make_admin(session))
    home = client.page("/")
    assert home.select_one("#partnership-title").get_text() == "Across the partnership"

    checks = {
        "overdue": ("Overdue", 1),
        "lapsed": ("Lapsed", 1),
        "signatures": (None, 1),
        "exceeds": (None, 0),
    }
    for key, (title, expected) in checks.items():
        count, href = _figure(home, key)
        assert count == expected, key
        listed = client.page(href)
        rows = listed.select("table tbody tr")
        assert len(rows) == expected, (key, [r.get_text(" ", strip=True) for r in rows])
        if title:
            assert title in rows[0].get_text()

    gaps = {
        role: _figure(home, f"gap-{role}")
        for role in ("lead_information_officer", "caldicott_guardian", "siro", "dpo")
    }
    assert gaps["lead_information_officer"][0] == 2  # the trust and the youth club
    assert gaps["caldicott_guardian"][0] == 1  # the trust only: a youth club needs none
    listed = client.page(gaps["caldicott_guardian"][1])
    names = [a.get_text() for a in listed.select("table tbody tr a")]
    assert names == ["Hospital Trust"]
    assert "agency has no Caldicott Guardian" in home.select_one(
        "#figure-gap-caldicott_guardian"
    ).get_text(" ")

    count, href = _figure(home, "shares")
    assert count == 1
    link = urlsplit(href)
    assert link.path == "/decisions"
    assert parse_qs(link.query) == {
        "decision": ["share"],
        "coverage": ["without_cover"],
        "from": ["2026-06-01"],
    }
    # The list behind the figure holds the same decisions.
    assert len(client.page(href).select("table tbody tr")) == count


def test_other_roles_do_not_see_the_partnership_figures(client, session):
    council = make_agency(session, name="Council")
    for roles in (("ig_lead",), ("practitioner",), ("signatory",)):
        client.sign_in(make_user(session, roles=roles, agency=council))
        assert client.page("/").select_one("#partnership-title") is None, roles
        client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})


def test_a_figure_past_the_home_page_s_bound_says_more_than_and_the_api_counts_all(
    client, session, monkeypatch
):
    from registry.domain.lifecycle import StatusSettings
    from registry.services import dashboard

    _partnership(session)  # one agreement late for signatures: a second beside it
    clinic, school = make_agency(session, name="Clinic"), make_agency(session, name="School")
    protocol = activate(
        session,
        make_draft(session, tier=1, owner=clinic, parties=[party(clinic), party(school)]),
    )
    late = make_draft(
        session, owner=clinic, parent=protocol, parties=[party(clinic), party(school)]
    )
    agreement_lifecycle.submit(
        session, ig_lead_actor(clinic), late.id, now=FIXED_NOW - timedelta(days=40)
    )
    monkeypatch.setattr(dashboard, "PAGES_COUNT_UP_TO", 1)
    client.sign_in(make_admin(session))
    home = client.page("/")
    late_figure = home.select_one("#figure-signatures").get_text(" ", strip=True)
    assert late_figure == "more than 1 agreements have waited more than 30 days for signatures"
    overdue = home.select_one("#figure-overdue").get_text(" ", strip=True)
    assert overdue == "1 agreement is overdue for review"  # at the bound, not past it
    whole = dashboard.partnership(session, today=TODAY, settings=StatusSettings())
    assert whole.signatures_late == 2 and not whole.more  # as the API counts: all
