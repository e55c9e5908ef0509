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
    # More matched than were counted: `total` is the bound, not the whole (paginate's
    # count_up_to), and the pages stop there.
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def containing(search: str, *columns: Any) -> ColumnElement[bool]:
    """Rows where any of `columns` contains `search`, in any case. A % or _ typed into a
    search box means itself, not "anything" (escaped, as LIKE would read it)."""
    wanted = search.strip().lower()
    return or_(*(func.lower(column).contains(wanted, autoescape=True) for column in columns))


def paginate(
    session: Session,
    query: Select,
    *,
    page: int = 1,
    per_page: int = 50,
    rows: bool = False,
    count_up_to: int | None = None,
) -> Page:
    """One page of `query`: its first column's values, or with `rows`, whole rows.

    With `count_up_to`, the count stops there (one more row is read to know whether there
    are more) and so do the pages: a page past the last counted one shows the last. The
    reading is then bounded by `count_up_to` rows however many match, where counting them
    all reads every one."""
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    counted = query.order_by(None)  # any order counts the same
    if count_up_to is not None:
        counted = counted.limit(count_up_to + 1)
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    more = False
    if count_up_to is not None:
        more = total > count_up_to
        total = min(total, count_up_to)
        page = min(page, max(1, math.ceil(total / per_page)))
    one_page = query.limit(per_page).offset((page - 1) * per_page)
    items = list(session.execute(one_page).all() if rows else session.scalars(one_page))
    return Page(items=items, total=total, page=page, per_page=per_page, more=more)
