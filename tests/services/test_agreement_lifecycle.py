"""The lifecycle of SPEC §4 on the database: draft → awaiting signatures → active, and on."""

from datetime import date, timedelta

import pytest

from registry.domain.errors import Conflict, Forbidden, ValidationFailed
from registry.domain.lifecycle import StatusSettings
from registry.domain.vocab import EffectiveStatus, VersionStatus
from registry.models import Agreement, AuditEntry, Signature
from registry.services import agreement_lifecycle as lifecycle
from registry.services import agreements, signing
from registry.services.agreement_reads import (
    AgreementFilters,
    amendments,
    list_agreements,
    standing,
)

from ..factories import (
    ADMIN,
    FIXED_NOW,
    TODAY,
    activate,
    chain,
    ig_lead_actor,
    make_agency,
    make_draft,
    make_user,
    party,
    police_to_council,
    signatory_for,
)

SETTINGS = StatusSettings()


def _two_under_a_protocol(session, three):
    """A protocol of all three agencies, and a tier 2 of the first two under it, in force."""
    council, police, _ = three
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(a) for a in three])
    )
    pair = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    return protocol, activate(session, pair)


def _notice(session, lead, agreement, agency, days=0):
    """`lead` gives `agency`'s notice of withdrawal from `agreement`, `days` from today."""
    return lifecycle.withdraw(
        session,
        lead.actor(),
        agreement.id,
        agency_id=agency.id,
        effective_on=TODAY + timedelta(days=days),
        reason="The service moves to the new provider",
        today=TODAY,
        now=FIXED_NOW,
    )


@pytest.fixture
def three(session):
    return (
        make_agency(session, name="Council"),
        make_agency(session, name="Police"),
        make_agency(session, name="Hospital", kind="health"),
    )


def test_references_read_like_isa_year_number(session, three):
    protocol, tier2 = chain(session, *three)
    assert protocol.reference == "ISA-2026-0001"
    assert tier2.reference == "ISA-2026-0002"


def test_a_year_goes_on_past_its_ten_thousandth_reference(session, three):
    council, police, _ = three
    for number in (9999, 10000):  # as text, the 9,999th sorts after the 10,000th
        session.add(
            Agreement(
                reference=f"ISA-2026-{number}",
                tier=1,
                owner_agency_id=council.id,
                created_at=FIXED_NOW,
            )
        )
    session.commit()
    drafts = [
        make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
        for _ in range(2)
    ]
    assert [d.reference for d in drafts] == ["ISA-2026-10001", "ISA-2026-10002"]


def test_submit_freezes_content_and_signatures_activate(session, three):
    council, police, hospital = three
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(a) for a in three])
    )
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    lifecycle.submit(session, ig_lead_actor(council), draft.id, now=FIXED_NOW)
    version = draft.latest
    assert version.status == VersionStatus.AWAITING_SIGNATURES
    assert len(version.content_sha256) == 64
    with pytest.raises(Conflict):
        agreements.update_draft(
            session, ig_lead_actor(council), draft.id, {"title": "x"}, now=FIXED_NOW
        )
    signer = signatory_for(session, council)
    signature = signing.sign(session, signer.actor(), draft.id, proof="password", now=FIXED_NOW)
    assert signature.content_sha256 == version.content_sha256
    assert signature.signatory_name == signer.name and signature.job_title == "Director"
    assert version.status == VersionStatus.AWAITING_SIGNATURES
    signing.sign(
        session, signatory_for(session, police).actor(), draft.id, proof="password", now=FIXED_NOW
    )
    assert version.status == VersionStatus.ACTIVE
    assert standing(draft, TODAY, SETTINGS).in_force_version == 1


