"""What the API takes and answers, each once, as pydantic models: the request models
validate bodies and query strings (web/api/body.py), and every model writes its part of
the OpenAPI document (web/api/openapi.py), so the two cannot drift apart.

Request models are strict: a number must be a JSON number, a flag true or false, a date a
string written YYYY-MM-DD. Fields not declared are ignored (mass assignment: a route reads
only what it declares). Answer models describe what web/api/serialise.py builds; the
answers are not passed through them (tests/api/test_openapi.py checks they match)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ...database import MAX_ID  # the databases' integer keys
from ...domain.agreements import MAX_DATA_ITEM_LENGTH, MAX_DATA_ITEMS
from ...domain.audit_words import ACTIONS
from ...domain.dates import EARLIEST_DATE, LATEST_DATE, long_date
from ...domain.decisions import (
    ANSWERS,
    KEY_QUESTIONS,
    METHODS,
    OUTCOME_MAX,
    Consent,
    Decision,
    InformationOutcome,
)
from ...domain.fields import (
    INVISIBLE,
    NEVER_IN_MANY_LINES,
    NEVER_IN_ONE_LINE,
    email_error,
    ico_error,
    ods_error,
)
from ...domain.vocab import (
    AgencyKind,
    ControllerRelationship,
    DpiaOutcome,
    EffectiveStatus,
    Frequency,
    LawfulBasisKind,
    OfficerRole,
    ReviewOutcome,
    Role,
    VersionStatus,
)
from ...models.notification import DeliveryState, NotificationEvent

# Characters no person types into a text field, and the line breaks a single-line field
# refuses: the one rule of domain/fields.py, as patterns. (Patterns are read by pydantic's
# own engine, where `$` is the end of the text as in JSON Schema's, not before a last
# newline as in Python's `re`.)
# _NEVER: what a single-line field refuses (line breaks among it); _MANY: a multi-line one.
_NEVER, _MANY = NEVER_IN_ONE_LINE, NEVER_IN_MANY_LINES
_LINE_BREAKS = r"\t\n\r"
SINGLE_LINE = rf"^[^{_NEVER}]*$"
MULTI_LINE = rf"^[^{_MANY}]*$"
# At least one character a reader sees (not a space, not an invisible one: the services'
# `blank`), and none of those refused.
_SEEN = rf"[^{_NEVER}{INVISIBLE}\s]"
SINGLE_LINE_FILLED = rf"^[^{_NEVER}]*{_SEEN}[^{_NEVER}]*$"
MULTI_LINE_FILLED = rf"^[^{_MANY}]*{_SEEN}[^{_MANY}]*$"

# Spaces where the services strip them: at either end (ICO numbers and ODS codes also
# within). White space other than a line break or a character refused above.
_SPACE = rf"[^\S{_NEVER}{_LINE_BREAKS}]"
# An email address as domain/fields.py checks it once the ends are stripped.
_ADDRESS = rf"[^@\s{_NEVER}]+@[^@\s{_NEVER}]+\.[^@\s{_NEVER}]+"
EMAIL = rf"^{_SPACE}*{_ADDRESS}{_SPACE}*$"
EMAIL_OR_BLANK = rf"^{_SPACE}*(?:{_ADDRESS}{_SPACE}*)?$"
# domain/fields.py's ICO and ODS patterns, after its normalising (capitals, no spaces).
ICO = r"^ *[Zz](?: *[0-9]){7} *$|^ *[Zz] *[A-Za-z](?: *[0-9]){6} *$"
ODS_OR_BLANK = r"^ *(?:(?:[A-Za-z0-9] *){3,6})?$"

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A web address as the services take it (domain/agreements.py), or nothing.
DPIA_LINK = rf"^(?:[Hh][Tt][Tt][Pp][Ss]?://[^\s{_NEVER}]+)?$"

DATE_RANGE = f"between {long_date(EARLIEST_DATE)} and {long_date(LATEST_DATE)}"


def _in_range(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise PydanticCustomError("date_out_of_range", "must be " + DATE_RANGE)
    return value


# A date the registry takes: YYYY-MM-DD in the years 1900 to 2199 (domain/dates.py).
Day = Annotated[
    date,
    AfterValidator(_in_range),
    Field(
        json_schema_extra={
            "pattern": f"^(19[0-9]{{2}}|2[0-{str(LATEST_DATE.year)[1]}][0-9]{{2}})-",
            "description": "A date written YYYY-MM-DD, " + DATE_RANGE,
        }
    ),
]


def _text_field(max_length: int, filled: bool, pattern: str) -> Any:
    return Annotated[
        str, Field(max_length=max_length, min_length=1 if filled else 0, pattern=pattern)
    ]


def line(max_length: int, *, filled: bool = False) -> Any:
    """A single-line text field; `filled`: something a reader sees, not only spaces."""
    return _text_field(max_length, filled, SINGLE_LINE_FILLED if filled else SINGLE_LINE)


def text(max_length: int, *, filled: bool = False) -> Any:
    """A multi-line text field (newlines kept)."""
    return _text_field(max_length, filled, MULTI_LINE_FILLED if filled else MULTI_LINE)


Code = Annotated[str, Field(min_length=1, max_length=64, pattern=SINGLE_LINE_FILLED)]
Codes = Annotated[list[Code], Field(max_length=200)]
SomeCodes = Annotated[list[Code], Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(min_length=1, max_length=254, pattern=EMAIL)]
IcoNumber = Annotated[
    str,
    Field(
        max_length=20,
        pattern=ICO,
        description="The ICO's registration number, like Z1234567 or ZA123456",
    ),
]
Password = Annotated[str, Field(min_length=12, max_length=1024, pattern=r"^[^\x00]*$")]

KeyQuestion = Literal[tuple(KEY_QUESTIONS)]
KeyAnswer = Literal[ANSWERS]
Method = Literal[METHODS]


class Request(BaseModel):
    """A request body. `messages`: a field's own message for any fault of its shape."""

    model_config = ConfigDict(strict=True, extra="ignore")
    messages: ClassVar[dict[str, str]] = {}


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class Empty(Request):
    """No fields: the body may be left out, or be an empty object."""


