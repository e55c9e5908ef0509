"""Drafting, submitting, signing and reviewing through the pages, as people do."""

from bs4 import BeautifulSoup

from registry.domain.vocab import VersionStatus
from registry.models import Agreement
from registry.services import signing

from ..factories import activate, chain, make_agency, make_draft, make_user, party


def errors(response):
    soup = BeautifulSoup(response.data, "html.parser")
    summary = soup.select_one(".govuk-error-summary")
    return summary.get_text(" ", strip=True) if summary else ""


def test_ig_lead_drafts_submits_and_signatories_sign(client, session):
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police", kind="police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    lead = make_user(session, roles=("ig_lead",), agency=council)
    client.sign_in(lead)
    start = client.page(f"/agreements/new?tier=2&parent_id={protocol.id}&submit=y")
    assert start.find("input", attrs={"name": "title"}) is not None
    url = f"/agreements/new?tier=2&parent_id={protocol.id}&owner_agency_id={council.id}"
    response = client.post(
        url,
        data={
            "title": "MASH",
            "csrf_token": client.csrf_token("/"),
            "disclosers": [str(council.id), str(police.id)],
            "receivers": [str(council.id)],
            "purposes": ["mash_triage"],
            "data_categories": ["identity_contact", "health"],
            "lawful_bases": ["art6_1_e"],
            "effective_from": ["1", "6", "2026"],
            "review_period_months": "12",
        },
    )
    assert "Physical and mental health is special category data" in errors(response)
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.find("input", attrs={"name": "title"})["value"] == "MASH"  # kept
    ticked = {
        (box["name"], box["value"])
        for box in soup.select("input[type=checkbox]")
        if box.has_attr("checked") and box["name"] in ("disclosers", "receivers")
    }
    assert ticked == {
        ("disclosers", str(council.id)),
        ("disclosers", str(police.id)),
        ("receivers", str(council.id)),
    }  # kept, each under its own list
    for box in soup.select("input[name=receivers]"):  # each tick has its own label
        assert soup.find("label", attrs={"for": box["id"]}).get_text() in ("Council", "Police")
    response = client.post(
        url,
        data={
            "title": "MASH",
            "csrf_token": client.csrf_token("/"),
            "disclosers": [str(council.id), str(police.id)],
            "receivers": [str(council.id)],
            "purposes": ["mash_triage"],
            "data_categories": ["identity_contact", "health"],
            "lawful_bases": ["art6_1_e", "art9_2_h"],
            "effective_from": ["1", "6", "2026"],
            "review_period_months": "12",
        },
    )
    assert response.status_code == 302, errors(response)
    session.rollback()
    agreement = session.query(Agreement).filter_by(tier=2).one()
    page = client.page(response.headers["Location"])
    assert "Draft" in page.select_one(".govuk-tag").get_text()
    client.submit(f"/agreements/{agreement.id}/submit", token_from=f"/agreements/{agreement.id}")
    session.rollback()  # end the read snapshot: see what the request wrote
    assert agreement.latest.status == VersionStatus.AWAITING_SIGNATURES
    client.submit("/sign-out", token_from="/")

    for agency in (council, police):
        signer = make_user(session, roles=("signatory",), agency=agency, job_title="Director")
        client.sign_in(signer)
        confirm = client.page(f"/agreements/{agreement.id}/sign")
        text = confirm.select_one("main").get_text(" ", strip=True)
        assert "You are signing MASH for " + agency.name in text
        assert agreement.latest.content_sha256 in text
        refused = client.submit(f"/agreements/{agreement.id}/sign", {})
        assert "Confirm that you are authorised" in errors(refused)
        done = client.submit(
            f"/agreements/{agreement.id}/sign", {"declaration": "y", **client.proof(signer)}
        )
        assert done.status_code == 302
        client.submit("/sign-out", token_from="/")
    session.rollback()  # end the read snapshot: see what the request wrote
    assert agreement.latest.status == VersionStatus.ACTIVE
    assert agreement.latest.review_date.isoformat() == "2027-06-01"


