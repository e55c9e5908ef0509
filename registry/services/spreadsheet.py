"""CSV that is safe to open in a spreadsheet."""

from __future__ import annotations

from typing import Any


def safe_cell(value: Any) -> str:
    """Text for one cell; a leading = + - @ is escaped so no cell runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