# Tokens ----------------------------------------------------------------------------


class TokenRequest(Request):
    email: Annotated[str, Field(min_length=1, max_length=254, pattern=r"^[^\x00]*$")]
    password: Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[^\x00]*$")]
    totp: Annotated[str, Field(max_length=20, pattern=r"^[^\x00]*$")] | None = None
    name: Annotated[
        line(100),
        Field(description="Your own name for the token, to tell it apart in your list"),
    ] = ""


class ApiTokenLabel(Answer):
    """What its owner sees of a token (web/api/tokens.py): its label, never the token."""

    id: int
    name: str
    hint: str = Field(description="The token's first characters")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Written at most once a minute")
    expires_at: datetime
    revoked_at: datetime | None


class Token(ApiTokenLabel):
    token: str = Field(description="Shown this once only: keep it as you would a password")


class ApiToken(ApiTokenLabel):
    current: bool = Field(description="The token this request was made with")


class ApiTokenList(Answer):
    items: list[ApiToken]
    total: int


# Users -----------------------------------------------------------------------------


class UserUpdate(Request):
    email: Email = None
    name: line(200, filled=True) = None
    job_title: line(200) = None
    password: Password = None
    agency_id: Id | None = None
    roles: Annotated[list[Role], Field(min_length=1, max_length=4)] = None
    active: bool = None


class UserCreate(UserUpdate):
    email: Email
    name: line(200, filled=True)
    password: Password
    roles: Annotated[list[Role], Field(min_length=1, max_length=4)]


class User(Answer):
    id: int
    email: str
    name: str
    job_title: str
    agency_id: int | None
    roles: list[Role]
    active: bool


# Agencies and officers ---------------------------------------------------------------


class AgencyUpdate(Request):
    name: line(200, filled=True) = None
    kind: AgencyKind = None
    ico_registration: IcoNumber = None
    ods_code: Annotated[str, Field(max_length=20, pattern=ODS_OR_BLANK)] | None = None
    email: Annotated[str, Field(max_length=254, pattern=EMAIL_OR_BLANK)] | None = None
    phone: line(40) | None = None
    address: text(2000) | None = None
    messages: ClassVar[dict[str, str]] = {
        "kind": "Choose the kind of agency: " + ", ".join(k.value for k in AgencyKind),
        "ico_registration": ico_error(""),
        "ods_code": ods_error(""),
        "email": email_error(""),
    }


