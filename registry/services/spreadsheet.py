"""CSV that is safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

# UTF-8's byte-order mark, first in a CSV file: without it Excel reads the file in the
# machine's legacy code page, and "Cyngor Sir Ynys Môn" shows as "Cyngor Sir Ynys MÃ´n".
BOM = "\ufeff"


def with_bom(lines: Iterable[str]) -> Iterator[str]:
    """A CSV's lines, streamed, after the byte-order mark (closing this closes `lines`)."""
    yield BOM
    yield from lines


def safe_cell(value: Any) -> str:
    """Text for one cell; a leading = + - @ is escaped so no cell runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
