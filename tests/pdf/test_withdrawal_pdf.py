"""Issue 18 point 6: a notice of withdrawal is printed on the evidence page of a fresh
sealed copy of the version in force, and a cancelled notice is gone from the next copy."""

import io
import shutil
import subprocess
from datetime import timedelta

import pypdf

from registry.models import IssuedPdf
from registry.services import agreement_lifecycle

from ..factories import ADMIN, FIXED_NOW, TODAY, activate, make_agency, make_draft, make_user, party
from ..seal_jobs import seal_pending

REASON = "The youth offending service transfers to the county council"


def _text(pdf: bytes) -> str:
    """The words as a reader copies them: pdftotext where installed, else pypdf."""
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
        return " ".join(done.stdout.decode().split())
    return " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split()
    )


def test_the_downloaded_pdf_shows_the_notice_and_then_its_cancellation(app, client, session):
    app.config["SEAL_ON_ACTIVATION"] = True
    council, police, nhs = (make_agency(session, name=n) for n in ("Council", "Police", "NHS"))
    protocol = activate(
        session,
        make_draft(
            session, tier=1, owner=council, parties=[party(council), party(police), party(nhs)]
        ),
    )
    assert seal_pending(app) == 1
    lead = make_user(session, roles=("ig_lead",), agency=police, name="Pat Police")
    agreement_lifecycle.withdraw(
        session,
        lead.actor(),
        protocol.id,
        agency_id=police.id,
        effective_on=TODAY + timedelta(days=30),
        reason=REASON,
        today=TODAY,
        now=FIXED_NOW,
    )
    assert seal_pending(app) == 1
    client.sign_in(make_user(session, agency=nhs))
    download = client.get(f"/agreements/{protocol.id}/pdf?version=1")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    text = _text(download.data)
    assert "Notices of withdrawal" in text
    assert REASON in text
    assert "15 July 2026" in text and "Pat Police" in text
    assert download.data == session.query(IssuedPdf).order_by(IssuedPdf.id.desc()).first().pdf

    agreement_lifecycle.cancel_withdrawal(
        session, ADMIN, protocol.id, agency_id=police.id, today=TODAY, now=FIXED_NOW
    )
    assert seal_pending(app) == 1
    after = _text(client.get(f"/agreements/{protocol.id}/pdf?version=1").data)
    assert "Notices of withdrawal" not in after and REASON not in after
    assert session.query(IssuedPdf).count() == 3  # activation, notice, cancellation