class AgencyCreate(AgencyUpdate):
    name: line(200, filled=True)
    kind: AgencyKind
    ico_registration: IcoNumber


class Agency(Answer):
    id: int
    name: str
    kind: AgencyKind
    ico_registration: str
    ods_code: str | None
    email: str | None
    phone: str | None
    address: str | None


# An officer holds the role from started_on up to, not including, ended_on: a leaver's
# ended_on is the successor's started_on (domain/agencies.py). One holder at a time for
# lead_information_officer, caldicott_guardian, siro and dpo; signatories may be many.
OFFICER_DATES = (
    "started_on: the first day they hold the role, at most a year ahead; ended_on: the "
    "first day they no longer do (their successor's started_on), on or after started_on "
    "and at most a year ahead"
)


class OfficerDetails(Request):
    role: OfficerRole = None
    name: line(200, filled=True) = None
    job_title: line(200, filled=True) = None
    email: Email = None
    phone: line(40) | None = None
    messages: ClassVar[dict[str, str]] = {
        "role": "Choose the officer's role",
        "email": email_error(""),
    }


class OfficerUpdate(OfficerDetails):
    """Change an officer's details, or correct their dates (for one who has left, only
    the dates). ended_on null: no leaving date."""

    started_on: Day = Field(default=None, description=OFFICER_DATES)
    ended_on: Day | None = Field(default=None, description=OFFICER_DATES)


class OfficerCreate(OfficerDetails):
    """A holder of a role taken from someone who holds it on started_on: refused with 409
    `role_held` (naming them) unless replaces_current is true, when they leave on
    started_on."""

    role: OfficerRole
    name: line(200, filled=True)
    job_title: line(200, filled=True)
    email: Email
    started_on: Day = Field(default=None, description="Default today. " + OFFICER_DATES)
    replaces_current: bool = Field(
        default=False,
        description="The role's holder on started_on leaves that day (lead information "
        "officer, Caldicott Guardian, SIRO, DPO)",
    )


class Officer(Answer):
    id: int
    agency_id: int
    role: OfficerRole
    name: str
    job_title: str
    email: str
    phone: str | None
    started_on: date = Field(description="The first day they hold the role")
    ended_on: date | None = Field(
        description="The first day they no longer hold it (null: still in post)"
    )


class VocabularyEntry(Answer):
    code: str
    label: str
    active: bool
    special: bool = False
    criminal: bool = False
    kind: LawfulBasisKind = LawfulBasisKind.ART6


class Vocabularies(Answer):
    purposes: list[VocabularyEntry]
    data_categories: list[VocabularyEntry]
    lawful_bases: list[VocabularyEntry]
    transfer_methods: list[VocabularyEntry] = Field(
        default=[], description="How a tier 3 agreement's information is sent"
    )


# Agreements --------------------------------------------------------------------------


class PartyInput(Request):
    agency_id: Id
    may_disclose: bool = False
    may_receive: bool = False
    role: line(200) | None = None


class AgreementUpdate(Request):
    title: line(200, filled=True) = None
    parent_id: Id | None = None
    purposes: Codes = None
    data_categories: Codes = None
    lawful_bases: Codes = None
    data_subjects: text(5000) = None
    retention: text(5000) = None
    security: text(5000) = None
    effective_from: Day = None
    review_date: Day | None = None
    review_period_months: Annotated[int, Field(ge=1, le=60)] = None
    end_date: Day | None = None
    parties: Annotated[list[PartyInput], Field(max_length=1000)] = None
    frequency: Frequency | None = Field(
        default=None, description="Tier 3 only: how often information is shared"
    )
    frequency_detail: line(200) | None = Field(
        default=None, description="Tier 3 only: more about how often, in words"
    )
    transfer_methods: Codes = Field(
        default=None, description="Tier 3 only: codes from GET /vocabularies transfer_methods"
    )
    data_items: (
        Annotated[list[line(MAX_DATA_ITEM_LENGTH, filled=True)], Field(max_length=MAX_DATA_ITEMS)]
        | None
    ) = Field(
        default=None,
        description="Tier 3 only: the named items of information shared, like "
        '"date of birth", in the order given',
    )
    controller_relationship: ControllerRelationship | None = Field(
        default=None,
        description="separate: each party decides for itself how it uses what it receives; "
        "joint: the parties decide together (UK GDPR Article 26); null: not recorded",
    )
    dpia_reference: line(100) | None = Field(
        default=None,
        description="The data protection impact assessment's reference; with it give "
        "dpia_completed_on and dpia_outcome (all empty: no DPIA recorded)",
    )
    dpia_completed_on: Day | None = Field(
        default=None, description="When the DPIA was completed: today or earlier"
    )
    dpia_outcome: DpiaOutcome | None = None
    dpia_link: Annotated[str, Field(max_length=500, pattern=DPIA_LINK)] | None = Field(
        default=None, description="Optional: the DPIA's web address, starting https:// or http://"
    )
    lock_version: Annotated[
        int,
        Field(
            ge=0,
            le=MAX_ID,
            description="The lock_version you read; if someone has saved since, the answer is 409",
        ),
    ] = None


