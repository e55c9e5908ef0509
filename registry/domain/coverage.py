"""The coverage check of SPEC §5, as a pure function of plain data and a date.

"May agency A share these categories of information with agency B, for this purpose,
on this date?" The answer names the covering agreement and its chain, or, for every
candidate agreement, the first rule it fails, with the people at A to ask."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from .dates import long_date
from .lifecycle import StatusSettings, effective_status
from .vocab import EffectiveStatus, OfficerRole, VersionStatus


class Outcome(StrEnum):
    COVERED = "covered"
    COVERED_WITH_WARNINGS = "covered_with_warnings"
    NOT_COVERED = "not_covered"
    NOT_REQUIRED = "not_required"


class Reason(StrEnum):
    NO_AGREEMENT = "no_agreement"
    NOT_ACTIVE = "not_active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    NOT_YET_IN_FORCE = "not_yet_in_force"
    EXPIRED = "expired"
    LAPSED = "lapsed"
    NOT_SIGNED = "not_signed"
    WITHDRAWN = "withdrawn"
    DIRECTION_NOT_PERMITTED = "direction_not_permitted"
    PURPOSE_NOT_COVERED = "purpose_not_covered"
    CATEGORY_NOT_COVERED = "category_not_covered"
    PARENT_NOT_IN_FORCE = "parent_not_in_force"
    PARENT_NOT_PERMITTED = "parent_not_permitted"


REVIEW_OVERDUE = "review_overdue"
ADVICE_ROLES = (
    OfficerRole.LEAD_INFORMATION_OFFICER,
    OfficerRole.CALDICOTT_GUARDIAN,
    OfficerRole.DPO,
)

SAFEGUARDING_REMINDER = (
    "No agreement covers this share. If a child is at risk of significant harm, or an adult "
    "at risk of serious harm, you may still share what is needed to protect them without an "
    "agreement or consent: seek advice first from the people below if time allows. Whether "
    "you share or not, record your decision and your reasons."
)
COVERED_MESSAGE = (
    "Share only what is needed for the purpose, accurately, with the right "
    "person and securely, and record your decision and reasons. Ask the people "
    "below if you are unsure."
)
NOT_REQUIRED_MESSAGE = (
    "Sharing within one organisation needs no agreement. Share only what "
    "is needed and record your decision."
)


@dataclass(frozen=True)
class PartyTerms:
    may_disclose: bool
    may_receive: bool


@dataclass(frozen=True)
class VersionFacts:
    """One version of an agreement, as the check needs it."""

    number: int
    status: VersionStatus
    effective_from: date
    review_date: date
    end_date: date | None
    parties: Mapping[int, PartyTerms]
    purposes: frozenset[str]
    data_categories: frozenset[str]
    signed: frozenset[int] = frozenset()  # agencies whose signature binds this version


@dataclass(frozen=True)
class AgreementFacts:
    id: int
    reference: str
    title: str
    tier: int
    parent_id: int | None
    versions: tuple[VersionFacts, ...]  # in number order
    withdrawals: Mapping[int, date] = field(default_factory=dict)
    terminates_on: date | None = None

    @property
    def current(self) -> VersionFacts | None:
        """The version that is (or was last) in force: active, suspended or terminated."""
        for version in reversed(self.versions):
            if version.status in (VersionStatus.ACTIVE, VersionStatus.SUSPENDED):
                return version
        for version in reversed(self.versions):
            if version.status == VersionStatus.TERMINATED and version.signed:
                return version
        return None

    def has_party(self, agency_id: int) -> bool:
        return any(agency_id in v.parties for v in self.versions)


@dataclass(frozen=True)
class Contact:
    role: OfficerRole
    name: str
    job_title: str
    email: str
    agency: str


@dataclass(frozen=True)
class Request:
    from_agency_id: int
    to_agency_id: int
    purpose: str
    data_categories: frozenset[str]
    on_date: date


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    agreement_reference: str | None = None


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    agreement: AgreementFacts | None
    version: int | None
    chain: tuple[str, ...]
    warnings: tuple[Finding, ...]
    reasons: tuple[Finding, ...]
    contacts: tuple[Contact, ...]
    message: str
    chain_titles: tuple[str, ...] = ()  # the chain's agreements' titles, beside `chain`


@dataclass(frozen=True)
class Names:
    """Labels to write sentences with (codes fall back to themselves)."""

    agencies: Mapping[int, str] = field(default_factory=dict)
    purposes: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)

    def agency(self, agency_id: int) -> str:
        return self.agencies.get(agency_id, f"agency {agency_id}")

    def purpose(self, code: str) -> str:
        return self.purposes.get(code, code)

    def category(self, code: str) -> str:
        return self.categories.get(code, code)


def _in_force(
    agreement: AgreementFacts, on: date, settings: StatusSettings
) -> tuple[VersionFacts | None, Finding | None, bool]:
    """The version in force on `on`, or the reason there is none; and whether its review
    is overdue."""
    ref = agreement.reference
    version = agreement.current
    if version is None:
        latest = agreement.versions[-1]
        if latest.status == VersionStatus.TERMINATED:
            return None, Finding(Reason.TERMINATED, f"{ref} has been terminated.", ref), False
        state = (
            "awaiting signatures"
            if latest.status == VersionStatus.AWAITING_SIGNATURES
            else latest.status.value.replace("_", " ")
        )
        return (
            None,
            Finding(
                Reason.NOT_ACTIVE,
                f"{ref} is not yet in force: version {latest.number} is {state}.",
                ref,
            ),
            False,
        )
    status = effective_status(
        version.status,
        effective_from=version.effective_from,
        review_date=version.review_date,
        end_date=version.end_date,
        today=on,
        settings=settings,
        terminates_on=agreement.terminates_on,
    )
    if status == EffectiveStatus.SUSPENDED:
        return None, Finding(Reason.SUSPENDED, f"{ref} is suspended.", ref), False
    if status == EffectiveStatus.TERMINATED:
        return None, Finding(Reason.TERMINATED, f"{ref} has been terminated.", ref), False
    if status == EffectiveStatus.SCHEDULED:
        return (
            None,
            Finding(
                Reason.NOT_YET_IN_FORCE,
                f"{ref} takes effect on {long_date(version.effective_from)}.",
                ref,
            ),
            False,
        )
    if status == EffectiveStatus.EXPIRED:
        return (
            None,
            Finding(Reason.EXPIRED, f"{ref} expired on {long_date(version.end_date)}.", ref),
            False,
        )
    if status == EffectiveStatus.LAPSED:
        return (
            None,
            Finding(
                Reason.LAPSED,
                f"{ref} lapsed: its review was due on "
                f"{long_date(version.review_date)} and was not recorded.",
                ref,
            ),
            False,
        )
    return version, None, status == EffectiveStatus.REVIEW_OVERDUE


def _party_problem(
    agreement: AgreementFacts,
    version: VersionFacts,
    agency_ids: Iterable[int],
    on: date,
    names: Names,
) -> Finding | None:
    ref = agreement.reference
    for agency_id in agency_ids:
        if agency_id not in version.parties or agency_id not in version.signed:
            return Finding(
                Reason.NOT_SIGNED,
                f"{names.agency(agency_id)} has not signed the "
                f"version of {ref} in force (version {version.number}).",
                ref,
            )
    for agency_id in agency_ids:
        withdrawn = agreement.withdrawals.get(agency_id)
        if withdrawn is not None and withdrawn <= on:
            return Finding(
                Reason.WITHDRAWN,
                f"{names.agency(agency_id)} withdrew from {ref} on {long_date(withdrawn)}.",
                ref,
            )
    return None


def _judge(
    agreement: AgreementFacts,
    request: Request,
    agreements: Mapping[int, AgreementFacts],
    settings: StatusSettings,
    names: Names,
):
    """(version, warnings) when `agreement` covers the request; else the first failure."""
    a, b, on = request.from_agency_id, request.to_agency_id, request.on_date
    ref = agreement.reference
    version, problem, overdue = _in_force(agreement, on, settings)
    if version is None:
        return None, problem
    problem = _party_problem(agreement, version, (a, b), on, names)
    if problem:
        return None, problem
    terms = _terms_problem(version, request, names, ref)
    if terms:
        return None, Finding(terms[0], f"{terms[1]}.", ref)
    warnings = []
    if overdue:
        warnings.append(
            Finding(
                REVIEW_OVERDUE,
                f"{ref} is past its review date "
                f"({long_date(version.review_date)}): it still applies, but ask "
                "its owner to review it.",
                ref,
            )
        )
    seen = {agreement.id}
    parent_id = agreement.parent_id
    while parent_id is not None and parent_id not in seen:
        seen.add(parent_id)
        parent = agreements.get(parent_id)
        if parent is None:
            return None, Finding(
                Reason.PARENT_NOT_IN_FORCE,
                f"The agreement above {ref} is missing from the registry.",
                ref,
            )
        parent_version, parent_problem, parent_overdue = _in_force(parent, on, settings)
        if parent_version is not None:
            parent_problem = _party_problem(parent, parent_version, (a, b), on, names)
        if parent_problem is not None:
            return None, Finding(
                Reason.PARENT_NOT_IN_FORCE,
                f"{ref} sits under "
                f"{parent.reference}, which does not apply: "
                f"{parent_problem.message}",
                ref,
            )
        if parent_overdue and parent_version is not None:
            warnings.append(
                Finding(
                    REVIEW_OVERDUE,
                    f"{parent.reference}, above {ref}, is past "
                    f"its review date ({long_date(parent_version.review_date)})"
                    ": ask its owner to review it.",
                    parent.reference,
                )
            )
        parent_id = parent.parent_id
    problem = _ancestors_permit(agreement, request, agreements, names)
    if problem:
        return None, problem
    return (version, tuple(warnings)), None


def _terms_problem(
    version: VersionFacts, request: Request, names: Names, under: str
) -> tuple[Reason, str] | None:
    """The first of rules 3 and 4 that `version` fails for the request, as its code and a
    sentence (without its full stop), or None. Both agencies are parties of the version."""
    a, b = request.from_agency_id, request.to_agency_id
    if not version.parties[a].may_disclose:
        return Reason.DIRECTION_NOT_PERMITTED, f"{names.agency(a)} may not disclose under {under}"
    if not version.parties[b].may_receive:
        return Reason.DIRECTION_NOT_PERMITTED, f"{names.agency(b)} may not receive under {under}"
    if request.purpose not in version.purposes:
        purpose = names.purpose(request.purpose)
        return Reason.PURPOSE_NOT_COVERED, f"{under} does not cover the purpose {purpose}"
    missing = sorted(request.data_categories - version.data_categories, key=names.category)
    if missing:
        listed = ", ".join(names.category(c) for c in missing)
        noun = "category" if len(missing) == 1 else "categories"
        return Reason.CATEGORY_NOT_COVERED, f"{under} does not cover the data {noun} {listed}"
    return None


def _ancestors_permit(
    agreement: AgreementFacts,
    request: Request,
    agreements: Mapping[int, AgreementFacts],
    names: Names,
) -> Finding | None:
    """SPEC §5 rule 5's last part: every tier-2 agreement above `agreement` permits the
    share itself, so a child never covers more than its parent allows, even after the
    parent is amended to allow less. (Called once every ancestor is known to be in force
    with both agencies as signed parties.)"""
    ref = agreement.reference
    seen = {agreement.id}
    parent_id = agreement.parent_id
    while parent_id is not None and parent_id not in seen:
        seen.add(parent_id)
        parent = agreements[parent_id]
        if parent.tier == 2:
            version = parent.current
            assert version is not None  # in force: checked before
            terms = _terms_problem(version, request, names, parent.reference)
            if terms:
                return Finding(
                    Reason.PARENT_NOT_PERMITTED,
                    f"{ref} sits under {parent.reference}, which does not permit this "
                    f"share: {terms[1]}.",
                    ref,
                )
        parent_id = parent.parent_id
    return None


def narrowed(agreement: AgreementFacts, request: Request) -> AgreementFacts:
    """`agreement` with only what checking `request` looks at: the two agencies' party
    rows, signatures and withdrawals, and the request's own purpose and categories. The
    check answers the same from it (a property test holds this), so the service reads no
    more than this from the database."""
    pair = {request.from_agency_id, request.to_agency_id}
    return replace(
        agreement,
        withdrawals={k: v for k, v in agreement.withdrawals.items() if k in pair},
        versions=tuple(
            replace(
                v,
                parties={k: t for k, t in v.parties.items() if k in pair},
                signed=v.signed & pair,
                purposes=v.purposes & {request.purpose},
                data_categories=v.data_categories & request.data_categories,
            )
            for v in agreement.versions
        ),
    )


def chain_of(
    agreement: AgreementFacts, agreements: Mapping[int, AgreementFacts]
) -> tuple[str, ...]:
    """References from the top of the tier chain down to `agreement`."""
    chain = [agreement.reference]
    seen = {agreement.id}
    parent_id = agreement.parent_id
    while parent_id is not None and parent_id in agreements and parent_id not in seen:
        seen.add(parent_id)
        chain.append(agreements[parent_id].reference)
        parent_id = agreements[parent_id].parent_id
    return tuple(reversed(chain))


def check(
    request: Request,
    agreements: Mapping[int, AgreementFacts],
    contacts: Iterable[Contact],
    *,
    settings: StatusSettings = StatusSettings(),
    names: Names = Names(),
) -> Answer:
    """Answer the request from `agreements` (the candidates and their ancestors)."""
    advice = tuple(c for role in ADVICE_ROLES for c in contacts if c.role == role)
    a, b = request.from_agency_id, request.to_agency_id
    if a == b:
        return Answer(Outcome.NOT_REQUIRED, None, None, (), (), (), advice, NOT_REQUIRED_MESSAGE)
    candidates = sorted(
        (x for x in agreements.values() if x.tier in (2, 3) and x.has_party(a) and x.has_party(b)),
        key=lambda x: x.reference,
    )
    covering, reasons = [], []
    for candidate in candidates:
        verdict, problem = _judge(candidate, request, agreements, settings, names)
        if verdict is None:
            reasons.append(problem)
        else:
            covering.append((candidate, *verdict))
    if not candidates:
        reasons.append(
            Finding(
                Reason.NO_AGREEMENT,
                f"No tier 2 or tier 3 agreement has both "
                f"{names.agency(a)} and {names.agency(b)} as parties.",
            )
        )
    if not covering:
        return Answer(
            Outcome.NOT_COVERED, None, None, (), (), tuple(reasons), advice, SAFEGUARDING_REMINDER
        )
    # Prefer no warnings, then tier 3 over tier 2, then the latest effective date.
    covering.sort(
        key=lambda c: (bool(c[2]), -c[0].tier, -c[1].effective_from.toordinal(), c[0].reference)
    )
    best, version, warnings = covering[0]
    outcome = Outcome.COVERED_WITH_WARNINGS if warnings else Outcome.COVERED
    chain = chain_of(best, agreements)
    titles = {x.reference: x.title for x in agreements.values()}
    return Answer(
        outcome,
        best,
        version.number,
        chain,
        warnings,
        tuple(reasons),
        advice,
        COVERED_MESSAGE,
        tuple(titles[reference] for reference in chain),
    )
