"""Sealed PDFs are issued when a version becomes active and re-issued by a review."""

import hashlib
import io

import pypdf

from registry.models import IssuedPdf
from registry.pdf import seal
from registry.services import agreement_lifecycle

from ..factories import FIXED_NOW, TODAY, activate, make_agency, make_draft, make_user, party
from ..seal_jobs import seal_pending


def text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_activation_issues_a_sealed_pdf_that_downloads_unchanged(app, client, session):
    app.config["SEAL_ON_ACTIVATION"] = True
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    assert session.query(IssuedPdf).count() == 0  # sealed in the background, not by the signer
    assert seal_pending(app) == 1
    copies = session.query(IssuedPdf).all()
    assert len(copies) == 1
    stored = copies[0]
    assert stored.sha256 == hashlib.sha256(stored.pdf).hexdigest()
    verdict = seal.verify(stored.pdf, seal.keys_from_config(app.config))
    assert verdict.ok
    client.sign_in(make_user(session, agency=council))
    first = client.get(f"/agreements/{protocol.id}/pdf").data
    assert first == stored.pdf == client.get(f"/agreements/{protocol.id}/pdf").data
    assert "DRAFT" not in text(first)


def test_a_review_reissues_and_the_earlier_copy_stays(app, client, session):
    app.config["SEAL_ON_ACTIVATION"] = True
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    seal_pending(app)
    lead = make_user(session, roles=("ig_lead",), agency=council)
    agreement_lifecycle.review(
        session,
        lead.actor(),
        protocol.id,
        outcome="continue",
        notes="Fine",
        today=TODAY,
        now=FIXED_NOW,
    )
    assert session.query(IssuedPdf).count() == 1  # the new review date's copy is to come
    assert seal_pending(app) == 1
    copies = session.query(IssuedPdf).order_by(IssuedPdf.id).all()
    assert [c.review_date.isoformat() for c in copies] == ["2027-05-16", "2027-06-15"]
    assert "Review date: 15 June 2027" in text(copies[1].pdf)
    client.sign_in(lead)
    assert client.get(f"/agreements/{protocol.id}/pdf").data == copies[1].pdf
    earlier = client.get(f"/agreements/{protocol.id}/issued/{copies[0].id}.pdf")
    assert earlier.data == copies[0].pdf
    assert "Review date: 16 May 2027" in text(earlier.data)
    page = client.page(f"/agreements/{protocol.id}")
    assert "Sealed copies issued (2)" in page.get_text()
    assert client.get(f"/agreements/{protocol.id}/issued/999.pdf").status_code == 404


def test_verification_tells_where_the_version_stands(app, client, session):
    """Issue 15: /verify and verify-pdf called a superseded version and a terminated
    agreement 'Genuine', in green, with no word on where that version stands."""
    from ..factories import ADMIN
    from ..services.test_cli import run

    app.config["SEAL_ON_ACTIVATION"] = True
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    seal_pending(app)
    [first] = session.query(IssuedPdf).all()
    ref = protocol.reference

    def check(pdf: bytes) -> str:
        response = client.post(
            "/verify",
            data={"csrf_token": client.csrf_token("/verify"), "pdf": (io.BytesIO(pdf), "a.pdf")},
            content_type="multipart/form-data",
        )
        return " ".join(response.get_data(as_text=True).split())

    page = check(first.pdf)
    assert "Genuine and in force" in page and f"{ref} version 1 is the version in force." in page
    admin = make_user(session, roles=("admin",)).actor()
    agreement_lifecycle.review(
        session, admin, protocol.id, outcome="continue", notes="Fine", today=TODAY, now=FIXED_NOW
    )
    page = check(first.pdf)
    assert "a copy showing 16 May 2027 is out of date, download the latest" in page
    agreement_lifecycle.amend(session, ADMIN, protocol.id, now=FIXED_NOW)
    activate(session, protocol)
    seal_pending(app)
    page = check(first.pdf)
    assert "Genuine, but not in force" in page and "Genuine and in force" not in page
    assert f"{ref} version 1 is no longer in force: version 2 replaced it on 15 June 2026" in page
    path = app.instance_path + "/v1.pdf"
    with open(path, "wb") as handle:
        handle.write(first.pdf)
    command = run(app, "verify-pdf", path)
    assert command.exit_code == 0  # the seal is intact, whatever the standing
    assert f"Standing: {ref} version 1 is no longer in force" in command.output
    assert "Version 2 is the one in force now." in command.output
    # Superseded twice: it names the version in force now, not the one after it.
    agreement_lifecycle.amend(session, ADMIN, protocol.id, now=FIXED_NOW)
    activate(session, protocol)
    seal_pending(app)
    page = check(first.pdf)
    assert "version 2 replaced it on 15 June 2026. Version 3 is the one in force now." in page
    agreement_lifecycle.terminate(session, ADMIN, protocol.id, "Replaced", now=FIXED_NOW)
    page = check(first.pdf)
    assert f"No version of {ref} is in force now." in page
    latest = session.query(IssuedPdf).order_by(IssuedPdf.id.desc()).first()
    assert latest.version_number == 3
    page = check(latest.pdf)
    assert f"{ref} version 3 has been terminated: it no longer applies." in page
    assert "Genuine, but not in force" in page