class AgreementCreate(AgreementUpdate):
    tier: Literal[1, 2, 3]
    owner_agency_id: Id
    title: line(200, filled=True)
    effective_from: Day
    parties: Annotated[list[PartyInput], Field(max_length=1000)]


class Party(Answer):
    agency_id: int
    agency_name: str
    may_disclose: bool
    may_receive: bool
    role: str
    signed: bool
    signature: Signature | None = Field(
        description="The party's signature of this version's content (who signed, when, "
        "the proof given, and on whose behalf when a delegate signed); null until it signs"
    )
    withdrawn_from: date | None


class ChildExceeding(Answer):
    id: int
    reference: str
    reasons: list[str]


class Sealing(Answer):
    version: int
    state: Literal["being_sealed", "failed"] = Field(
        description="being_sealed: its sealed PDF is being made (its download answers 503 "
        "with Retry-After); failed: it could not be made and the registry team has been told"
    )


class Agreement(Answer):
    id: int
    reference: str
    lock_version: int = 0
    tier: Literal[1, 2, 3]
    parent_id: int | None
    owner_agency_id: int
    version: int
    status: VersionStatus
    effective_status: EffectiveStatus
    in_force_version: int | None
    exceeds_parent: str | None = Field(
        default=None,
        description="What this agreement grants beyond its parent as the parent now stands "
        "(the parent was narrowed after it), or null",
    )
    children_exceeding: list[ChildExceeding] = Field(
        default=[],
        description="In one agreement's answer (not in lists): the agreements directly under "
        "it that grant more than its latest version allows",
    )
    title: str
    purposes: list[str]
    data_categories: list[str]
    lawful_bases: list[str]
    data_subjects: str = ""
    retention: str = ""
    security: str = ""
    effective_from: date
    review_date: date
    review_period_months: int
    end_date: date | None
    content_sha256: str | None
    terminates_on: date | None = None
    frequency: Frequency | None = Field(
        default=None, description="Tier 3: how often information is shared (null elsewhere)"
    )
    frequency_detail: str = ""
    transfer_methods: list[str] = Field(default=[], description="Tier 3: how it is sent")
    data_items: list[str] = Field(default=[], description="Tier 3: the named data items")
    controller_relationship: ControllerRelationship | None = Field(
        default=None, description="null: not recorded"
    )
    dpia_reference: str = Field(default="", description="Empty: no DPIA recorded")
    dpia_completed_on: date | None = None
    dpia_outcome: DpiaOutcome | None = None
    dpia_link: str = ""
    parties: list[Party]
    withdrawals: list[Withdrawal] = Field(
        default=[],
        description="The parties' notices of withdrawal: who withdraws, from when, why and "
        "who gave notice",
    )
    sealing: list[Sealing] = Field(
        default=[],
        description="In one agreement's answer (not in lists): the versions whose sealed PDF "
        "is being made or could not be made",
    )


class Version(Answer):
    version: int
    status: VersionStatus
    created_at: datetime
    content_sha256: str | None


class OnBehalfOf(Answer):
    """The signatory a delegate signed for, as they were when the delegate signed."""

    name: str
    job_title: str


