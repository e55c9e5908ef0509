"""Writing notifications: each event adds one row per recipient to the outbox inside the
caller's transaction (the caller commits it with the change it tells of). Delivery is
services/outbox.py's; what a user reads in the registry is read from the same rows.

Recipients are registry users chosen by role and agency; a user who is disabled, or
who has no email address, is never told."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..domain.vocab import Role
from ..models import Delegation, DeliveryState, Notification, NotificationEvent, User, UserRole

SUBJECT_LIMIT = 300


def users_with_role(session: Session, agency_ids: Iterable[int], role: Role) -> list[User]:
    """The active users of these agencies who hold `role`, in a stable order."""
    ids = sorted(set(agency_ids))
    if not ids:
        return []
    return list(
        session.scalars(
            select(User)
            .where(
                User.agency_id.in_(ids),
                User.active.is_(True),
                exists().where(UserRole.user_id == User.id, UserRole.role == role),
            )
            .order_by(User.agency_id, User.email)
        )
    )


def ig_leads(session: Session, agency_ids: Iterable[int]) -> list[User]:
    return users_with_role(session, agency_ids, Role.IG_LEAD)


def signatories(session: Session, agency_ids: Iterable[int]) -> list[User]:
    return users_with_role(session, agency_ids, Role.SIGNATORY)


def delegates(session: Session, agency_ids: Iterable[int], day: date) -> list[User]:
    """The active users who may sign for these agencies on `day` as a signatory's current
    delegate (services/delegations.py), in a stable order."""
    ids = sorted(set(agency_ids))
    if not ids:
        return []
    return list(
        session.scalars(
            select(User)
            .join(Delegation, Delegation.delegate_id == User.id)
            .where(
                Delegation.agency_id.in_(ids),
                Delegation.ended_at.is_(None),
                Delegation.starts_on <= day,
                Delegation.ends_on >= day,
                User.active.is_(True),
                User.agency_id == Delegation.agency_id,
            )
            .distinct()
            .order_by(User.agency_id, User.email)
        )
    )


def notify(
    session: Session,
    event: NotificationEvent,
    recipients: Iterable[User | str],
    *,
    subject: str,
    body: str,
    now: datetime,
    link: str | None = None,
    agreement_id: int | None = None,
    agency_id: int | None = None,
    needs_acknowledgement: bool = False,
) -> list[Notification]:
    """Add one notification per recipient (each once, however often listed) to the
    session, to be committed with the change it tells of. A recipient is a registry user
    (a disabled one is skipped), or an address that is not a user's (an officer named on
    an agency's page), which is delivered by mail and seen by no one in the registry.
    `link` is a path within the registry; `subject` is kept to one line."""
    subject = " ".join(subject.split())[:SUBJECT_LIMIT]
    rows = []
    seen: set[int | str] = set()
    for recipient in recipients:
        if isinstance(recipient, str):
            user_id, email = None, recipient
        elif recipient.active:
            user_id, email = recipient.id, recipient.email
        else:
            continue
        if not email or (user_id or email) in seen:
            continue
        seen.add(user_id or email)
        rows.append(
            Notification(
                user_id=user_id,
                email=email,
                event=event,
                subject=subject,
                body=body,
                link=link,
                agreement_id=agreement_id,
                agency_id=agency_id,
                created_at=now,
                needs_acknowledgement=needs_acknowledgement and user_id is not None,
                state=DeliveryState.PENDING,
                run_after=now,
                attempts=0,
            )
        )
    session.add_all(rows)
    return rows