def test_a_user_of_another_agency_is_refused_each_step(client, session):
    a, b, outsider = (make_agency(session, name=n) for n in ("A", "B", "Outsider"))
    _, tier2 = chain(session, a, b)
    lead = make_user(session, roles=("ig_lead",), agency=outsider)
    client.sign_in(lead)
    for url in (
        f"/agreements/{tier2.id}/edit",
        f"/agreements/{tier2.id}/review",
        f"/agreements/{tier2.id}/terminate",
    ):
        assert client.get(url).status_code == 403, url
    assert client.submit(f"/agreements/{tier2.id}/amend", token_from="/").status_code == 403
    session.rollback()  # end the read snapshot: see what the request wrote
    assert len(tier2.versions) == 1
    signer = make_user(session, roles=("signatory",), agency=outsider)
    client.submit("/sign-out", token_from="/")
    client.sign_in(signer)
    assert client.get(f"/agreements/{tier2.id}/sign").status_code == 403


def test_review_moves_the_date_and_is_listed(client, session):
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    _, tier2 = chain(session, a, b)
    client.sign_in(make_user(session, roles=("ig_lead",), agency=a))
    missing = client.submit(f"/agreements/{tier2.id}/review", {"outcome": "continue"})
    assert "Say what the review found" in errors(missing)
    response = client.submit(
        f"/agreements/{tier2.id}/review", {"outcome": "continue", "notes": "Still needed"}
    )
    assert response.status_code == 302
    page = client.page(f"/agreements/{tier2.id}")
    assert "Review date moved from" in page.get_text()
    assert "15 June 2027" in page.get_text()


def test_amendment_shows_changes_against_the_version_before(client, session):
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    _, tier2 = chain(session, a, b)
    client.sign_in(make_user(session, roles=("ig_lead",), agency=a))
    response = client.submit(f"/agreements/{tier2.id}/amend", token_from=f"/agreements/{tier2.id}")
    assert response.headers["Location"].endswith(f"/agreements/{tier2.id}/edit")
    form = client.page(f"/agreements/{tier2.id}/edit")
    assert form.find("input", attrs={"name": "title"})["value"] == "MASH"
    response = client.submit(
        f"/agreements/{tier2.id}/edit",
        {
            "title": "MASH (revised)",
            "disclosers": [str(a.id), str(b.id)],
            "receivers": [str(a.id), str(b.id)],
            "purposes": ["mash_triage", "early_help"],
            "data_categories": ["identity_contact"],
            "lawful_bases": ["art6_1_e"],
            "effective_from": ["16", "5", "2026"],
            "review_period_months": "12",
        },
    )
    assert response.status_code == 302, errors(response)
    page = client.page(f"/agreements/{tier2.id}")
    amendments = page.find("summary", string=lambda s: s and "Show amendments" in s)
    text = amendments.find_parent("details").get_text(" ", strip=True)
    assert "MASH → MASH (revised)" in text
    assert "added Early help" in text
    assert "Version 1 is in force" in page.get_text()
    # Issue 15: the version in force is shown by default, the draft one click away.
    note = " ".join(page.select_one(".govuk-inset-text").get_text().split())
    assert "This is version 1, the version in force. Version 2 is being drafted" in note
    assert page.find("h2", string="Content of version 1") is not None
    draft = client.page(page.select_one(".govuk-inset-text a")["href"])
    note = " ".join(draft.select_one(".govuk-inset-text").get_text().split())
    assert note.startswith("You are looking at version 2 (draft): it is not in force")
    assert draft.find("h2", string="Content of version 2") is not None


def test_odd_input_never_gives_a_server_error(client, session):
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    _, tier2 = chain(session, a, b)
    client.sign_in(make_user(session, roles=("ig_lead",), agency=b))  # a party, not its owner
    assert client.get("/agreements/999999").status_code == 404
    assert client.get(f"/agreements/{tier2.id}?version=99").status_code == 404
    assert client.get("/agreements?tier=9&status=bogus&agency=x&page=-1").status_code == 200
    assert client.get("/agreements/new?tier=7&parent_id=abc").status_code in (200, 422)
    # A date with missing parts, or none of its keys at all, is a message, not a 500.
    for date_parts in ({"effective_on": ["1"]}, {}):
        response = client.submit(f"/agreements/{tier2.id}/withdraw", date_parts)
        assert response.status_code == 422
        assert errors(response)