class Signature(Answer):
    agency_id: int
    version: int
    signatory_name: str
    job_title: str
    signed_at: datetime
    content_sha256: str
    proof: Literal["two_factor", "password"] | None = Field(
        description="The fresh proof of identity given when signing: a current two-factor "
        "code, or the password of a user without two-factor sign-in (null for signatures "
        "made before the registry asked for one)"
    )
    on_behalf_of: OnBehalfOf | None = Field(
        description="Set when a delegate signed: the signatory on whose behalf "
        '("signatory_name on behalf of on_behalf_of.name"); null otherwise'
    )


class FreshProof(Request):
    """Fresh proof of identity for signing and declining: `totp`, the current code from
    the user's authenticator app (each code works once, so not one already used to sign
    in or to get a token); or `password`, only for a user without two-factor sign-in.
    Missing or wrong: 422 naming the field; a wrong one counts as a failed sign-in."""

    totp: Annotated[str, Field(max_length=20, pattern=r"^[^\x00]*$")] | None = None
    password: Annotated[str, Field(max_length=1024, pattern=r"^[^\x00]*$")] | None = None


class SignInput(FreshProof):
    pass


class DeclineInput(FreshProof):
    comment: text(2000, filled=True)


class ReviewInput(Request):
    outcome: ReviewOutcome
    notes: text(5000, filled=True)
    messages: ClassVar[dict[str, str]] = {
        "outcome": "outcome must be one of " + ", ".join(o.value for o in ReviewOutcome)
    }


class Review(Answer):
    id: int
    version: int
    outcome: ReviewOutcome
    notes: str
    reviewed_on: date
    previous_review_date: date
    new_review_date: date | None


class WithdrawInput(Request):
    agency_id: Id
    effective_on: Day
    reason: text(2000, filled=True) = Field(
        description="Why the agency withdraws: every party's IG leads are told, and it is "
        "shown on the agreement and printed on its PDF"
    )


class Withdrawal(Answer):
    agency_id: int
    agency_name: str = ""
    effective_on: date
    reason: str = Field(
        default="",
        description="Why the agency withdraws (empty for notices given before one was asked for)",
    )
    given_by: str = Field(default="", description="The name of the IG lead who gave notice")
    given_at: datetime | None = None
    in_effect: bool = Field(
        default=False,
        description="Whether the notice has taken effect (effective_on is today or past); "
        "until then the agency's IG lead or the administrator may cancel it",
    )


class ReasonInput(Request):
    reason: text(2000, filled=True)


# Coverage and decisions ----------------------------------------------------------------


class CoverageInput(Request):
    from_agency_id: Id
    to_agency_id: Id
    purpose: Code
    data_categories: SomeCodes
    on_date: Day | None = None
    messages: ClassVar[dict[str, str]] = {
        "data_categories": "data_categories must be a list of codes, at least one"
    }


class CoveredBy(Answer):
    id: int
    reference: str
    title: str
    tier: Literal[2, 3]
    version: int


class ChainLink(Answer):
    reference: str
    title: str


class CoverageWarning(Answer):
    code: str
    message: str


class CoverageReason(Answer):
    agreement_reference: str | None
    code: str
    message: str


class Contact(Answer):
    role: str
    name: str
    job_title: str
    email: str
    agency: str


class Advice(Answer):
    message: str
    contacts: list[Contact]


class CoverageAnswer(Answer):
    check_id: str
    outcome: Literal["covered", "covered_with_warnings", "not_covered", "not_required"]
    agreement: CoveredBy | None
    chain: list[str]
    chain_agreements: list[ChainLink] = Field(
        default=[],
        description="The chain again, from the protocol down, with each agreement's title "
        "(as in force).",
    )
    warnings: list[CoverageWarning]
    reasons: list[CoverageReason]
    advice: Advice


