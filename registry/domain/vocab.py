"""Fixed enumerations of the specification (the editable vocabularies live in the database)."""

from __future__ import annotations

import re
from enum import StrEnum

from .fields import digits


class AgencyKind(StrEnum):
    LOCAL_AUTHORITY = "local_authority"
    POLICE = "police"
    HEALTH = "health"
    EDUCATION = "education"
    PROBATION = "probation"
    YOUTH_JUSTICE = "youth_justice"
    HOUSING = "housing"
    VOLUNTARY = "voluntary"
    OTHER = "other"


AGENCY_KIND_LABELS = {
    AgencyKind.LOCAL_AUTHORITY: "Local authority",
    AgencyKind.POLICE: "Police",
    AgencyKind.HEALTH: "Health",
    AgencyKind.EDUCATION: "Education",
    AgencyKind.PROBATION: "Probation",
    AgencyKind.YOUTH_JUSTICE: "Youth justice",
    AgencyKind.HOUSING: "Housing",
    AgencyKind.VOLUNTARY: "Voluntary sector",
    AgencyKind.OTHER: "Other",
}


class OfficerRole(StrEnum):
    LEAD_INFORMATION_OFFICER = "lead_information_officer"
    CALDICOTT_GUARDIAN = "caldicott_guardian"
    SIRO = "siro"
    DPO = "dpo"
    SIGNATORY = "signatory"


OFFICER_ROLE_LABELS = {
    OfficerRole.LEAD_INFORMATION_OFFICER: "Lead information officer",
    OfficerRole.CALDICOTT_GUARDIAN: "Caldicott Guardian",
    OfficerRole.SIRO: "Senior information risk owner (SIRO)",
    OfficerRole.DPO: "Data protection officer",
    OfficerRole.SIGNATORY: "Authorised signatory",
}


class Role(StrEnum):
    ADMIN = "admin"
    IG_LEAD = "ig_lead"
    SIGNATORY = "signatory"
    PRACTITIONER = "practitioner"


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.IG_LEAD: "Information governance lead",
    Role.SIGNATORY: "Signatory",
    Role.PRACTITIONER: "Practitioner",
}


class VersionStatus(StrEnum):
    DRAFT = "draft"
    AWAITING_SIGNATURES = "awaiting_signatures"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class EffectiveStatus(StrEnum):
    DRAFT = "draft"
    AWAITING_SIGNATURES = "awaiting_signatures"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    REVIEW_DUE = "review_due"
    REVIEW_OVERDUE = "review_overdue"
    LAPSED = "lapsed"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    SUPERSEDED = "superseded"


EFFECTIVE_STATUS_LABELS = {
    EffectiveStatus.DRAFT: "Draft",
    EffectiveStatus.AWAITING_SIGNATURES: "Awaiting signatures",
    EffectiveStatus.SCHEDULED: "Scheduled",
    EffectiveStatus.ACTIVE: "Active",
    EffectiveStatus.REVIEW_DUE: "Review due",
    EffectiveStatus.REVIEW_OVERDUE: "Review overdue",
    EffectiveStatus.LAPSED: "Lapsed",
    EffectiveStatus.EXPIRED: "Expired",
    EffectiveStatus.SUSPENDED: "Suspended",
    EffectiveStatus.TERMINATED: "Terminated",
    EffectiveStatus.SUPERSEDED: "Superseded",
}

# In force: the agreement can cover a share (overdue with a warning).
IN_FORCE = frozenset(
    {EffectiveStatus.ACTIVE, EffectiveStatus.REVIEW_DUE, EffectiveStatus.REVIEW_OVERDUE}
)


class ReviewOutcome(StrEnum):
    CONTINUE = "continue"
    AMEND = "amend"
    TERMINATE = "terminate"


class LawfulBasisKind(StrEnum):
    ART6 = "art6"
    ART9 = "art9"
    SCH1 = "sch1"
    STATUTE = "statute"


