import csv
import io
import time
from pathlib import Path

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


def _copies(app):
    folder = Path(app.config["REGISTER_COPIES"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_download_after_the_first_is_sent_from_the_copy_byte_for_byte(
    app, client, session, monkeypatch
):
    """The first whole download streams the register and keeps a copy; until the register
    changes the others are that copy, plain or gzipped, the same bytes, with the same tag."""
    import gzip

    from registry.services import register

    world(session)
    firsts = {path: client.get(path) for path in ("/register.csv", "/register.json")}
    assert all(first.data for first in firsts.values())  # read whole: now kept
    assert len(_copies(app)) == 2

    def no_reading(*args, **kwargs):
        raise AssertionError("the register was read again")

    monkeypatch.setattr(register, "every_entry", no_reading)
    for path, first in firsts.items():
        with client.get(path) as again:  # the copy is closed with the answer
            assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
            assert again.mimetype == first.mimetype
        with client.get(path, headers={"Accept-Encoding": "gzip"}) as packed:
            assert packed.headers["Content-Encoding"] == "gzip"
            assert packed.headers["ETag"] == "W/" + first.headers["ETag"]
            assert "Accept-Encoding" in packed.headers["Vary"]
            assert int(packed.headers["Content-Length"]) == len(packed.data)
            assert gzip.decompress(packed.data) == first.data
    with client.get("/register.csv") as again:
        assert again.headers["Content-Disposition"] == "attachment; filename=register.csv"


def test_a_change_to_the_register_changes_its_tag_and_its_files(app, client, session):
    import gzip

    protocol, mash, flow = world(session)
    before = client.get("/register.json")
    assert mash.reference in before.get_data(as_text=True)
    with client.get("/register.json", headers={"Accept-Encoding": "gzip"}) as packed:
        assert packed.headers["Content-Length"]  # from the copy
    agreement_lifecycle.terminate(session, ADMIN, mash.id, "replaced", now=FIXED_NOW)
    session.commit()

    after = client.get("/register.json", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert mash.reference not in after.get_data(as_text=True)
    assert after.get_json()["total"] == before.get_json()["total"] - 1
    with client.get("/register.json", headers={"Accept-Encoding": "gzip"}) as packed:
        assert packed.headers["ETag"] == "W/" + after.headers["ETag"]
        assert gzip.decompress(packed.data) == after.data
    assert len(_copies(app)) == 1  # the old version's copy is gone


def test_while_a_copy_is_written_readers_are_sent_the_one_before(app, client, session, monkeypatch):
    """One copy written at a time: a reader who comes while the new version's copy is being
    written gets the copy kept before it, whole, under its own tag, and the register is not
    read again; once that writing has stalled, a reader streams the new version."""
    import gzip
    import os

    from registry.services import register, register_copies

    protocol, mash, flow = world(session)
    before = client.get("/register.json")
    assert mash.reference in before.get_data(as_text=True)
    agreement_lifecycle.terminate(session, ADMIN, mash.id, "replaced", now=FIXED_NOW)
    session.commit()
    folder = Path(app.config["REGISTER_COPIES"])
    # Another worker's copy of the new version, begun now.
    part = folder / f".json-tier-any.0123456789abcdef.gz.{int(time.time())}.feedface.part"
    part.write_bytes(b"")

    real = register.every_entry

    def no_reading(*args, **kwargs):
        raise AssertionError("the register was read again")

    monkeypatch.setattr(register, "every_entry", no_reading)
    with client.get("/register.json") as again:  # the copy is closed with the answer
        assert again.status_code == 200 and again.data == before.data
        assert again.headers["ETag"] == before.headers["ETag"]
        assert "Last-Modified" not in again.headers
    with client.get("/register.json", headers={"Accept-Encoding": "gzip"}) as packed:
        assert gzip.decompress(packed.data) == before.data
        assert int(packed.headers["Content-Length"]) == len(packed.data)
    same = client.get("/register.json", headers={"If-None-Match": before.headers["ETag"]})
    assert same.status_code == 304
    # The register (CSV) of which no copy was ever kept is streamed as before.
    monkeypatch.setattr(register, "every_entry", real)
    assert mash.reference not in client.get("/register.csv").get_data(as_text=True)

    def tag_sent() -> str:
        with client.get("/register.json", buffered=False) as answer:  # not read: not kept
            return answer.headers["ETag"]

    # A part that has not grown for STALLED_SECONDS is not waited on: its writer stopped.
    stalled = time.time() - register_copies.STALLED_SECONDS - 1
    os.utime(part, (stalled, stalled))
    assert tag_sent() != before.headers["ETag"]
    # Nor one begun too long ago, growing still (a slow reader takes it).
    begun = int(time.time()) - register_copies.WRITING_AT_MOST_SECONDS - 1
    part = part.rename(part.with_name(f".json-tier-any.0123456789abcdef.gz.{begun}.f.part"))
    os.utime(part)
    assert tag_sent() != before.headers["ETag"]
    after = client.get("/register.json")
    assert after.headers["ETag"] != before.headers["ETag"] and after.headers["Last-Modified"]
    assert mash.reference not in after.get_data(as_text=True)
    assert after.get_json()["total"] == before.get_json()["total"] - 1


def test_a_reader_who_has_the_version_being_written_is_not_sent_the_one_before(
    app, client, session, tmp_path
):
    """A reader who already has the new version (from another server, which has kept its
    copy: servers share a database, not a disk) asks again while this server writes it: it
    is told its copy is current (304), not sent the older copy under the older tag."""
    protocol, mash, flow = world(session)
    before = client.get("/register.json")
    assert mash.reference in before.get_data(as_text=True)  # read whole: its copy is kept
    agreement_lifecycle.terminate(session, ADMIN, mash.id, "replaced", now=FIXED_NOW)
    session.commit()
    here = app.config["REGISTER_COPIES"]
    app.config["REGISTER_COPIES"] = str(tmp_path / "another-server")
    try:
        current = client.get("/register.json")
        assert mash.reference not in current.get_data(as_text=True)
    finally:
        app.config["REGISTER_COPIES"] = here
    assert current.headers["ETag"] != before.headers["ETag"]
    being_written = f".json-tier-any.0123456789abcdef.gz.{int(time.time())}.feedface.part"
    (Path(here) / being_written).write_bytes(b"")
    asked = client.get("/register.json", headers={"If-None-Match": current.headers["ETag"]})
    assert asked.status_code == 304
    assert asked.headers["ETag"] == current.headers["ETag"]
    # Without the newer tag, the copy before is sent meanwhile, as it is.
    with client.get("/register.json") as meanwhile:  # the copy is closed with the answer
        assert meanwhile.headers["ETag"] == before.headers["ETag"]
        assert meanwhile.data == before.data


def test_a_reader_who_stops_early_leaves_no_copy(app, client, session, monkeypatch):
    from registry.services import register

    monkeypatch.setattr(register, "BATCH", 1)
    world(session)
    stopped = client.get("/register.csv", buffered=False)
    body = iter(stopped.response)
    next(body)
    stopped.close()
    assert _copies(app) == []  # nor a half-written part
    whole = client.get("/register.csv")
    assert len(list(csv.reader(io.StringIO(whole.data.decode("utf-8-sig"))))) == 4
    assert len(_copies(app)) == 1


def test_a_searched_download_is_streamed_and_not_kept(app, client, session):
    world(session)
    found = client.get("/register.json?q=mash").get_json()
    assert found["total"] == 1
    assert _copies(app) == []
    assert client.get("/register.json?tier=2").get_json()["total"] == 1
    assert len(_copies(app)) == 1  # a tier is one of four: kept


def test_the_register_page_counts_up_to_a_bound_and_says_there_are_more(
    client, session, monkeypatch
):
    """Counting every agreement in force on each view reads a national register whole: the
    page counts up to COUNT_UP_TO (2 here, with 3 in force), pages through those, and
    points to the search, the tiers and the downloads for the rest."""
    from registry.services import paging, register

    monkeypatch.setattr(paging, "MAX_PER_PAGE", 1)
    monkeypatch.setattr(register, "COUNT_UP_TO", 2)
    world(session)
    page = client.page("/register")
    text = page.select_one("main").get_text(" ", strip=True)
    assert "More than 2 results" in text and "page 1 of 2" in text
    assert "search by title or choose a tier" in text
    last = client.page("/register?page=40")  # past the counted pages: the last of them
    assert "page 2 of 2" in last.select_one("main").get_text(" ", strip=True)
    assert len(last.select("tbody tr")) == 1
    narrowed = client.page("/register?tier=2").select_one("main").get_text(" ", strip=True)
    assert "More than" not in narrowed and "1 result" in narrowed
