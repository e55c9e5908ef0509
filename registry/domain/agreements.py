"""An agreement version's content, the tier rules of SPEC §2, its canonical hash and diffs."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .dates import add_months, date_range_error, long_date
from .fields import text_error
from .vocab import ControllerRelationship, DpiaOutcome, Frequency, LawfulBasisKind

DEFAULT_REVIEW_MONTHS = 12
MAX_REVIEW_MONTHS = 60
# Named data items of a tier 3 (SPEC section 2): short phrases, one a line on the form.
MAX_DATA_ITEMS = 100
MAX_DATA_ITEM_LENGTH = 200
# The fields only a tier 3 records, with how a message names them.
TIER3_FIELDS = {
    "frequency": "how often information is shared",
    "frequency_detail": "how often information is shared",
    "transfer_methods": "how information is sent",
    "data_items": "named data items",
}


@dataclass(frozen=True)
class PartyTerms:
    agency_id: int
    may_disclose: bool
    may_receive: bool
    role: str = ""


@dataclass(frozen=True)
class Content:
    """What one version of an agreement says. Codes and ids only: names may change later."""

    title: str
    tier: int
    owner_agency_id: int
    effective_from: date | None
    review_date: date | None
    parties: tuple[PartyTerms, ...]
    purposes: tuple[str, ...] = ()
    data_categories: tuple[str, ...] = ()
    lawful_bases: tuple[str, ...] = ()
    parent_id: int | None = None
    data_subjects: str = ""
    retention: str = ""
    security: str = ""
    review_period_months: int = DEFAULT_REVIEW_MONTHS
    end_date: date | None = None
    # Tier 3 only: how often, how, and exactly which items of information are shared.
    frequency: str | None = None
    frequency_detail: str = ""
    transfer_methods: tuple[str, ...] = ()
    data_items: tuple[str, ...] = ()
    # Any tier: the data protection impact assessment and how the parties control the data.
    dpia_reference: str = ""
    dpia_completed_on: date | None = None
    dpia_outcome: str | None = None
    dpia_link: str = ""
    controller_relationship: str | None = None

    def party_ids(self) -> set[int]:
        return {p.agency_id for p in self.parties}


@dataclass(frozen=True)
class Category:
    label: str
    special: bool = False
    criminal: bool = False


@dataclass(frozen=True)
class Vocabulary:
    purposes: dict[str, str] = field(default_factory=dict)
    data_categories: dict[str, Category] = field(default_factory=dict)
    lawful_bases: dict[str, tuple[str, LawfulBasisKind]] = field(default_factory=dict)
    transfer_methods: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ParentView:
    """What a child's rules need to know of its parent agreement's current version."""

    reference: str
    tier: int
    party_ids: frozenset[int]
    purposes: frozenset[str]
    data_categories: frozenset[str]
    usable: bool = True  # not terminated or superseded
    # Each party's (may_disclose, may_receive) under the parent: a child may not let a
    # party disclose or receive where the parent does not.
    terms: Mapping[int, tuple[bool, bool]] = field(default_factory=dict)


DATE_LABELS = {
    "effective_from": "Effective date",
    "review_date": "Review date",
    "end_date": "End date",
}


def default_review_date(effective_from: date, months: int | None) -> date | None:
    """The review date `months` after the effective date; None when the effective date is
    outside the range taken as input (its own error says so)."""
    months = months or DEFAULT_REVIEW_MONTHS
    if date_range_error(effective_from, "") or not 1 <= months <= MAX_REVIEW_MONTHS:
        return None
    return add_months(effective_from, months)


def _names(codes, labels: Mapping[str, str]) -> str:
    return ", ".join(labels.get(c, c) for c in sorted(codes))


def check_content(
    content: Content,
    *,
    vocabulary: Vocabulary,
    parent: ParentView | None,
    agency_names: dict[int, str],
) -> dict[str, str]:
    """Every tier rule of SPEC §2; answers {field: message}, empty when all hold."""
    errors: dict[str, str] = {}
    purpose_labels = vocabulary.purposes
    category_labels = {c: v.label for c, v in vocabulary.data_categories.items()}
    basis_labels = {c: v[0] for c, v in vocabulary.lawful_bases.items()}

    if not content.title.strip():
        errors["title"] = "Enter a title"
    elif len(content.title) > 200:
        errors["title"] = "Title must be 200 characters or fewer"
    _check_text(content, errors)

    if content.tier not in (1, 2, 3):
        errors["tier"] = "Tier must be 1, 2 or 3"
        return errors

    _check_parent(content, parent, errors)
    _check_parties(content, parent, agency_names, errors)

    unknown = [c for c in content.purposes if c not in purpose_labels]
    if unknown:
        errors["purposes"] = f"Unknown purpose: {', '.join(sorted(unknown))}"
    unknown = [c for c in content.data_categories if c not in category_labels]
    if unknown:
        errors["data_categories"] = f"Unknown data category: {', '.join(sorted(unknown))}"
    unknown = [c for c in content.lawful_bases if c not in basis_labels]
    if unknown:
        errors["lawful_bases"] = f"Unknown lawful basis: {', '.join(sorted(unknown))}"

    if content.tier in (2, 3):
        if not content.purposes:
            errors.setdefault("purposes", "Choose at least one purpose")
        if not content.data_categories:
            errors.setdefault("data_categories", "Choose at least one data category")
        kinds = {
            vocabulary.lawful_bases[c][1]
            for c in content.lawful_bases
            if c in vocabulary.lawful_bases
        }
        if LawfulBasisKind.ART6 not in kinds:
            errors.setdefault("lawful_bases", "Choose at least one UK GDPR Article 6 lawful basis")
    # Every missing basis in one message: an Article 6 basis, an Article 9 condition and a
    # Schedule 1 condition are asked for together, never one after the other is fixed.
    if not unknown:
        _check_conditions(content, vocabulary, errors)

    if parent is not None and "parent_id" not in errors:
        for name, message in beyond_parent(
            content, parent, agency_names, purpose_labels, category_labels
        ).items():
            errors.setdefault(name, message)

    _check_dates(content, errors)
    _check_tier3(content, vocabulary, errors)
    _check_records(content, errors)
    return errors


def _check_tier3(content: Content, vocabulary: Vocabulary, errors: dict[str, str]) -> None:
    """Frequency, transfer methods and named data items: a tier 3's alone."""
    if content.tier != 3:
        for name, words in TIER3_FIELDS.items():
            if getattr(content, name):
                errors.setdefault(
                    name,
                    f"Only a tier 3 agreement records {words}: leave it out of a "
                    f"tier {content.tier} agreement",
                )
        return
    if content.frequency is not None and content.frequency not in set(Frequency):
        errors["frequency"] = "Choose how often information is shared from the list"
    if error := text_error(content.frequency_detail, "How often", multiline=False):
        errors["frequency_detail"] = error
    elif len(content.frequency_detail) > 200:
        errors["frequency_detail"] = "Say how often in 200 characters or fewer"
    elif content.frequency_detail.strip() and content.frequency is None:
        errors.setdefault("frequency", "Choose how often information is shared")
    unknown = [c for c in content.transfer_methods if c not in vocabulary.transfer_methods]
    if unknown:
        errors["transfer_methods"] = f"Unknown transfer method: {', '.join(sorted(unknown))}"
    if len(content.data_items) > MAX_DATA_ITEMS:
        errors["data_items"] = f"List at most {MAX_DATA_ITEMS} data items"
    for n, item in enumerate(content.data_items, start=1):
        if error := text_error(item, f"Data item {n}", multiline=False):
            errors.setdefault("data_items", error)
        elif len(item) > MAX_DATA_ITEM_LENGTH:
            errors.setdefault(
                "data_items",
                f"Data item {n} is longer than {MAX_DATA_ITEM_LENGTH} characters: "
                "name each item in a few words, one a line",
            )


