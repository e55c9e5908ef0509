"""The PDF's parties table names the officers in post on the version's effective date."""

from datetime import timedelta

from ..factories import TODAY, activate, make_agency, make_draft, make_officer, make_user, party
from .test_agreement_pdf import text_of


def _long(day):
    return f"{day.day} {day.strftime('%B')} {day.year}"


def test_the_parties_table_shows_the_holders_on_the_effective_date(client, session):
    council = make_agency(session, name="Council")
    police = make_agency(session, name="Police", kind="police")
    first = TODAY - timedelta(days=300)
    make_officer(session, council, name="Lia Lead", job_title="Head of IG", started_on=first)
    make_officer(
        session,
        council,
        name="Leo Later",
        job_title="Head of IG",
        started_on=TODAY - timedelta(days=5),
        replaces_current=True,
    )
    effective = TODAY - timedelta(days=30)
    protocol = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=council,
            parties=[party(council), party(police)],
            effective_from=effective,
        ),
    )
    client.sign_in(make_user(session, agency=council))
    whole = " ".join(" ".join(text_of(client.get(f"/agreements/{protocol.id}/pdf").data)).split())
    assert f"Lia Lead, Head of IG, since {_long(first)}" in whole
    assert "Leo Later" not in whole  # in post only after this version took effect
    assert (
        f"The officers in post on {_long(effective)}, the date this version takes effect" in whole
    )
