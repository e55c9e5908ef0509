"""Issue 18 points 3 and 4 in the PDF: a delegate's signature reads "B on behalf of A",
and the evidence page says what proof of identity each signer gave."""

import io
import shutil
import subprocess
from datetime import timedelta

import pypdf

from registry.services import agreement_lifecycle, delegations, signing

from ..factories import (
    FIXED_NOW,
    TODAY,
    chain,
    ig_lead_actor,
    make_agency,
    make_draft,
    make_user,
    party,
    signatory_for,
)


def _text(pdf: bytes) -> str:
    """The words as a reader copies them: pdftotext where installed, else pypdf."""
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
        return " ".join(done.stdout.decode().split())
    return " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages).split()
    )


def test_the_evidence_page_shows_on_whose_behalf_and_the_proof_given(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    draft = make_draft(
        session,
        owner=council,
        parent=protocol,
        parties=[party(council), party(police)],
        title="MASH",
    )
    agreement_lifecycle.submit(session, ig_lead_actor(council), draft.id, now=FIXED_NOW)
    alice = make_user(
        session, roles=("signatory",), agency=council, name="Alice Ames", job_title="Director"
    )
    bob = make_user(session, agency=council, name="Bob Brown", job_title="Deputy")
    delegations.create(
        session,
        alice.actor(),
        delegate_id=bob.id,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=7),
        now=FIXED_NOW,
    )
    signing.sign(session, bob.actor(), draft.id, proof="password", now=FIXED_NOW)
    signing.sign(
        session,
        signatory_for(session, police).actor(),
        draft.id,
        proof="two_factor",
        now=FIXED_NOW,
    )
    client.sign_in(make_user(session, agency=council))
    whole = _text(client.get(f"/agreements/{draft.id}/pdf?version=1").data)
    # The signature block, and the evidence page's row for each signer.
    assert "Signed by Bob Brown, Deputy, on behalf of Alice Ames, Director" in whole
    assert "Council, on behalf of Alice Ames, Director" in whole
    assert "delegate of an authorised signatory, confirmed with their password" in whole
    assert "confirmed with a two-factor code" in whole
