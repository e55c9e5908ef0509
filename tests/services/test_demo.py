from registry.domain.lifecycle import StatusSettings
from registry.domain.vocab import AgencyKind, EffectiveStatus, Role
from registry.models import Agency, Agreement, User
from registry.services.agencies import officer_gaps
from registry.services.audit import verify
from registry.services.demo import seed_demo

from ..factories import FIXED_NOW, TODAY


def test_the_demo_partnership_shows_every_feature(session):
    seed_demo(session, now=FIXED_NOW)
    agencies = session.query(Agency).all()
    assert len(agencies) >= 15
    assert {a.kind for a in agencies} == set(AgencyKind)
    agreements = session.query(Agreement).all()
    assert [a.tier for a in agreements].count(1) == 1
    assert [a.tier for a in agreements].count(2) == 4
    assert [a.tier for a in agreements].count(3) == 5
    from registry.services.agreement_reads import standing

    statuses = {standing(a, TODAY, StatusSettings()).status for a in agreements}
    assert {
        EffectiveStatus.ACTIVE,
        EffectiveStatus.AWAITING_SIGNATURES,
        EffectiveStatus.REVIEW_DUE,
        EffectiveStatus.REVIEW_OVERDUE,
        EffectiveStatus.LAPSED,
        EffectiveStatus.SCHEDULED,
    } <= statuses
    assert any(a.open_version and a.current for a in agreements)  # an open amendment
    roles = {r for u in session.query(User) for r in u.roles}
    assert roles == set(Role)
    assert any(officer_gaps(a, TODAY) for a in agencies)
    # Officers with history: past holders, and the police DPO's change told to partners.
    assert sum(1 for a in agencies for o in a.officers if o.ended_on) >= 2
    from registry.models import Notification, NotificationEvent

    told = session.query(Notification).filter_by(event=NotificationEvent.OFFICER_CHANGED).all()
    assert told and all(n.needs_acknowledgement for n in told)
    assert {n.subject for n in told} == {"Data protection officer changed at Northshire Police"}
    assert verify(session) is None
    # A parent narrowed below its child: the child is flagged, and a check of what the
    # parent no longer allows is refused with the reason.
    [flagged] = [a for a in agreements if a.exceeds_parent]
    assert flagged.tier == 3 and "Physical and mental health" in flagged.exceeds_parent
    from registry.services.coverage import CheckInput, run_check

    [police] = [p.agency_id for p in flagged.latest.parties if p.may_disclose]
    [council] = [p.agency_id for p in flagged.latest.parties if not p.may_disclose]
    asker = session.query(User).filter(User.agency_id == police).first()
    _, answer = run_check(
        session,
        asker.actor(),
        CheckInput(police, council, "missing_children", ["health"], None),
        today=TODAY,
        now=FIXED_NOW,
        settings=StatusSettings(),
    )
    assert answer.outcome.value == "not_covered"
    assert "parent_not_permitted" in [r.code for r in answer.reasons]
