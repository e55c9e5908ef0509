"""Reading an append-only hash chain (the audit trail, the decision records) to check it:
in order, a batch at a time, so that however long the chain, memory stays flat."""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import closing
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.chain import GENESIS, entry_hash, first_break

BATCH = 2000


def chain_rows(
    session: Session,
    model: Any,
    content: Callable[[Any], dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> Generator[tuple, None, None]:
    """A chain's entries in order, as the chain check takes them, read a batch at a time
    (however long the chain, memory stays flat); `progress(n)` hears of every n read."""
    rows = session.scalars(
        select(model).order_by(model.sequence).execution_options(yield_per=BATCH)
    )
    count = 0
    try:  # a check that stops at a break leaves rows unread: their cursor closes here
        for count, entry in enumerate(rows, start=1):
            yield entry.sequence, content(entry), entry.previous_hash, entry.entry_hash
            if progress is not None and count % BATCH == 0:
                progress(BATCH)
        if progress is not None and count % BATCH:
            progress(count % BATCH)
    finally:
        rows.close()


def first_break_in(
    session: Session,
    model: Any,
    content: Callable[[Any], dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> int | None:
    """The sequence of the first entry of `model`'s chain that is broken, or None."""
    with closing(chain_rows(session, model, content, progress)) as rows:
        return first_break(rows)


def entry_holds(
    session: Session, model: Any, content: Callable[[Any], dict[str, Any]], entry: Any
) -> bool:
    """Whether one entry still matches its own fingerprint and the entry before it (what a
    page showing that one entry can check at once; the whole chain is verify-audit's)."""
    if entry_hash(content(entry), entry.previous_hash) != entry.entry_hash:
        return False
    if entry.sequence == 1:
        return entry.previous_hash == GENESIS
    before = session.scalar(select(model.entry_hash).where(model.sequence == entry.sequence - 1))
    return before == entry.previous_hash


def length(session: Session, model: Any) -> int:
    """How many entries the chain holds: its last entry's sequence, read from the
    sequence's unique index (counting a million audit entries took 45 ms of every audit
    trail page). An entry taken out of the middle leaves the number as it was, and is
    what verifying the chain reports (the hash after the gap no longer follows)."""
    return session.scalar(select(func.max(model.sequence))) or 0
