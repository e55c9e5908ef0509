"""Decision records (SPEC §6): what a practitioner decided and why. Rules only."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from .dates import date_range_error
from .fields import blank


class Decision(StrEnum):
    SHARE = "share"
    NOT_SHARE = "not_share"


class Consent(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    NOT_SOUGHT = "not_sought"
    NOT_APPLICABLE = "not_applicable"


DECISION_LABELS = {Decision.SHARE: "Share", Decision.NOT_SHARE: "Do not share"}
CONSENT_LABELS = {
    Consent.GIVEN: "Consent given",
    Consent.REFUSED: "Consent refused",
    Consent.NOT_SOUGHT: "Consent not sought",
    Consent.NOT_APPLICABLE: "Consent not applicable",
}

# The partnership's key questions, asked before every decision and kept with it.
KEY_QUESTIONS = {
    "legitimate_purpose": "Is there a legitimate purpose for sharing?",
    "identifies_someone": "Does the information identify someone?",
    "confidential": "Is the information confidential?",
    "consent": "Do you have consent to share? If not, why not?",
    "statutory_duty": "Is there a statutory duty or a court order to share?",
    "public_interest": "If consent was refused or not sought, is there a sufficient public "
    "interest to share?",
    "proportionate": "Is only what is needed being shared, accurately, with the right person, "
    "securely?",
}
ANSWERS = ("yes", "no", "not_sure", "not_applicable")
METHODS = ("secure_email", "phone", "in_person", "meeting", "case_system", "letter", "other")

# A case reference from the practitioner's own system: short, no spaces, with a digit.
# It keeps names of children and families out of the registry.
CASE_REFERENCE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}$")


def check_decision(
    *,
    decision: str | None,
    consent: str | None,
    consent_reason: str | None,
    reasons: str | None,
    case_reference: str | None,
    key_questions: dict | None,
    method: str | None,
    follow_up_on: date | None,
    today: date,
) -> dict[str, str]:
    """Every rule a decision record must meet, by field."""
    fields: dict[str, str] = {}
    if decision not in set(Decision):
        fields["decision"] = "Choose whether you decided to share or not to share"
    if consent not in set(Consent):
        fields["consent"] = "Say whether consent was given, refused, not sought or not applicable"
    if (
        decision == Decision.SHARE
        and consent in (Consent.REFUSED, Consent.NOT_SOUGHT)
        and blank(consent_reason)
    ):
        fields["consent_reason"] = (
            "You are sharing without consent: say why (for example the risk of significant harm)"
        )
    if blank(reasons):
        fields["reasons"] = "Record the reasons for your decision"
    if case_reference and not CASE_REFERENCE.match(case_reference):
        fields["case_reference"] = (
            "Enter only the reference from your case system, like CS-104233: no names or spaces"
        )
    for key, answer in (key_questions or {}).items():
        if key not in KEY_QUESTIONS or answer not in ANSWERS:
            fields["key_questions"] = (
                "Answer each key question with yes, no, not_sure or not_applicable"
            )
            break
    if method and method not in METHODS:
        fields["method"] = "Choose how the information was shared: " + ", ".join(METHODS)
    if error := date_range_error(follow_up_on, "The follow-up date"):
        fields["follow_up_on"] = error
    elif follow_up_on is not None and follow_up_on < today:
        fields["follow_up_on"] = "The follow-up date must be today or later"
    return fields


class InformationOutcome(StrEnum):
    """What became of the information already shared, as a follow-up records it."""

    RETURNED = "returned"
    DELETED = "deleted"
    KEPT = "kept"
    NOT_APPLICABLE = "not_applicable"


INFORMATION_LABELS = {
    InformationOutcome.RETURNED: "Returned to us",
    InformationOutcome.DELETED: "Deleted by the recipient",
    InformationOutcome.KEPT: "Kept by the recipient",
    InformationOutcome.NOT_APPLICABLE: "Nothing was shared",
}


OUTCOME_MAX = 10000


def check_follow_up(
    *,
    consent_withdrawn: bool | None,
    share_stopped: bool | None,
    information: str | None,
    outcome: str | None,
    next_follow_up_on: date | None,
    today: date,
) -> dict[str, str]:
    """Every rule a follow-up to a decision must meet, by field."""
    fields: dict[str, str] = {}
    if consent_withdrawn is None:
        fields["consent_withdrawn"] = "Say whether consent has been withdrawn"
    if share_stopped is None:
        fields["share_stopped"] = "Say whether the sharing has stopped"
    if information not in set(InformationOutcome):
        fields["information"] = (
            "Say what happened to the information already shared: returned, deleted, kept, "
            "or nothing was shared"
        )
    if blank(outcome):
        fields["outcome"] = "Say what happened when you followed up"
    elif len(outcome or "") > OUTCOME_MAX:
        fields["outcome"] = f"Say what happened in {OUTCOME_MAX:,} characters or fewer"
    if error := date_range_error(next_follow_up_on, "The next follow-up date"):
        fields["next_follow_up_on"] = error
    elif next_follow_up_on is not None and next_follow_up_on < today:
        fields["next_follow_up_on"] = "The next follow-up date must be today or later"
    return fields
