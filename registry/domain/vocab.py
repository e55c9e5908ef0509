"""Fixed enumerations of the specification (the editable vocabularies live in the database)."""

from __future__ import annotations

from enum import StrEnum


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


TIER_LABELS = {
    1: "Tier 1: overarching protocol",
    2: "Tier 2: purpose-specific agreement",
    3: "Tier 3: operational disclosure agreement",
}