class DecisionInput(Request):
    # Sharing when consent was refused or not sought needs the reason why (SPEC; the
    # services say so in a 422): as the document states it.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {
                "properties": {
                    "decision": {"const": Decision.SHARE.value},
                    "consent": {"enum": [Consent.REFUSED.value, Consent.NOT_SOUGHT.value]},
                },
                "required": ["decision", "consent"],
            },
            "then": {
                "required": ["consent_reason"],
                "properties": {"consent_reason": {"type": "string", "pattern": MULTI_LINE_FILLED}},
            },
        }
    )
    check_id: Annotated[str, Field(max_length=32, pattern=SINGLE_LINE)] | None = None
    from_agency_id: Id
    to_agency_id: Id
    purpose: Code
    data_categories: SomeCodes
    decision: Decision
    consent: Consent
    consent_reason: text(5000) | None = None
    reasons: text(10000, filled=True)
    case_reference: (
        Annotated[
            str,
            Field(
                max_length=40,
                # Starts with a letter or digit, holds a digit (SPEC: no names).
                pattern=r"^(?:[0-9]|[A-Za-z][A-Za-z0-9/_.-]*[0-9])[A-Za-z0-9/_.-]*$",
                description="The reference in your case system, like CS-104233: no names",
            ),
        ]
        | None
    ) = None
    key_questions: dict[KeyQuestion, KeyAnswer] | None = None
    method: Method | None = None
    expected_action: text(5000) | None = None
    follow_up_on: Day | None = None
    messages: ClassVar[dict[str, str]] = {
        "decision": "Choose whether you decided to share or not to share",
        "consent": "Say whether consent was given, refused, not sought or not applicable",
        "case_reference": "Enter only the reference from your case system, like CS-104233: "
        "no names or spaces",
        "key_questions": "Answer each key question with yes, no, not_sure or not_applicable",
        "method": "Choose how the information was shared: " + ", ".join(METHODS),
    }


class DecisionRecord(Answer):
    id: int
    sequence: int
    recorded_at: datetime
    recorded_by: str = ""
    entry_hash: str
    previous_hash: str
    check_id: str | None = None
    from_agency_id: int
    to_agency_id: int
    purpose: str
    data_categories: list[str]
    decision: Decision
    consent: Consent
    consent_reason: str | None = None
    reasons: str
    case_reference: str | None = None
    key_questions: dict[str, str] | None = None
    method: str | None = None
    expected_action: str | None = None
    follow_up_on: date | None = None


class FollowUpInput(Request):
    consent_withdrawn: bool = Field(description="Whether consent has been withdrawn")
    share_stopped: bool = Field(description="Whether the sharing has stopped")
    information: InformationOutcome = Field(
        description="What became of the information already shared: returned, deleted, "
        "kept (by the recipient), or not_applicable (nothing was shared)"
    )
    outcome: text(OUTCOME_MAX, filled=True) = Field(
        description="What happened when you followed up (no names of the child or family)"
    )
    next_follow_up_on: Day | None = Field(
        default=None, description="When you will follow up again, if you will"
    )
    messages: ClassVar[dict[str, str]] = {
        "consent_withdrawn": "consent_withdrawn must be true or false",
        "share_stopped": "share_stopped must be true or false",
        "information": "information must be one of returned, deleted, kept, not_applicable",
        "outcome": "Say what happened when you followed up",
    }


class FollowUp(Answer):
    id: int
    sequence: int
    decision_id: int
    recorded_at: datetime
    recorded_by: str
    consent_withdrawn: bool
    share_stopped: bool
    information: InformationOutcome
    outcome: str
    next_follow_up_on: date | None = None
    entry_hash: str
    previous_hash: str


# Lists ------------------------------------------------------------------------------


class FollowUpList(Answer):
    items: list[FollowUp]
    total: int


class DecisionList(Answer):
    items: list[DecisionRecord]
    total: int


class UserList(Answer):
    items: list[User]
    total: int


class AgencyList(Answer):
    items: list[Agency]
    total: int


class OfficerList(Answer):
    items: list[Officer]
    total: int


class AgreementList(Answer):
    items: list[Agreement]
    total: int


class VersionList(Answer):
    items: list[Version]
    total: int


class TermsRegistryView(Answer):
    """The registry's own fields and codes, as plain JSON."""

    reference: str
    version: int
    tier: Literal[1, 2, 3]
    title: str
    status: VersionStatus
    parent: dict[str, str] | None
    parties: list[dict[str, Any]]
    purposes: list[str]
    data_categories: list[str]
    lawful_bases: list[dict[str, Any]]
    effective_from: date
    review_date: date
    end_date: date | None
    content_sha256: str | None


