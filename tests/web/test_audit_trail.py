"""The audit trail reads as sentences about named things, filters by date, actor, agency
and action, and downloads what is filtered as a CSV that no spreadsheet runs."""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

from registry.domain.audit_words import ACTIONS
from registry.extensions import db

from ..factories import (
    TODAY,
    activate,
    make_admin,
    make_agency,
    make_draft,
    make_officer,
    make_user,
    party,
)

SERVICES = Path(__file__).resolve().parents[2] / "registry" / "services"


def _signed_agreement(session):
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police")
    protocol = activate(
        session,
        make_draft(
            session, tier=1, owner=council, parties=[party(council), party(police)], title="P"
        ),
    )
    return council, police, protocol


def _rows(page) -> list[str]:
    return [" ".join(r.get_text(" ").split()) for r in page.select("table.registry-audit tbody tr")]


def test_each_entry_says_who_did_what_to_which_agreement_in_words(client, session):
    council, _, protocol = _signed_agreement(session)
    client.sign_in(make_admin(session))
    page = client.page("/admin/audit?action=agreement.sign")
    rows = _rows(page)
    assert rows, "no signature in the trail"
    wanted = f"Signer for Council (signatory, Council) signed {protocol.reference} ‘P’"
    assert any(wanted in row for row in rows), rows
    link = page.find("a", string=f"{protocol.reference} ‘P’")
    assert link["href"] == f"/agreements/{protocol.id}"
    table = page.select_one("table.registry-audit").get_text(" ")
    assert "agreement.sign" not in table and f"agreement {protocol.id}" not in table


def test_officers_and_agencies_are_named_not_numbered(client, session):
    council = make_agency(session, name="Riverside Council")
    make_officer(session, council, name="Cal Guardian", role="caldicott_guardian")
    client.sign_in(make_admin(session))
    rows = _rows(client.page("/admin/audit?entity=officer"))
    assert any(
        "added the officer Cal Guardian (Caldicott Guardian, Riverside Council)" in r for r in rows
    ), rows
    rows = _rows(client.page("/admin/audit?entity=agency"))
    assert any("added the agency Riverside Council" in r for r in rows), rows


def test_what_was_recorded_names_agencies_and_agreements_and_says_codes_in_words(client, session):
    council, police, protocol = _signed_agreement(session)
    client.sign_in(make_admin(session))
    page = client.page(f"/admin/audit?action=agreement.create&agency={council.id}")
    recorded = " ".join(page.select_one("table.registry-audit tbody").get_text(" ").split())
    assert "owner: Council" in recorded
    assert "status: Draft" in recorded
    assert "Council (discloses and receives)" in recorded and "Police (" in recorded
    assert "owner agency id" not in recorded and "draft," not in recorded
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    f"/admin/audit.csv?action=agreement.submit&agency={council.id}"
                ).data.decode("utf-8-sig")
            )
        )
    )
    assert "status: Draft → Awaiting signatures" in rows[1][6], rows[1]


def test_what_was_recorded_shows_dates_as_people_write_them(client, session):
    council = make_agency(session, name="Riverside Council")
    make_officer(session, council, name="Cal Guardian", role="caldicott_guardian")
    client.sign_in(make_admin(session))
    page = client.page("/admin/audit?entity=officer")
    recorded = page.select_one("table.registry-audit .govuk-details__text").get_text(" ")
    assert f"started on: {TODAY.day} {TODAY:%B %Y}" in recorded, recorded
    assert TODAY.isoformat() not in recorded
    assert "ended on: (none)" in recorded


def test_the_filters_narrow_the_trail_and_are_kept_when_paging(client, session):
    council, police, protocol = _signed_agreement(session)
    other = make_agency(session, name="Faraway Trust")
    admin = make_admin(session)
    client.sign_in(admin)

    by_agency = _rows(client.page(f"/admin/audit?agency={other.id}"))
    assert by_agency and all("Faraway Trust" in r for r in by_agency), by_agency
    assert not any(protocol.reference in r for r in by_agency)

    by_police = _rows(client.page(f"/admin/audit?agency={police.id}&action=agreement.sign"))
    assert any("Signer for Police" in r for r in by_police)
    assert any("Signer for Council" in r for r in by_police)  # police is a party

    by_who = _rows(client.page("/admin/audit?q=signer+for+police"))
    assert by_who and all(r.count("Signer for Police") >= 1 for r in by_who)

    day = TODAY.isoformat()
    assert _rows(client.page(f"/admin/audit?from={day}&to={day}"))
    later = (TODAY + timedelta(days=1)).isoformat()
    empty = client.page(f"/admin/audit?from={later}")
    assert not _rows(empty)
    assert "No entry matches these filters" in empty.get_text()
    form = empty.select_one("form[role=search]")
    assert form.find("input", attrs={"name": "from"})["value"] == later

    for n in range(30):
        make_agency(session, name=f"Paged agency {n}")
    first = client.page("/admin/audit?action=agency.create")
    following = first.select_one(".govuk-pagination__next a")["href"]
    assert "action=agency.create" in following
    second = _rows(client.page(following))
    assert second and all("added the agency" in r for r in second)