def _check_records(content: Content, errors: dict[str, str]) -> None:
    """The DPIA (all of reference, date and outcome once any part is given; the link
    optional) and the controller relationship."""
    if content.controller_relationship is not None and content.controller_relationship not in set(
        ControllerRelationship
    ):
        errors["controller_relationship"] = "Choose separate controllers or joint controllers"
    given = bool(
        content.dpia_reference.strip()
        or content.dpia_completed_on
        or content.dpia_outcome
        or content.dpia_link.strip()
    )
    if not given:
        return
    if not content.dpia_reference.strip():
        errors["dpia_reference"] = "Enter the DPIA's reference, or leave every DPIA field blank"
    elif error := text_error(content.dpia_reference, "The DPIA reference", multiline=False):
        errors["dpia_reference"] = error
    elif len(content.dpia_reference) > 100:
        errors["dpia_reference"] = "The DPIA reference must be 100 characters or fewer"
    if content.dpia_completed_on is None:
        errors["dpia_completed_on"] = "Enter the date the DPIA was completed"
    elif error := date_range_error(content.dpia_completed_on, "The DPIA's date"):
        errors["dpia_completed_on"] = error
    if content.dpia_outcome is None:
        errors["dpia_outcome"] = "Choose the DPIA's outcome"
    elif content.dpia_outcome not in set(DpiaOutcome):
        errors["dpia_outcome"] = "Choose the DPIA's outcome from the list"
    link = content.dpia_link.strip()
    if link and (
        not link.lower().startswith(("https://", "http://"))
        or len(link) > 500
        or any(c.isspace() for c in link)
        or text_error(link, "The link", multiline=False)
    ):
        errors["dpia_link"] = (
            "Enter the link to the DPIA as a web address starting https:// or http://, "
            "or leave it blank"
        )