class TermsDocument(Answer):
    """A version's terms as JSON-LD in W3C DPV and ODRL terms (docs/TERMS.md): the
    linked-data properties beside `registry`, the registry's own view."""

    context: dict[str, Any] = Field(alias="@context")
    id: str = Field(alias="@id")
    type: list[str] = Field(alias="@type")
    registry: TermsRegistryView


class ErrorBody(Answer):
    code: str
    message: str
    fields: dict[str, str]


class Error(Answer):
    error: ErrorBody


# Query strings ----------------------------------------------------------------------


# Notifications (web/api/notifications.py) ------------------------------------------


class Notification(Answer):
    """One of your own notifications: what the registry told you, and where it stands."""

    id: int
    event: NotificationEvent
    subject: str
    body: str = Field(description="Plain text; paragraphs separated by a blank line")
    link: str | None = Field(description="A path in the registry: what it is about")
    agreement_id: int | None
    agency_id: int | None
    created_at: datetime
    read_at: datetime | None
    needs_acknowledgement: bool = Field(
        description="An officer change: it stays on your home page until acknowledged"
    )
    acknowledged_at: datetime | None
    delivery: DeliveryState = Field(
        description="Its email: pending, sending, sent, or failed (given up)"
    )


class NotificationList(Answer):
    items: list[Notification]
    total: int


# Delegations --------------------------------------------------------------------------


class DelegationInput(Request):
    """A signatory names a delegate: another active user of the same agency, for London
    dates from `starts_on` (today or later) to `ends_on` (on or after it, at most a year
    on), both inclusive."""

    delegate_id: Id
    starts_on: Day
    ends_on: Day


class DelegationPerson(Answer):
    id: int
    name: str
    job_title: str


class Delegation(Answer):
    id: int
    agency_id: int
    principal: DelegationPerson = Field(description="The signatory on whose behalf")
    delegate: DelegationPerson = Field(description="Who signs on the signatory's behalf")
    starts_on: date
    ends_on: date
    status: Literal["current", "future", "past", "ended"] = Field(
        description="On today's London date: current, future (not yet started), past (its "
        "dates have run) or ended (ended early)"
    )
    created_at: datetime
    ended_at: datetime | None


class DelegationList(Answer):
    items: list[Delegation]
    total: int


class PartnershipFigure(Answer):
    count: int
    list: str = Field(description="The API request that lists what is counted")


class OfficerGap(PartnershipFigure):
    role: Literal["lead_information_officer", "caldicott_guardian", "siro", "dpo"]


class Partnership(Answer):
    """The administrator's figures across every agency, each with the list behind it."""

    review_overdue: PartnershipFigure
    lapsed: PartnershipFigure
    exceeds_parent: PartnershipFigure
    signatures_late: PartnershipFigure = Field(
        description="Agreements waiting more than 30 days for signatures"
    )
    officer_gaps: list[OfficerGap] = Field(description="Agencies with nobody in a key post")
    shares_without_cover: PartnershipFigure = Field(
        description="Decisions to share since the first of this month (Europe/London) whose "
        "check said not covered, or that followed no check"
    )


class Query(BaseModel):
    """A query string: whole numbers written in digits, flags written true or false."""

    model_config = ConfigDict(extra="ignore")


Search = Annotated[str, Field(max_length=200, pattern=SINGLE_LINE)]


class Paging(Query):
    page: Annotated[int, Field(ge=1, le=MAX_ID)] = 1
    per_page: Annotated[int, Field(ge=1, le=500)] = 50


class AgencyQuery(Paging):
    q: Search = ""
    kind: AgencyKind | None = None
    missing: Literal["lead_information_officer", "caldicott_guardian", "siro", "dpo"] | None = (
        Field(
            default=None,
            description="Only agencies with nobody in this post today (a Caldicott Guardian is "
            "asked of health and local authority agencies only)",
        )
    )


class NotificationQuery(Paging):
    unread: bool = Field(default=False, description="Only those not yet read")


class DelegationQuery(Paging):
    agency_id: Id | None = Field(
        default=None, description="One agency's (the administrator; others see their own)"
    )
    current: bool = Field(default=False, description="Only those current today")


class UserQuery(Paging):
    q: Search = ""