def test_signing_rules(session, three):
    council, police, hospital = three
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(a) for a in three])
    )
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    signer = signatory_for(session, council)
    with pytest.raises(Conflict):  # a draft cannot be signed
        signing.sign(session, signer.actor(), draft.id, proof="password", now=FIXED_NOW)
    lifecycle.submit(session, ig_lead_actor(council), draft.id, now=FIXED_NOW)
    with pytest.raises(Forbidden):  # hospital is not a party
        signing.sign(
            session,
            signatory_for(session, hospital).actor(),
            draft.id,
            proof="password",
            now=FIXED_NOW,
        )
    lead = make_user(session, roles=("ig_lead",), agency=council)
    with pytest.raises(Forbidden):  # an IG lead is not a signatory
        signing.sign(session, lead.actor(), draft.id, proof="password", now=FIXED_NOW)
    signing.sign(session, signer.actor(), draft.id, proof="password", now=FIXED_NOW)
    with pytest.raises(Conflict):  # once per party
        signing.sign(session, signer.actor(), draft.id, proof="password", now=FIXED_NOW)
    assert session.query(Signature).count() == 1 + 3  # three protocol signatures too


def test_decline_needs_a_comment_and_returns_to_draft(session, three):
    council, police, _ = three
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(a) for a in three])
    )
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    lifecycle.submit(session, ig_lead_actor(council), draft.id, now=FIXED_NOW)
    signing.sign(
        session, signatory_for(session, council).actor(), draft.id, proof="password", now=FIXED_NOW
    )
    police_signer = signatory_for(session, police)
    with pytest.raises(ValidationFailed) as caught:
        signing.decline(
            session, police_signer.actor(), draft.id, "   ", proof="password", now=FIXED_NOW
        )
    assert "comment" in caught.value.fields
    signing.decline(
        session,
        police_signer.actor(),
        draft.id,
        "Retention is too long",
        proof="password",
        now=FIXED_NOW,
    )
    assert draft.latest.status == VersionStatus.DRAFT
    assert draft.latest.declines[0].comment == "Retention is too long"
    # Changing the content voids the council's earlier signature of the old content.
    agreements.update_draft(
        session, ig_lead_actor(council), draft.id, {"retention": "Two years"}, now=FIXED_NOW
    )
    lifecycle.submit(session, ig_lead_actor(council), draft.id, now=FIXED_NOW)
    assert draft.latest.signature_for(council.id) is None


def test_an_amendment_leaves_the_old_version_in_force_until_fully_signed(session, three):
    council, police, hospital = three
    _, tier2 = chain(session, *three)
    lifecycle.amend(session, ig_lead_actor(council), tier2.id, now=FIXED_NOW)
    assert [v.status for v in tier2.versions] == [VersionStatus.ACTIVE, VersionStatus.DRAFT]
    assert standing(tier2, TODAY, SETTINGS).in_force_version == 1
    with pytest.raises(Conflict):  # one open amendment at a time
        lifecycle.amend(session, ig_lead_actor(council), tier2.id, now=FIXED_NOW)
    agreements.update_draft(
        session,
        ig_lead_actor(council),
        tier2.id,
        {"title": "MASH (revised)", "purposes": ["mash_triage", "child_protection_s47"]},
        now=FIXED_NOW,
    )
    lifecycle.submit(session, ig_lead_actor(council), tier2.id, now=FIXED_NOW)
    signing.sign(
        session, signatory_for(session, council).actor(), tier2.id, proof="password", now=FIXED_NOW
    )
    signing.sign(
        session, signatory_for(session, police).actor(), tier2.id, proof="password", now=FIXED_NOW
    )
    assert standing(tier2, TODAY, SETTINGS).in_force_version == 1
    signing.sign(
        session, signatory_for(session, hospital).actor(), tier2.id, proof="password", now=FIXED_NOW
    )
    assert [v.status for v in tier2.versions] == [VersionStatus.SUPERSEDED, VersionStatus.ACTIVE]
    assert standing(tier2, TODAY, SETTINGS).in_force_version == 2
    ((version, changes),) = amendments(tier2)
    assert version.number == 2
    assert {c.field for c in changes} == {"title", "purposes"}


def test_review_continue_moves_the_review_date(session, three):
    council = three[0]
    _, tier2 = chain(session, *three)
    lead = make_user(session, roles=("ig_lead",), agency=council)
    old = tier2.latest.review_date
    review = lifecycle.review(
        session,
        lead.actor(),
        tier2.id,
        outcome="continue",
        notes="Still needed",
        today=TODAY,
        now=FIXED_NOW,
    )
    assert review.previous_review_date == old
    assert tier2.latest.review_date == review.new_review_date == TODAY.replace(year=2027)


