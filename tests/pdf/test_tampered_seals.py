"""Issue 16's retest: a genuine sealed PDF tampered with where pyHanko takes the file's
word (its seal's /ByteRange, or a page tree thousands deep added after the seal) made
pyHanko raise TypeError, OverflowError or RecursionError, and /verify answered "could not
check this PDF just now" (verify-pdf exit 3) with an ERROR and a traceback per upload. A
tampered file is a verdict, "do not rely on it", logged in one line as a warning."""

from __future__ import annotations

import logging

import pytest

from registry.pdf import seal
from registry.pdf.verdict import CHANGED, FAILED

from ..services.test_cli import run
from .hostile import byte_range, deep_page_tree, with_byte_range
from .test_seal import check_page, issued_copy, sealed_pdf


def _tampered(pdf: bytes, depth: int = 15_000) -> dict[str, bytes]:
    """What the retest sent, each built from `pdf`, and what pyHanko raised."""
    start, first, second, length = byte_range(pdf)
    return {
        "TypeError (a fraction)": with_byte_range(
            pdf, b"%s %s.5 %s %s" % (start, first, second, length)
        ),
        "TypeError (a reference)": with_byte_range(
            pdf, b"%s 55 0 R %s %s" % (start, second, length)
        ),
        "TypeError (a string)": with_byte_range(pdf, b"%s (abc) %s %s" % (start, second, length)),
        "OverflowError (20 digits)": with_byte_range(
            pdf, b"%s %s %s %s" % (b"9" * 20, first, second, length)
        ),
        "RecursionError (deep pages)": deep_page_tree(pdf, depth),
    }


def test_a_tampered_seal_is_changed_not_a_fault(app):
    good = sealed_pdf(app)
    keys = seal.keys_from_config(app.config)
    for raised, pdf in _tampered(good).items():
        verdict = seal.verify(pdf, keys)
        assert not verdict.ok and verdict.checked, raised
        assert verdict.message == CHANGED, raised
        assert verdict.fault is not None and verdict.fault.startswith(raised.split()[0]), raised
        assert "\n" not in verdict.fault
    assert seal.verify(good, keys).ok  # the builders change only what they say


def test_a_tampered_issued_copy_is_answered_do_not_rely_on_it(
    app, session, client, tmp_path, caplog
):
    """By the page and the command, as a user sees it: a verdict, and the log says so in
    a warning of one line, with no ERROR and no traceback."""
    _, copy = issued_copy(app, session)
    caplog.set_level(logging.WARNING)
    # 5,000 deep is deep enough and under 500 KB, which the test client would otherwise
    # spool to a temporary file it never closes.
    for raised, pdf in _tampered(copy.pdf, 5_000).items():
        caplog.clear()
        response, page = check_page(client, pdf)
        assert response.status_code == 200, raised
        assert "Do not rely on this PDF" in page and "changed since the registry sealed it" in page
        assert FAILED not in page and "could not check" not in page, raised
        records = [r for r in caplog.records if r.name.startswith("registry")]
        assert [r.levelno for r in records] == [logging.WARNING], raised
        said = records[0].getMessage()
        assert raised.split()[0] in said and "\n" not in said and records[0].exc_info is None
        path = tmp_path / "tampered.pdf"
        path.write_bytes(pdf)
        command = run(app, "verify-pdf", str(path))
        assert command.exit_code == 1, (raised, command.output)
        assert "Do not rely on it" in command.output


def test_running_out_of_memory_is_left_to_the_limit(app, monkeypatch):
    """Only the limits (and a fault of the registry's own) give no verdict: catching what a
    hostile file raises must not swallow MemoryError, which the child answers as "too
    much work to check" (isolated.py)."""
    good = sealed_pdf(app)
    keys = seal.keys_from_config(app.config)

    def exhausted(*args, **kwargs):
        raise MemoryError

    for where in ("PdfFileReader", "validate_seal"):
        with monkeypatch.context() as patch:
            patch.setattr(seal, where, exhausted)
            with pytest.raises(MemoryError):
                seal.verify(good, keys)