# The headings lawful bases are listed under, in the order a form or page lists them.
LAWFUL_BASIS_KIND_HEADINGS = {
    LawfulBasisKind.ART6: "UK GDPR Article 6: the lawful basis",
    LawfulBasisKind.ART9: "UK GDPR Article 9: conditions for special category data",
    LawfulBasisKind.SCH1: "Data Protection Act 2018 Schedule 1: conditions for criminal "
    "offence and special category data",
    LawfulBasisKind.STATUTE: "Statutory gateways",
}
_KIND_ORDER: dict[str, int] = {kind.value: n for n, kind in enumerate(LAWFUL_BASIS_KIND_HEADINGS)}
_NUMBERS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sorts text with its numbers read as numbers: paragraph 2 before paragraph 10."""
    return tuple(
        (0, int(part), "") if digits(part) else (1, 0, part.casefold())
        for part in _NUMBERS.split(text)
        if part
    )


def basis_order(kind: str | None, label: str) -> tuple:
    """Where a lawful basis goes in a list: by kind (Article 6 first), then by its label
    in natural order (6(1)(a) to (f); Schedule 1 paragraph 2, 6, 8, 10 …)."""
    return (
        _KIND_ORDER.get(str(kind), len(_KIND_ORDER)) if kind else len(_KIND_ORDER),
        natural_key(label),
    )


TIER_LABELS = {
    1: "Tier 1: overarching protocol",
    2: "Tier 2: purpose-specific agreement",
    3: "Tier 3: operational disclosure agreement",
}


class Frequency(StrEnum):
    """How often a tier-3 flow happens (SPEC section 2); detail in words goes beside it."""

    EACH_REFERRAL = "each_referral"
    AS_NEEDED = "as_needed"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


FREQUENCY_LABELS = {
    Frequency.EACH_REFERRAL: "With each referral or notification",
    Frequency.AS_NEEDED: "As and when needed",
    Frequency.DAILY: "Daily",
    Frequency.WEEKLY: "Weekly",
    Frequency.MONTHLY: "Monthly",
    Frequency.QUARTERLY: "Quarterly",
}


class DpiaOutcome(StrEnum):
    """What the data protection impact assessment concluded (UK GDPR Articles 35 and 36)."""

    NOT_REQUIRED = "not_required"
    NO_HIGH_RISK = "no_high_risk"
    RISKS_REDUCED = "risks_reduced"
    ICO_CONSULTED = "ico_consulted"


DPIA_OUTCOME_LABELS = {
    DpiaOutcome.NOT_REQUIRED: "Screening found a full DPIA was not needed",
    DpiaOutcome.NO_HIGH_RISK: "No high risk to individuals found",
    DpiaOutcome.RISKS_REDUCED: "High risks found and reduced to an acceptable level",
    DpiaOutcome.ICO_CONSULTED: "High risk remains: the ICO was consulted before sharing",
}


class ControllerRelationship(StrEnum):
    """Whether the parties decide the purposes and means of the processing alone or
    together (UK GDPR Article 26)."""

    SEPARATE = "separate"
    JOINT = "joint"


CONTROLLER_RELATIONSHIP_LABELS = {
    ControllerRelationship.SEPARATE: "Separate controllers",
    ControllerRelationship.JOINT: "Joint controllers",
}
CONTROLLER_RELATIONSHIP_HINTS = {
    ControllerRelationship.SEPARATE: "Each party decides for itself how it uses what it receives",
    ControllerRelationship.JOINT: "The parties decide together why and how the information "
    "is used, and set out each one's responsibilities (UK GDPR Article 26)",
}

# How each fixed choice of issue 19 reads, by field and code (pages, PDF, diffs).
RECORD_LABELS: dict[str, dict[str, str]] = {
    "frequency": {k.value: v for k, v in FREQUENCY_LABELS.items()},
    "dpia_outcome": {k.value: v for k, v in DPIA_OUTCOME_LABELS.items()},
    "controller_relationship": {k.value: v for k, v in CONTROLLER_RELATIONSHIP_LABELS.items()},
}
