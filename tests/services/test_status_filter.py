"""The register's SQL status filter agrees with the domain's effective_status, date by date."""

from datetime import timedelta

import pytest

from registry.domain.lifecycle import StatusSettings
from registry.domain.vocab import EffectiveStatus
from registry.services import agreement_lifecycle
from registry.services.agreement_reads import AgreementFilters, list_agreements, standing

from ..factories import ADMIN, FIXED_NOW, TODAY, activate, make_agency, make_draft, party

SETTINGS = StatusSettings(notice_days=90, grace_days=90)


@pytest.fixture
def spread(session):
    """Agreements whose dates put them in every status on some day near TODAY."""
    a, b = make_agency(session), make_agency(session)
    made = []
    for offset in (-800, -500, -400, -300, -200, -100, 0, 30, 200):
        made.append(activate(session, make_draft(
            session, tier=1, owner=a, parties=[party(a), party(b)],
            effective_from=TODAY + timedelta(days=offset),
            review_date=TODAY + timedelta(days=offset + 365),
            end_date=TODAY + timedelta(days=offset + 500) if offset == -800 else None)))
    made.append(make_draft(session, tier=1, owner=a, parties=[party(a), party(b)]))
    suspended = activate(session, make_draft(session, tier=1, owner=a,
                                             parties=[party(a), party(b)]))
    agreement_lifecycle.suspend(session, ADMIN, suspended.id, "test", now=FIXED_NOW)
    return made + [suspended]


@pytest.mark.parametrize("days", [-400, -120, 0, 100, 300, 500])
def test_sql_filter_equals_the_domain_rule(session, spread, days):
    day = TODAY + timedelta(days=days)
    expected: dict[EffectiveStatus, set[int]] = {}
    for agreement in spread:
        expected.setdefault(standing(agreement, day, SETTINGS).status, set()).add(agreement.id)
    for status in EffectiveStatus:
        found = list_agreements(session, AgreementFilters(status=status), today=day,
                                settings=SETTINGS, per_page=500)
        assert {a.id for a in found.items} == expected.get(status, set()), (status, day)
