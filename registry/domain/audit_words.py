"""The audit trail in words: each action code as a phrase a person reads.

One table, so that a page, the CSV export and the API say the same thing; a test fails
when a service writes an action code that has no phrase here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .dates import long_date


@dataclass(frozen=True)
class ActionWords:
    label: str  # the action on its own, for the filter list: "Agreement signed"
    verb: str  # what the actor did to the subject: "signed"


ACTIONS: dict[str, ActionWords] = {
    # Agreements
    "agreement.create": ActionWords("Agreement drafted", "drafted"),
    "agreement.edit": ActionWords("Draft agreement edited", "edited the draft of"),
    "agreement.submit": ActionWords("Agreement sent for signature", "sent for signature"),
    "agreement.sign": ActionWords("Agreement signed", "signed"),
    "agreement.decline": ActionWords("Agreement declined", "declined to sign"),
    "agreement.activate": ActionWords("Agreement came into force", "brought into force"),
    "agreement.supersede": ActionWords(
        "Agreement version replaced", "replaced an earlier version of"
    ),
    "agreement.amend": ActionWords("Amendment opened", "opened an amendment of"),
    "agreement.review": ActionWords("Review recorded", "recorded a review of"),
    "agreement.withdraw": ActionWords("Withdrawal notice given", "gave withdrawal notice from"),
    "agreement.withdrawal_cancelled": ActionWords(
        "Withdrawal notice cancelled", "cancelled a withdrawal notice from"
    ),
    "agreement.schedule_termination": ActionWords("Termination scheduled", "scheduled the end of"),
    "agreement.suspend": ActionWords("Agreement suspended", "suspended"),
    "agreement.resume": ActionWords("Agreement resumed", "resumed"),
    "agreement.terminate": ActionWords("Agreement terminated", "terminated"),
    "agreement.seal": ActionWords("Signed PDF sealed", "sealed the signed PDF of"),
    "agreement.seal_failed": ActionWords(
        "Sealing the PDF failed", "could not seal the signed PDF of"
    ),
    # Agencies and their officers
    "agency.create": ActionWords("Agency added", "added the agency"),
    "agency.import": ActionWords("Agency imported", "imported the agency"),
    "agency.update": ActionWords("Agency details changed", "changed the details of"),
    "officer.create": ActionWords("Officer added", "added the officer"),
    "officer.replace": ActionWords("Officer replaced", "appointed, in place of the last holder,"),
    "officer.update": ActionWords("Officer details changed", "changed the details of the officer"),
    "officer.end": ActionWords("Officer left their post", "recorded the leaving of the officer"),
    # Users, their sign-in and their API tokens
    "user.create": ActionWords("Account created", "created the account of"),
    "user.update": ActionWords("Account changed", "changed the account of"),
    "user.password_changed": ActionWords("Password changed", "changed the password of"),
    "user.two_factor_on": ActionWords("Two-factor sign-in set up", "set up two-factor sign-in for"),
    "user.two_factor_reset": ActionWords(
        "Two-factor sign-in reset", "reset two-factor sign-in for"
    ),
    "api_token.create": ActionWords("API token created", "created an API token for"),
    "api_token.revoke": ActionWords("API token revoked", "revoked an API token of"),
    "api_token.revoke_all": ActionWords("All API tokens ended", "ended every API token of"),
    # Signing delegations
    "delegation.create": ActionWords("Signing delegated", "recorded the delegation"),
    "delegation.end": ActionWords("Delegation ended", "ended the delegation"),
    # Vocabularies
    "vocabulary.purposes.save": ActionWords("Purpose saved", "saved the purpose"),
    "vocabulary.data_categories.save": ActionWords(
        "Data category saved", "saved the data category"
    ),
    "vocabulary.lawful_bases.save": ActionWords("Lawful basis saved", "saved the lawful basis"),
    "vocabulary.transfer_methods.save": ActionWords(
        "Transfer method saved", "saved the transfer method"
    ),
}


def words_for(action: str) -> ActionWords:
    """The phrase for an action code; an unknown code (an entry older than this table)
    is still said in words, with the code kept so nothing is hidden."""
    known = ACTIONS.get(action)
    if known is not None:
        return known
    return ActionWords(f"Other change ({action})", f"made a change ({action}) to")


def sentence(who: str, action: str, subject: str) -> str:
    """`Jo Bloggs (IG lead, Council) signed ISA-2026-0006 'MASH information sharing'`."""
    verb = words_for(action).verb
    return f"{who} {verb} {subject}".strip()


# Dates and times as records keep them (ISO 8601 in JSON).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def shown(value: Any, when=None) -> str:
    """A recorded value as people read it: dates long, yes and no, lists joined, nothing
    as "(none)". `when` writes a date and time (the web layer's, in UK time)."""
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, datetime):
        return when(value) if when else long_date(value.date())
    if isinstance(value, date):
        return long_date(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(shown(v, when) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {shown(v, when)}" for k, v in value.items())
    if isinstance(value, str) and (_ISO_DATE.fullmatch(value) or _ISO_DATETIME.fullmatch(value)):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:  # 2026-02-30: shown as recorded
            return value
        return long_date(moment.date()) if len(value) == 10 else shown(moment, when)
    return str(value)
