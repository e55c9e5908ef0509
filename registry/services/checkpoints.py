"""Signed checkpoints of the hash chains (the audit trail, the decision records and their
follow-ups).

A chain alone proves that no entry was changed in place, but not that none was removed
from its end, nor that an entry was rewritten and every later one re-hashed: both leave
a chain that verifies. So the head of each chain (its last sequence and entry hash) is
recorded now and then, signed with the seal key, which lives outside the database:
at every `verify-audit` and `backup`, and every CHAIN_CHECKPOINT_EVERY entries. Someone
with the database alone can neither forge a checkpoint nor make an altered chain match
one. verify-audit also remembers, in the instance folder, the newest checkpoint it has
seen, so that deleting checkpoints from the database is noticed too.

What remains open (docs/INTEGRITY.md): entries after the newest checkpoint can be
removed or rewritten unseen until the next checkpoint, and a server that has never run
verify-audit has nothing remembered to compare with."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..database import writes
from ..domain.dates import long_date
from ..models import AuditEntry, ChainCheckpoint, DecisionFollowUp, DecisionRecord

CHAINS: dict[str, Any] = {
    "audit": AuditEntry,
    "decisions": DecisionRecord,
    "follow_ups": DecisionFollowUp,
}
NAMES = {
    "audit": "The audit trail",
    "decisions": "The decision records",
    "follow_ups": "The follow-ups to decisions",
}
UNITS = {"audit": "entry", "decisions": "decision", "follow_ups": "follow-up"}
ENDS = {"audit": "ends", "decisions": "end", "follow_ups": "end"}
SEEN_FILE = "chain-checkpoints.json"


def signed_text(chain: str, sequence: int, entry_hash: str, made_at: datetime) -> bytes:
    """What a checkpoint's signature covers."""
    when = made_at.astimezone(UTC).isoformat(timespec="seconds")
    return (
        f"registry chain checkpoint\nchain={chain}\nsequence={sequence}\n"
        f"entry_hash={entry_hash}\nmade_at={when}\n"
    ).encode()


def _keys():
    from ..pdf.keys import keys_from_config

    return keys_from_config(current_app.config)


def record(
    session: Session, chain: str, sequence: int, entry_hash: str, *, now: datetime, reason: str
) -> ChainCheckpoint:
    """Sign and add a checkpoint (in the caller's transaction)."""
    from ..pdf.keys import sign

    made_at = now.astimezone(UTC).replace(microsecond=0)
    signature = sign(_keys(), signed_text(chain, sequence, entry_hash, made_at))
    row = ChainCheckpoint(
        chain=chain,
        sequence=sequence,
        entry_hash=entry_hash,
        made_at=made_at,
        reason=reason,
        signature=base64.b64encode(signature).decode("ascii"),
    )
    session.add(row)
    return row


def every(session: Session, chain: str, sequence: int, entry_hash: str, now: datetime) -> None:
    """Called as each entry is appended: a checkpoint every CHAIN_CHECKPOINT_EVERY."""
    step = int(current_app.config.get("CHAIN_CHECKPOINT_EVERY", 1000))
    if step > 0 and sequence % step == 0:
        record(session, chain, sequence, entry_hash, now=now, reason=f"every {step} entries")


