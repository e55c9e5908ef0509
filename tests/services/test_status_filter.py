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
        made.append(
            activate(
                session,
                make_draft(
                    session,
                    tier=1,
                    owner=a,
                    parties=[party(a), party(b)],
                    effective_from=TODAY + timedelta(days=offset),
                    review_date=TODAY + timedelta(days=offset + 365),
                    end_date=TODAY + timedelta(days=offset + 500) if offset == -800 else None,
                ),
            )
        )
    made.append(make_draft(session, tier=1, owner=a, parties=[party(a), party(b)]))
    suspended = activate(
        session, make_draft(session, tier=1, owner=a, parties=[party(a), party(b)])
    )
    agreement_lifecycle.suspend(session, ADMIN, suspended.id, "test", now=FIXED_NOW)
    return made + [suspended]


@pytest.mark.parametrize("days", [-400, -120, 0, 100, 300, 500])
def test_sql_filter_equals_the_domain_rule(session, spread, days):
    day = TODAY + timedelta(days=days)
    expected: dict[EffectiveStatus, set[int]] = {}
    for agreement in spread:
        expected.setdefault(standing(agreement, day, SETTINGS).status, set()).add(agreement.id)
    for status in EffectiveStatus:
        found = list_agreements(
            session, AgreementFilters(status=status), today=day, settings=SETTINGS, per_page=500
        )
        assert {a.id for a in found.items} == expected.get(status, set()), (status, day)


@pytest.mark.parametrize("days", [-400, 0, 300])
def test_the_review_calendar_pages_what_the_domain_rule_lists(session, spread, days):
    """The calendar filters and orders in the database (a page reads one page of
    agreements); it lists what the domain's standing says, in review-date order."""
    from registry.services import reviews

    day = TODAY + timedelta(days=days)
    live = sorted(
        (
            (standing(a, day, SETTINGS), a)
            for a in spread
            if standing(a, day, SETTINGS).status in reviews.LIVE
        ),
        key=lambda item: (item[0].shown.review_date, item[1].reference),
    )
    expected = [a.id for _, a in live]
    assert expected, "the spread has agreements with a review date to keep"
    listed = reviews.upcoming(session, None, today=day, settings=SETTINGS)
    assert [a.id for a, _ in listed] == expected
    pages = [
        reviews.upcoming_page(session, None, today=day, settings=SETTINGS, page=n, per_page=2)
        for n in range(1, 7)
    ]
    assert [a.id for p in pages for a, _ in p.items] == expected
    assert pages[0].total == len(expected) and len(pages[0].items) == min(2, len(expected))
    for status in reviews.LIVE:
        only = reviews.upcoming(session, None, today=day, settings=SETTINGS, status=status)
        assert [a.id for a, _ in only] == [a.id for w, a in live if w.status == status]


@pytest.mark.parametrize("days", [-400, 0, 300])
def test_a_list_walked_in_reference_order_finds_the_same_agreements(
    session, spread, days, monkeypatch
):
    """SQLite reads a status's many matches by walking the agreements in reference order
    (WALK_FROM lowered here so that every status is walked): the same agreements, in the
    same order, page by page, as read from the dates' index."""
    from sqlalchemy import event

    from registry.services import agreement_reads

    day = TODAY + timedelta(days=days)
    asked = [AgreementFilters(status=status) for status in EffectiveStatus] + [
        AgreementFilters(review_due=True)
    ]

    def lists(per_page: int) -> list[list[list[int]]]:
        return [
            [
                [a.id for a in page.items]
                for page in (
                    list_agreements(
                        session, f, today=day, settings=SETTINGS, page=n, per_page=per_page
                    )
                    for n in (1, 2, 3)
                )
            ]
            for f in asked
        ]

    read = lists(2)
    statements: list[str] = []
    engine = session.get_bind()
    listen = lambda _c, _cur, statement, *_rest: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    monkeypatch.setattr(agreement_reads, "WALK_FROM", 1)
    try:
        walked = lists(2)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert walked == read
    assert any(ids for pages in read for ids in pages)
    if engine.dialect.name == "sqlite":
        assert any("+agreement_versions_1.review_date" in s for s in statements)
    else:
        assert not any("+agreement_versions_1" in s for s in statements)
