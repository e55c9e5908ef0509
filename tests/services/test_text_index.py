""" "Contains these words" from an index (services/text_index.py): on SQLite the FTS5
trigram tables must find exactly the rows a plain reading of every value would, and stay
in step as rows are added, renamed and removed."""

from __future__ import annotations

import random

from sqlalchemy import select

from registry.models import Agency, Officer
from registry.services.text_index import matching

from ..factories import make_agency, make_officer

NAMES = [
    "Riverside Council",
    "RIVERSIDE police",
    'St Mary\'s "Hope" Trust',
    "100% Youth_Work CIC",
    "Crèche Café Network",
    "North  East Ambulance",
    "Eastmoor Schools Partnership",
]


def _found(session, words, model, *columns) -> set[int]:
    return set(session.scalars(select(model.id).where(matching(session, words, model, *columns))))


def _read_by_hand(rows, words, *attributes) -> set[int]:
    wanted = words.strip().lower()
    return {
        row.id for row in rows if any(wanted in (getattr(row, a) or "").lower() for a in attributes)
    }


def test_matches_are_exactly_the_rows_that_contain_the_words(session):
    agencies = [
        make_agency(session, name=name, ods_code=f"OD{i:03d}", ico=f"ZA{i:06d}")
        for i, name in enumerate(NAMES)
    ]
    session.commit()
    pieces = [
        "side",
        "RIVER",
        "mary's \"hope",
        "100%",
        "h_w",
        "crèche",
        "e ambu",
        "od00",
        "za0000",
        "nothing here",
        "  council  ",
        "e   a",
        "%",
        "___",
    ]
    rng = random.Random(19)
    for _ in range(40):  # and slices of the values themselves
        value = rng.choice(NAMES + [a.ods_code for a in agencies])
        start = rng.randrange(len(value) - 3)
        pieces.append(value[start : start + rng.randint(3, 9)])
    columns = (Agency.name, Agency.ico_registration, Agency.ods_code)
    for words in pieces:
        expected = _read_by_hand(agencies, words, "name", "ico_registration", "ods_code")
        assert _found(session, words, Agency, *columns) == expected, words
        # restricted to the name, a code's digits find nothing
        by_name = _read_by_hand(agencies, words, "name")
        assert _found(session, words, Agency, Agency.name) == by_name, words


def test_the_index_follows_renames_and_new_and_removed_rows(session):
    agency = make_agency(session, name="Westfield Council")
    officer = make_officer(session, agency, name="Ada Lovelace", email="ada@westfield.example")
    session.commit()
    assert _found(session, "westf", Agency, Agency.name) == {agency.id}

    agency.name = "Northgate Council"
    session.commit()
    assert _found(session, "westf", Agency, Agency.name) == set()
    assert _found(session, "northg", Agency, Agency.name) == {agency.id}

    assert _found(session, "lovelace", Officer, Officer.name, Officer.email) == {officer.id}
    session.delete(officer)
    session.commit()
    assert _found(session, "lovelace", Officer, Officer.name, Officer.email) == set()


def test_on_sqlite_the_match_is_asked_of_the_index(session):
    make_agency(session, name="Riverside Council")
    session.commit()
    condition = matching(session, "riverside", Agency, Agency.name)
    sql = str(select(Agency.id).where(condition).compile(session.get_bind()))
    if session.get_bind().dialect.name == "sqlite":
        assert "fts_agencies MATCH" in sql
    else:
        assert "lower(agencies.name) LIKE" in sql
