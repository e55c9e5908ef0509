"""The editable vocabularies of SPEC §3, each entry a stable code and a label."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.vocab import LawfulBasisKind
from ..extensions import db
from .types import enum_column

_CODE_CHECK = "length(code) > 0 AND code = lower(code)"


class Purpose(db.Model):
    __tablename__ = "purposes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint(_CODE_CHECK, name="code_format"),)


class DataCategory(db.Model):
    __tablename__ = "data_categories"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    special: Mapped[bool] = mapped_column(default=False)
    criminal: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint(_CODE_CHECK, name="code_format"),)


class LawfulBasis(db.Model):
    __tablename__ = "lawful_bases"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[LawfulBasisKind] = mapped_column(enum_column(LawfulBasisKind, "lawful_basis_kind"))
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint(_CODE_CHECK, name="code_format"),)


class TransferMethod(db.Model):
    """How a tier-3 flow's information travels: secure email, a shared case system..."""

    __tablename__ = "transfer_methods"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint(_CODE_CHECK, name="code_format"),)