def _head(session: Session, model: Any) -> tuple[int, str] | None:
    row = session.execute(
        select(model.sequence, model.entry_hash).order_by(model.sequence.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else None


@writes
def checkpoint_heads(session: Session, *, now: datetime, reason: str) -> list[ChainCheckpoint]:
    """A checkpoint of each chain's head, unless the newest already records it: one write
    transaction (on SQLite it takes the write lock first, as every writer does)."""
    made = []
    for chain, model in CHAINS.items():
        head = _head(session, model)
        if head is None:
            continue
        newest = session.scalar(
            select(ChainCheckpoint.sequence)
            .where(ChainCheckpoint.chain == chain)
            .order_by(ChainCheckpoint.sequence.desc())
            .limit(1)
        )
        if newest != head[0]:
            made.append(record(session, chain, head[0], head[1], now=now, reason=reason))
    session.commit()
    return made


@dataclass(frozen=True)
class Finding:
    chain: str
    message: str


def check(session: Session) -> list[Finding]:
    """Every chain's entries against its signed checkpoints: the first fault of each chain
    (a checkpoint not signed by the seal key, entries removed from the end, an entry
    rewritten with the chain re-hashed after it, checkpoints removed)."""
    from ..pdf.keys import signed_by_seal

    keys = _keys()
    seen, mismatch = _remembered(session)
    found = [Finding("audit", mismatch)] if mismatch else []
    for chain, model in CHAINS.items():
        name, unit = NAMES[chain], UNITS[chain]
        last = session.scalar(select(func.max(model.sequence))) or 0
        rows = list(
            session.scalars(
                select(ChainCheckpoint)
                .where(ChainCheckpoint.chain == chain)
                .order_by(ChainCheckpoint.sequence, ChainCheckpoint.id)
            )
        )
        hashes = _hashes_at(
            session, model, sorted({r.sequence for r in rows if r.sequence <= last})
        )
        problem = None
        for row in rows:
            when = long_date(row.made_at.astimezone(UTC).date())
            text = signed_text(chain, row.sequence, row.entry_hash, row.made_at)
            try:
                signature = base64.b64decode(row.signature, validate=True)
            except ValueError:
                signature = b""
            if not signed_by_seal(keys, text, signature):
                problem = (
                    f"{name}: the checkpoint of {when} at {unit} {row.sequence} is not signed "
                    "by the registry's seal key: it was forged or altered"
                )
            elif row.sequence > last:
                problem = (
                    f"{name} {ENDS[chain]} at {unit} {last}, but a signed checkpoint of "
                    f"{when} records {unit} {row.sequence}: entries were removed from the end"
                )
            elif hashes.get(row.sequence) != row.entry_hash:
                problem = (
                    f"{name}: {unit} {row.sequence} is not the one a signed checkpoint of "
                    f"{when} recorded: it was rewritten, and the chain re-hashed after it"
                )
            if problem:
                break
        newest = rows[-1].sequence if rows else 0
        if problem is None and seen.get(chain, 0) > newest:
            problem = (
                f"{name}: signed checkpoints were removed: this server last saw one at "
                f"{unit} {seen[chain]}, the newest now is at {unit} {newest}"
            )
        if problem:
            found.append(Finding(chain, problem))
    return found


def _hashes_at(session: Session, model: Any, sequences: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(sequences), 500):
        batch = sequences[start : start + 500]
        found.update(
            session.execute(
                select(model.sequence, model.entry_hash).where(model.sequence.in_(batch))
            ).all()
        )
    return found


def _seen_path() -> Path:
    configured = current_app.config.get("CHAIN_CHECKPOINT_NOTE")
    return Path(configured or Path(current_app.config["INSTANCE_PATH"]) / SEEN_FILE)


def _identity(session: Session) -> str:
    """Which database this is: the audit trail's first entry hash (another database, or
    one rebuilt from scratch, has another)."""
    first = session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.sequence == 1))
    return first or ""


def _remembered(session: Session) -> tuple[dict[str, int], str | None]:
    """The newest checkpoint of each chain this server saw intact, and a fault when the
    note is not this database's: its audit trail no longer starts with the entry it did
    (rewritten from the start, checkpoints and all), or another database is in use."""
    try:
        data = json.loads(_seen_path().read_text(encoding="utf-8"))
    except OSError:
        return {}, None
    except ValueError:
        return {}, f"The note of the checkpoints last seen ({_seen_path()}) is unreadable"
    if not isinstance(data, dict):
        return {}, f"The note of the checkpoints last seen ({_seen_path()}) is unreadable"
    if data.get("database") != _identity(session):
        return {}, (
            "The audit trail's first entry is not the one this server last checked: the "
            "trail was rewritten from its start (and its checkpoints removed), or this is "
            "another database. If a different database was put in place on purpose, "
            f"check it with a backup, then delete {_seen_path()}"
        )
    return {k: v for k, v in data.items() if k in CHAINS and isinstance(v, int)}, None


def forget() -> None:
    """After a deliberate restore from a backup (whose checkpoints are older)."""
    _seen_path().unlink(missing_ok=True)


def remember(session: Session) -> None:
    """Keep, outside the database, the newest checkpoint of each chain (after a check
    that found everything intact)."""
    newest = {
        chain: session.scalar(
            select(func.max(ChainCheckpoint.sequence)).where(ChainCheckpoint.chain == chain)
        )
        or 0
        for chain in CHAINS
    }
    path = _seen_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"database": _identity(session), **newest}), encoding="utf-8")
