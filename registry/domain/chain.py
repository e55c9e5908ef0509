"""The hash chain over append-only records: each entry hashes its content and its predecessor."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

GENESIS = "0" * 64


def entry_hash(content: dict[str, Any], previous_hash: str) -> str:
    body = json.dumps(
        {"content": content, "previous": previous_hash},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def first_break(entries: Iterable[tuple[int, dict[str, Any], str, str]]) -> int | None:
    """Given (sequence, content, previous_hash, entry_hash) in order, the first bad sequence."""
    expected_previous = GENESIS
    expected_sequence = 1
    for sequence, content, previous, stored in entries:
        if sequence != expected_sequence or previous != expected_previous:
            return sequence
        if entry_hash(content, previous) != stored:
            return sequence
        expected_previous = stored
        expected_sequence += 1
    return None
