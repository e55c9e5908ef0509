"""Issue 16: the API's HTTP as RFC 9110 has it: 404 for an unknown id on every method a
route takes, whatever its size; `Allow` on 405; `WWW-Authenticate` on 401; no caching of
its JSON; a PDF that is named and revalidates; `Retry-After` on 429; gzip on request."""

import gzip
import hashlib
import re

import pytest

from ..factories import activate, make_admin, make_agency, make_draft, make_user, party

UNKNOWN_IDS = (0, 2**31, 2**63, 10**30)
METHODS = ("GET", "POST", "PATCH", "DELETE")


def _api_rules(app):
    """(path pattern, methods) for every API route with an id in its path."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and "<int:" in rule.rule:
            yield rule.rule, rule.methods - {"HEAD", "OPTIONS"}


def _with_id(pattern: str, value: int) -> str:
    return re.sub(r"<int:[a-z_]+>", str(value), pattern).removeprefix("/api/v1")


def test_an_unknown_id_is_404_on_every_method_whatever_its_size(app, api_as, session):
    """ids of 2^31 and more answered 405 to writes (Werkzeug's converter refused them
    after the GET rule for the same path had matched); now each is 404 like an unknown
    small id, and a method the route does not take is 405 naming the same methods."""
    # Between them every role, so that a role check (403) does not hide the lookup.
    people = [
        api_as(make_admin(session)),
        api_as(
            make_user(
                session, roles=("ig_lead", "signatory", "practitioner"), agency=make_agency(session)
            )
        ),
    ]
    taken: dict[str, set[str]] = {}
    for pattern, methods in _api_rules(app):
        taken.setdefault(pattern, set()).update(methods)
    checked = 0
    for pattern, methods in taken.items():
        for value in UNKNOWN_IDS:
            path = _with_id(pattern, value)
            for method in METHODS:
                answers = [
                    getattr(person, method.lower())(
                        path, json={} if method in ("POST", "PATCH") else None
                    )
                    for person in people
                ]
                statuses = [a.status_code for a in answers]
                answer = answers[0]
                if method in methods:
                    assert 404 in statuses and set(statuses) <= {403, 404}, (method, path, statuses)
                    found = answers[statuses.index(404)]
                    assert found.get_json()["error"]["code"] == "not_found"
                else:
                    assert answer.status_code == 405, (method, path, answer.status_code)
                    allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
                    assert methods <= allowed and method not in allowed
                    assert answer.get_json()["error"]["code"] == "method_not_allowed"
                checked += 1
    assert checked >= 100


def test_401_says_how_to_authenticate(api_as, session):
    missing = api_as(None).get("/agreements")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error=" not in missing.headers["WWW-Authenticate"]
    wrong = api_as(None).get("/agreements", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]


def test_api_json_is_never_stored(api_as, session):
    admin = api_as(make_admin(session))
    for answer in (
        admin.get("/agreements"),
        admin.get("/agencies/0"),
        api_as(None).get("/decisions"),
        admin.post("/agencies", json={}),
    ):
        assert answer.mimetype == "application/json"
        assert answer.headers["Cache-Control"] == "no-store", answer.status_code


@pytest.fixture
def protocol(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    agreement = make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    return council, agreement


def test_the_api_pdf_is_named_and_revalidates(app, api_as, session, protocol):
    council, agreement = protocol
    reader = api_as(make_user(session, agency=council))
    first = reader.get(f"/agreements/{agreement.id}/pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    disposition = first.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="{agreement.reference}-v1.pdf"'
    # A draft is rendered for the request: its ETag is the hash of what was sent.
    assert first.headers["ETag"] == f'"{hashlib.sha256(first.data).hexdigest()}"'
    again = reader.get(
        f"/agreements/{agreement.id}/pdf", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""


def test_a_sealed_api_pdf_is_validated_by_its_stored_hash(app, api_as, session, protocol):
    from registry.models import IssuedPdf

    from ..seal_jobs import seal_pending

    app.config["SEAL_ON_ACTIVATION"] = True
    council, agreement = protocol
    activate(session, agreement)
    seal_pending(app)
    stored = session.query(IssuedPdf).one()
    reader = api_as(make_user(session, agency=council))
    path = f"/agreements/{agreement.id}/pdf"
    first = reader.get(path, headers={"Accept-Encoding": "gzip"})
    assert first.data == stored.pdf and "Content-Encoding" not in first.headers  # never gzipped
    assert first.headers["ETag"] == f'"{stored.sha256}"'
    assert first.headers["Last-Modified"]
    assert reader.get(path, headers={"If-None-Match": f'"{stored.sha256}"'}).status_code == 304
    since = reader.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    assert reader.get(path, headers={"If-None-Match": '"something else"'}).status_code == 200


def test_429_on_the_api_says_when_to_retry(app, api_as, session):
    app.config["SIGN_IN_RATE_LIMIT"] = "2 per minute"
    client = api_as(None)
    body = {"email": "nobody@example.org", "password": "not the password"}
    answers = [client.post("/auth/token", json=body) for _ in range(3)]
    assert answers[-1].status_code == 429
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 61


def test_the_openapi_document_is_gzipped_on_request(api_as):
    client = api_as(None)
    plain = client.get("/openapi.json")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers.get("Vary", "")
    packed = client.get("/openapi.json", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    refused = client.get("/openapi.json", headers={"Accept-Encoding": "gzip;q=0, *"})
    assert "Content-Encoding" not in refused.headers
