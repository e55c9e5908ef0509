"""Issue 16: the pages' HTTP as RFC 9110 has it: 404 for an unknown id whatever its size,
`Allow` on 405, `Retry-After` on 429; downloads that revalidate (ETag, Last-Modified,
304); gzip where the client accepts it and never on PDFs; CSV that Excel reads as UTF-8."""

import csv
import gzip
import hashlib
import io
import re
from datetime import timedelta

import pytest

from registry.domain.lifecycle import StatusSettings
from registry.services.coverage import CheckInput, run_check
from registry.services.decisions import DecisionInput, record_decision

from ..client import RegistryClient
from ..factories import (
    FIXED_NOW,
    TODAY,
    activate,
    chain,
    make_admin,
    make_agency,
    make_draft,
    make_user,
    party,
)

UNKNOWN_IDS = (0, 2**31, 2**63, 10**30)
WELSH = "Cyngor Sir Ynys Môn"
ACCENTED = "Ceredigion — Gwasanaethau"


def _signed_in(app, user):
    app.test_client_class = RegistryClient
    client = app.test_client()
    client.sign_in(user)
    return client


def test_an_unknown_id_in_a_page_address_is_404_whatever_its_size(app, client, session):
    """ids of 2^31 and more answered 405 to a form's POST; now 404 as any unknown id,
    and a method a page does not take is 405 with `Allow`, whatever the id."""
    people = [
        _signed_in(app, make_admin(session)),
        _signed_in(
            app,
            make_user(
                session, roles=("ig_lead", "signatory", "practitioner"), agency=make_agency(session)
            ),
        ),
    ]
    tokens = [person.csrf_token("/") for person in people]
    taken: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") and "<int:" in rule.rule:
            taken.setdefault(rule.rule, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    checked = 0
    for pattern, methods in taken.items():
        for value in UNKNOWN_IDS:
            path = re.sub(r"<int:[a-z_]+>", str(value), pattern)
            for method in ("GET", "POST", "PATCH", "DELETE"):
                answers = [
                    person.open(path, method=method, data={"csrf_token": token})
                    for person, token in zip(people, tokens, strict=True)
                ]
                statuses = [a.status_code for a in answers]
                if method in methods:
                    assert 404 in statuses and set(statuses) <= {403, 404}, (method, path, statuses)
                else:
                    assert statuses == [405, 405], (method, path, statuses)
                    allowed = {m.strip() for m in answers[0].headers["Allow"].split(",")}
                    assert methods <= allowed and method not in allowed
                checked += 1
    assert checked >= 100


def test_405_names_the_methods_a_page_takes(client):
    answer = client.delete("/register")
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["Allow"].split(",")} >= {"GET", "HEAD"}
    assert "That action is not allowed here" in answer.get_data(as_text=True)


def test_429_on_a_page_says_when_to_retry(app, client, session):
    app.config["SIGN_IN_RATE_LIMIT"] = "2 per minute"
    token = client.csrf_token("/sign-in")
    body = {"email": "nobody@example.org", "password": "wrong", "csrf_token": token}
    answers = [client.post("/sign-in", data=body) for _ in range(3)]
    assert answers[-1].status_code == 429
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 61


@pytest.fixture
def welsh_register(session):
    council = make_agency(session, name=WELSH)
    other = make_agency(session, name=ACCENTED)
    return chain(session, council, other)


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]  # UTF-8's byte-order mark: Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_register_csv_opens_in_excel_with_welsh_names_as_typed(client, welsh_register):
    rows = _csv_rows(client.get("/register.csv").data)
    assert rows[0][0] == "reference"
    parties = {r[4] for r in rows[1:]}
    assert f"{ACCENTED}; {WELSH}" in parties


def test_the_decisions_export_opens_in_excel_with_welsh_names_as_typed(app, session):
    council, other = make_agency(session, name=WELSH), make_agency(session, name=ACCENTED)
    chain(session, council, other)
    practitioner = make_user(session, agency=council)
    check, _ = run_check(
        session,
        practitioner.actor(),
        CheckInput(council.id, other.id, "mash_triage", ["identity_contact"], None),
        today=TODAY,
        now=FIXED_NOW,
        settings=StatusSettings(),
    )
    record_decision(
        session,
        practitioner.actor(),
        DecisionInput(
            from_agency_id=council.id,
            to_agency_id=other.id,
            purpose="mash_triage",
            data_categories=["identity_contact"],
            decision="share",
            consent="given",
            reasons="Rhannu â gofal",
            check_id=check.id,
        ),
        idempotency_key=None,
        today=TODAY,
        now=FIXED_NOW,
    )
    rows = _csv_rows(_signed_in(app, practitioner).get("/decisions/export.csv").data)
    assert rows[1][3:5] == [WELSH, ACCENTED]
    assert "Rhannu â gofal" in rows[1]


