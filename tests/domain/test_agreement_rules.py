"""The tier rules of SPEC §2: each refusal names the field and the offending item."""

from dataclasses import replace
from datetime import date

import pytest

from registry.domain.agreements import (
    Category,
    Content,
    ParentView,
    PartyTerms,
    Vocabulary,
    check_content,
    content_sha256,
    default_review_date,
    diff,
)
from registry.domain.vocab import LawfulBasisKind as K

VOCAB = Vocabulary(
    purposes={"mash_triage": "MASH triage", "marac": "MARAC", "early_help": "Early help"},
    data_categories={
        "identity_contact": Category("Identity and contact"),
        "health": Category("Health", special=True),
        "criminal_offence": Category("Criminal offences", criminal=True),
    },
    lawful_bases={
        "art6_1_e": ("Public task", K.ART6),
        "art9_2_h": ("Health care", K.ART9),
        "sch1_para18": ("Safeguarding", K.SCH1),
        "ca2004_s11": ("Children Act 2004 s11", K.STATUTE),
    },
)
NAMES = {1: "Council", 2: "Police", 3: "Hospital", 4: "School"}
PARENT = ParentView(
    reference="ISA-2026-0001",
    tier=1,
    party_ids=frozenset({1, 2, 3}),
    purposes=frozenset(),
    data_categories=frozenset(),
)
TIER2_PARENT = ParentView(
    reference="ISA-2026-0002",
    tier=2,
    party_ids=frozenset({1, 2}),
    purposes=frozenset({"mash_triage"}),
    data_categories=frozenset({"identity_contact", "health"}),
)


def tier2(**changes) -> Content:
    base = Content(
        title="MASH",
        tier=2,
        owner_agency_id=1,
        parent_id=10,
        effective_from=date(2026, 1, 1),
        review_date=date(2027, 1, 1),
        parties=(PartyTerms(1, True, True), PartyTerms(2, True, False)),
        purposes=("mash_triage",),
        data_categories=("identity_contact",),
        lawful_bases=("art6_1_e",),
    )
    return replace(base, **changes)


def errors(content, parent=PARENT):
    return check_content(content, vocabulary=VOCAB, parent=parent, agency_names=NAMES)


def test_a_complete_tier_2_agreement_passes():
    assert errors(tier2()) == {}


def test_tier_1_has_no_parent_and_tier_2_needs_a_tier_1_parent():
    protocol = tier2(tier=1, parent_id=None, purposes=(), data_categories=(), lawful_bases=())
    assert errors(protocol, parent=None) == {}
    assert "no parent" in errors(replace(protocol, parent_id=10))["parent_id"]
    assert "Choose the tier 1 protocol" in errors(tier2(parent_id=None), parent=None)["parent_id"]
    assert errors(tier2(), parent=TIER2_PARENT)["parent_id"].startswith(
        "ISA-2026-0002 is a tier 2 agreement"
    )


def test_tier_3_parent_must_be_tier_2():
    t3 = tier2(tier=3)
    assert "must be a tier 2 agreement" in errors(t3, parent=PARENT)["parent_id"]
    assert errors(t3, parent=TIER2_PARENT) == {}


def test_a_child_cannot_add_a_party_outside_its_parent():
    content = tier2(parties=(PartyTerms(1, True, True), PartyTerms(4, False, True)))
    assert errors(content)["parties"] == "School is not a party to ISA-2026-0001"


def test_a_child_cannot_let_a_party_disclose_or_receive_where_its_parent_does_not():
    parent = replace(TIER2_PARENT, terms={1: (False, True), 2: (True, False)})
    t3 = tier2(tier=3, parties=(PartyTerms(1, True, True), PartyTerms(2, True, True)))
    assert errors(t3, parent=parent)["parties"] == (
        "Council may not disclose under ISA-2026-0002, so cannot disclose under this "
        "agreement; Police may not receive under ISA-2026-0002, so cannot receive under "
        "this agreement"
    )
    # The same directions as the parent, or narrower, are fine.
    narrower = tier2(tier=3, parties=(PartyTerms(1, False, True), PartyTerms(2, True, False)))
    assert errors(narrower, parent=parent) == {}


