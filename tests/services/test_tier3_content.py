"""Tier-3 particulars, the DPIA and the controller relationship (issue 19): stored,
refused where they do not belong, fingerprinted, copied into amendments and diffed."""

from datetime import timedelta

import pytest

from registry.domain.agreements import canonical, diff
from registry.domain.errors import ValidationFailed
from registry.services import agreement_lifecycle, agreements, vocabularies
from registry.services.agreement_reads import amendments, content_of

from ..factories import (
    ADMIN,
    FIXED_NOW,
    TODAY,
    activate,
    chain,
    ig_lead_actor,
    make_agency,
    make_draft,
    party,
)

TIER3 = {
    "frequency": "daily",
    "frequency_detail": "By 10am for the previous 24 hours",
    "transfer_methods": ["secure_email", "shared_case_system"],
    "data_items": ["Name", "Date of birth", "  Address  ", "", "Name", "Nature of incident"],
}
DPIA = {
    "dpia_reference": "DPIA-2026-014",
    "dpia_completed_on": TODAY - timedelta(days=60),
    "dpia_outcome": "risks_reduced",
    "dpia_link": "https://intranet.example.org/dpia/14",
    "controller_relationship": "separate",
}


@pytest.fixture
def parties(session):
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police", kind="police")
    _protocol, tier2 = chain(session, council, police)
    return council, police, tier2


def tier3(session, parties, **content):
    council, police, tier2 = parties
    return make_draft(
        session,
        tier=3,
        owner=council,
        parent=tier2,
        parties=[party(police), party(council)],
        **content,
    )


def test_a_tier3_keeps_how_often_how_and_what(session, parties):
    agreement = tier3(session, parties, **TIER3, **DPIA)
    v = agreement.latest
    assert v.frequency.value == "daily"
    assert v.frequency_detail == "By 10am for the previous 24 hours"
    assert v.transfer_methods == ["secure_email", "shared_case_system"]
    # Trimmed, blank lines and repeats dropped, in the order typed.
    assert v.data_items == ["Name", "Date of birth", "Address", "Nature of incident"]
    assert v.dpia_reference == "DPIA-2026-014"
    assert v.dpia_outcome.value == "risks_reduced"
    assert v.controller_relationship.value == "separate"


def test_data_items_typed_one_a_line(session, parties):
    agreement = tier3(session, parties, data_items="Name\r\nDate of birth\n\nSchool\n")
    assert agreement.latest.data_items == ["Name", "Date of birth", "School"]


def test_other_tiers_refuse_tier3_particulars_by_name(session, parties):
    council, police, _ = parties
    with pytest.raises(ValidationFailed) as raised:
        make_draft(
            session,
            tier=2,
            owner=council,
            parent=parties[2].parent,
            parties=[party(police), party(council)],
            **TIER3,
        )
    fields = raised.value.fields
    assert set(fields) >= {"frequency", "transfer_methods", "data_items"}
    assert "Only a tier 3 agreement records how information is sent" in fields["transfer_methods"]


def test_dpia_and_controllers_for_any_tier(session, parties):
    council, police, tier2 = parties
    protocol = make_draft(
        session, tier=1, owner=council, parties=[party(council), party(police)], **DPIA
    )
    assert protocol.latest.dpia_reference == "DPIA-2026-014"


def test_an_incomplete_dpia_is_refused_naming_each_gap(session, parties):
    with pytest.raises(ValidationFailed) as raised:
        tier3(session, parties, dpia_link="intranet/dpia", dpia_outcome="risks_reduced")
    fields = raised.value.fields
    assert fields["dpia_reference"].startswith("Enter the DPIA's reference")
    assert fields["dpia_completed_on"] == "Enter the date the DPIA was completed"
    assert "https://" in fields["dpia_link"]
    assert "dpia_outcome" not in fields


