"""Tier-3 particulars, the DPIA and the controller relationship in the agreement PDF."""

from datetime import timedelta

from registry.services import agreement_lifecycle, agreements

from ..factories import (
    FIXED_NOW,
    TODAY,
    activate,
    chain,
    ig_lead_actor,
    make_agency,
    make_draft,
    make_user,
    party,
)
from .test_agreement_pdf import text_of


def test_a_tier3_pdf_states_how_often_how_what_and_the_dpia(client, session):
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police", kind="police")
    _protocol, tier2 = chain(session, council, police)
    flow = activate(
        session,
        make_draft(
            session,
            tier=3,
            owner=council,
            parent=tier2,
            parties=[party(police), party(council)],
            frequency="daily",
            frequency_detail="by 10am",
            transfer_methods=["secure_email", "shared_case_system"],
            data_items=["Name", "Date of birth", "Nature of incident"],
            controller_relationship="joint",
            dpia_reference="DPIA-DA-07",
            dpia_completed_on=TODAY - timedelta(days=40),
            dpia_outcome="ico_consulted",
            dpia_link="https://intranet.example.org/dpia/7",
        ),
    )
    agreement_lifecycle.amend(session, ig_lead_actor(council), flow.id, now=FIXED_NOW)
    agreements.update_draft(
        session, ig_lead_actor(council), flow.id, {"frequency": "weekly"}, now=FIXED_NOW
    )
    client.sign_in(make_user(session, agency=council))
    whole = " ".join(text_of(client.get(f"/agreements/{flow.id}/pdf?version=1").data))
    whole = " ".join(whole.split())
    assert (
        "Named data items Only these items are shared: Name Date of birth Nature of incident"
        in (whole.replace("• ", ""))
    )
    assert "How information is sent" in whole and "Shared case management system" in whole
    assert "How often Daily: by 10am" in whole
    assert "Joint controllers: the parties decide together" in whole
    assert "DPIA-DA-07" in whole
    assert "High risk remains: the ICO was consulted before sharing" in whole
    assert "https://intranet.example.org/dpia/7" in whole.replace(" ", "")
    amended = " ".join(" ".join(text_of(client.get(f"/agreements/{flow.id}/pdf").data)).split())
    assert "How often: Daily, now Weekly" in amended


def test_a_tier2_pdf_says_not_recorded_and_has_no_tier3_sections(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    _protocol, tier2 = chain(session, council, police)
    client.sign_in(make_user(session, agency=council))
    whole = " ".join(" ".join(text_of(client.get(f"/agreements/{tier2.id}/pdf").data)).split())
    assert "Controllers Not recorded." in whole
    assert "Data protection impact assessment Not recorded." in whole
    assert "Named data items" not in whole and "How information is sent" not in whole
