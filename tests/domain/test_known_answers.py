"""Known answers for the two hashes the registry stores for ever: an agreement version's
content SHA-256 (what every signature binds to, SPEC §4) and the hash chains' entry hash
(the decision records and the audit trail, SPEC §6).

The expected hashes below are written out literally. They were computed once from the
canonical form as it stands, and must never be recomputed to make this test pass: if one
of them changes, every signature already stored would stop matching its version, and every
stored chain would be reported broken by `verify-audit`. A change to the canonical form
(key order, separators, escaping, how dates, None or lists are written) needs a migration
plan for the stored hashes, not a new literal here."""

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime

from registry.domain.agreements import Content, PartyTerms, content_sha256
from registry.domain.chain import GENESIS, entry_hash

# --- content_sha256 ------------------------------------------------------------------

PLAIN = Content(
    title="MASH information sharing agreement",
    tier=2,
    owner_agency_id=1,
    parent_id=7,
    effective_from=date(2026, 4, 1),
    review_date=date(2027, 4, 1),
    parties=(
        PartyTerms(agency_id=1, may_disclose=True, may_receive=True, role="Lead"),
        PartyTerms(agency_id=2, may_disclose=True, may_receive=False),
    ),
    purposes=("mash_triage",),
    data_categories=("identity_contact", "social_care"),
    lawful_bases=("art6_1_e", "ca2004_s11"),
    data_subjects="Children referred to the MASH",
    retention="Six years after the case closes",
    security="Secure email only",
)

# Non-ASCII names (Welsh, French, a typographic dash and quotes, an emoji), the set-like
# lists and the parties given out of order, no parent, an end date, and text that JSON
# must escape (a backslash, a double quote, a newline, a tab).
AWKWARD = Content(
    title="Cytundeb Rhannu Gwybodaeth – Ynys Môn “MARAC” café 👶",
    tier=3,
    owner_agency_id=12,
    parent_id=None,
    effective_from=date(2024, 2, 29),
    review_date=date(2025, 2, 28),
    end_date=date(2030, 12, 31),
    review_period_months=6,
    parties=(
        PartyTerms(agency_id=30, may_disclose=False, may_receive=True, role="Derbynnydd"),
        PartyTerms(agency_id=12, may_disclose=True, may_receive=False, role="Datgelwr"),
        PartyTerms(agency_id=4, may_disclose=True, may_receive=True),
    ),
    purposes=("marac", "child_protection_s47", "early_help"),
    data_categories=("police_intelligence", "health", "criminal_offence"),
    lawful_bases=("sch1_para18", "art9_2_h", "art6_1_e"),
    data_subjects='Adults at risk \\ "high risk" victims',
    retention="Line one\nLine two\tindented",
    security="",
)

# A draft not yet dated: effective_from (and so the review date) is None.
UNDATED = Content(
    title="Draft",
    tier=1,
    owner_agency_id=3,
    effective_from=None,
    review_date=None,
    parties=(PartyTerms(agency_id=3, may_disclose=True, may_receive=True),),
)

# Computed once, then frozen: see the module's docstring before changing any of them.
PLAIN_1 = "5c05fa6436eef129120e9f9a55b080bcd83d3421ec0de5d2213cc322deeeece4"
PLAIN_2 = "aca8fe0df4217301981f69bd9bf2d090f4c0106eb99312e214943534331c36bd"
AWKWARD_3 = "8b8eba9744302982ff674dc8b0f59500767cc08d0fb8bd9d2df47d247c6579cb"
UNDATED_1 = "3e784df3ff56b966a32c240a5a30478342399a414d01f17fe85c68e1175408b5"

CONTENT_ANSWERS = [
    (PLAIN, "ISA-2026-0002", 1, PLAIN_1),
    (PLAIN, "ISA-2026-0002", 2, PLAIN_2),  # the version number is signed too
    (AWKWARD, "ISA-2024-0042", 3, AWKWARD_3),
    (UNDATED, "ISA-2026-0003", 1, UNDATED_1),
]


def test_content_sha256_known_answers():
    got = [content_sha256(c, reference=r, version=v) for c, r, v, _ in CONTENT_ANSWERS]
    assert got == [expected for *_, expected in CONTENT_ANSWERS]


def test_the_canonical_form_spelled_out():
    """What is hashed, byte for byte: keys sorted, no spaces, UTF-8 (not \\u escapes),
    None as null, the review date left out."""
    canonical = (
        '{"data_categories":[],"data_subjects":"","effective_from":null,"end_date":null,'
        '"lawful_bases":[],"owner_agency_id":3,"parent_id":null,"parties":[{"agency_id":3,'
        '"may_disclose":true,"may_receive":true,"role":""}],"purposes":[],'
        '"reference":"ISA-2026-0003","retention":"","review_period_months":12,"security":"",'
        '"tier":1,"title":"Draft","version":1}'
    )
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == UNDATED_1