def test_tier_3_purposes_and_categories_are_subsets_of_the_parent():
    t3 = tier2(
        tier=3,
        purposes=("mash_triage", "marac"),
        data_categories=("identity_contact", "criminal_offence"),
        lawful_bases=("art6_1_e", "sch1_para18"),
    )
    found = errors(t3, parent=TIER2_PARENT)
    assert found["purposes"] == "MARAC is not among the purposes of ISA-2026-0002"
    assert found["data_categories"] == (
        "Criminal offences is not among the data categories of ISA-2026-0002"
    )


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"parties": (PartyTerms(1, True, True),)}, "parties", "at least 2 parties"),
        ({"purposes": ()}, "purposes", "at least one purpose"),
        ({"data_categories": ()}, "data_categories", "at least one data category"),
        ({"lawful_bases": ("ca2004_s11",)}, "lawful_bases", "Article 6"),
        ({"title": "  "}, "title", "Enter a title"),
    ],
)
def test_tier_2_minimum_content(changes, field, text):
    assert text in errors(tier2(**changes))[field]


def test_special_category_data_needs_an_article_9_condition():
    content = tier2(data_categories=("identity_contact", "health"))
    assert errors(content)["lawful_bases"] == (
        "Health is special category data: choose an Article 9 condition"
    )
    assert errors(replace(content, lawful_bases=("art6_1_e", "art9_2_h"))) == {}


def test_criminal_offence_data_needs_a_schedule_1_condition():
    content = tier2(data_categories=("criminal_offence",))
    assert "Criminal offences is criminal offence data" in errors(content)["lawful_bases"]
    assert errors(replace(content, lawful_bases=("art6_1_e", "sch1_para18"))) == {}


def test_each_party_discloses_or_receives_and_appears_once():
    neither = tier2(parties=(PartyTerms(1, True, True), PartyTerms(2, False, False)))
    assert errors(neither)["parties"] == ("Police must be allowed to disclose, to receive, or both")
    twice = tier2(parties=(PartyTerms(1, True, True), PartyTerms(1, True, False)))
    assert "Council is listed more than once" in errors(twice)["parties"]


def test_the_owner_must_be_a_party():
    content = tier2(owner_agency_id=3)
    assert errors(content)["parties"] == (
        "Hospital owns this agreement and must be one of its parties"
    )


def test_unknown_codes_and_agencies_are_named():
    assert "Unknown purpose: nonsense" in errors(tier2(purposes=("nonsense",)))["purposes"]
    unknown_party = tier2(parties=(PartyTerms(1, True, True), PartyTerms(99, True, True)))
    assert "Unknown agency id: 99" in errors(unknown_party)["parties"]


def test_dates_review_after_effective_and_end_after_both():
    found = errors(tier2(review_date=date(2026, 1, 1)))
    assert found["review_date"] == "Review date must be after the effective date (1 January 2026)"
    assert (
        "after the review date (1 January 2027)"
        in errors(tier2(end_date=date(2026, 12, 1)))["end_date"]
    )
    # Agreements already in force on paper keep their real, past dates.
    past = tier2(
        effective_from=date(2019, 4, 1), review_date=date(2020, 4, 1), end_date=date(2021, 4, 1)
    )
    assert errors(past) == {}


def test_default_review_period_is_twelve_months_clamped_to_month_end():
    assert default_review_date(date(2026, 3, 15), None) == date(2027, 3, 15)
    assert default_review_date(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert default_review_date(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_content_hash_binds_content_not_review_date():
    a = tier2()
    h = content_sha256(a, reference="ISA-2026-0002", version=1)
    assert len(h) == 64
    assert (
        content_sha256(
            replace(a, review_date=date(2027, 6, 1)), reference="ISA-2026-0002", version=1
        )
        == h
    )
    assert content_sha256(replace(a, title="MASH v2"), reference="ISA-2026-0002", version=1) != h
    assert content_sha256(a, reference="ISA-2026-0002", version=2) != h
    # Order of codes and parties does not matter: the content is the same.
    shuffled = replace(a, parties=tuple(reversed(a.parties)))
    assert content_sha256(shuffled, reference="ISA-2026-0002", version=1) == h


def test_diff_lists_each_change():
    before = tier2()
    after = replace(
        before,
        title="MASH (revised)",
        purposes=("mash_triage", "marac"),
        parties=(PartyTerms(1, True, True), PartyTerms(2, True, True), PartyTerms(3, True, True)),
    )
    changes = {c.field: c for c in diff(before, after)}
    assert changes["title"].before == "MASH" and changes["title"].after == "MASH (revised)"
    assert changes["purposes"].added == ("marac",)
    assert changes["parties"].added == (3,)
    assert changes["party_terms"].after.may_receive is True
    assert diff(before, before) == []
