"""Reviews coming up: reminders to the IG leads concerned, and each agency's calendar feed."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from ..database import begin_write, writes
from ..domain.dates import long_date
from ..domain.lifecycle import StatusSettings
from ..domain.vocab import EffectiveStatus, OfficerRole
from ..models import (
    Agency,
    Agreement,
    AgreementVersion,
    NotificationEvent,
    ReminderSent,
    User,
)
from .agencies import holders_on
from .agreement_reads import (
    any_status,
    party_to,
    shown_version_condition,
    standing,
)
from .notifications import ig_leads, notify
from .paging import Page, containing, paginate

log = logging.getLogger("registry.mail")
STAGES = (EffectiveStatus.REVIEW_DUE, EffectiveStatus.REVIEW_OVERDUE, EffectiveStatus.LAPSED)


@dataclass(frozen=True)
class Reminder:
    agreement: Agreement
    stage: EffectiveStatus
    review_date: date
    recipients: tuple[str, ...]  # the addresses told, for the command's report
    subject: str
    body: str
    # The owning agency's IG leads (told in the registry and by mail); failing those, the
    # addresses of its lead information officer (by mail only).
    users: tuple[User, ...] = ()


def _recipients(
    session: Session, agency_id: int, today: date
) -> tuple[tuple[User, ...], tuple[str, ...]]:
    """The owning agency's IG leads; failing those, its lead information officer in post
    today (their address)."""
    leads = tuple(sorted((u for u in ig_leads(session, [agency_id]) if u.email), key=_email))
    if leads:
        return leads, tuple(u.email for u in leads)
    officers = holders_on(session, agency_id, today, [OfficerRole.LEAD_INFORMATION_OFFICER])
    return (), tuple(sorted(o.email for o in officers if o.email))


def _email(user: User) -> str:
    return user.email


def pending(
    session: Session, *, today: date, settings: StatusSettings, days: int | None = None
) -> list[Reminder]:
    """Reviews due within `days` (default: the notice period), overdue or lapsed, that have
    not yet had a reminder at that stage for that review date."""
    window = StatusSettings(
        notice_days=settings.notice_days if days is None else days, grace_days=settings.grace_days
    )
    v = aliased(AgreementVersion)
    agreements = session.scalars(
        select(Agreement)
        .join(v, v.agreement_id == Agreement.id)
        .where(
            shown_version_condition(v),
            any_status(v, STAGES, today, window),
        )
        .order_by(Agreement.reference)
    )
    reminders = []
    for agreement in agreements:
        where = standing(agreement, today, window)
        review_date = where.shown.review_date
        already = session.scalar(
            select(ReminderSent.id).where(
                ReminderSent.agreement_id == agreement.id,
                ReminderSent.review_date == review_date,
                ReminderSent.stage == where.status.value,
            )
        )
        if already is not None:
            continue
        users, recipients = _recipients(session, agreement.owner_agency_id, today)
        subject, body = _message(agreement, where.shown.title, where.status, review_date)
        reminders.append(
            Reminder(agreement, where.status, review_date, recipients, subject, body, users)
        )
    return reminders


def _message(
    agreement: Agreement, title: str, stage: EffectiveStatus, review_date: date
) -> tuple[str, str]:
    """The title is the version under review (the one in force), not an open amendment's.
    It goes in a header: on one line, whatever was stored before titles were checked."""
    title = " ".join(_NOT_ICAL_TEXT.sub(" ", title).split())
    when = long_date(review_date)
    if stage == EffectiveStatus.REVIEW_DUE:
        subject = f"Review due by {when}: {agreement.reference} {title}"
        lead = f"{agreement.reference} {title} is due for review by {when}."
    elif stage == EffectiveStatus.REVIEW_OVERDUE:
        subject = f"Review overdue since {when}: {agreement.reference} {title}"
        lead = (
            f"{agreement.reference} {title} was due for review on {when}. It still "
            "applies, but practitioners are warned that its review is overdue."
        )
    else:
        subject = f"Lapsed: {agreement.reference} {title}"
        lead = (
            f"{agreement.reference} {title} has lapsed: its review was due on {when} and "
            "none was recorded. It no longer covers any share until it is reviewed."
        )
    body = (
        f"{lead}\n\nRecord the review in the agreement registry: continue it, amend it "
        "or terminate it.\n\nThis reminder is sent once at each stage."
    )
    return subject, body


@writes
def send(session: Session, reminders: list[Reminder], *, now: datetime) -> int:
    """Put each reminder in the notifications outbox (services/outbox.py delivers it) and
    record that it was sent, in one transaction per reminder: a reminder is never
    recorded without its notifications, nor written twice."""
    sent = 0
    for reminder in reminders:
        if not reminder.recipients:
            log.warning(
                "No one to remind about %s: the owning agency has no IG lead or lead "
                "information officer",
                reminder.agreement.reference,
            )
            continue
        begin_write(session)
        agreement = reminder.agreement
        notify(
            session,
            NotificationEvent.REVIEW_REMINDER,
            reminder.users or reminder.recipients,
            subject=reminder.subject,
            body=reminder.body,
            now=now,
            link=f"/agreements/{agreement.id}",
            agreement_id=agreement.id,
            agency_id=agreement.owner_agency_id,
        )
        session.add(
            ReminderSent(
                agreement_id=agreement.id,
                review_date=reminder.review_date,
                stage=reminder.stage.value,
                recipients=", ".join(reminder.recipients)[:2000],
                sent_at=now,
            )
        )
        session.commit()  # one at a time: a later failure does not undo earlier ones
        sent += 1
    return sent


def calendar_token(session: Session, agency_id: int, *, renew: bool = False) -> str:
    """The agency's calendar feed secret, made on first use (or anew to revoke old links).
    Read without opening a write: on SQLite that ends the request's read transaction,
    and the calendar's agreements, already read, were read again one by one."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise LookupError(agency_id)
    if renew or not agency.calendar_token:
        return _new_calendar_token(session, agency_id, renew=renew)
    return agency.calendar_token