def test_a_dpia_completed_tomorrow_is_refused(session, parties):
    with pytest.raises(ValidationFailed) as raised:
        tier3(session, parties, **{**DPIA, "dpia_completed_on": TODAY + timedelta(days=1)})
    assert "today or earlier" in raised.value.fields["dpia_completed_on"]


def test_unknown_codes_are_refused(session, parties):
    with pytest.raises(ValidationFailed) as raised:
        tier3(
            session,
            parties,
            frequency="hourly",
            transfer_methods=["carrier_pigeon"],
            controller_relationship="both",
            data_items=["x" * 201],
        )
    fields = raised.value.fields
    assert "from the list" in fields["frequency"]
    assert "carrier_pigeon" in fields["transfer_methods"]
    assert fields["controller_relationship"] == "Choose separate controllers or joint controllers"
    assert "longer than 200 characters" in fields["data_items"]


def test_fingerprint_unchanged_for_content_without_them(session, parties):
    """Versions signed before issue 19 keep the fingerprint they were signed with."""
    plain = tier3(session, parties)
    content = content_of(plain.latest)
    keys = set(canonical(content, reference="ISA-2026-0001", version=1))
    assert not keys & {"frequency", "transfer_methods", "data_items", "dpia_reference"}
    recorded = tier3(session, parties, **TIER3, **DPIA)
    assert {"frequency", "transfer_methods", "data_items", "dpia_reference"} <= set(
        canonical(content_of(recorded.latest), reference="ISA-2026-0002", version=1)
    )


def test_amendment_copies_them_and_shows_what_changed(session, parties):
    council = parties[0]
    agreement = activate(session, tier3(session, parties, **TIER3, **DPIA))
    agreement_lifecycle.amend(session, ig_lead_actor(council), agreement.id, now=FIXED_NOW)
    draft = agreement.latest
    assert draft.data_items == agreement.versions[0].data_items
    assert draft.dpia_reference == "DPIA-2026-014"
    agreements.update_draft(
        session,
        ig_lead_actor(council),
        agreement.id,
        {
            "frequency": "weekly",
            "transfer_methods": ["secure_email", "phone"],
            "data_items": ["Name", "Date of birth", "School"],
            "controller_relationship": "joint",
        },
        now=FIXED_NOW,
    )
    ((_v2, changes),) = amendments(agreement)
    by_field = {c.field: c for c in changes}
    assert (by_field["frequency"].before, by_field["frequency"].after) == ("daily", "weekly")
    assert by_field["transfer_methods"].added == ("phone",)
    assert by_field["transfer_methods"].removed == ("shared_case_system",)
    assert by_field["data_items"].added == ("School",)
    assert set(by_field["data_items"].removed) == {"Address", "Nature of incident"}
    assert by_field["controller_relationship"].after == "joint"


def test_transfer_methods_are_an_editable_vocabulary(session):
    listing = vocabularies.listing(session)
    codes = {m.code for m in listing["transfer_methods"]}
    assert {
        "secure_email",
        "secure_file_transfer",
        "shared_case_system",
        "phone",
        "meeting",
    } <= codes
    vocabularies.save_entry(
        session, ADMIN, "transfer_methods", code="courier", label="Secure courier", now=FIXED_NOW
    )
    assert vocabularies.labels(session)["transfer_methods"]["courier"] == "Secure courier"


def test_diff_is_empty_when_nothing_changed(session, parties):
    agreement = tier3(session, parties, **TIER3, **DPIA)
    assert diff(content_of(agreement.latest), content_of(agreement.latest)) == []


def test_the_demo_shows_them(session):
    from registry.models import Agreement
    from registry.services.demo import seed_demo

    seed_demo(session, now=FIXED_NOW)
    flows = session.query(Agreement).filter_by(tier=3).all()
    assert flows and all(
        a.latest.frequency and a.latest.transfer_methods and a.latest.data_items for a in flows
    )
    assert any(a.latest.dpia_reference for a in flows)
    outcomes = {a.latest.controller_relationship for a in session.query(Agreement)}
    assert {"separate", "joint"} <= {o.value for o in outcomes if o}