@pytest.mark.parametrize(
    ("draft_review", "expected"),
    [
        (None, date(2027, 6, 15)),  # the draft's own (16 May 2027) is earlier: the review's
        (date(2028, 1, 1), date(2028, 1, 1)),  # the draft's own is later: it stands
    ],
)
def test_a_review_recorded_while_an_amendment_is_open_is_never_rolled_back(
    session, three, draft_review, expected
):
    """Issue 15: version 1 reviewed (review date moved to June 2027) while version 2 was a
    draft; when version 2 became active the review date went back to the draft's own."""
    council = three[0]
    _, tier2 = chain(session, *three)
    lead = make_user(session, roles=("ig_lead",), agency=council)
    lifecycle.amend(session, lead.actor(), tier2.id, now=FIXED_NOW)
    if draft_review:
        agreements.update_draft(
            session, lead.actor(), tier2.id, {"review_date": draft_review}, now=FIXED_NOW
        )
    assert tier2.latest.review_date == (draft_review or date(2027, 5, 16))
    lifecycle.review(
        session,
        lead.actor(),
        tier2.id,
        outcome="continue",
        notes="Still needed",
        today=TODAY,
        now=FIXED_NOW + timedelta(hours=1),
    )
    assert tier2.current.number == 1 and tier2.current.review_date == date(2027, 6, 15)
    activate(session, tier2)
    assert tier2.current.number == 2
    assert tier2.current.review_date == expected


def test_an_amendment_s_own_earlier_review_date_stands_when_no_review_came_between(session, three):
    council = three[0]
    _, tier2 = chain(session, *three)
    lead = make_user(session, roles=("ig_lead",), agency=council)
    lifecycle.review(
        session,
        lead.actor(),
        tier2.id,
        outcome="continue",
        notes="Reviewed before the amendment",
        today=TODAY,
        now=FIXED_NOW,
    )
    lifecycle.amend(session, lead.actor(), tier2.id, now=FIXED_NOW + timedelta(hours=1))
    agreements.update_draft(
        session, lead.actor(), tier2.id, {"review_date": date(2027, 3, 1)}, now=FIXED_NOW
    )
    activate(session, tier2)
    assert tier2.current.number == 2 and tier2.current.review_date == date(2027, 3, 1)


def test_review_terminate_and_amend(session, three):
    council = three[0]
    _, tier2 = chain(session, *three)
    lead = make_user(session, roles=("ig_lead",), agency=council)
    lifecycle.review(
        session,
        lead.actor(),
        tier2.id,
        outcome="amend",
        notes="Add housing",
        today=TODAY,
        now=FIXED_NOW,
    )
    assert tier2.latest.number == 2 and tier2.latest.status == VersionStatus.DRAFT
    lifecycle.review(
        session,
        lead.actor(),
        tier2.id,
        outcome="terminate",
        notes="No longer used",
        today=TODAY,
        now=FIXED_NOW,
    )
    assert {v.status for v in tier2.versions} == {VersionStatus.TERMINATED}
    assert standing(tier2, TODAY, SETTINGS).status == EffectiveStatus.TERMINATED


def test_review_of_another_agencys_agreement_is_forbidden(session, three):
    _, tier2 = chain(session, *three)
    other = make_user(session, roles=("ig_lead",), agency=three[1])
    with pytest.raises(Forbidden):
        lifecycle.review(
            session,
            other.actor(),
            tier2.id,
            outcome="continue",
            notes="x",
            today=TODAY,
            now=FIXED_NOW,
        )


