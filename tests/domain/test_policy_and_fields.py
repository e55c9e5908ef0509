"""Who may do what (SPEC §8), and the field formats of SPEC §9."""

import pytest

from registry.domain import policy
from registry.domain.actor import Actor
from registry.domain.fields import ico_error, normalise_ico, ods_error
from registry.domain.vocab import Role


def actor(*roles, agency=1):
    return Actor(user_id=1, name="x", agency_id=agency, roles=frozenset(roles))


ADMIN = Actor(user_id=9, name="admin", roles=frozenset({Role.ADMIN}))


def test_ig_lead_edits_only_its_own_agency():
    lead = actor(Role.IG_LEAD, agency=1)
    assert policy.may_edit_agency(lead, 1)
    assert not policy.may_edit_agency(lead, 2)
    assert policy.may_edit_agency(ADMIN, 2)
    assert not policy.may_edit_agency(actor(Role.PRACTITIONER), 1)


def test_drafting_by_tier():
    lead = actor(Role.IG_LEAD, agency=1)
    assert policy.may_draft(lead, 2, 1) and policy.may_draft(lead, 1, 1)
    assert not policy.may_draft(lead, 2, 2)
    assert policy.may_draft(ADMIN, 1, 5)
    assert not policy.may_draft(ADMIN, 2, 5)


def test_signing_needs_the_role_and_a_party_agency_and_never_the_admin():
    signer = actor(Role.SIGNATORY, agency=3)
    assert policy.may_sign_for(signer, [1, 3])
    assert not policy.may_sign_for(signer, [1, 2])
    assert not policy.may_sign_for(actor(Role.IG_LEAD, agency=3), [3])
    assert not policy.may_sign_for(ADMIN, [1, 2, 3])


@pytest.mark.parametrize("value", ["Z1234567", "ZA123456", "ZB000001"])
def test_valid_ico_numbers(value):
    assert ico_error(value) is None


@pytest.mark.parametrize("value", ["", "Z123456", "Z12345678", "A1234567", "ZAB12345", "z1234567"])
def test_invalid_ico_numbers(value):
    assert ico_error(value) is not None


def test_ico_numbers_are_normalised_before_checking():
    assert normalise_ico(" za 123456 ") == "ZA123456"


@pytest.mark.parametrize(
    ("value", "ok"),
    [("RX1", True), ("A81001", True), ("AB", False), ("ABCDEFG", False), ("rx1", False)],
)
def test_ods_codes(value, ok):
    assert (ods_error(value) is None) is ok


def test_officer_gaps_by_kind():
    from registry.domain.agencies import officer_gaps
    from registry.domain.vocab import AgencyKind, OfficerRole

    assert officer_gaps("Trust", AgencyKind.HEALTH, []) == [
        "Trust has no lead information officer",
        "Trust has no Caldicott Guardian",
    ]
    assert officer_gaps("School", AgencyKind.EDUCATION, [OfficerRole.DPO]) == [
        "School has no lead information officer"
    ]
    assert (
        officer_gaps(
            "Council",
            AgencyKind.LOCAL_AUTHORITY,
            [OfficerRole.LEAD_INFORMATION_OFFICER, OfficerRole.CALDICOTT_GUARDIAN],
        )
        == []
    )