def test_a_mistyped_date_is_named_and_nothing_typed_is_lost(client, session):
    client.sign_in(make_admin(session))
    response = client.get("/admin/audit?from=31/02/2026&to=2026-01-01&q=Ada")
    assert response.status_code == 400
    from bs4 import BeautifulSoup

    page = BeautifulSoup(response.data, "html.parser")
    summary = page.select_one(".govuk-error-summary")
    assert summary is not None and "real date" in summary.get_text()
    assert summary.find("a")["href"] == "#from"
    assert page.find("input", attrs={"name": "from"})["value"] == "31/02/2026"
    assert page.select_one("form[role=search] input[name=q]")["value"] == "Ada"
    both = BeautifulSoup(
        client.get("/admin/audit?from=2026-03-02&to=2026-03-01").data, "html.parser"
    )
    assert "same as or after" in both.select_one(".govuk-error-summary").get_text()


def test_the_csv_holds_what_is_filtered_in_words_and_runs_no_formula(client, session):
    council, police, protocol = _signed_agreement(session)
    make_officer(session, council, name="=HYPERLINK(1)", role="dpo")
    client.sign_in(make_admin(session))
    page = client.page(f"/admin/audit?agency={council.id}&entity=officer")
    link = page.find("a", string=re.compile("as a spreadsheet"))
    assert f"agency={council.id}" in link["href"] and "entity=officer" in link["href"]
    response = client.get(link["href"])
    assert response.mimetype == "text/csv"
    body = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["Number", "When (UK time)", "Who", "What happened"]
    assert len(rows) == 2, rows  # the one officer, not the agreements or agencies
    assert "'=HYPERLINK(1) (Data protection officer, Council)" in rows[1][5]
    everything = list(csv.reader(io.StringIO(client.get("/admin/audit.csv").data.decode())))
    assert any(f"signed {protocol.reference}" in r[3] for r in everything[1:])
    refused = client.get("/admin/audit.csv?from=nonsense")  # back to the page that says why
    assert (refused.status_code, refused.headers["Location"]) == (303, "/admin/audit?from=nonsense")


def test_a_page_of_the_trail_costs_the_same_queries_however_many_it_names(client, session):
    admin = make_admin(session)
    client.sign_in(admin)

    def selects(url: str) -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            client.page(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    agency = make_agency(session, name="First")
    make_officer(session, agency, name="One")
    few = selects("/admin/audit")
    for n in range(12):
        a = make_agency(session, name=f"More {n}")
        make_officer(session, a, name=f"Officer {n}")
        make_user(session, agency=a, name=f"Person {n}")
    assert selects("/admin/audit") <= few + 1


def _action_codes_in_services() -> tuple[set[str], list[str]]:
    """Every action code a service writes: the `action=` of each call, and the lifecycle's
    `record(session, actor, "sign", …)`, which it prefixes with `agreement.`. An f-string
    comes back as a pattern."""
    codes: set[str] = set()
    patterns: list[str] = []
    for path in SERVICES.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg != "action":
                    continue
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    codes.add(kw.value.value)
                elif isinstance(kw.value, ast.JoinedStr):
                    patterns.append(
                        "".join(
                            re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]+"
                            for v in kw.value.values
                        )
                    )
            name = getattr(node.func, "id", None)
            if (
                name == "record"
                and len(node.args) >= 3
                and isinstance(node.args[2], ast.Constant)
                and isinstance(node.args[2].value, str)
            ):
                codes.add(f"agreement.{node.args[2].value}")
    return codes, patterns


def test_every_action_a_service_writes_has_a_phrase():
    codes, patterns = _action_codes_in_services()
    assert len(codes) > 25  # the walk finds them (a broken walk would pass vacuously)
    missing = sorted(c for c in codes if c not in ACTIONS)
    assert not missing, f"no phrase in domain/audit_words.py for {missing}"
    for pattern in patterns:
        if pattern == "agreement\\.[a-z_]+":
            continue  # the lifecycle's own prefix: its actions are the codes above
        assert any(re.fullmatch(pattern, c) for c in ACTIONS), pattern
    # An f-string's pattern is met by any one code: each vocabulary's own must be there.
    from registry.services.vocabularies import KINDS

    missing = [k for k in KINDS if f"vocabulary.{k}.save" not in ACTIONS]
    assert not missing, f"no phrase for saving an entry of {missing}"
