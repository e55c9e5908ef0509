import csv
import io

from registry.services import agreement_lifecycle

from ..factories import (
    ADMIN,
    FIXED_NOW,
    activate,
    chain,
    make_agency,
    make_draft,
    make_officer,
    party,
)


def world(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    make_officer(session, council, name="Secret Officer Name")
    protocol, mash = chain(session, council, police)
    flow = activate(
        session,
        make_draft(
            session,
            tier=3,
            owner=council,
            parent=mash,
            parties=[party(council, True, False), party(police, False, True)],
            title="=cmd|' /C calc'!A0",
        ),
    )
    make_draft(
        session,
        owner=council,
        parent=protocol,
        parties=[party(council), party(police)],
        title="Unsigned draft",
    )
    ended = activate(
        session,
        make_draft(
            session,
            owner=council,
            parent=protocol,
            parties=[party(council), party(police)],
            title="Ended agreement",
        ),
    )
    agreement_lifecycle.terminate(session, ADMIN, ended.id, "replaced", now=FIXED_NOW)
    return protocol, mash, flow


def test_anyone_reads_the_agreements_in_force_and_nothing_private(client, session):
    protocol, mash, flow = world(session)
    page = client.page("/register")
    text = page.select_one("main").get_text(" ", strip=True)
    rows = page.select("tbody tr")
    assert len(rows) == 3
    assert protocol.reference in text and mash.reference in text
    assert flow.reference not in text  # tier-3 detail withheld
    assert "Unsigned draft" not in text and "Ended agreement" not in text
    assert "Secret Officer Name" not in page.get_text()
    assert "Sign out" not in page.get_text()


def test_register_json_has_the_spec_shape(client, session):
    protocol, mash, flow = world(session)
    body = client.get("/register.json").get_json()
    assert set(body) == {"items", "total"} and body["total"] == 3
    keys = {"reference", "title", "tier", "purposes", "parties", "review_date", "effective_status"}
    keys |= {"controller_relationship", "dpia"}  # issue 19
    assert all(set(item) == keys for item in body["items"])
    by_tier = {item["tier"]: item for item in body["items"]}
    assert by_tier[2]["reference"] == mash.reference
    assert by_tier[2]["parties"] == ["Council", "Police"]
    assert by_tier[2]["purposes"] == ["MASH triage of contacts and referrals"]
    assert by_tier[2]["effective_status"] == "active"
    assert by_tier[3]["reference"] is None and by_tier[3]["review_date"] is None
    assert by_tier[3]["parties"] == ["Council", "Police"]


def test_register_csv_has_the_same_columns_and_no_formulas(client, session):
    world(session)
    response = client.get("/register.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == [
        "reference",
        "title",
        "tier",
        "purposes",
        "parties",
        "review_date",
        "effective_status",
    ]
    assert len(rows) == 4
    titles = [r[1] for r in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in titles  # escaped: a spreadsheet shows it as text


def test_the_register_filters_by_tier_and_title(client, session):
    world(session)
    page = client.page("/register?tier=1")
    assert len(page.select("tbody tr")) == 1
    page = client.page("/register?q=mash")
    assert len(page.select("tbody tr")) == 1
    assert client.get("/register?tier=x&page=-4").status_code == 200


def test_the_downloads_hold_every_agreement_in_force_however_many_pages(
    client, session, monkeypatch
):
    """A page of the register holds at most MAX_PER_PAGE agreements; the downloads (and
    `flask export`) are the whole register, read a batch at a time. Shrunk here to pages
    of two and batches of two, with five agreements in force."""
    from registry.services import paging, register

    monkeypatch.setattr(paging, "MAX_PER_PAGE", 2)
    monkeypatch.setattr(register, "BATCH", 2)
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, mash = chain(session, council, police)
    more = [
        activate(
            session,
            make_draft(
                session,
                owner=council,
                parent=protocol,
                parties=[party(council), party(police)],
                title=f"Agreement {n}",
            ),
        ).reference
        for n in range(3)
    ]
    expected = {protocol.reference, mash.reference, *more}

    body = client.get("/register.json").get_json()
    assert body["total"] == 5
    assert {item["reference"] for item in body["items"]} == expected
    rows = list(csv.reader(io.StringIO(client.get("/register.csv").get_data(as_text=True))))
    assert {row[0] for row in rows[1:]} == expected and len(rows) == 6
    only_tier_2 = client.get("/register.json?tier=2").get_json()
    assert only_tier_2["total"] == 4


def test_an_empty_register_downloads_as_its_header_and_no_items(client, session):
    assert client.get("/register.json").get_json() == {"items": [], "total": 0}
    assert client.get("/register.csv").data.decode("utf-8-sig").splitlines() == [
        "reference,title,tier,purposes,parties,review_date,effective_status"
    ]


def test_the_downloads_say_what_the_register_pages_say(client, session, monkeypatch):
    """Page by page (of two here) or downloaded whole, the same entries in the same order."""
    from registry.services import paging, register

    monkeypatch.setattr(paging, "MAX_PER_PAGE", 2)
    monkeypatch.setattr(register, "BATCH", 2)
    world(session)
    downloaded = client.get("/register.json").get_json()["items"]
    paged = []
    for n in (1, 2):
        rows = client.page(f"/register?page={n}").select("tbody tr")
        paged += [[cell.get_text(" ", strip=True) for cell in row.select("td, th")] for row in rows]
    assert len(downloaded) == len(paged) == 3
    for item, cells in zip(downloaded, paged, strict=True):
        assert cells[0].startswith(item["title"]) and cells[1] == str(item["tier"])
        assert cells[3] == ", ".join(item["parties"])