class DecisionQuery(Paging):
    q: Search = ""
    decision: Decision | None = None
    recorded_from: Day | None = Field(
        default=None, description="Recorded on or after this day (Europe/London)"
    )
    recorded_to: Day | None = Field(
        default=None, description="Recorded on or before this day (Europe/London)"
    )
    purpose: Code | None = None
    to_agency_id: Id | None = Field(default=None, description="The receiving agency")
    consent: Consent | None = None
    coverage: (
        Literal["covered", "not_covered", "not_required", "no_check", "without_cover"] | None
    ) = Field(
        default=None,
        description="The outcome of the coverage check the decision followed: covered "
        "(with or without warnings), not_covered, not_required, no_check (none made), or "
        "without_cover (not_covered or no_check)",
    )


class AgreementQuery(Paging):
    q: Search = ""
    tier: Literal[1, 2, 3] | None = None
    status: EffectiveStatus | None = None
    agency_id: Id | None = None
    purpose: Code | None = None
    review_due: bool = False
    exceeds_parent: bool = False
    signatures_late: bool = Field(
        default=False,
        description="Only agreements with a version that has waited more than 30 days for "
        "its signatures",
    )


class OfficerQuery(Query):
    include_ended: bool = Field(
        default=False, description="Officers who have left too (the whole history)"
    )


class OfficerEndQuery(Query):
    ended_on: Day | None = Field(
        default=None,
        description="The first day they no longer hold the role, YYYY-MM-DD: on or after "
        "their start, at most a year ahead (default today)",
    )


class PdfQuery(Query):
    version: Id | None = Field(default=None, description="The version's number; the latest")


class TermsQuery(Query):
    version: Id | None = Field(
        default=None,
        description="The version's number; the version in force, else the latest",
    )


# Search and the audit trail (issue 19) -------------------------------------------------


class SearchQuery(Query):
    messages: ClassVar[dict[str, str]] = {
        "q": "Give 3 to 200 characters on one line to search for (fewer match too much "
        "to be useful)"
    }
    q: Annotated[str, Field(min_length=3, max_length=200, pattern=SINGLE_LINE)] = Field(
        description="At least 3 characters besides spaces: part of a reference, title, name, "
        "ICO number, ODS code, email address or case reference, in any case",
    )


class SearchHit(Answer):
    """One match: what it is, its id, and how the pages name it."""

    kind: Literal["agreement", "agency", "officer", "decision"]
    id: int
    label: str = Field(description="A reference and title, a name, or a case reference")
    detail: str
    agreement_id: int | None = None
    agency_id: int | None = Field(
        default=None, description="An officer's agency (its page lists the officer)"
    )


class SearchGroup(Answer):
    key: Literal["agreements", "agencies", "officers", "decisions"]
    title: str
    total: int = Field(description="How many match, counted up to 1,000")
    more: bool = Field(description="More than 1,000 match")
    items: list[SearchHit] = Field(description="The first 10")


class SearchAnswer(Answer):
    """Matches grouped by kind. Decisions only for practitioners (their own) and IG leads
    (their agency's)."""

    q: str
    groups: list[SearchGroup]


class AuditQuery(Paging):
    q: Search = Field(default="", description="Part of the name of who made the change")
    action: Annotated[str, Field(max_length=64, json_schema_extra={"enum": ["", *ACTIONS]})] = (
        Field(default="", description="One of the registry's action codes, e.g. agreement.sign")
    )
    entity: Literal["", "agreement", "agency", "officer", "user", "delegation", "vocabulary"] = ""
    agency_id: Id | None = Field(
        default=None,
        description="Changes to the agency, its officers, people and agreements, or by its people",
    )
    date_from: Day | None = Field(default=None, description="First day (UK time), inclusive")
    date_to: Day | None = Field(default=None, description="Last day (UK time), inclusive")


class AuditEntryAnswer(Answer):
    sequence: int
    recorded_at: datetime
    who: str = Field(
        description="The person, with their roles and agency: 'Jo Bloggs (IG lead, Council)'"
    )
    action: str = Field(description="The action's code, e.g. agreement.sign")
    what: str = Field(description="The action in words: 'Agreement signed'")
    sentence: str = Field(description="Who did what to which thing, in words")
    subject_kind: str
    subject: str = Field(description="The thing changed, by reference and name")
    agreement_id: int | None = None
    agency_id: int | None = None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditList(Answer):
    items: list[AuditEntryAnswer]
    total: int
