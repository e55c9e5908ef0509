"""Copies of the public register's files, kept on this server's disk between changes.

A download of the whole register reads every agreement in force and writes it out, about
30 seconds of a processor at a million agreements. Whatever anyone downloads is the same
until the register changes, so the first whole download after a change is streamed to its
reader (the first bytes at once) and written, gzipped, beside it; the ones after it are
sent from that file, at the speed of the disk. A copy is named by the download's ETag,
which the register's version (newest audited change, the day, the settings) decides: a
change makes a new name, and the old copy is never sent again (it is removed when the
new one is kept).

A copy becomes visible whole or not at all: it is written under a name of its own and
renamed into place only after the last row (a rename within one directory is atomic),
and a reader that stops early leaves nothing behind. Each server keeps its own copies
(several app servers share a database, not a disk): a change costs each server one
streamed download.

One copy of a kind is written at a time on a server: a reader who comes while one is being
written (by any of the server's workers) is sent the newest copy kept, whole and with its
own ETag, rather than reading the register once more. A burst of readers after a change
otherwise each read the whole register at once (a minute of a processor each at a
million). If no copy has been kept yet, or the one being written has not grown for
STALLED_SECONDS (its writer stopped, or its reader stalled) or was begun more than
WRITING_AT_MOST_SECONDS ago (its reader is slow), the reader streams as the first did.
Two readers starting the same copy at the same instant may still each write their own
file: the second rename replaces the first with identical bytes."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

READ_SIZE = 64 * 1024
PART_HOURS = 1
STALLED_SECONDS = 30
# How long other readers wait on one copy being written: it is written as fast as its
# reader takes it, and a slow reader would otherwise keep everyone else on the version
# before for as long as it liked (hours, for a million agreements at a few KB/s).
WRITING_AT_MOST_SECONDS = 300
SUFFIX = ".gz"
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def _stem(kind: str) -> str:
    return _SAFE.sub("_", kind)


def _name(kind: str, etag: str) -> str:
    """`kind` names what is copied (a format and its filter), `etag` which version."""
    return f"{_stem(kind)}.{_SAFE.sub('_', etag)}{SUFFIX}"


def open_copy(directory: Path, kind: str, etag: str) -> BinaryIO | None:
    """The copy of `kind` at this version, open for reading (gzip), or None when there is
    none yet. Open at once: a newer copy kept meanwhile removes this one's name, not the
    file a reader has open."""
    try:
        return (directory / _name(kind, etag)).open("rb")
    except FileNotFoundError:
        return None


def while_writing(directory: Path, kind: str, etag: str) -> tuple[BinaryIO, str] | None:
    """What to send instead of streaming `kind` at version `etag`: while another copy of
    it is being written and this version's is not kept, the newest copy kept (open) and
    its ETag; otherwise None."""
    if (directory / _name(kind, etag)).exists() or not being_written(directory, kind):
        return None
    return newest_copy(directory, kind)


def being_written(directory: Path, kind: str) -> bool:
    """Whether a copy of `kind` (of any version) is being written on this server: a part
    begun within WRITING_AT_MOST_SECONDS that has grown within STALLED_SECONDS."""
    now = time.time()
    for part in directory.glob(f".{_stem(kind)}.*.part"):
        started = _started(part)
        if started is None or now - started > WRITING_AT_MOST_SECONDS:
            continue
        try:
            if now - part.stat().st_mtime < STALLED_SECONDS:
                return True
        except FileNotFoundError:
            pass  # kept or abandoned meanwhile
    return False


def _started(part: Path) -> float | None:
    """When a part was begun: the seconds since the epoch its name carries (`keeping`)."""
    pieces = part.name.split(".")
    return float(pieces[-3]) if len(pieces) >= 4 and pieces[-3].isdigit() else None


def newest_copy(directory: Path, kind: str) -> tuple[BinaryIO, str] | None:
    """The newest copy of `kind` kept (of an earlier version), open for reading, and its
    ETag; None when there is none."""
    stem = _stem(kind)
    found = []
    for copy in directory.glob(f"{stem}.*{SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):  # removed by a newer copy meanwhile
            found.append((copy.stat().st_mtime, copy))
    for _, copy in sorted(found, reverse=True):
        try:
            return copy.open("rb"), copy.name[len(stem) + 1 : -len(SUFFIX)]
        except FileNotFoundError:
            continue  # removed by a newer copy meanwhile: that one is found next time
    return None


def keeping(
    directory: Path, kind: str, etag: str, chunks: Iterable[str | bytes]
) -> Iterator[str | bytes]:
    """`chunks` passed on as they come, and written gzipped to a copy that is kept once
    the last one has been passed on. A reader that goes away early (the server closes
    this generator) or a failure on the way leaves no copy."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / _name(kind, etag)
    part = directory / f".{final.name}.{int(time.time())}.{secrets.token_hex(8)}.part"
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: the gzip format
    kept = False
    try:
        with part.open("wb") as out:
            for chunk in chunks:
                out.write(packer.compress(chunk.encode() if isinstance(chunk, str) else chunk))
                yield chunk
            out.write(packer.flush())
        os.replace(part, final)
        kept = True
        _tidy(directory, kind, final)
    finally:
        if not kept:
            part.unlink(missing_ok=True)
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # the register's rows are read on a connection of their own


def _tidy(directory: Path, kind: str, kept: Path) -> None:
    """Remove `kind`'s other copies (a reader sending one keeps its open file), and parts
    an hour old: left by a server stopped while writing them."""
    stem = _stem(kind)
    for older in directory.glob(f"{stem}.*{SUFFIX}"):
        if older != kept:
            older.unlink(missing_ok=True)
    for part in directory.glob(f".{stem}.*.part"):
        try:
            if time.time() - part.stat().st_mtime > PART_HOURS * 3600:
                part.unlink(missing_ok=True)
        except FileNotFoundError:
            pass


def unpacked(source: BinaryIO) -> Iterator[bytes]:
    """A copy as it was written, for a reader that does not take gzip (the caller closes
    `source`)."""
    unpacker = zlib.decompressobj(31)
    while block := source.read(READ_SIZE):
        data = unpacker.decompress(block)
        if data:
            yield data
    tail = unpacker.flush()
    if tail:
        yield tail