def test_the_set_like_lists_and_the_parties_are_hashed_in_sorted_order():
    ordered = replace(
        AWKWARD,
        parties=tuple(sorted(AWKWARD.parties, key=lambda p: p.agency_id)),
        purposes=tuple(sorted(AWKWARD.purposes)),
        data_categories=tuple(sorted(AWKWARD.data_categories)),
        lawful_bases=tuple(sorted(AWKWARD.lawful_bases)),
    )
    assert content_sha256(ordered, reference="ISA-2024-0042", version=3) == AWKWARD_3


def test_the_review_date_is_not_signed_content():
    # A review moves the review date of a signed version without new signatures (SPEC §4).
    moved = replace(PLAIN, review_date=date(2028, 4, 1))
    assert content_sha256(moved, reference="ISA-2026-0002", version=1) == PLAIN_1


# --- entry_hash ----------------------------------------------------------------------

# Shaped as services/decisions.content() writes a decision record.
DECISION = {
    "sequence": 1,
    "recorded_at": "2026-06-15T11:00:00+00:00",
    "user_id": 5,
    "recorded_by": "Siân O’Connor",
    "agency_id": 1,
    "check_id": "0b9f6c1e-6d2a-4d0c-9b0a-3f1f2f5e7a11",
    "from_agency_id": 1,
    "to_agency_id": 2,
    "purpose": "mash_triage",
    "data_categories": ["social_care", "identity_contact"],  # kept in the order stored
    "decision": "share",
    "consent": "not_sought",
    "consent_reason": "Telling the family would put the child at risk",
    "reasons": "Needed for the strategy meeting — «urgent»\nsecond line",
    "case_reference": None,
    "key_questions": {"purpose": "yes", "consent": "no", "identifies": "yes"},
    "method": None,
    "expected_action": "",
    "follow_up_on": "2026-06-22",
    "idempotency_key": None,
}
# Shaped as services/audit.audit_content() writes an audit entry; `before` and `after`
# hold a date and a datetime as objects, which the chain writes with str().
AUDIT = {
    "sequence": 2,
    "recorded_at": "2026-06-15T11:00:01.250000+00:00",
    "actor_user_id": None,
    "actor_name": "Gwen Ap Dafydd",
    "action": "agency.update",
    "entity_type": "agency",
    "entity_id": 12,
    "before": {"name": "Cyngor Sir Ynys Môn", "reviewed_on": date(2026, 1, 31)},
    "after": {"name": "Isle of Anglesey County Council", "at": datetime(2026, 6, 15, tzinfo=UTC)},
}
EMPTY = {"sequence": 3, "before": None, "after": {}, "tags": []}


# Computed once, then frozen: see the module's docstring before changing any of them.
FIRST = "fa7d8fa0c008d870147ac0ce9ba47b8e425baebc1e14192d67c3b3adffcd9e1c"
SECOND = "a9e33c44f29b74b74f292a15abcca39157c2d48063e407d67646e9a9daca3e13"
THIRD = "ed195eab39893ece99081c6a1dc5e09bf233fda03b806d08ea9ac80ce5a5431b"


def test_entry_hash_known_answers():
    first = entry_hash(DECISION, GENESIS)
    second = entry_hash(AUDIT, first)
    third = entry_hash(EMPTY, second)
    assert [first, second, third] == [FIRST, SECOND, THIRD]


def test_the_entry_form_spelled_out():
    """What is hashed for a chain entry, byte for byte: the content and the previous hash,
    keys sorted at every level, no spaces, UTF-8, dates and datetimes written by str()."""
    body = (
        '{"content":{"action":"agency.update","actor_name":"Gwen Ap Dafydd",'
        '"actor_user_id":null,"after":{"at":"2026-06-15 00:00:00+00:00",'
        '"name":"Isle of Anglesey County Council"},"before":{"name":"Cyngor Sir Ynys Môn",'
        '"reviewed_on":"2026-01-31"},"entity_id":12,"entity_type":"agency",'
        '"recorded_at":"2026-06-15T11:00:01.250000+00:00","sequence":2},'
        f'"previous":"{FIRST}"}}'
    )
    assert hashlib.sha256(body.encode("utf-8")).hexdigest() == SECOND


def test_entry_hash_does_not_depend_on_the_order_keys_were_written_in():
    shuffled = dict(reversed(DECISION.items()))
    shuffled["key_questions"] = dict(reversed(DECISION["key_questions"].items()))
    assert entry_hash(shuffled, GENESIS) == FIRST


def test_entry_hash_keeps_the_order_of_lists():
    # Lists in a chain entry are kept as recorded: reordering one is a change.
    reordered = {**DECISION, "data_categories": sorted(DECISION["data_categories"])}
    assert entry_hash(reordered, GENESIS) != FIRST