def test_withdrawal_from_a_date_and_termination_below_two_parties(session, three):
    council, police, hospital = three
    protocol, tier2 = _two_under_a_protocol(session, three)
    police_lead = make_user(session, roles=("ig_lead",), agency=police)
    with pytest.raises(ValidationFailed):  # not in the past
        _notice(session, police_lead, tier2, police, days=-1)
    with pytest.raises(Forbidden):  # only for its own agency
        _notice(session, police_lead, tier2, council)
    _notice(session, police_lead, tier2, police, days=10)
    assert tier2.terminates_on == TODAY + timedelta(days=10)
    assert standing(tier2, TODAY, SETTINGS).status != EffectiveStatus.TERMINATED
    assert (
        standing(tier2, TODAY + timedelta(days=10), SETTINGS).status == EffectiveStatus.TERMINATED
    )
    # Withdrawing from the protocol today leaves it two parties: it continues.
    _notice(session, police_lead, protocol, police)
    assert protocol.latest.status == VersionStatus.ACTIVE


def test_suspend_resume_terminate_need_reasons_and_roles(session, three):
    council = three[0]
    _, tier2 = chain(session, *three)
    lead = ig_lead_actor(council)
    with pytest.raises(Forbidden):
        lifecycle.suspend(session, lead, tier2.id, "x", now=FIXED_NOW)
    with pytest.raises(ValidationFailed):
        lifecycle.suspend(session, ADMIN, tier2.id, "", now=FIXED_NOW)
    lifecycle.suspend(session, ADMIN, tier2.id, "Data breach under investigation", now=FIXED_NOW)
    assert standing(tier2, TODAY, SETTINGS).status == EffectiveStatus.SUSPENDED
    with pytest.raises(Conflict):
        lifecycle.suspend(session, ADMIN, tier2.id, "again", now=FIXED_NOW)
    lifecycle.resume(session, ADMIN, tier2.id, "Investigation closed", now=FIXED_NOW)
    lifecycle.terminate(session, lead, tier2.id, "Replaced by a new agreement", now=FIXED_NOW)
    assert standing(tier2, TODAY, SETTINGS).status == EffectiveStatus.TERMINATED
    with pytest.raises(Conflict):
        lifecycle.terminate(session, lead, tier2.id, "again", now=FIXED_NOW)


def test_every_change_is_audited(session, three):
    chain(session, *three)
    actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.sequence)]
    assert actions.count("agreement.create") == 2
    assert actions.count("agreement.submit") == 2
    assert actions.count("agreement.sign") == 6
    assert actions.count("agreement.activate") == 2
    sequences = [e.sequence for e in session.query(AuditEntry).order_by(AuditEntry.sequence)]
    assert sequences == list(range(1, len(sequences) + 1))


def test_a_draft_refused_at_save_names_the_offending_item(session, three):
    council, police, hospital = three
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    with pytest.raises(ValidationFailed) as caught:
        make_draft(
            session, owner=council, parent=protocol, parties=[party(council), party(hospital)]
        )
    assert caught.value.fields["parties"] == (f"Hospital is not a party to {protocol.reference}")