def test_register_filters(client, session):
    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    protocol, tier2 = chain(session, a, b)
    make_draft(session, owner=a, parent=protocol, parties=[party(a), party(b)], title="Early help")
    client.sign_in(make_user(session, agency=a))
    page = client.page("/agreements?status=draft")
    titles = [r.find_all("td")[1].get_text(strip=True) for r in page.select("tbody tr")]
    assert titles == ["Early help"]
    page = client.page("/agreements?tier=1")
    assert [r.find_all("td")[1].get_text(strip=True) for r in page.select("tbody tr")] == [
        "Protocol"
    ]
    page = client.page("/agreements?q=mash")
    assert [r.find_all("td")[1].get_text(strip=True) for r in page.select("tbody tr")] == ["MASH"]


def test_two_leads_editing_one_draft_do_not_overwrite_each_other(app, client, session):
    from bs4 import BeautifulSoup

    from ..client import RegistryClient
    from ..factories import chain, make_agency, make_draft, make_user, party

    council, police = make_agency(session, name="C"), make_agency(session, name="P")
    protocol, _ = chain(session, council, police)
    draft = make_draft(
        session,
        owner=council,
        parent=protocol,
        parties=[party(council), party(police)],
        title="Original",
    )
    url = f"/agreements/{draft.id}/edit"
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    app.test_client_class = RegistryClient
    other = app.test_client()
    other.sign_in(make_user(session, roles=("ig_lead",), agency=council))

    def form_of(c):
        page = c.page(url)
        data = {}
        for field in page.select("form input, form textarea"):
            name = field.get("name")
            if not name or field.get("type") in ("submit",):
                continue
            if field.get("type") in ("checkbox", "radio"):
                if field.has_attr("checked"):
                    data.setdefault(name, []).append(field.get("value"))
                continue
            value = field.get("value") if field.name == "input" else field.get_text()
            data.setdefault(name, []).append(value or "")
        for select in page.select("form select"):
            chosen = select.find("option", selected=True)
            data[select["name"]] = chosen.get("value", "") if chosen else ""
        return data

    mine, theirs = form_of(client), form_of(other)
    assert mine["lock_version"] == theirs["lock_version"]
    saved = other.post(url, data={**theirs, "title": "Their title"})
    assert saved.status_code == 302, (
        BeautifulSoup(saved.data, "html.parser").select_one(".govuk-error-summary").get_text()
    )
    refused = client.post(url, data={**mine, "title": "My title"})
    assert refused.status_code == 409
    soup = BeautifulSoup(refused.data, "html.parser")
    assert "Someone else saved changes" in soup.select_one(".govuk-error-summary").get_text()
    assert soup.find("input", attrs={"name": "title"})["value"] == "My title"  # kept
    session.rollback()
    assert session.get(type(draft), draft.id).latest.title == "Their title"
    # Warned, they save again on purpose: it goes through.
    again = {
        field["name"]: field.get("value")
        for field in soup.select("form input")
        if field.get("name") == "lock_version"
    }
    assert client.post(url, data={**mine, **again, "title": "My title"}).status_code == 302


def test_an_ig_lead_chooses_a_parent_from_those_its_agency_is_a_party_to(client, session):
    from registry.services import agreement_lifecycle

    from ..factories import ADMIN, FIXED_NOW

    council, police, other = (
        make_agency(session, name=n) for n in ("Council", "Police", "Elsewhere")
    )
    ours = activate(
        session,
        make_draft(
            session, tier=1, owner=council, title="Ours", parties=[party(council), party(police)]
        ),
    )
    theirs = activate(
        session,
        make_draft(
            session, tier=1, owner=other, title="Theirs", parties=[party(other), party(police)]
        ),
    )
    ended = activate(
        session,
        make_draft(
            session, tier=1, owner=council, title="Ended", parties=[party(council), party(police)]
        ),
    )
    agreement_lifecycle.terminate(session, ADMIN, ended.id, "replaced", now=FIXED_NOW)
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    response = client.get("/agreements/new?tier=2")  # no parent yet: asks for one
    assert response.status_code == 422
    page = BeautifulSoup(response.data, "html.parser")
    offered = [o["value"] for o in page.select("select[name=parent_id] option") if o["value"]]
    assert offered == [str(ours.id)]
    assert "Ours (tier 1)" in page.select_one("select[name=parent_id]").get_text()
    assert str(theirs.id) not in offered and str(ended.id) not in offered

    # An agency in no protocol is told why nothing is offered, and what to do.
    stranger = make_agency(session, name="Newcomer")
    client.submit("/sign-out", token_from="/")
    client.sign_in(make_user(session, roles=("ig_lead",), agency=stranger))
    page = BeautifulSoup(client.get("/agreements/new?tier=2").data, "html.parser")
    assert not [o for o in page.select("select[name=parent_id] option") if o["value"]]
    assert "ask that agreement's owner to add your agency" in page.get_text()


