"""SPEC §5 to the letter: every outcome and every reason code, table-driven."""

from dataclasses import replace
from datetime import date

import pytest

from registry.domain.coverage import (
    AgreementFacts,
    Contact,
    Names,
    Outcome,
    PartyTerms,
    Reason,
    Request,
    VersionFacts,
    check,
)
from registry.domain.vocab import OfficerRole
from registry.domain.vocab import VersionStatus as V

A, B, C = 1, 2, 3
TODAY = date(2026, 6, 15)
NAMES = Names(
    agencies={A: "Council", B: "Police", C: "Hospital"},
    purposes={"mash_triage": "MASH triage", "marac": "MARAC"},
    categories={"identity": "Identity", "health": "Health", "crime": "Offences"},
)
CONTACTS = [
    Contact(OfficerRole.DPO, "Dee", "DPO", "dee@x.org", "Council"),
    Contact(OfficerRole.SIRO, "Sid", "SIRO", "sid@x.org", "Council"),  # not advice
    Contact(OfficerRole.LEAD_INFORMATION_OFFICER, "Lia", "Head of IG", "lia@x.org", "Council"),
    Contact(OfficerRole.CALDICOTT_GUARDIAN, "Cal", "Guardian", "cal@x.org", "Council"),
]


def version(
    number=1,
    status=V.ACTIVE,
    parties=None,
    purposes=("mash_triage",),
    categories=("identity", "health"),
    effective=date(2026, 1, 1),
    review=date(2027, 1, 1),
    end=None,
    signed=None,
):
    parties = parties or {
        A: PartyTerms(True, True),
        B: PartyTerms(True, True),
        C: PartyTerms(True, True),
    }
    return VersionFacts(
        number=number,
        status=status,
        effective_from=effective,
        review_date=review,
        end_date=end,
        parties=parties,
        purposes=frozenset(purposes),
        data_categories=frozenset(categories),
        signed=frozenset(parties if signed is None else signed),
    )


def agreement(id_, tier, parent=None, versions=None, **kw):
    return AgreementFacts(
        id=id_,
        reference=f"ISA-2026-{id_:04d}",
        title=f"Agreement {id_}",
        tier=tier,
        parent_id=parent,
        versions=tuple(versions or [version()]),
        **kw,
    )


PROTOCOL = agreement(1, 1, versions=[version(purposes=(), categories=())])
MASH = agreement(2, 2, parent=1)


def ask(*agreements, frm=A, to=B, purpose="mash_triage", categories=("identity",), on=TODAY):
    registry = {x.id: x for x in agreements}
    return check(
        Request(frm, to, purpose, frozenset(categories), on), registry, CONTACTS, names=NAMES
    )


def only_reason(answer):
    assert answer.outcome == Outcome.NOT_COVERED
    assert len(answer.reasons) == 1
    return answer.reasons[0]


def test_covered_names_the_agreement_and_chain_and_the_contacts():
    answer = ask(PROTOCOL, MASH)
    assert answer.outcome == Outcome.COVERED
    assert answer.agreement.reference == "ISA-2026-0002" and answer.version == 1
    assert answer.chain == ("ISA-2026-0001", "ISA-2026-0002")
    assert answer.chain_titles == ("Agreement 1", "Agreement 2")
    assert answer.warnings == () and answer.reasons == ()
    assert [c.role for c in answer.contacts] == [
        OfficerRole.LEAD_INFORMATION_OFFICER,
        OfficerRole.CALDICOTT_GUARDIAN,
        OfficerRole.DPO,
    ]
    assert "record your decision" in answer.message


def test_the_same_agency_needs_no_agreement():
    answer = ask(PROTOCOL, MASH, frm=A, to=A)
    assert answer.outcome == Outcome.NOT_REQUIRED and answer.agreement is None
    assert answer.contacts  # advice, always


def test_no_candidate_at_all():
    answer = ask(
        PROTOCOL,
        agreement(
            2,
            2,
            parent=1,
            versions=[version(parties={A: PartyTerms(True, True), C: PartyTerms(True, True)})],
        ),
    )
    reason = only_reason(answer)
    assert reason.code == Reason.NO_AGREEMENT and reason.agreement_reference is None
    assert "Council and Police" in reason.message
    assert "significant harm" in answer.message and "serious harm" in answer.message
    assert "record your decision" in answer.message


def test_a_tier_1_protocol_never_covers_by_itself():
    protocol = agreement(1, 1)  # even listing the purpose and categories
    assert only_reason(ask(protocol)).code == Reason.NO_AGREEMENT