def test_a_child_granting_a_direction_its_parent_refuses_is_refused_at_save_and_submit(
    session, three
):
    council, police, _ = three
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    mash = activate(
        session,
        make_draft(
            session,
            owner=council,
            parent=protocol,
            parties=[party(council), party(police, disclose=False)],
        ),
    )
    with pytest.raises(ValidationFailed) as caught:
        make_draft(
            session, tier=3, owner=council, parent=mash, parties=[party(council), party(police)]
        )
    assert caught.value.fields["parties"] == (
        f"{police.name} may not disclose under {mash.reference}, so cannot disclose under "
        "this agreement"
    )
    # Saved while the parent allowed it, then the parent narrowed: submit refuses it.
    wide = make_draft(
        session,
        tier=3,
        owner=council,
        parent=mash,
        parties=[party(council), party(police, disclose=False)],
    )
    lifecycle.amend(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    agreements.update_draft(
        session,
        ig_lead_actor(council),
        mash.id,
        {"parties": [party(council, disclose=False), party(police, disclose=False)]},
        now=FIXED_NOW,
    )
    activate(session, mash)
    with pytest.raises(ValidationFailed) as caught:
        lifecycle.submit(session, ig_lead_actor(council), wide.id, now=FIXED_NOW)
    assert caught.value.fields["parties"].startswith(f"{council.name} may not disclose under")


def test_ig_lead_cannot_draft_for_another_agency(session, three):
    council, police, _ = three
    with pytest.raises(Forbidden):
        agreements.create_draft(
            session,
            ig_lead_actor(police),
            {
                "tier": 1,
                "owner_agency_id": council.id,
                "title": "x",
                "effective_from": TODAY,
                "parties": [party(council)],
            },
            now=FIXED_NOW,
        )


def test_a_parent_narrowed_below_its_child_flags_the_child(session, three):
    """Issue 15: narrowing a parent is accepted at once, and each child that now goes
    beyond it is named (before signing and after) and marked until it is amended."""
    council, police, _ = three
    _, mash = chain(session, council, police)
    flow = police_to_council(session, mash, police, council)
    lead = ig_lead_actor(council)
    lock = flow.lock_version
    assert flow.exceeds_parent is None
    lifecycle.amend(session, lead, mash.id, now=FIXED_NOW)
    agreements.update_draft(
        session,
        lead,
        mash.id,
        {"parties": [party(council), party(police, disclose=False)]},
        now=FIXED_NOW,
    )
    lifecycle.submit(session, lead, mash.id, now=FIXED_NOW)
    [(child, found)] = agreements.children_beyond(session, mash, TODAY)
    assert child.id == flow.id
    assert found == [
        f"Police may not disclose under {mash.reference}, so cannot disclose under this agreement"
    ]
    assert flow.exceeds_parent is None  # not yet: the narrower version is not signed
    activate_signed = [p.agency_id for p in mash.latest.parties]
    for agency_id in activate_signed:
        signer = signatory_for(session, session.get(type(council), agency_id))
        signing.sign(session, signer.actor(), mash.id, proof="password", now=FIXED_NOW)
    session.expire_all()
    assert flow.exceeds_parent == found[0]
    assert flow.lock_version == lock  # the mark is not an edit: no false edit conflict
    listed = list_agreements(
        session,
        AgreementFilters(exceeds_parent=True),
        today=TODAY,
        settings=StatusSettings(),
    )
    assert [a.id for a in listed.items] == [flow.id]
    # Amending the child to match clears the mark.
    lifecycle.amend(session, lead, flow.id, now=FIXED_NOW)
    agreements.update_draft(
        session,
        lead,
        flow.id,
        {"parties": [party(police, disclose=False), party(council)]},
        now=FIXED_NOW,
    )
    activate(session, flow)
    session.expire_all()
    assert flow.exceeds_parent is None


def test_a_party_under_notice_stays_a_party_until_its_date(session, three):
    """A review found that opening an amendment silently dropped a party that had given
    notice for a later date (stopping its cover weeks early), and that its children were
    flagged as exceeding the parent at once."""
    # Three parties, so that the agreement goes on without the police (with two it ends).
    _, mash = chain(session, *three)
    council, police, _ = three
    flow = police_to_council(session, mash, police, council)
    police_lead = make_user(session, roles=("ig_lead",), agency=police)
    _notice(session, police_lead, mash, police, days=45)
    session.expire_all()
    assert flow.exceeds_parent is None
    version = lifecycle.amend(session, ig_lead_actor(council), mash.id, now=FIXED_NOW)
    assert police.id in {p.agency_id for p in version.parties}
    # Once the notice has taken effect, an amendment leaves the police out.
    activate(session, mash)
    later = FIXED_NOW + timedelta(days=60)
    version = lifecycle.amend(session, ig_lead_actor(council), mash.id, now=later)
    assert police.id not in {p.agency_id for p in version.parties}


def test_the_owner_cannot_withdraw_so_its_amendments_stay_its_own(session, three):
    """Found by the lifecycle machine: an owner that gave notice was left out of the next
    amendment of its own agreement, which then could not be saved ("must be one of its
    parties") nor handed to anyone. The notice is refused; it terminates instead."""
    council, police, hospital = three
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(a) for a in three])
    )
    tier2 = activate(
        session,
        make_draft(session, owner=council, parent=protocol, parties=[party(a) for a in three]),
    )
    lead = make_user(session, roles=("ig_lead",), agency=council)
    with pytest.raises(Conflict) as refused:
        _notice(session, lead, tier2, council)
    assert refused.value.code == "owner_cannot_withdraw"
    assert "terminate" in refused.value.message
    session.rollback()
    assert tier2.withdrawals == []
    lifecycle.amend(session, lead.actor(), tier2.id, now=FIXED_NOW)
    edited = agreements.update_draft(
        session, lead.actor(), tier2.id, {"title": "Renamed"}, now=FIXED_NOW
    )
    assert {p.agency_id for p in edited.latest.parties} == {a.id for a in three}