@writes
def _new_calendar_token(session: Session, agency_id: int, *, renew: bool) -> str:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise LookupError(agency_id)
    if renew or not agency.calendar_token:
        agency.calendar_token = secrets.token_urlsafe(32)
        session.commit()
    return agency.calendar_token


def agency_for_token(session: Session, token: str) -> Agency | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Agency).where(Agency.calendar_token == token))


# The standings that have a review date to keep.
LIVE = (
    EffectiveStatus.REVIEW_OVERDUE,
    EffectiveStatus.LAPSED,
    EffectiveStatus.REVIEW_DUE,
    EffectiveStatus.ACTIVE,
    EffectiveStatus.SCHEDULED,
    EffectiveStatus.SUSPENDED,
)


def _upcoming(
    agency_id: int | None,
    *,
    today: date,
    settings: StatusSettings,
    search: str,
    status: EffectiveStatus | None,
):
    """SQL for the agreements (the agency's, or all) whose shown version has a review date
    to keep (LIVE, or only `status`), by review date: filtered and ordered in the database,
    so that a page of the calendar reads one page of agreements."""
    v = aliased(AgreementVersion)
    query = (
        select(Agreement)
        .join(v, v.agreement_id == Agreement.id)
        .where(
            shown_version_condition(v),
            any_status(v, (status,) if status in LIVE else LIVE, today, settings),
        )
        .order_by(v.review_date, Agreement.reference)
        .options(selectinload(Agreement.versions))  # each row's standing, in one query
    )
    if agency_id is not None:
        query = query.where(party_to(agency_id))
    if search.strip():
        query = query.where(containing(search, Agreement.reference, v.title))
    return query


def upcoming(
    session: Session,
    agency_id: int | None,
    *,
    today: date,
    settings: StatusSettings,
    search: str = "",
    status: EffectiveStatus | None = None,
) -> list[tuple[Agreement, Any]]:
    """Agreements (the agency's, or all) with their standing, by review date; only
    those whose reference or title contains `search`, and only of `status`, if given."""
    query = _upcoming(agency_id, today=today, settings=settings, search=search, status=status)
    return [(a, standing(a, today, settings)) for a in session.scalars(query)]


def upcoming_page(
    session: Session,
    agency_id: int | None,
    *,
    today: date,
    settings: StatusSettings,
    search: str = "",
    status: EffectiveStatus | None = None,
    page: int = 1,
    per_page: int = 50,
    count_up_to: int | None = None,
) -> Page:
    """One page of `upcoming`, counted up to `count_up_to` if given (the administrator's
    calendar holds every agreement in force: a million nationally)."""
    found = paginate(
        session,
        _upcoming(agency_id, today=today, settings=settings, search=search, status=status),
        page=page,
        per_page=per_page,
        count_up_to=count_up_to,
    )
    return replace(found, items=[(a, standing(a, today, settings)) for a in found.items])


# What an iCalendar TEXT value cannot hold raw: controls but tab and LF (LF is escaped),
# DEL and C1 controls (NEL, U+0085, is a line break to some), U+2028 and U+2029, and the
# bidirectional controls (which would turn the rest of a partner's calendar line around).
_NOT_ICAL_TEXT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def ical(agency: Agency, items: list[tuple[Agreement, Any]], *, now: datetime) -> str:
    """An iCalendar (RFC 5545) feed of the agency's review dates, as all-day events."""

    def text(value: str) -> str:
        # RFC 5545 TEXT: a line break is written `\n`; CR and every other control (and the
        # Unicode line separators, which some parsers also split on) never appear raw, so
        # no title, even one stored before text fields refused them, can end its line.
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = _NOT_ICAL_TEXT.sub(" ", value)
        return (
            value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        )

    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Agreement registry//Reviews//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{text('Agreement reviews: ' + agency.name)}",
    ]
    for agreement, where in items:
        day = where.shown.review_date
        lines += [
            "BEGIN:VEVENT",
            f"UID:{agreement.reference}-{day.isoformat()}@registry",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(day + timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{text('Review ' + agreement.reference + ' ' + where.shown.title)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + (75 if not parts else 74), len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a character
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start = end
    return "\r\n ".join(parts)
