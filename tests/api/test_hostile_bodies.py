"""JSON bodies that are valid syntax but that no field can hold, and bodies too large for
the limit sent without a length: refused with SPEC section 9's error shape, never a 500."""

from __future__ import annotations

import io
import re
import socket
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from registry.models import Agency

from ..factories import make_admin

SURROGATE_BODIES = [
    # Escaped lone surrogates: high, low, a high followed by a non-surrogate, in a key.
    '{"name": "North \\ud800 Council", "kind": "local_authority", "ico_registration": "Z1234567"}',
    '{"name": "\\udfff", "kind": "local_authority", "ico_registration": "Z1234567"}',
    '{"name": "\\ud83dx", "kind": "local_authority", "ico_registration": "Z1234567"}',
    '{"\\ud800": 1, "name": "N", "kind": "local_authority", "ico_registration": "Z1234567"}',
]


def assert_malformed(response, field: str | None = None):
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "malformed"
    assert set(error) == {"code", "message", "fields"}
    if field is not None:
        assert field in error["fields"]
    return error


def _post(client, path, body: str | bytes, headers=None):
    return client.post(
        f"/api/v1{path}", data=body, content_type="application/json", headers=headers or {}
    )


@pytest.mark.parametrize("body", SURROGATE_BODIES)
def test_a_lone_surrogate_is_malformed_not_a_server_error(api_as, client, session, body):
    api = api_as(make_admin(session))
    error = assert_malformed(_post(client, "/agencies", body, api.headers))
    assert "surrogate" in error["message"]
    assert session.scalar(select(func.count()).select_from(Agency)) == 0


def test_a_lone_surrogate_names_the_field_it_sits_in(api_as, client, session):
    api = api_as(make_admin(session))
    assert_malformed(_post(client, "/agencies", SURROGATE_BODIES[0], api.headers), "name")


def test_a_raw_surrogate_in_utf8_bytes_is_malformed(api_as, client, session):
    # ED A0 80 is how a surrogate would be written in UTF-8, were it allowed: Python's JSON
    # parser reads bytes with "surrogatepass", so it arrives as a lone surrogate too.
    api = api_as(make_admin(session))
    body = b'{"name": "A\xed\xa0\x80", "kind": "local_authority", "ico_registration": "Z1234567"}'
    assert_malformed(_post(client, "/agencies", body, api.headers))


def test_a_lone_surrogate_in_a_utf16_or_utf32_body_is_malformed(api_as, client, session):
    # Python's parser would read UTF-16 and UTF-32; RFC 8259 asks for UTF-8, and any other
    # encoding is refused before a string is looked at.
    api = api_as(make_admin(session))
    for encoding in ("utf-16", "utf-16-be", "utf-32-le"):
        assert_malformed(
            _post(client, "/agencies", SURROGATE_BODIES[0].encode(encoding), api.headers)
        )


