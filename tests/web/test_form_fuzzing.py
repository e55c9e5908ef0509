"""Hypothesis fills every form the registry has with odd values (any Unicode, NUL
characters, very long text, numbers where words go, repeated and missing fields): each
answer is a page for a person, never a server error."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.services import agreement_lifecycle

from ..client import RegistryClient
from ..factories import (
    FIXED_NOW,
    chain,
    ig_lead_actor,
    make_admin,
    make_agency,
    make_draft,
    make_officer,
    make_user,
    party,
)

ODD = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8).map(lambda s: s * 900),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "0",
            "-1",
            "31",
            "2",
            "2026",
            "99999999999",
            "NaN",
            "<script>alert(1)</script>",
            "=cmd|' /C calc'!A0",
            "../../etc/passwd",
            "true",
            "null",
            "2026-02-31",
            "ZA123456",
            "Z1234567",
        ]
    ),
)


def _form(client, url) -> dict[str, list[str]]:
    """The form as the page fills it in (so the rest of a post is valid)."""
    page = client.page(url)
    values: dict[str, list[str]] = {}
    for field in page.select("form input, form select, form textarea"):
        name = field.get("name")
        if not name or name == "csrf_token":
            continue
        values.setdefault(name, [])
        if field.name == "select":
            chosen = field.find("option", selected=True)
            values[name].append(chosen.get("value", "") if chosen else "")
        elif field.name == "textarea":
            values[name].append(field.get_text())
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                values[name].append(field.get("value", ""))
        elif field.get("type") != "submit":
            values[name].append(field.get("value", ""))
    return values


def _client(app, user) -> RegistryClient:
    app.test_client_class = RegistryClient
    client = app.test_client()
    client.sign_in(user)
    return client


def test_forms_answer_odd_input_without_a_server_error(app, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    officer = make_officer(session, council)
    protocol, tier2 = chain(session, council, police)
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    awaiting = make_draft(
        session,
        owner=council,
        parent=protocol,
        parties=[party(council), party(police)],
        title="Awaiting",
    )
    agreement_lifecycle.submit(session, ig_lead_actor(council), awaiting.id, now=FIXED_NOW)
    admin = _client(app, make_admin(session))
    practitioner = _client(app, make_user(session, agency=council))
    signatory = _client(app, make_user(session, roles=("signatory",), agency=police))
    lead = _client(app, make_user(session, roles=("ig_lead",), agency=council))
    police_lead = _client(app, make_user(session, roles=("ig_lead",), agency=police))
    forms = [
        (admin, "/agencies/new"),
        (admin, f"/agencies/{council.id}/edit"),
        (admin, f"/agencies/{council.id}/officers/new"),
        (admin, f"/agencies/{council.id}/officers/{officer.id}/edit"),
        (admin, "/admin/users/new"),
        (admin, "/admin/vocabularies/purposes/edit"),
        (lead, f"/agreements/{draft.id}/edit"),
        (lead, f"/agreements/{tier2.id}/review"),
        (lead, f"/agreements/{tier2.id}/terminate"),
        (police_lead, f"/agreements/{tier2.id}/withdraw"),  # a party; the owner cannot
        (lead, "/account/password"),
        (admin, f"/agreements/{tier2.id}/suspend"),
        (signatory, f"/agreements/{awaiting.id}/decline"),
        (practitioner, "/coverage"),
        (practitioner, "/decisions/new"),
    ]
    failures = []

    def fuzz(client, url):
        filled = _form(client, url)
        assert filled, url
        token = client.csrf_token(url)

        # Half the time the whole form is odd; otherwise the page's own values with one
        # or two fields changed, so that odd values also reach the database.
        @given(
            odd=st.fixed_dictionaries(
                {}, optional={name: st.one_of(ODD, st.lists(ODD, max_size=3)) for name in filled}
            ),
            whole=st.booleans(),
        )
        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def post(odd, whole):
            if not whole:
                odd = {**filled, **dict(list(odd.items())[:2])}
            values = odd
            response = client.post(url, data={**values, "csrf_token": token})
            if response.status_code >= 500:
                failures.append(f"{url} {values!r:.300}: {response.status_code}")

        post()
        # And each field of the filled form in turn with a NUL in it.
        for name, current in filled.items():
            values = {**filled, name: [v + "\x00" for v in current] or ["\x00"]}
            response = client.post(url, data={**values, "csrf_token": token})
            if response.status_code >= 500:
                failures.append(f"{url} NUL in {name}: {response.status_code}")

    for client, url in forms:
        fuzz(client, url)
    assert failures == [], "\n".join(failures[:20])


def test_nul_characters_are_dropped_from_forms_and_refused_in_json(app, session):
    """PostgreSQL's text cannot hold NUL: a form keeps what was typed without them, a
    search still answers, and the API names the field."""
    from registry.models import Agency
    from registry.services.users import issue_token

    council = make_agency(session, name="Council")
    admin_user = make_admin(session)
    admin = _client(app, admin_user)
    page = admin.page(f"/agencies/{council.id}/edit")
    data = {f["name"]: f.get("value", "") for f in page.select("form input") if f.get("name")}
    for select in page.select("form select"):
        chosen = select.find("option", selected=True) or select.find("option")
        data[select["name"]] = chosen.get("value", "")
    response = admin.post(f"/agencies/{council.id}/edit", data={**data, "name": "Coun\x00cil"})
    assert response.status_code == 302
    session.rollback()
    assert session.get(Agency, council.id).name == "Council"
    assert admin.get("/agreements?q=abc%00def").status_code == 200
    assert admin.get("/agencies?q=%00").status_code == 200
    token = issue_token(session, admin_user, now=FIXED_NOW)
    refused = admin.patch(
        f"/api/v1/agencies/{council.id}",
        json={"name": "A\x00B"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 422
    assert "name" in refused.get_json()["error"]["fields"]


def test_an_id_beyond_what_the_database_holds_is_an_unknown_agency_not_a_server_error(app, session):
    """Found by the fuzzing above on PostgreSQL: a party's agency id of 2^31 on the
    agreement form reached the database, which refused it as out of range (500)."""
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    lead = _client(app, make_user(session, roles=("ig_lead",), agency=council))
    url = f"/agreements/{draft.id}/edit"
    filled = _form(lead, url)
    ids = [n for n in filled if n in ("parties", "disclosers", "receivers", "owner_agency_id")]
    assert ids, sorted(filled)
    for huge in ("2147483648", "9223372036854775808"):
        posted = {**filled, **{name: [huge] for name in ids}, "parent_id": [huge]}
        answer = lead.post(url, data={**posted, "csrf_token": lead.csrf_token(url)})
        assert answer.status_code in (200, 422), answer.status_code
        assert "govuk-error-summary" in answer.get_data(as_text=True)
