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
    assert [a.tier for a in agreements].count(2) == 3
    assert [a.tier for a in agreements].count(3) == 4
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
    assert any(officer_gaps(a) for a in agencies)
    assert verify(session) is None