@pytest.mark.parametrize(
    ("mash", "code", "words"),
    [
        (
            replace(MASH, versions=(version(status=V.DRAFT),)),
            Reason.NOT_ACTIVE,
            "version 1 is draft",
        ),
        (
            replace(MASH, versions=(version(status=V.AWAITING_SIGNATURES, signed={A}),)),
            Reason.NOT_ACTIVE,
            "awaiting signatures",
        ),
        (replace(MASH, versions=(version(status=V.SUSPENDED),)), Reason.SUSPENDED, "suspended"),
        (replace(MASH, versions=(version(status=V.TERMINATED),)), Reason.TERMINATED, "terminated"),
        (replace(MASH, terminates_on=date(2026, 6, 1)), Reason.TERMINATED, "terminated"),
        (
            replace(MASH, versions=(version(effective=date(2026, 7, 1)),)),
            Reason.NOT_YET_IN_FORCE,
            "takes effect on 1 July 2026",
        ),
        (
            replace(
                MASH,
                versions=(
                    version(
                        end=date(2026, 6, 14), review=date(2026, 6, 1), effective=date(2025, 1, 1)
                    ),
                ),
            ),
            Reason.EXPIRED,
            "expired on 14 June 2026",
        ),
        (
            replace(MASH, versions=(version(effective=date(2024, 1, 1), review=date(2026, 3, 1)),)),
            Reason.LAPSED,
            "review was due on 1 March 2026",
        ),
        (
            replace(MASH, withdrawals={B: date(2026, 6, 15)}),
            Reason.WITHDRAWN,
            "Police withdrew from ISA-2026-0002 on 15 June 2026",
        ),
        (
            replace(
                MASH,
                versions=(
                    version(parties={A: PartyTerms(False, True), B: PartyTerms(True, True)}),
                ),
            ),
            Reason.DIRECTION_NOT_PERMITTED,
            "Council may not disclose",
        ),
        (
            replace(
                MASH,
                versions=(
                    version(parties={A: PartyTerms(True, True), B: PartyTerms(True, False)}),
                ),
            ),
            Reason.DIRECTION_NOT_PERMITTED,
            "Police may not receive",
        ),
        (
            replace(MASH, versions=(version(purposes=("marac",)),)),
            Reason.PURPOSE_NOT_COVERED,
            "does not cover the purpose MASH triage",
        ),
    ],
)
def test_each_reason_code_with_a_sentence_naming_the_item(mash, code, words):
    reason = only_reason(ask(PROTOCOL, mash))
    assert reason.code == code
    assert reason.agreement_reference == "ISA-2026-0002"
    assert words in reason.message


def test_a_future_withdrawal_does_not_stop_coverage_yet():
    assert (
        ask(PROTOCOL, replace(MASH, withdrawals={B: date(2026, 7, 1)})).outcome == Outcome.COVERED
    )


def test_missing_categories_are_each_named():
    reason = only_reason(ask(PROTOCOL, MASH, categories=("identity", "crime", "health", "housing")))
    assert reason.code == Reason.CATEGORY_NOT_COVERED
    assert "data categories Offences, housing" in reason.message


def test_a_party_added_by_an_unsigned_amendment_is_not_signed():
    amended = replace(
        MASH,
        versions=(
            version(parties={A: PartyTerms(True, True), C: PartyTerms(True, True)}),
            version(number=2, status=V.AWAITING_SIGNATURES, signed={A}),
        ),
    )
    reason = only_reason(ask(PROTOCOL, amended))
    assert reason.code == Reason.NOT_SIGNED
    assert reason.message == (
        "Police has not signed the version of ISA-2026-0002 in force (version 1)."
    )


def test_the_version_in_force_stays_in_force_during_an_amendment():
    amended = replace(
        MASH, versions=(version(), version(number=2, status=V.DRAFT, purposes=("marac",)))
    )
    assert ask(PROTOCOL, amended).version == 1


@pytest.mark.parametrize(
    "parent",
    [
        replace(PROTOCOL, versions=(version(status=V.SUSPENDED),)),
        replace(PROTOCOL, withdrawals={B: date(2026, 1, 1)}),
        replace(
            PROTOCOL,
            versions=(version(parties={A: PartyTerms(True, True), C: PartyTerms(True, True)}),),
        ),
        replace(PROTOCOL, versions=(version(effective=date(2024, 1, 1), review=date(2025, 1, 1)),)),
    ],
)
def test_an_ancestor_not_in_force_for_both_parties(parent):
    reason = only_reason(ask(parent, MASH))
    assert reason.code == Reason.PARENT_NOT_IN_FORCE
    assert reason.message.startswith("ISA-2026-0002 sits under ISA-2026-0001")