def test_the_protocol_s_owner_is_not_told_to_terminate_it(session, three):
    """Terminating a protocol takes every agreement under it out of force (the probe's
    finding): its owner is sent to the administrator instead."""
    council = three[0]
    protocol, _ = chain(session, *three)
    lead = make_user(session, roles=("ig_lead",), agency=council)
    with pytest.raises(Conflict) as refused:
        _notice(session, lead, protocol, council)
    assert refused.value.code == "owner_cannot_withdraw"
    assert "terminate" not in refused.value.message
    assert "speak to the registry's administrator" in refused.value.message


def test_an_agency_whose_withdrawal_took_effect_cannot_be_put_back_by_an_amendment(session, three):
    """Put back and signed, it was still not covered (coverage asks whether a party had
    withdrawn): the probe's finding. The amendment says so when the party is added."""
    council, police, hospital = three
    _, tier2 = chain(session, *three)
    _notice(session, make_user(session, roles=("ig_lead",), agency=police), tier2, police)
    lead = ig_lead_actor(council)
    draft = lifecycle.amend(session, lead, tier2.id, now=FIXED_NOW)
    assert police.id not in {p.agency_id for p in draft.parties}
    with pytest.raises(ValidationFailed) as refused:
        agreements.update_draft(
            session,
            lead,
            tier2.id,
            {"parties": [party(council), party(police), party(hospital)]},
            now=FIXED_NOW,
        )
    assert refused.value.fields["parties"].startswith(
        f"Police has withdrawn from {tier2.reference} and cannot be a party to a new version"
    )
    session.rollback()
    agreements.update_draft(session, lead, tier2.id, {"title": "Without Police"}, now=FIXED_NOW)


def _amended(session, agreement, owner, parties):
    """`agreement` amended by its owner to these parties, signed by all: in force."""
    lifecycle.amend(session, ig_lead_actor(owner), agreement.id, now=FIXED_NOW)
    agreements.update_draft(
        session, ig_lead_actor(owner), agreement.id, {"parties": parties}, now=FIXED_NOW
    )
    return activate(session, agreement)


def test_an_amendment_that_adds_a_party_lifts_the_end_a_notice_had_scheduled(session, three):
    """The probe's finding: a two-party agreement under one party's notice was to end on
    that day; an amendment adding a third party, signed by all, still ended it then."""
    council, police, hospital = three
    _, two = _two_under_a_protocol(session, three)
    _notice(session, make_user(session, roles=("ig_lead",), agency=police), two, police, days=30)
    assert two.terminates_on == TODAY + timedelta(days=30)
    _amended(session, two, council, [party(council), party(police), party(hospital)])
    assert two.terminates_on is None
    later = standing(two, TODAY + timedelta(days=40), SETTINGS)
    assert later.status != EffectiveStatus.TERMINATED


def test_an_amendment_that_takes_a_party_out_brings_the_end_a_notice_now_causes(session, three):
    """Three parties, one under notice: an amendment taking out another leaves two, one of
    them leaving, so the agreement ends on the notice's day (SPEC section 4)."""
    council, police, hospital = three
    _, tier2 = chain(session, *three)
    _notice(session, make_user(session, roles=("ig_lead",), agency=police), tier2, police, days=30)
    assert tier2.terminates_on is None
    _amended(session, tier2, council, [party(council), party(police)])
    assert tier2.terminates_on == TODAY + timedelta(days=30)
    assert standing(tier2, TODAY + timedelta(days=30), SETTINGS).status == (
        EffectiveStatus.TERMINATED
    )
    [entry] = [
        e
        for e in session.query(AuditEntry).filter_by(entity_id=tier2.id)
        if e.action == "agreement.activate" and e.after.get("version") == 2
    ]
    assert entry.after["terminates_on"] == (TODAY + timedelta(days=30)).isoformat()


