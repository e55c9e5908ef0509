"""One page of a query's results, with its total."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

MAX_PER_PAGE = 500


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def containing(search: str, *columns: Any) -> ColumnElement[bool]:
    """Rows where any of `columns` contains `search`, in any case. A % or _ typed into a
    search box means itself, not "anything" (escaped, as LIKE would read it)."""
    wanted = search.strip().lower()
    return or_(*(func.lower(column).contains(wanted, autoescape=True) for column in columns))


def paginate(
    session: Session, query: Select, *, page: int = 1, per_page: int = 50, rows: bool = False
) -> Page:
    """One page of `query`: its first column's values, or with `rows`, whole rows."""
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    one_page = query.limit(per_page).offset((page - 1) * per_page)
    items = list(session.execute(one_page).all() if rows else session.scalars(one_page))
    return Page(items=items, total=total, page=page, per_page=per_page)