def beyond_parent(
    content: Content,
    parent: ParentView,
    names: Mapping[int, str],
    purpose_labels: Mapping[str, str] | None = None,
    category_labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """What `content` grants beyond its parent's version (SPEC section 2), by field: a
    party that is not the parent's, a direction the parent does not allow that party, and
    for a tier 3 a purpose or data category the parent does not have. Empty when the
    child stays within its parent. (Used when a child is saved or submitted, and to flag
    children that a parent amended since no longer covers.)"""
    found: dict[str, str] = {}
    if parent.tier != content.tier - 1:
        return found
    outside = sorted(
        names.get(p.agency_id, str(p.agency_id))
        for p in content.parties
        if p.agency_id not in parent.party_ids
    )
    if outside:
        found["parties"] = (
            f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not a party to "
            f"{parent.reference}"
        )
    else:
        wider = []
        for p in content.parties:
            may_disclose, may_receive = parent.terms.get(p.agency_id, (True, True))
            for wanted, allowed, verb in (
                (p.may_disclose, may_disclose, "disclose"),
                (p.may_receive, may_receive, "receive"),
            ):
                if wanted and not allowed:
                    wider.append(
                        f"{names.get(p.agency_id, p.agency_id)} may not {verb} under "
                        f"{parent.reference}, so cannot {verb} under this agreement"
                    )
        if wider:
            found["parties"] = "; ".join(wider)
    if content.tier == 3:
        extra = set(content.purposes) - parent.purposes
        if extra:
            found["purposes"] = (
                f"{_names(extra, purpose_labels or {})} "
                f"{'is' if len(extra) == 1 else 'are'} not among the purposes "
                f"of {parent.reference}"
            )
        extra = set(content.data_categories) - parent.data_categories
        if extra:
            found["data_categories"] = (
                f"{_names(extra, category_labels or {})} "
                f"{'is' if len(extra) == 1 else 'are'} not among the data "
                f"categories of {parent.reference}"
            )
    return found


def parent_error(tier: int, parent_id: int | None, parent: ParentView | None) -> str | None:
    """What is wrong with the parent chosen for an agreement of `tier`, if anything."""
    if tier == 1:
        return "A tier 1 protocol has no parent agreement" if parent_id is not None else None
    wanted = tier - 1
    kind = "tier 1 protocol" if wanted == 1 else "tier 2 agreement"
    if parent_id is None or parent is None:
        return f"Choose the {kind} this agreement sits under"
    if parent.tier != wanted:
        return (
            f"{parent.reference} is a tier {parent.tier} agreement: "
            f"a tier {tier} agreement's parent must be a {kind}"
        )
    if not parent.usable:
        return f"{parent.reference} has ended and cannot take new agreements"
    return None


def _check_parent(content: Content, parent: ParentView | None, errors: dict[str, str]) -> None:
    if error := parent_error(content.tier, content.parent_id, parent):
        errors["parent_id"] = error


def _check_parties(
    content: Content, parent: ParentView | None, names: dict[int, str], errors: dict[str, str]
) -> None:
    ids = [p.agency_id for p in content.parties]
    unknown = [i for i in ids if i not in names]
    if unknown:
        errors["parties"] = f"Unknown agency id: {', '.join(str(i) for i in unknown)}"
        return
    dupes = sorted(names[i] for i, n in Counter(ids).items() if n > 1)
    if dupes:
        errors["parties"] = f"{', '.join(dupes)} is listed more than once"
        return
    neither = [names[p.agency_id] for p in content.parties if not (p.may_disclose or p.may_receive)]
    if neither:
        errors["parties"] = f"{', '.join(neither)} must be allowed to disclose, to receive, or both"
        return
    minimum = 2 if content.tier in (2, 3) else 1
    if len(ids) < minimum:
        errors["parties"] = (
            f"A tier {content.tier} agreement needs at least {minimum} "
            f"part{'ies' if minimum > 1 else 'y'}"
        )
        return
    if content.owner_agency_id not in ids:
        errors["parties"] = (
            f"{names.get(content.owner_agency_id, 'The owning agency')} "
            "owns this agreement and must be one of its parties"
        )
        return


def _check_conditions(content: Content, vocabulary: Vocabulary, errors: dict[str, str]) -> None:
    kinds = {
        vocabulary.lawful_bases[c][1] for c in content.lawful_bases if c in vocabulary.lawful_bases
    }
    cats = [
        vocabulary.data_categories[c]
        for c in content.data_categories
        if c in vocabulary.data_categories
    ]
    special = sorted(c.label for c in cats if c.special)
    criminal = sorted(c.label for c in cats if c.criminal)
    wanted = [errors["lawful_bases"]] if "lawful_bases" in errors else []
    if special and LawfulBasisKind.ART9 not in kinds:
        wanted.append(
            f"{', '.join(special)} "
            f"{'is' if len(special) == 1 else 'are'} special category "
            "data: choose an Article 9 condition"
        )
    if criminal and LawfulBasisKind.SCH1 not in kinds:
        wanted.append(
            f"{', '.join(criminal)} "
            f"{'is' if len(criminal) == 1 else 'are'} criminal offence "
            "data: choose an Article 10 / DPA 2018 Schedule 1 condition"
        )
    if wanted:
        errors["lawful_bases"] = "; ".join(wanted)


# The free text of an agreement: (field, its name in a message, several lines or one).
TEXT_FIELDS = (
    ("title", "Title", False),
    ("data_subjects", "Data subjects", True),
    ("retention", "Retention", True),
    ("security", "Security", True),
)


def _check_text(content: Content, errors: dict[str, str]) -> None:
    for name, label, multiline in TEXT_FIELDS:
        if name not in errors and (
            error := text_error(getattr(content, name), label, multiline=multiline)
        ):
            errors[name] = error
    for p in content.parties:
        if error := text_error(p.role, "A party's role", multiline=False):
            errors.setdefault("parties", error)


def _check_dates(content: Content, errors: dict[str, str]) -> None:
    if not 1 <= content.review_period_months <= MAX_REVIEW_MONTHS:
        errors["review_period_months"] = (
            f"Review period must be between 1 and {MAX_REVIEW_MONTHS} months"
        )
    if content.effective_from is None:
        errors["effective_from"] = "Enter the date the agreement takes effect"
        return
    far = {
        name: message
        for name, label in DATE_LABELS.items()
        if (message := date_range_error(getattr(content, name), label))
    }
    if far:
        errors.update(far)
        return
    if content.review_date is None:
        if "review_period_months" not in errors:  # else no review date could be worked out
            errors["review_date"] = "Enter the review date"
        return
    if content.review_date <= content.effective_from:
        errors["review_date"] = (
            f"Review date must be after the effective date ({long_date(content.effective_from)})"
        )
    if content.end_date is not None:
        if content.end_date <= content.effective_from:
            errors["end_date"] = (
                f"End date must be after the effective date ({long_date(content.effective_from)})"
            )
        elif content.end_date <= content.review_date:
            errors["end_date"] = (
                f"End date must be after the review date ({long_date(content.review_date)})"
            )


def canonical(content: Content, *, reference: str, version: int) -> dict[str, Any]:
    """The version's content as plain, ordered values: what a signature binds to.

    The review date is left out: a review moves it on a signed version without new
    signatures (SPEC §4), so it is governance data, not signed content."""
    return {
        "reference": reference,
        "version": version,
        "title": content.title,
        "tier": content.tier,
        "parent_id": content.parent_id,
        "owner_agency_id": content.owner_agency_id,
        "purposes": sorted(content.purposes),
        "data_categories": sorted(content.data_categories),
        "lawful_bases": sorted(content.lawful_bases),
        "data_subjects": content.data_subjects,
        "retention": content.retention,
        "security": content.security,
        "effective_from": content.effective_from.isoformat() if content.effective_from else None,
        "review_period_months": content.review_period_months,
        "end_date": content.end_date.isoformat() if content.end_date else None,
        "parties": [
            {
                "agency_id": p.agency_id,
                "may_disclose": p.may_disclose,
                "may_receive": p.may_receive,
                "role": p.role,
            }
            for p in sorted(content.parties, key=lambda p: p.agency_id)
        ],
        **recorded(content),
    }


def recorded(content: Content) -> dict[str, Any]:
    """The tier-3 particulars, DPIA and controller relationship, each only when recorded:
    content signed before the registry asked for them keeps the fingerprint it was signed
    with."""
    found: dict[str, Any] = {
        "frequency": content.frequency,
        "frequency_detail": content.frequency_detail,
        "transfer_methods": sorted(content.transfer_methods),
        "data_items": list(content.data_items),
        "dpia_reference": content.dpia_reference,
        "dpia_completed_on": (
            content.dpia_completed_on.isoformat() if content.dpia_completed_on else None
        ),
        "dpia_outcome": content.dpia_outcome,
        "dpia_link": content.dpia_link,
        "controller_relationship": content.controller_relationship,
    }
    return {k: v for k, v in found.items() if v}


def content_sha256(content: Content, *, reference: str, version: int) -> str:
    data = json.dumps(
        canonical(content, reference=reference, version=version),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Change:
    field: str
    before: Any = None
    after: Any = None
    added: tuple = ()
    removed: tuple = ()


_SCALARS = (
    "title",
    "parent_id",
    "data_subjects",
    "retention",
    "security",
    "effective_from",
    "review_date",
    "review_period_months",
    "end_date",
    "frequency",
    "frequency_detail",
    "controller_relationship",
    "dpia_reference",
    "dpia_completed_on",
    "dpia_outcome",
    "dpia_link",
)
_LISTS = ("purposes", "data_categories", "lawful_bases", "transfer_methods", "data_items")


# How a change to one of issue 19's fields is named in "show amendments" (the older
# fields read well enough from their own names).
CHANGE_NAMES = {
    "frequency": "How often",
    "frequency_detail": "More about how often",
    "transfer_methods": "How it is sent",
    "data_items": "Named data items",
    "controller_relationship": "Controllers",
    "dpia_reference": "DPIA reference",
    "dpia_completed_on": "Date the DPIA was completed",
    "dpia_outcome": "DPIA outcome",
    "dpia_link": "Link to the DPIA",
}


def diff(before: Content, after: Content) -> list[Change]:
    """What `after` changes against `before`, field by field ("show amendments")."""
    changes: list[Change] = []
    for name in _SCALARS:
        a, b = getattr(before, name), getattr(after, name)
        if a != b:
            changes.append(Change(name, before=a, after=b))
    for name in _LISTS:
        a, b = set(getattr(before, name)), set(getattr(after, name))
        if a != b:
            changes.append(Change(name, added=tuple(sorted(b - a)), removed=tuple(sorted(a - b))))
    old = {p.agency_id: p for p in before.parties}
    new = {p.agency_id: p for p in after.parties}
    added = tuple(sorted(set(new) - set(old)))
    removed = tuple(sorted(set(old) - set(new)))
    if added or removed:
        changes.append(Change("parties", added=added, removed=removed))
    for agency_id in sorted(set(old) & set(new)):
        if old[agency_id] != new[agency_id]:
            changes.append(Change("party_terms", before=old[agency_id], after=new[agency_id]))
    return changes


def reference_for(year: int, number: int) -> str:
    return f"ISA-{year}-{number:04d}"