def test_an_agreement_that_notices_ended_stays_ended(session, three):
    """The probe's finding: two parties, one leaving; once its day had come the agreement
    read as terminated, yet it could be amended, and the amendment coming into force
    brought it back (covering the days it had been ended). Nothing more is done on it."""
    council, police, hospital = three
    _, two = _two_under_a_protocol(session, three)
    # An amendment waiting for signatures when the end comes cannot then be signed.
    lifecycle.amend(session, ig_lead_actor(council), two.id, now=FIXED_NOW)
    lifecycle.submit(session, ig_lead_actor(council), two.id, now=FIXED_NOW)
    _notice(session, make_user(session, roles=("ig_lead",), agency=police), two, police, days=1)
    later, day3 = FIXED_NOW + timedelta(days=3), TODAY + timedelta(days=3)
    ended = f"{two.reference} ended on 16 June 2026, when fewer than two parties remained"
    attempts = {
        "sign": lambda: signing.sign(
            session, signatory_for(session, council).actor(), two.id, proof="password", now=later
        ),
        "review": lambda: lifecycle.review(
            session,
            ig_lead_actor(council),
            two.id,
            outcome="continue",
            notes="Still needed",
            today=day3,
            now=later,
        ),
        "suspend": lambda: lifecycle.suspend(session, ADMIN, two.id, "Checking", now=later),
    }
    for what, attempt in attempts.items():
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.message.startswith(ended), what
        session.rollback()
    assert two.latest.signatures == []
    assert standing(two, day3, SETTINGS).status == EffectiveStatus.TERMINATED


def test_a_draft_whose_party_has_left_since_it_was_opened_is_not_submitted(session, three):
    """The probe's finding: an amendment opened while Police was under notice, its day
    passing while it was a draft, could be submitted and signed naming Police, a party
    no longer covered. Submitting says to take it out, as saving does."""
    council, police, hospital = three
    _, tier2 = chain(session, *three)
    lead = ig_lead_actor(council)
    lifecycle.amend(session, lead, tier2.id, now=FIXED_NOW)
    _notice(session, make_user(session, roles=("ig_lead",), agency=police), tier2, police, days=1)
    later = FIXED_NOW + timedelta(days=3)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.submit(session, lead, tier2.id, now=later)
    assert "Police has withdrawn from" in refused.value.fields["parties"]
    session.rollback()
    agreements.update_draft(
        session, lead, tier2.id, {"parties": [party(council), party(hospital)]}, now=later
    )
    lifecycle.submit(session, lead, tier2.id, now=later)
    assert tier2.latest.status == VersionStatus.AWAITING_SIGNATURES


def test_nothing_new_is_made_under_an_agreement_that_notices_ended(session, three):
    """A tier 3 could still be drafted under a tier 2 that notices had ended (its version
    still reads active): the probe's note, refused as under a terminated one."""
    council, police, _ = three
    _, two = _two_under_a_protocol(session, three)
    _notice(session, make_user(session, roles=("ig_lead",), agency=police), two, police, days=1)
    later = FIXED_NOW + timedelta(days=3)
    data = {
        "title": "A flow under it",
        "tier": 3,
        "owner_agency_id": council.id,
        "parent_id": two.id,
        "purposes": ["mash_triage"],
        "data_categories": ["identity_contact"],
        "lawful_bases": ["art6_1_e"],
        "effective_from": TODAY + timedelta(days=3),
        "parties": [party(council), party(police)],
    }
    with pytest.raises(ValidationFailed) as refused:
        agreements.create_draft(session, ig_lead_actor(council), data, now=later)
    assert refused.value.fields["parent_id"] == (
        f"{two.reference} has ended and cannot take new agreements"
    )
    session.rollback()
    made = agreements.create_draft(session, ig_lead_actor(council), data, now=FIXED_NOW)
    assert made.parent_id == two.id  # the day before, it could