def test_a_tier_3_needs_its_whole_chain():
    flow = agreement(3, 3, parent=2)
    assert ask(PROTOCOL, MASH, flow).agreement.id == 3
    lapsed_mash = replace(
        MASH, versions=(version(effective=date(2024, 1, 1), review=date(2025, 6, 1)),)
    )
    answer = ask(PROTOCOL, lapsed_mash, flow)
    assert answer.outcome == Outcome.NOT_COVERED
    codes = {r.agreement_reference: r.code for r in answer.reasons}
    assert codes == {"ISA-2026-0002": Reason.LAPSED, "ISA-2026-0003": Reason.PARENT_NOT_IN_FORCE}


@pytest.mark.parametrize(
    ("mash_version", "words"),
    [
        # The case: the MASH agreement amended so that the police (B) may no
        # longer disclose; its tier-3 child, police to council, must stop covering.
        (
            version(parties={A: PartyTerms(True, True), B: PartyTerms(False, True)}),
            "Police may not disclose under ISA-2026-0002",
        ),
        (
            version(parties={A: PartyTerms(True, False), B: PartyTerms(True, True)}),
            "Council may not receive under ISA-2026-0002",
        ),
        (version(purposes=("marac",)), "ISA-2026-0002 does not cover the purpose MASH triage"),
        (
            version(categories=("identity",)),
            "ISA-2026-0002 does not cover the data category Health",
        ),
    ],
)
def test_a_child_never_covers_what_its_tier_2_parent_does_not_permit(mash_version, words):
    flow = agreement(3, 3, parent=2)  # police to council, allows everything itself
    narrowed_mash = replace(MASH, versions=(mash_version,))
    answer = ask(PROTOCOL, narrowed_mash, flow, frm=B, to=A, categories=("identity", "health"))
    assert answer.outcome == Outcome.NOT_COVERED
    reasons = {r.agreement_reference: r for r in answer.reasons}
    child = reasons["ISA-2026-0003"]
    assert child.code == Reason.PARENT_NOT_PERMITTED
    assert child.message == (
        f"ISA-2026-0003 sits under ISA-2026-0002, which does not permit this share: {words}."
    )


def test_the_parent_s_permission_is_judged_only_once_it_is_in_force():
    # A parent that is both lapsed and narrowed: the child's first failure is the parent
    # not being in force (rule 5 in SPEC order), not what the parent permits.
    flow = agreement(3, 3, parent=2)
    stale = version(effective=date(2024, 1, 1), review=date(2025, 6, 1), purposes=("marac",))
    answer = ask(PROTOCOL, replace(MASH, versions=(stale,)), flow)
    codes = {r.agreement_reference: r.code for r in answer.reasons}
    assert codes["ISA-2026-0003"] == Reason.PARENT_NOT_IN_FORCE


def test_a_tier_1_protocol_s_own_lists_do_not_narrow_its_children():
    protocol = agreement(1, 1, versions=[version(purposes=("marac",), categories=())])
    assert ask(protocol, MASH).outcome == Outcome.COVERED


def test_review_overdue_covers_with_a_warning_on_the_agreement_or_an_ancestor():
    overdue = version(effective=date(2025, 1, 1), review=date(2026, 5, 1))
    answer = ask(PROTOCOL, replace(MASH, versions=(overdue,)))
    assert answer.outcome == Outcome.COVERED_WITH_WARNINGS
    assert [w.code for w in answer.warnings] == ["review_overdue"]
    assert "past its review date (1 May 2026)" in answer.warnings[0].message
    answer = ask(replace(PROTOCOL, versions=(replace(overdue, purposes=frozenset()),)), MASH)
    assert answer.outcome == Outcome.COVERED_WITH_WARNINGS
    assert "ISA-2026-0001, above ISA-2026-0002" in answer.warnings[0].message


def test_preference_no_warning_then_tier_3_then_latest_effective_date():
    overdue_flow = agreement(
        3, 3, parent=2, versions=[version(effective=date(2025, 1, 1), review=date(2026, 5, 1))]
    )
    assert ask(PROTOCOL, MASH, overdue_flow).agreement.id == 2  # no warning wins
    flow = agreement(3, 3, parent=2)
    assert ask(PROTOCOL, MASH, flow).agreement.id == 3  # tier 3 over tier 2
    newer = agreement(4, 2, parent=1, versions=[version(effective=date(2026, 3, 1))])
    assert ask(PROTOCOL, MASH, newer).agreement.id == 4  # latest effective date


def test_reasons_list_every_candidate_that_does_not_cover_even_when_covered():
    other = agreement(5, 2, parent=1, versions=[version(purposes=("marac",))])
    answer = ask(PROTOCOL, MASH, other)
    assert answer.outcome == Outcome.COVERED
    assert [(r.agreement_reference, r.code) for r in answer.reasons] == [
        ("ISA-2026-0005", Reason.PURPOSE_NOT_COVERED)
    ]


def test_every_reason_code_is_exercised_by_this_file():
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    for reason in Reason:
        assert f"Reason.{reason.name}" in source, reason
