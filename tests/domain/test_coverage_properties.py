"""Properties of the coverage check over generated registries (Hypothesis).

An independent, plainly written oracle of SPEC §5 says which candidates cover; the
check must agree with it, prefer as the SPEC says, and never be made to cover by
asking for more or by taking signatures or parties away."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.domain.coverage import (
    AgreementFacts,
    Outcome,
    PartyTerms,
    Request,
    VersionFacts,
    check,
    narrowed,
)
from registry.domain.lifecycle import StatusSettings
from registry.domain.vocab import VersionStatus as V

AGENCIES = (1, 2, 3)
PURPOSES = ("p1", "p2")
CATEGORIES = ("c1", "c2", "c3")
GRACE = StatusSettings().grace_days
START = date(2025, 1, 1)
# How many registries each property tries comes from the Hypothesis profile (tests/conftest.py):
# a quick one by default, a thorough one in CI.
RUNS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

TERMS = (PartyTerms(True, True),) * 3 + (PartyTerms(True, False), PartyTerms(False, True))


def day(rnd, low: int = 0, high: int = 500) -> date:
    return START + timedelta(days=rnd.randint(low, high))


def make_versions(rnd, steady: bool = False) -> tuple[VersionFacts, ...]:
    """A history as the registry keeps it: superseded versions, at most one current
    (active, suspended or terminated) and at most one open (draft or awaiting). A steady
    agreement (the protocols) is usually active over the whole period, so that the
    agreements under it get their chance to cover."""
    current = rnd.choice([None] + [V.ACTIVE] * (30 if steady else 8) + [V.SUSPENDED, V.TERMINATED])
    statuses = [V.SUPERSEDED] * rnd.randint(0, 2) + [current] if current else []
    opened = rnd.choice([None, None, None, V.DRAFT, V.AWAITING_SIGNATURES])
    if opened or not statuses:
        statuses.append(opened or V.DRAFT)
    # Terminating ends the open version too (an agreement never in force can be
    # terminated), and nothing is opened after it.
    ended = current == V.TERMINATED or (current is None and rnd.random() < 0.1)
    made = []
    for number, status in enumerate(statuses, start=1):
        parties = {
            agency: rnd.choice(TERMS)
            for agency in AGENCIES
            if rnd.random() < (0.95 if steady else 0.85)
        }
        if status in (V.DRAFT, V.AWAITING_SIGNATURES):
            status = V.TERMINATED if ended else status
            signed = frozenset(a for a in parties if rnd.random() < 0.5)
        else:
            signed = frozenset(parties)
        effective = day(rnd, 0, 100 if steady else 400)
        review = effective + timedelta(days=rnd.randint(450 if steady else 1, 600))
        end = review + timedelta(days=rnd.randint(1, 300)) if rnd.random() < 0.3 else None
        made.append(
            VersionFacts(
                number=number,
                status=status,
                effective_from=effective,
                review_date=review,
                end_date=end,
                parties=parties,
                purposes=frozenset(p for p in PURPOSES if rnd.random() < 0.8),
                data_categories=frozenset(c for c in CATEGORIES if rnd.random() < 0.85),
                signed=signed,
            )
        )
    return tuple(made)


def make_registry(rnd) -> dict[int, AgreementFacts]:
    agreements: dict[int, AgreementFacts] = {}
    next_id = 1
    for tier, count in ((1, rnd.randint(1, 2)), (2, rnd.randint(1, 4)), (3, rnd.randint(0, 3))):
        parents = [x.id for x in agreements.values() if x.tier == tier - 1]
        for _ in range(count if tier == 1 or parents else 0):
            agreements[next_id] = AgreementFacts(
                id=next_id,
                reference=f"ISA-2026-{next_id:04d}",
                title="t",
                tier=tier,
                parent_id=rnd.choice(parents) if tier > 1 else None,
                versions=make_versions(rnd, steady=tier == 1),
                withdrawals={a: day(rnd, 0, 800) for a in AGENCIES if rnd.random() < 0.07},
                terminates_on=day(rnd, 0, 800) if rnd.random() < 0.07 else None,
            )
            next_id += 1
    return agreements


def make_request(rnd) -> Request:
    a, b = rnd.sample(AGENCIES, 2) if rnd.random() < 0.95 else [AGENCIES[0]] * 2
    return Request(
        from_agency_id=a,
        to_agency_id=b,
        purpose=rnd.choice(PURPOSES),
        data_categories=frozenset(rnd.sample(CATEGORIES, rnd.randint(1, 2))),
        on_date=day(rnd, 200, 600),
    )


# Each example is one generated registry and request, from a Random that Hypothesis seeds
# (and replays when a property fails).
registries = st.randoms(use_true_random=False).map(make_registry)
requests = st.randoms(use_true_random=False).map(make_request)


# The oracle: SPEC §5 written out plainly, sharing no code with registry.domain.coverage.


def in_force_version(x: AgreementFacts, on: date):
    active = [v for v in x.versions if v.status == V.ACTIVE]
    if not active:
        return None
    v = active[-1]
    if x.terminates_on is not None and on >= x.terminates_on:
        return None
    if on < v.effective_from or (v.end_date is not None and on > v.end_date):
        return None
    if (on - v.review_date).days > GRACE:
        return None
    return v


def both_signed_and_present(x, v, req):
    for agency in (req.from_agency_id, req.to_agency_id):
        if agency not in v.parties or agency not in v.signed:
            return False
        withdrawn = x.withdrawals.get(agency)
        if withdrawn is not None and withdrawn <= req.on_date:
            return False
    return True


def permits(v, req):
    """Rules 3 and 4 on one version: the direction, the purpose and every category."""
    return (
        v.parties[req.from_agency_id].may_disclose
        and v.parties[req.to_agency_id].may_receive
        and req.purpose in v.purposes
        and req.data_categories <= v.data_categories
    )


def oracle_covers(x, req, registry):
    """None when x does not cover; else whether it carries a review-overdue warning."""
    if x.tier not in (2, 3):
        return None
    v = in_force_version(x, req.on_date)
    if v is None or not both_signed_and_present(x, v, req):
        return None
    if not permits(v, req):
        return None
    warning = req.on_date > v.review_date
    parent_id = x.parent_id
    while parent_id is not None:
        parent = registry[parent_id]
        pv = in_force_version(parent, req.on_date)
        if pv is None or not both_signed_and_present(parent, pv, req):
            return None
        # Rule 5: a tier-2 ancestor must itself permit the share (a protocol's lists
        # describe it and are not read).
        if parent.tier == 2 and not permits(pv, req):
            return None
        warning = warning or req.on_date > pv.review_date
        parent_id = parent.parent_id
    return warning


def oracle(req, registry):
    return {
        x.id: w for x in registry.values() if (w := oracle_covers(x, req, registry)) is not None
    }


def preference(x, warned, on):
    v = in_force_version(x, on)
    return (warned, -x.tier, -v.effective_from.toordinal(), x.reference)


@RUNS
@given(registries, requests)
def test_the_answer_agrees_with_the_oracle_and_a_covered_agreement_satisfies_every_rule(
    registry, req
):
    answer = check(req, registry, [])
    if req.from_agency_id == req.to_agency_id:
        assert answer.outcome == Outcome.NOT_REQUIRED
        return
    covering = oracle(req, registry)
    if not covering:
        assert answer.outcome == Outcome.NOT_COVERED
        assert answer.agreement is None and answer.reasons
        return
    assert answer.agreement.id in covering
    expected = Outcome.COVERED if not all(covering.values()) else Outcome.COVERED_WITH_WARNINGS
    assert answer.outcome == expected


@RUNS
@given(registries, requests)
def test_the_preference_order_holds(registry, req):
    covering = oracle(req, registry)
    if req.from_agency_id == req.to_agency_id or not covering:
        return
    answer = check(req, registry, [])
    best = min(covering, key=lambda i: preference(registry[i], covering[i], req.on_date))
    assert answer.agreement.id == best


@RUNS
@given(registries, requests, st.sampled_from(CATEGORIES))
def test_asking_for_more_categories_never_turns_not_covered_into_covered(registry, req, extra):
    if check(req, registry, []).outcome != Outcome.NOT_COVERED:
        return
    wider = replace(req, data_categories=req.data_categories | {extra})
    assert check(wider, registry, []).outcome == Outcome.NOT_COVERED


@RUNS
@given(registries, requests, st.data())
def test_removing_a_signature_or_a_party_never_turns_not_covered_into_covered(registry, req, data):
    if check(req, registry, []).outcome != Outcome.NOT_COVERED:
        return
    target = registry[data.draw(st.sampled_from(sorted(registry)))]
    index = data.draw(st.integers(0, len(target.versions) - 1))
    version = target.versions[index]
    agency = data.draw(st.sampled_from(AGENCIES))
    if data.draw(st.booleans()):
        changed = replace(version, signed=version.signed - {agency})
    else:
        changed = replace(
            version,
            parties={k: v for k, v in version.parties.items() if k != agency},
            signed=version.signed - {agency},
        )
    versions_ = target.versions[:index] + (changed,) + target.versions[index + 1 :]
    smaller = {**registry, target.id: replace(target, versions=versions_)}
    assert check(req, smaller, []).outcome == Outcome.NOT_COVERED


@RUNS
@given(registries, requests)
def test_the_narrowed_facts_give_the_same_answer(registry, req):
    """The service reads only the pair's rows and the request's codes (narrowed): the
    answer must be the one the whole registry gives, reasons and warnings included."""

    def said(answer):  # everything the answer says (its agreement by id)
        return replace(answer, agreement=answer.agreement and answer.agreement.id)

    narrow = {i: narrowed(x, req) for i, x in registry.items()}
    assert said(check(req, narrow, [])) == said(check(req, registry, []))


def test_the_generated_registries_exercise_every_outcome():
    """Guard against vacuous properties: the generator must often produce covered answers,
    warnings, and several covering candidates to choose between."""
    import collections
    import random

    seen: collections.Counter = collections.Counter()
    for seed in range(1000):
        rnd = random.Random(seed)
        registry, req = make_registry(rnd), make_request(rnd)
        seen[check(req, registry, []).outcome] += 1
        seen["several"] += len(oracle(req, registry)) > 1
    assert seen[Outcome.COVERED] >= 80
    assert seen[Outcome.COVERED_WITH_WARNINGS] >= 25
    assert seen[Outcome.NOT_COVERED] >= 300
    assert seen["several"] >= 15
