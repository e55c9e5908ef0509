"""Every model, imported so that Alembic and the app see the whole schema."""

from .agency import Agency, Officer
from .agreement import (
    Agreement,
    AgreementVersion,
    Decline,
    Party,
    Review,
    Signature,
    VersionBasis,
    VersionCategory,
    VersionPurpose,
    VersionTransferMethod,
    Withdrawal,
)
from .audit import AuditEntry, ChainCheckpoint
from .decision import CoverageCheck, DecisionFollowUp, DecisionRecord
from .delegation import Delegation
from .issued_pdf import IssuedPdf
from .notification import DeliveryState, Notification, NotificationEvent
from .reminder import ReminderSent
from .seal_job import SealJob, SealJobState, SealReason
from .user import ApiToken, User, UserRole
from .vocabulary import DataCategory, LawfulBasis, Purpose, TransferMethod

__all__ = [
    "Agency",
    "Agreement",
    "AgreementVersion",
    "ApiToken",
    "AuditEntry",
    "ChainCheckpoint",
    "CoverageCheck",
    "DataCategory",
    "DecisionFollowUp",
    "DecisionRecord",
    "Decline",
    "Delegation",
    "DeliveryState",
    "IssuedPdf",
    "LawfulBasis",
    "Notification",
    "NotificationEvent",
    "Officer",
    "Party",
    "Purpose",
    "ReminderSent",
    "SealJob",
    "SealJobState",
    "SealReason",
    "Review",
    "Signature",
    "TransferMethod",
    "User",
    "UserRole",
    "VersionBasis",
    "VersionCategory",
    "VersionPurpose",
    "VersionTransferMethod",
    "Withdrawal",
]
