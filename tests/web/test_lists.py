"""Every list a person meets: a search form, pages of 25 with a way to the next, an
empty state that says what to do next, dates written out and status tags in words."""

import re

import pytest

from registry.services.decisions import DecisionInput, record_decision

from ..factories import (
    FIXED_NOW,
    TODAY,
    activate,
    make_admin,
    make_agency,
    make_draft,
    make_user,
    party,
)

MORE_THAN_A_PAGE = 27
LONG_DATE = re.compile(
    r"\b\d{1,2} (January|February|March|April|May|June|July|August|"
    r"September|October|November|December) \d{4}\b"
)
NUMERIC_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")


@pytest.fixture
def crowded(session):
    """More than a page of everything, all of it visible to the administrator."""
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    for n in range(MORE_THAN_A_PAGE):
        make_agency(session, name=f"Academy {n:02d}")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    for n in range(MORE_THAN_A_PAGE):
        activate(
            session,
            make_draft(
                session,
                owner=council,
                parent=protocol,
                parties=[party(council), party(police)],
                title=f"Sharing plan {n:02d}",
            ),
        )
    practitioner = make_user(session, agency=council)
    for n in range(MORE_THAN_A_PAGE):
        make_user(session, agency=police, name=f"Officer {n:02d}")
        record_decision(
            session,
            practitioner.actor(),
            DecisionInput(
                from_agency_id=council.id,
                to_agency_id=police.id,
                purpose="mash_triage",
                data_categories=["identity_contact"],
                decision="share",
                consent="given",
                reasons="Risk of harm",
                case_reference=f"CASE-{n:02d}",
            ),
            idempotency_key=None,
            today=TODAY,
            now=FIXED_NOW,
        )
    return make_admin(session)


# path, a search that matches nothing, its parameter
LISTS = [
    ("/agencies", "q", "zzz-no-such-agency"),
    ("/agreements", "q", "zzz-no-such-agreement"),
    ("/agreements/reviews", "q", "zzz-no-such-agreement"),
    ("/decisions", "q", "zzz-no-such-case"),
    ("/admin/users", "q", "zzz-no-such-user"),
    ("/admin/audit", "q", "zzz-no-such-person"),
    ("/register", "q", "zzz-no-such-agreement"),
]


@pytest.mark.parametrize("path,param,nothing", LISTS, ids=[p for p, _, _ in LISTS])
def test_every_list_searches_pages_and_says_what_to_do_when_empty(
    client, crowded, path, param, nothing
):
    client.sign_in(crowded)
    first = client.page(path)
    search = first.select_one("form[role=search]")
    assert search is not None, f"{path} has no search form"
    box = search.find("input", attrs={"name": param})
    assert box is not None and first.find("label", attrs={"for": box["id"]}), path

    text = first.get_text(" ")
    assert "page 1 of" in text, f"{path} does not page its {MORE_THAN_A_PAGE}+ items"
    following = first.select_one(".govuk-pagination__next a")
    assert following is not None, path
    second = client.page(following["href"])
    assert "page 2 of" in second.get_text(" "), path
    assert not NUMERIC_DATE.search(text), f"{path} writes a date in figures"

    empty = client.page(f"{path}?{param}={nothing}")
    said = " ".join(empty.select_one("main").get_text(" ").split())
    assert re.search(r"No \w+ .*match", said), f"{path}: {said[-300:]}"
    assert empty.find(
        "a", string=re.compile(r"clear the filters|Show them all|add a", re.IGNORECASE)
    ), f"{path}: nothing to do next"


def test_status_tags_say_their_status_in_words(client, crowded):
    client.sign_in(crowded)
    for path in ("/agreements", "/agreements/reviews", "/register"):
        tags = client.page(path).select(".govuk-tag")
        assert tags, path
        assert all(tag.get_text(strip=True) for tag in tags), path
        assert LONG_DATE.search(client.page(path).get_text(" ")) or path == "/agreements"


def test_the_vocabularies_search_codes_and_labels(client, session):
    client.sign_in(make_admin(session))
    found = client.page("/admin/vocabularies?q=MASH")
    rows = [row.get_text(" ", strip=True) for row in found.select("tbody tr")]
    assert rows and all("mash" in row.lower() for row in rows), rows
    assert found.find("a", string=re.compile("clear the search"))  # lawful bases: none
    assert len(client.page("/admin/vocabularies").select("tbody tr")) > len(rows)


@pytest.mark.parametrize(
    "path,query",
    [
        ("/agencies", {"q": "Academy", "kind": "local_authority"}),
        (
            "/agreements",
            {"q": "Sharing", "tier": "2", "status": "active", "purpose": "mash_triage"},
        ),
        ("/agreements/reviews", {"q": "Sharing", "status": "active"}),
        ("/decisions", {"q": "CASE", "decision": "share"}),
        ("/admin/audit", {"q": "admin", "entity": "agreement"}),
        ("/register", {"q": "Sharing", "tier": "2"}),
    ],
)
def test_a_filtered_list_keeps_what_was_chosen(client, crowded, path, query):
    client.sign_in(crowded)
    shown = client.page(path + "?" + "&".join(f"{k}={v}" for k, v in query.items()))
    form = shown.select_one("form[role=search]")
    assert form.find("input", attrs={"name": "q"})["value"] == query["q"]
    for name, value in query.items():
        if name != "q":
            chosen = form.select_one(f"select[name={name}] option[selected]")
            assert chosen is not None and chosen["value"] == value, (path, name)


@pytest.mark.parametrize("path", [p for p, _, _ in LISTS])
def test_a_percent_sign_searches_for_itself_not_for_everything(client, crowded, path):
    client.sign_in(crowded)
    said = " ".join(client.page(f"{path}?q=%25").select_one("main").get_text(" ").split())
    assert re.search(r"No \w+ .*match", said), f"{path}: {said[-300:]}"


def test_an_underscore_searches_for_itself(client, crowded, session):
    make_agency(session, name="Health_Visitors Service")
    client.sign_in(crowded)
    rows = [
        row.get_text(" ", strip=True) for row in client.page("/agencies?q=_").select("tbody tr")
    ]
    assert len(rows) == 1 and "Health_Visitors" in rows[0], rows


# The lists whose count stops at a bound (a national registry's millions of rows), the
# module that holds it, and what the download link then says.
BOUNDED = [
    ("/agreements", "registry.web.agreements.views", None),
    ("/agreements/reviews", "registry.web.agreements.views", None),
    ("/decisions?purpose=mash_triage", "registry.web.decisions.views", "Download the more than 20"),
    ("/admin/audit", "registry.web.admin.views", "Download these more than 20 entries"),
]


@pytest.mark.parametrize("path,module,download", BOUNDED, ids=[p for p, _, _ in BOUNDED])
def test_a_list_longer_than_its_count_says_more_than_and_pages_that_far(
    client, crowded, monkeypatch, path, module, download
):
    import importlib

    monkeypatch.setattr(importlib.import_module(module), "PAGES_COUNT_UP_TO", 20)
    client.sign_in(crowded)
    first = client.page(path)
    said = " ".join(first.select_one("main").get_text(" ").split())
    assert "More than 20 results: pages of the first 20, page 1 of" in said, said[-400:]
    if download:
        assert download in said
    # A page past the counted ones shows the last counted page, not an empty one.
    far = client.page(f"{path}{'&' if '?' in path else '?'}page=50")
    assert far.select("tbody tr"), path
    assert "page 50 of" not in far.get_text(" ")
