"""Checking a seal in a process of its own, with hard limits on its time and memory.

A PDF is a program for its reader: a small file can keep pyHanko busy for minutes (issue
16: 55 KB of form fields in a compressed object stream held a worker 17.5 s) or ask for a
great deal of memory (pyHanko's own decode limits cap how far one stream may unpack; the
address-space limit is the backstop). So the check runs in a fresh interpreter, at low
priority, which
limits its own CPU time and address space before it reads a byte of the upload; the
caller waits no longer than the time allowed and then kills it. A slot (a lock file)
caps how many checks run at once across every process of the app server: a web worker
waiting on a check is a worker held, so one beyond the cap is refused at once.

Importing this never loads pyHanko; only the child does."""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import math
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .keys import SealKeys
from .verdict import FAILED, TOO_COSTLY, Verdict

log = logging.getLogger(__name__)

# The child's exit status when it ran out of memory (MemoryError under RLIMIT_AS).
OUT_OF_MEMORY = 3

# How the child starts: the registry package by path but without running its
# __init__.py, which would load Flask for nothing (a quarter of a second), then _child.
_START = (
    "import sys, types; "
    "package = types.ModuleType('registry'); package.__path__ = [{package!r}]; "
    "sys.modules['registry'] = package; "
    "from registry.pdf.isolated import _child; sys.exit(_child(sys.argv[1:]))"
)


@dataclass(frozen=True)
class Limits:
    seconds: int = 5  # wall clock for the whole check (the child's CPU time likewise)
    memory_mb: int = 512  # the child's whole address space, the interpreter included


def verify(
    data: bytes,
    keys: SealKeys,
    limits: Limits,
    tsa_roots: Sequence[Path] = (),
    crls: Sequence[bytes] = (),
    *,
    fetch: bool = False,
) -> Verdict:
    """seal.verify(data, keys, tsa_roots, crls, fetch=fetch) in a child process within
    `limits`. A check that runs out of time or memory is a refusal (checked=False), never
    an answer about the seal."""
    command = [
        sys.executable,
        "-I",  # no environment, user site or current directory: only the code below
        "-c",
        _START.format(package=str(Path(__file__).resolve().parent.parent)),
        str(limits.seconds),
        str(limits.memory_mb),
        # Where the registry's certificates are: its own settings, never the upload's.
        json.dumps(
            {
                "ca": str(keys.ca),
                "seal_certs": [str(path) for path in keys.seal_certs],
                "tsa_roots": [str(path) for path in tsa_roots],
                "fetch": fetch,
            }
        ),
    ]
    # Standard input: the CRLs (a count, then each after its length), then the upload.
    header = len(crls).to_bytes(4, "big") + b"".join(
        len(crl).to_bytes(4, "big") + crl for crl in crls
    )
    try:
        done = subprocess.run(
            command,
            input=header + data,
            capture_output=True,
            timeout=limits.seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        # subprocess.run has killed the child (SIGKILL) and reaped it.
        log.warning("PDF check stopped after %s s (%s bytes)", limits.seconds, len(data))
        return Verdict(False, TOO_COSTLY, checked=False)
    if done.returncode < 0 or done.returncode == OUT_OF_MEMORY:
        # Killed by a signal: SIGXCPU or SIGKILL at the CPU limit, or a crash in C code
        # that ran out of address space.
        log.warning(
            "PDF check stopped by its limits (exit %s, %s bytes)", done.returncode, len(data)
        )
        return Verdict(False, TOO_COSTLY, checked=False)
    try:
        answer = json.loads(done.stdout)
        signed_at = answer.get("signed_at")
        verdict = Verdict(
            bool(answer["ok"]),
            str(answer["message"]),
            signed_at=datetime.fromisoformat(signed_at) if signed_at else None,
            level=str(answer["level"]) if answer.get("level") else None,
        )
        fault = answer.get("fault")
    except (ValueError, KeyError, TypeError, AttributeError):
        log.error(
            "PDF check failed (exit %s): %s",
            done.returncode,
            done.stderr.decode("utf-8", "replace")[-2000:],
        )
        return Verdict(False, FAILED, checked=False)
    if fault:
        # A verdict all the same (the file is not to be relied on); one line, since it says
        # something about the upload (what defeated the reader, or why a seal of ours could
        # not be shown valid, which may also mean TSA_CA lacks the TSA's root).
        log.warning("PDF check: not relied on (%s bytes): %s", len(data), fault)
    return verdict


@contextmanager
def slot(folder: Path, count: int) -> Iterator[bool]:
    """Whether one of `count` check slots was free (held until the block ends). Each slot
    is a lock file under `folder` that every process of the app server shares; the lock
    goes with the process if it dies."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        handle = os.open(folder / f"check-{number}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            continue
        try:
            yield True
        finally:
            os.close(handle)  # and with it, the lock
        return
    yield False


def _child(argv: list[str]) -> int:
    """The check itself: limits first, then the upload (standard input), then pyHanko.
    Writes the verdict as JSON on standard output."""
    import resource

    seconds, memory_mb, where = argv
    cpu = math.ceil(float(seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    space = int(memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (space, space))
    os.nice(10)
    stream = sys.stdin.buffer
    try:
        count = int.from_bytes(stream.read(4), "big")
        crls = [stream.read(int.from_bytes(stream.read(4), "big")) for _ in range(count)]
        data = stream.read()
        from . import seal

        paths = json.loads(where)
        current, *earlier = map(Path, paths["seal_certs"])
        keys = SealKeys(current, Path(os.devnull), Path(paths["ca"]), tuple(earlier))
        roots = tuple(map(Path, paths["tsa_roots"]))
        verdict = seal.verify(data, keys, roots, crls, fetch=bool(paths["fetch"]))
    except MemoryError:
        return OUT_OF_MEMORY
    except OSError as error:
        # Out of address space while importing (a module's file cannot be read in).
        if error.errno == errno.ENOMEM:
            return OUT_OF_MEMORY
        raise
    answer = {
        "ok": verdict.ok,
        "message": verdict.message,
        "fault": verdict.fault,
        "signed_at": verdict.signed_at.isoformat() if verdict.signed_at else None,
        "level": verdict.level,
    }
    sys.stdout.write(json.dumps(answer))
    return 0