def _selects_to_show(client, address: str) -> int:
    from sqlalchemy import event

    from registry.extensions import db

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        client.page(address)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))


def test_a_protocols_page_costs_the_same_reads_for_three_parties_or_twelve(client, session):
    """Each party (and each agreement under it) is read up front, not one query apiece."""
    small = [make_agency(session, name=f"Small {n}") for n in range(3)]
    large = [make_agency(session, name=f"Large {n:02d}") for n in range(12)]
    pages = []
    for agencies in (small, large):
        protocol = activate(
            session,
            make_draft(session, tier=1, owner=agencies[0], parties=[party(a) for a in agencies]),
        )
        for _ in range(len(agencies) // 3):  # one, then four, agreements under it
            make_draft(
                session,
                owner=agencies[0],
                parent=protocol,
                parties=[party(agencies[0]), party(agencies[1])],
            )
        pages.append(f"/agreements/{protocol.id}")
    client.sign_in(make_user(session, agency=make_agency(session, name="Elsewhere")))
    client.page(pages[0])  # the first request reads what every later one has cached
    assert _selects_to_show(client, pages[0]) == _selects_to_show(client, pages[1])
    shown = client.page(pages[1]).select_one("main").get_text(" ", strip=True)
    assert all(a.name in shown for a in large)


def test_a_parent_narrowed_below_a_child_warns_and_flags_it_on_the_pages(client, session):
    from registry.services import agreement_lifecycle, agreements

    from ..factories import FIXED_NOW, ig_lead_actor

    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police", kind="police")
    _, mash = chain(session, council, police)
    flow = activate(
        session,
        make_draft(
            session,
            tier=3,
            owner=council,
            parent=mash,
            parties=[party(police), party(council)],
            title="Police to children's services",
        ),
    )
    agreement_lifecycle.amend(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    agreements.update_draft(
        session,
        ig_lead_actor(council),
        mash.id,
        {"parties": [party(council), party(police, disclose=False)]},
        now=FIXED_NOW,
    )
    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    submitted = client.submit(
        f"/agreements/{mash.id}/submit", token_from=f"/agreements/{mash.id}", follow_redirects=True
    )
    text = BeautifulSoup(submitted.data, "html.parser").get_text(" ", strip=True)
    assert f"Once signed, this version will allow less than {flow.reference}" in text
    assert f"Police may not disclose under {mash.reference}" in text
    activate_rest = [council, police]
    for agency in activate_rest:
        from ..factories import signatory_for

        signer = signatory_for(session, agency)
        signing.sign(session, signer.actor(), mash.id, proof="password", now=FIXED_NOW)
    page = client.page(f"/agreements/{flow.id}").get_text(" ", strip=True)
    assert "Exceeds its parent" in page
    assert f"{mash.reference} was changed to allow less than this agreement" in page
    home = client.page("/").get_text(" ", strip=True)
    assert "Agreements that exceed their parent" in home and flow.reference in home
    listed = client.page("/agreements?exceeds_parent=1")
    assert [a.get_text() for a in listed.select("tbody tr td:first-child a")] == [flow.reference]


def test_signing_pages_say_plainly_when_there_is_nothing_to_sign(client, session):
    """Issue 15: the signing page of a version already in force, or already signed by
    this agency, still said 'You are signing'; after a decline and an edit, the agreement
    page still showed 'Signed by' beside content that had changed."""
    from registry.services import agreement_lifecycle, agreements

    from ..factories import FIXED_NOW, ig_lead_actor, signatory_for

    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police", kind="police")
    _, mash = chain(session, council, police)
    signer = signatory_for(session, police)
    client.sign_in(signer)
    page = client.page(f"/agreements/{mash.id}/sign").select_one("main").get_text(" ", strip=True)
    assert "Nothing to sign" in page and "You are signing" not in page
    assert "not waiting for signatures" in page
    client.submit("/sign-out", token_from="/")

    agreement_lifecycle.amend(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    agreement_lifecycle.submit(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    signing.sign(session, signer.actor(), mash.id, proof="password", now=FIXED_NOW)
    client.sign_in(signer)
    main = client.page(f"/agreements/{mash.id}/sign").select_one("main")
    page = main.get_text(" ", strip=True)
    assert "Already signed" in page and "You are signing" not in page
    assert main.find("form") is None
    client.submit("/sign-out", token_from="/")

    council_signer = signatory_for(session, council)
    signing.decline(
        session,
        council_signer.actor(),
        mash.id,
        "Say who reviews it",
        proof="password",
        now=FIXED_NOW,
    )
    agreements.update_draft(
        session,
        ig_lead_actor(council),
        mash.id,
        {"retention": "Reviewed by the MASH manager"},
        now=FIXED_NOW,
    )
    client.sign_in(make_user(session, agency=council))
    draft = client.page(f"/agreements/{mash.id}?version=2")
    parties = draft.find("h2", string="Parties to version 2").find_next("table")
    assert "Signed by" not in parties.get_text(" ", strip=True)


def test_a_signatory_is_warned_before_signing_a_version_its_parent_no_longer_allows(
    client, session
):
    """A review found a GP practice signing a health flow whose MASH parent had just
    dropped health, with no word until after signing."""
    from registry.services import agreement_lifecycle, agreements

    from ..factories import FIXED_NOW, ig_lead_actor, signatory_for

    council = make_agency(session, name="Council")
    practice = make_agency(session, name="Riverside Practice", kind="health")
    _, mash = chain(session, council, practice)
    lead = ig_lead_actor(council)
    health = make_draft(
        session,
        tier=3,
        owner=council,
        parent=mash,
        parties=[party(practice, receive=False), party(council, disclose=False)],
        data_categories=["identity_contact"],
    )
    agreement_lifecycle.submit(session, lead, health.id, now=FIXED_NOW)
    agreement_lifecycle.amend(session, lead, mash.id, now=FIXED_NOW)
    agreements.update_draft(session, lead, mash.id, {"purposes": ["marac"]}, now=FIXED_NOW)
    activate(session, mash)
    client.sign_in(signatory_for(session, practice))
    page = " ".join(client.page(f"/agreements/{health.id}/sign").get_text().split())
    assert "Exceeds its parent" in page
    assert f"{mash.reference} now allows less than this version" in page
    assert f"is not among the purposes of {mash.reference}" in page


def test_a_protocol_page_lists_the_first_agreements_under_it_and_links_to_all(
    client, session, monkeypatch
):
    from registry.services import agreement_reads

    monkeypatch.setattr(agreement_reads, "CHILDREN_SHOWN", 2)
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police", kind="police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    under = [
        make_draft(
            session,
            tier=2,
            owner=council,
            parent=protocol,
            parties=[party(council), party(police)],
            title=t,
        )
        for t in ("Early help", "MASH", "Missing children")
    ]
    other = make_draft(
        session, tier=1, owner=police, parties=[party(police), party(council)], title="Elsewhere"
    )
    client.sign_in(make_user(session, roles=("practitioner",), agency=council))

    page = client.page(f"/agreements/{protocol.id}")
    row = next(
        r for r in page.select(".govuk-summary-list__row") if "Agreements under it" in r.get_text()
    )
    first_two = sorted(under, key=lambda a: a.reference)[:2]
    assert [a.get_text(" ", strip=True).split()[0] for a in row.select("li a")] == [
        a.reference for a in first_two
    ]
    link = row.find("a", string=lambda s: s and "See all 3 agreements" in s)
    assert link is not None and link["href"] == f"/agreements?parent={protocol.id}"

    listed = client.page(link["href"])
    refs = {a.get_text() for a in listed.select("tbody tr td:first-child a")}
    assert refs == {a.reference for a in under} and other.reference not in refs
    banner = listed.select_one(".govuk-inset-text").get_text(" ", strip=True)
    assert f"Agreements made under {protocol.reference}" in banner
    # Other filters keep the parent: the form sends it again.
    assert listed.find("input", attrs={"name": "parent", "value": str(protocol.id)}) is not None
    narrowed = client.page(f"/agreements?parent={protocol.id}&q=MASH")
    assert [a.get_text() for a in narrowed.select("tbody tr td:first-child a")] == [
        next(a.reference for a in under if (a.latest.title == "MASH"))
    ]
    unknown = client.page("/agreements?parent=999999").get_text(" ", strip=True)
    assert "There is no agreement 999999" in unknown