def test_the_register_files_revalidate(app, client, session, welsh_register):
    for path in ("/register.csv", "/register.json", "/register.csv?tier=2"):
        first = client.get(path)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert first.status_code == 200 and etag and modified
        same = client.get(path, headers={"If-None-Match": etag})
        assert same.status_code == 304 and same.data == b""
        assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    csv_tag = client.get("/register.csv").headers["ETag"]
    assert client.get("/register.csv?tier=2").headers["ETag"] != csv_tag
    assert client.get("/register.json").headers["ETag"] != csv_tag
    # What is in force changes with the day: tomorrow the copy is out of date.
    app.extensions["clock"] = lambda: FIXED_NOW + timedelta(days=1)
    tomorrow = client.get("/register.csv", headers={"If-None-Match": csv_tag})
    assert tomorrow.status_code == 200 and tomorrow.headers["ETag"] != csv_tag
    # And with any change to the registry's records.
    app.extensions["clock"] = lambda: FIXED_NOW
    make_agency(session, name="A newcomer")
    changed = client.get("/register.csv", headers={"If-None-Match": csv_tag})
    assert changed.status_code == 200


def test_the_register_streams_gzipped_on_request(client, welsh_register):
    def get(path, **headers):
        # An answer sent from the server's copy (services/register_copies) holds the file
        # open until it is closed.
        with client.get(path, headers=headers) as answer:
            return answer.status_code, answer.headers, answer.data

    # The first of the two streamed (gzipped as it goes), the second sent from the copy.
    gz = {"Accept-Encoding": "gzip"}
    for order in ((("plain", {}), ("packed", gz)), (("packed", gz), ("plain", {}))):
        for path in ("/register.json", "/register.csv?tier=2"):
            sent = {name: get(path, **headers) for name, headers in order}
            (_, plain, body), (_, packed, packed_body) = sent["plain"], sent["packed"]
            assert packed["Content-Encoding"] == "gzip"
            assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
            assert gzip.decompress(packed_body) == body
            # The compressed variant's tag is weak, and still revalidates.
            assert packed["ETag"] == "W/" + plain["ETag"]
            status, again, _ = get(
                path, **{"Accept-Encoding": "gzip", "If-None-Match": packed["ETag"]}
            )
            assert status == 304 and again["ETag"] == packed["ETag"]
        client.application.config["REGISTER_COPIES"] += "-again"  # none kept: start again


def test_static_files_are_gzipped_and_keep_their_validators(client):
    path = "/static/govuk/govuk-frontend.min.css"

    def get(**headers):
        with client.get(path, headers=headers) as answer:  # a 304 leaves the file open else
            return answer.status_code, answer.headers, answer.data

    status, plain, body = get()
    if status == 404:
        pytest.skip("GOV.UK assets not built")
    assert len(body) > 50_000 and "Content-Encoding" not in plain
    status, packed, packed_body = get(**{"Accept-Encoding": "gzip"})
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed_body) == body
    assert len(packed_body) < len(body) / 3
    assert packed["ETag"] == "W/" + plain["ETag"]
    status, again, _ = get(**{"Accept-Encoding": "gzip", "If-None-Match": packed["ETag"]})
    assert status == 304 and again["ETag"] == packed["ETag"]
    assert get(**{"Accept-Encoding": "identity"})[2] == body


def test_pages_are_not_gzipped(client):
    """A page holds the CSRF token beside text from the request (BREACH)."""
    page = client.get("/sign-in", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and "Content-Encoding" not in page.headers


def test_agreement_pdfs_revalidate_and_are_never_gzipped(app, session):
    from registry.models import IssuedPdf

    from ..seal_jobs import seal_pending

    app.config["SEAL_ON_ACTIVATION"] = True
    council, police = make_agency(session, name=WELSH), make_agency(session, name="Police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    seal_pending(app)
    stored = session.query(IssuedPdf).one()
    reader = _signed_in(app, make_user(session, agency=council))
    for path in (
        f"/agreements/{protocol.id}/pdf",
        f"/agreements/{protocol.id}/issued/{stored.id}.pdf",
    ):
        first = reader.get(path, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200 and first.data == stored.pdf
        assert "Content-Encoding" not in first.headers
        assert first.headers["ETag"] == f'"{stored.sha256}"'
        assert first.headers["Last-Modified"]
        # Kept by the browser and checked each time, never by a shared cache.
        assert first.headers["Cache-Control"] == "private, no-cache"
        match = reader.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert match.status_code == 304 and match.data == b""
        since = reader.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert since.status_code == 304
    # A draft is rendered for the request; its tag is the hash of what was sent.
    draft = make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    answer = reader.get(f"/agreements/{draft.id}/pdf")
    assert answer.headers["ETag"] == f'"{hashlib.sha256(answer.data).hexdigest()}"'