def test_a_surrogate_pair_is_a_character_and_is_kept(api_as, client, session):
    api = api_as(make_admin(session))
    body = '{"name": "Caf\\u00e9 \\ud83d\\ude00", "kind": "local_authority", '
    body += '"ico_registration": "Z1234567"}'
    response = _post(client, "/agencies", body, api.headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "Café \N{GRINNING FACE}"


def test_the_anonymous_token_route_refuses_a_lone_surrogate(client, session):
    for body in (
        '{"email": "\\ud800@example.org", "password": "x"}',
        '{"email": "a@example.org", "password": "\\udc00"}',
    ):
        assert_malformed(_post(client, "/auth/token", body))


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_deep_nesting_is_malformed(api_as, client, session, depth):
    api = api_as(make_admin(session))
    for path, headers in (("/auth/token", {}), ("/agencies", api.headers)):
        for opening, closing in (("[", "]"), ('{"a":', "}")):
            body = opening * depth + "1" + closing * depth
            error = assert_malformed(_post(client, path, body, headers))
            assert "nested" in error["message"]
            nested = '{"name": ' + body + "}"
            assert_malformed(_post(client, path, nested, headers))


def test_nesting_a_body_needs_is_read(api_as, client, session):
    """32 levels is well above the deepest body (parties: three levels)."""
    api = api_as(make_admin(session))
    body = '{"name": "N", "kind": "local_authority", "ico_registration": "Z1234567", "x": '
    body += "[" * 30 + "]" * 30 + "}"
    assert _post(client, "/agencies", body, api.headers).status_code == 201


def test_nan_and_infinity_are_not_json(api_as, client, session):
    api = api_as(make_admin(session))
    for constant in ("NaN", "Infinity", "-Infinity"):
        body = '{"name": "N", "kind": "local_authority", "ico_registration": "Z1234567", '
        body += f'"x": {constant}}}'
        assert_malformed(_post(client, "/agencies", body, api.headers))


# Bodies sent without a length (Transfer-Encoding: chunked) -----------------------------

FIVE_MB = 5 * 1024 * 1024


def _big_json() -> bytes:
    return b'{"name": "' + b"a" * FIVE_MB + b'", "kind": "local_authority"}'


def test_a_chunked_body_over_the_limit_is_413_on_the_api(api_as, client, session):
    api = api_as(make_admin(session))
    response = client.post(
        "/api/v1/agencies",
        input_stream=io.BytesIO(_big_json()),
        headers={**api.headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        # What gunicorn and Werkzeug's server say of a chunked body: they end it themselves.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]


def test_a_chunked_body_over_the_limit_is_413_on_a_form(client, session):
    response = client.post(
        "/sign-in",
        input_stream=io.BytesIO(b"email=" + b"a" * FIVE_MB + b"&password=x"),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert b"too large" in response.data


def test_a_chunked_body_within_the_limit_is_read_whole(api_as, client, session):
    api = api_as(make_admin(session))
    body = b'{"name": "Chunked", "kind": "local_authority", "ico_registration": "Z1234567"}'
    response = client.post(
        "/api/v1/agencies",
        input_stream=io.BytesIO(body),
        headers={**api.headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 201, response.get_json()


def _chunked_request(port: int, path: str, headers: dict[str, str], body: bytes) -> bytes:
    """Send `body` chunked over a real socket (64 KB chunks, from a second thread, since the
    server may answer before it has all) and return what the server answered."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"

    def send():
        try:
            sock.sendall(head.encode())
            for start in range(0, len(body), 65536):
                piece = body[start : start + 65536]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed before the whole body was sent

    sender = threading.Thread(target=send)
    sender.start()
    answer = b""
    while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
        answer += chunk
    head, _, rest = answer.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
    while len(rest) < length and (chunk := sock.recv(65536)):
        rest += chunk
    # The server need not read the rest of a body it has refused: shut the socket (which
    # wakes the sender if it is blocked writing), then close it.
    sock.shutdown(socket.SHUT_RDWR)
    sender.join()
    sock.close()
    return head + b"\r\n\r\n" + rest


def test_a_real_server_answers_413_to_a_chunked_body_over_the_limit(app, api_as, session):
    api = api_as(make_admin(session))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answer = _chunked_request(
            server.server_port,
            "/api/v1/agencies",
            {**api.headers, "Content-Type": "application/json"},
            _big_json(),
        )
        small = _chunked_request(
            server.server_port,
            "/api/v1/agencies",
            {**api.headers, "Content-Type": "application/json"},
            b'{"name": "Small", "kind": "local_authority", "ico_registration": "Z1234567"}',
        )
    finally:
        server.shutdown()
    status_line = answer.split(b"\r\n", 1)[0]
    assert b" 413 " in status_line, answer[:300]
    assert b'"code"' in answer and b'"fields"' in answer
    assert small.split(b"\r\n", 1)[0].endswith(b" 201 CREATED"), small[:300]


# Far dates and control characters reach the same rules through the API -----------------


def test_a_far_effective_date_is_a_422_naming_the_field(api_as, session):
    from ..factories import make_agency

    council = make_agency(session, name="Council")
    api = api_as(make_admin(session))
    for day in ("9999-12-31", "2200-01-01", "0001-01-01"):
        response = api.post(
            "/agreements",
            json={
                "title": "Protocol",
                "tier": 1,
                "owner_agency_id": council.id,
                "lawful_bases": ["art6_1_e"],
                "effective_from": day,
                "parties": [{"agency_id": council.id, "may_disclose": True, "may_receive": True}],
            },
        )
        assert response.status_code in (400, 422), response.get_json()
        error = response.get_json()["error"]
        assert "effective_from" in error["fields"], error


def test_control_characters_are_a_422_naming_the_field(api_as, session):
    api = api_as(make_admin(session))
    for name in ("North\x01", "North\x1b[31m", "North\u202eCouncil", "North\r\nCouncil"):
        response = api.post(
            "/agencies",
            json={"name": name, "kind": "local_authority", "ico_registration": "Z1234567"},
        )
        assert response.status_code == 422, response.get_json()
        assert "must" in response.get_json()["error"]["fields"]["name"]
    assert session.scalar(select(func.count()).select_from(Agency)) == 0


# Look-alike names (issue 16, after its first fixes) ------------------------------------

AGENCY = {"kind": "local_authority", "ico_registration": "Z1234567"}


def test_an_invisible_character_cannot_make_a_second_agency_of_the_same_name(api_as, session):
    """The outside tester's request: 201 beside the real agency, bypassing the unique
    name; now a 422 naming the field, and only the real agency listed."""
    api = api_as(make_admin(session))
    assert (
        api.post("/agencies", json={"name": "Northshire County Council", **AGENCY}).status_code
        == 201
    )
    for char in (
        "\u200b",
        "\u2060",
        "\u00ad",
        "\U000e0041",
        "\ufff9",
        "\u0600",
        "\uffff",
        "\ue000",
    ):
        response = api.post(
            "/agencies",
            json={
                "name": f"Northshire County Council{char}",
                **AGENCY,
                "ico_registration": "Z7654321",
            },
        )
        assert response.status_code == 422, (hex(ord(char)), response.get_json())
        assert "name" in response.get_json()["error"]["fields"]
    names = [a["name"] for a in api.get("/agencies").get_json()["items"]]
    assert names == ["Northshire County Council"]


@pytest.mark.parametrize("blank", ["\u200b", "\u3164", "\u2800", "\u3164\u3164"])
def test_a_name_that_shows_nothing_is_refused(api_as, session, blank):
    api = api_as(make_admin(session))
    response = api.post("/agencies", json={"name": blank, **AGENCY})
    assert response.status_code == 422, response.get_json()
    assert "name" in response.get_json()["error"]["fields"]
    assert session.scalar(select(func.count()).select_from(Agency)) == 0


def test_a_decomposed_or_differently_cased_name_is_the_same_agency(api_as, session):
    api = api_as(make_admin(session))
    first = api.post("/agencies", json={"name": "Eastmoór Council", **AGENCY})
    assert first.status_code == 201
    for twin in ("Eastmoo\u0301r Council", "EASTMOÓR COUNCIL"):
        response = api.post(
            "/agencies", json={"name": twin, **AGENCY, "ico_registration": "Z7654321"}
        )
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["error"]["code"] == "duplicate"
    composed = api.post(
        "/agencies",
        json={"name": "Westmoo\u0301r Council", **AGENCY, "ico_registration": "Z7654321"},
    )
    assert composed.get_json()["name"] == "Westmoór Council"


def test_a_reason_keeps_a_soft_hyphen_but_not_a_noncharacter(api_as, session):
    """Multi-line text is read, not matched: a soft hyphen pasted from a word processor is
    kept; a noncharacter or a private-use character is not."""
    api = api_as(make_admin(session))
    body = {"name": "N", **AGENCY, "address": "1 High\u00adStreet\nTown"}
    assert api.post("/agencies", json=body).status_code == 201
    for char in ("\uffff", "\ue000", "\U0010fffe"):
        response = api.patch("/agencies/1", json={"address": f"1 High Street{char}"})
        assert response.status_code == 422, response.get_json()


# One reading of a body ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body, key",
    [
        (
            '{"name": "Good", "name": "Evil\\u202e", "kind": "police", '
            '"ico_registration": "Z1234567"}',
            "name",
        ),
        (
            '{"name": "N", "kind": "police", "kind": "health", "ico_registration": "Z1234567"}',
            "kind",
        ),
        (
            '{"name": "N", "kind": "police", "ico_registration": "Z1234567", '
            '"x": {"a": 1, "a": 2}}',
            "a",
        ),
    ],
)
def test_a_key_named_twice_is_malformed(api_as, client, session, body, key):
    api = api_as(make_admin(session))
    error = assert_malformed(_post(client, "/agencies", body, api.headers), key)
    assert f'The key "{key}" appears more than once' in error["message"]
    assert session.scalar(select(func.count()).select_from(Agency)) == 0


def test_every_route_refuses_a_key_named_twice(api_as, client, session):
    api = api_as(make_admin(session))
    body = '{"email": "a@example.org", "email": "b@example.org", "password": "x"}'
    assert_malformed(_post(client, "/auth/token", body), "email")
    for path in ("/users", "/agreements", "/agencies"):
        assert_malformed(_post(client, path, '{"a": 1, "a": 1}', api.headers), "a")
    response = client.patch(
        "/api/v1/users/1",
        data='{"active": true, "active": false}',
        content_type="application/json",
        headers=api.headers,
    )
    assert_malformed(response, "active")


# What is wrong with a body is said as what it is --------------------------------------

GOOD = b'{"name": "Caf\xc3\xa9", "kind": "local_authority", "ico_registration": "Z1234567"}'


@pytest.mark.parametrize(
    "body, content_type, said",
    [
        (GOOD.replace(b"\xc3\xa9", b"\xe9"), "application/json", "not UTF-8 JSON"),
        (b"\xef\xbb\xbf" + GOOD, "application/json", "byte-order mark"),
        (GOOD.decode().encode("utf-16"), "application/json", "it reads as UTF-16"),
        (GOOD.decode().encode("utf-16-le"), "application/json", "not UTF-8 JSON"),
        (GOOD.decode().encode("utf-32-be"), "application/json", "not UTF-8 JSON"),
        (
            GOOD[:-1] + b', "x": ' + b"9" * 5000 + b"}",
            "application/json",
            "number in the body is too long",
        ),
        (GOOD, "application/json; charset=latin-1", "not charset=latin-1"),
        (GOOD, "application/json; charset=utf-16", "not charset=utf-16"),
    ],
)
def test_a_body_that_is_not_utf8_json_says_so(api_as, client, session, body, content_type, said):
    api = api_as(make_admin(session))
    response = client.post(
        "/api/v1/agencies", data=body, content_type=content_type, headers=api.headers
    )
    error = assert_malformed(response)
    assert said in error["message"]
    assert "Content-Type: application/json" not in error["message"] or "charset" in said
    assert session.scalar(select(func.count()).select_from(Agency)) == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "application/json; charset=UTF8",
        'application/json; charset="utf-8"',
    ],
)
def test_a_body_declared_utf8_is_read(api_as, client, session, content_type):
    api = api_as(make_admin(session))
    response = client.post(
        "/api/v1/agencies", data=GOOD, content_type=content_type, headers=api.headers
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "Café"


def test_a_merge_patch_body_is_read_as_json(api_as, client, session):
    """Kept: a PATCH changes only the fields sent, which is what a merge patch is."""
    api = api_as(make_admin(session))
    assert (
        client.post(
            "/api/v1/agencies", data=GOOD, content_type="application/json", headers=api.headers
        ).status_code
        == 201
    )
    response = client.patch(
        "/api/v1/agencies/1",
        data=b'{"phone": "01234 567890"}',
        content_type="application/merge-patch+json",
        headers=api.headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["phone"] == "01234 567890"


def test_an_id_with_a_leading_zero_or_foreign_digits_is_not_found(api_as, session):
    """One resource, one URL: /users/007 was user 7."""
    from ..factories import make_agency

    agency = make_agency(session, name="Council")
    admin = make_admin(session)
    assert agency.id == 1 and admin.id == 1
    api = api_as(admin)
    assert api.get("/users/1").status_code == 200
    assert api.get("/agencies/1/officers").status_code == 200
    for written in ("01", "0001", "0", "%D9%A1", "%EF%BC%91"):
        for path in (f"/users/{written}", f"/agencies/{written}", f"/agencies/{written}/officers"):
            response = api.get(path)
            assert response.status_code == 404, (path, response.status_code)
            assert response.get_json()["error"]["code"] == "not_found"
        assert api.patch(f"/agencies/{written}", json={"phone": "1"}).status_code == 404
    # Ids of any size still name nothing, on every method.
    assert api.get("/users/" + "9" * 40).status_code == 404
    assert api.patch("/users/" + "9" * 40, json={"active": False}).status_code == 404


def test_a_text_fault_is_named_as_the_services_name_it(api_as, client, session):
    """The document's patterns refuse what the services refuse, and the 422 says which
    character and why, as a form would (not "control characters" for an invisible one)."""
    api = api_as(make_admin(session))
    answer = api.post(
        "/agencies",
        {
            "name": "Northshire County Council\u200b",
            "kind": "other",
            "ico_registration": "ZB100001",
            "address": "1 High Street\r\nNorthshire\x07",
            "phone": "01234\n567890",
        },
    )
    assert answer.status_code == 422
    fields = answer.get_json()["error"]["fields"]
    assert "invisible characters (U+200B)" in fields["name"]
    assert "control characters (U+0007)" in fields["address"]
    assert "must be on one line" in fields["phone"]
    blank = api.post("/agencies", {"name": "\u2800", "kind": "other", "ico_registration": "ZB1"})
    assert blank.get_json()["error"]["fields"]["name"] == "name must not be empty"
