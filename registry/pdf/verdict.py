"""What checking a PDF's seal found, in words people understand. Kept apart from seal.py so
that the code which runs the check in a process of its own (isolated.py) and the services
can use it without loading pyHanko."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Verdict:
    """What the seal alone says. Which agreement a file is comes from the registry's
    record of what it issued (services/pdfs.py), never from the file: a file's words
    about itself, even under a seal, are the words of whoever made it.

    `checked` is False when the file was not checked at all (it needed more time or
    memory than a check is allowed, or the check failed): a refusal, not a verdict.
    `fault`, for the log only: what in the file defeated the reader (an exception's type
    and words, one line), when that is how the verdict was reached, or why a seal of the
    registry's could not be shown valid (pyHanko's words, one line).

    For a good seal, `signed_at`: when it was made, by its timestamp from an independent
    timestamp authority (None without one: the signer's own claim is never taken); and
    `level`: the PAdES baseline level the file meets ("B-B", "B-T", "B-LT", "B-LTA")."""

    ok: bool
    message: str
    checked: bool = True
    fault: str | None = None
    signed_at: datetime | None = None
    level: str | None = None


# What each PAdES level means to someone checking the file, in plain words.
LEVELS = {
    "B-LTA": "Long-term seal (PAdES B-LTA): checkable after the seal certificate expires",
    "B-LT": "Seal with its validation data (PAdES B-LT): checkable until the timestamp "
    "authority's certificate expires",
    "B-T": "Timestamped seal (PAdES B-T): checkable while the seal certificate is valid",
    "B-B": "Basic seal (PAdES B-B), with no timestamp: checkable only while the seal "
    "certificate is valid",
}


UNREADABLE = (
    "This file could not be read as a sealed PDF: it has been changed or damaged, or it "
    "is not a PDF. Do not rely on it."
)
UNSEALED = (
    "This PDF carries no registry seal, so it is not an issued copy of an agreement from "
    "the registry."
)
CHANGED = (
    "This PDF has been changed since the registry sealed it. Do not rely on it: download a "
    "fresh copy from the registry."
)
NOT_OURS = (
    "This PDF's seal is intact, but it was not made by this registry, so it cannot vouch "
    "for the content."
)
ADDED_TO = (
    "Something was added to this PDF after the registry sealed it. Do not rely on it: "
    "download a fresh copy from the registry."
)
UNPROVEN = (
    "This PDF's seal is intact and was made with the registry's seal certificate, but the "
    "file cannot show that the certificate was valid when the seal was made (it may have "
    "expired or been withdrawn since, and the file carries no timestamp and validation "
    "data from before then). Do not rely on it: ask the registry team for a copy they can "
    "vouch for."
)
SEALED = "The registry's seal is intact: the file is unchanged since the registry sealed it."
TOO_COSTLY = (
    "This PDF could not be checked: it is built in an unusual way that takes too much work "
    "to check. Do not rely on it. Ask for a copy downloaded from the registry, or download "
    "one yourself."
)
FAILED = (
    "The registry could not check this PDF just now. Try again in a few minutes; if it "
    "keeps happening, contact the registry team."
)
