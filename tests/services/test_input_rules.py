"""The rules every way in shares (forms, the API, the command line and CSV imports all
pass through these services): no control or direction-changing characters in text, line
breaks only where a field runs to several lines, and dates a calendar can work with."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from registry.domain.errors import Conflict, ValidationFailed
from registry.domain.lifecycle import StatusSettings
from registry.models import Agency, Agreement
from registry.services import agencies, agreement_lifecycle, agreements, users, vocabularies
from registry.services.agency_import import import_agencies, read_rows
from registry.services.coverage import CheckInput, run_check
from registry.services.decisions import DecisionInput, record_decision

from ..factories import (
    ADMIN,
    FIXED_NOW,
    TODAY,
    chain,
    ig_lead_actor,
    make_agency,
    make_draft,
    make_officer,
    make_user,
    party,
)
from .test_cli import run

# What a single-line field refuses: each alone in an otherwise ordinary name.
HOSTILE = {
    "SOH": "\x01",
    "ESC": "\x1b[31m",
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\nBEGIN:VEVENT",
    "TAB": "\t",
    "DEL": "\x7f",
    "NEL": "\x85",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "RLM": "\u200f",
    "LINE SEPARATOR": "\u2028",
    # Invisible: the outside tester's look-alike names (issue 16, after its first fixes).
    "ZERO WIDTH SPACE": "\u200b",
    "WORD JOINER": "\u2060",
    "SOFT HYPHEN": "\u00ad",
    "HANGUL FILLER": "\u3164",
    "BRAILLE BLANK": "\u2800",
    "TAG CHARACTER": "\U000e0041",
    "NONCHARACTER": "\uffff",
    "PRIVATE USE": "\ue000",
    "INTERLINEAR ANNOTATION": "\ufff9",
    "ARABIC NUMBER SIGN": "\u0600",
}


def refused(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.fields


@pytest.mark.parametrize("name", HOSTILE)
def test_an_agency_name_refuses_control_and_direction_characters(session, name):
    fields = refused(
        lambda: agencies.create_agency(
            session,
            ADMIN,
            {"name": f"North {HOSTILE[name]}Council", "kind": "police", "ico_registration": "Z1"},
            now=FIXED_NOW,
        )
    )
    assert "The agency's name" in fields["name"]
    assert session.scalar(select(func.count()).select_from(Agency)) == 0


def test_each_message_says_what_is_wrong(session):
    def name_error(name):
        return refused(
            lambda: agencies.create_agency(
                session,
                ADMIN,
                {"name": name, "kind": "police", "ico_registration": "Z1234567"},
                now=FIXED_NOW,
            )
        )["name"]

    assert name_error("A\nB") == "The agency's name must be on one line: remove the line break"
    assert "change the direction of text (U+202E)" in name_error("A\u202eB")
    assert name_error("A\x1bB") == "The agency's name must not contain control characters (U+001B)"


def test_an_address_keeps_its_line_breaks_but_not_other_controls(session):
    agency = agencies.create_agency(
        session,
        ADMIN,
        {
            "name": "Ynys Môn Council – Café Street",
            "kind": "local_authority",
            "ico_registration": "Z1234567",
            "address": "1 High Street\r\nLlangefni\n\tLL77 7TW",
        },
        now=FIXED_NOW,
    )
    assert agency.address == "1 High Street\r\nLlangefni\n\tLL77 7TW"
    fields = refused(
        lambda: agencies.update_agency(
            session,
            ADMIN,
            agency.id,
            {"address": "1 High St\x1b[2J", "phone": "01\n23"},
            now=FIXED_NOW,
        )
    )
    assert "The address must not contain control characters" in fields["address"]
    assert "The phone number must be on one line" in fields["phone"]


def test_an_officer_and_a_user_refuse_them_too(session):
    agency = make_agency(session)
    fields = refused(
        lambda: make_officer(session, agency, name="Olive\u202eOfficer", job_title="Lead\x01")
    )
    assert set(fields) == {"name", "job_title"}
    fields = refused(lambda: make_user(session, agency=agency, name="Pat\rPractitioner"))
    assert "The user's name must be on one line" in fields["name"]
    user = make_user(session, agency=agency)
    fields = refused(
        lambda: users.update_user(session, ADMIN, user.id, job_title="A\x1bB", now=FIXED_NOW)
    )
    assert "The job title" in fields["job_title"]
    assert users.user_field_errors({"email": "a\x01@example.org"})["email"]


def test_an_agreement_title_is_one_line_and_its_long_text_keeps_line_breaks(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    parties = [party(council), party(police)]
    fields = refused(
        lambda: make_draft(
            session,
            tier=1,
            owner=council,
            parties=parties,
            title="Protocol\r\nEND:VEVENT",
            security="Locked\x00 cabinet",
            retention="Six years\u202e",
        )
    )
    assert fields["title"] == "Title must be on one line: remove the line break"
    assert "Security must not contain control characters" in fields["security"]
    assert "Retention must not contain characters that change the direction" in fields["retention"]
    fields = refused(
        lambda: make_draft(
            session,
            tier=1,
            owner=council,
            parties=[{**party(council), "role": "Lead\nagency"}, party(police)],
        )
    )
    assert "A party's role must be on one line" in fields["parties"]
    draft = make_draft(
        session,
        tier=1,
        owner=council,
        parties=parties,
        data_subjects="Children known to the MASH\r\nTheir parents and carers",
        security="Encrypted at rest;\n\tno removable media",
    )
    assert draft.latest.data_subjects == "Children known to the MASH\r\nTheir parents and carers"


def test_reasons_notes_and_comments_refuse_controls_but_keep_line_breaks(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    fields = refused(
        lambda: agreement_lifecycle.suspend(
            session, ADMIN, protocol.id, "Why\x1b[0m", now=FIXED_NOW
        )
    )
    assert "The reason must not contain control characters" in fields["reason"]
    fields = refused(
        lambda: agreement_lifecycle.review(
            session,
            ig_lead_actor(council),
            protocol.id,
            outcome="continue",
            notes="Fine\u202e",
            today=TODAY,
            now=FIXED_NOW,
        )
    )
    assert "The notes must not contain characters that change" in fields["notes"]
    agreement_lifecycle.suspend(session, ADMIN, protocol.id, "Line one\r\nLine two", now=FIXED_NOW)


def test_a_decision_refuses_them_and_the_case_reference_is_one_line(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    user = make_user(session, agency=council)
    base = {
        "from_agency_id": council.id,
        "to_agency_id": police.id,
        "purpose": "mash_triage",
        "data_categories": ["identity_contact"],
        "decision": "share",
        "consent": "given",
    }
    fields = refused(
        lambda: record_decision(
            session,
            user.actor(),
            DecisionInput(**base, reasons="Risk\x07 of harm", expected_action="Call\u202e"),
            idempotency_key=None,
            today=TODAY,
            now=FIXED_NOW,
        )
    )
    assert set(fields) == {"reasons", "expected_action"}
    record, _ = record_decision(
        session,
        user.actor(),
        DecisionInput(**base, reasons="Risk of harm\r\nto the child"),
        idempotency_key=None,
        today=TODAY,
        now=FIXED_NOW,
    )
    assert record.reasons == "Risk of harm\r\nto the child"


def test_a_vocabulary_label_is_one_line(session):
    fields = refused(
        lambda: vocabularies.save_entry(
            session, ADMIN, "purposes", code="early_help", label="Early\nhelp", now=FIXED_NOW
        )
    )
    assert "The label must be on one line" in fields["label"]


def test_a_csv_import_names_the_line_and_field(app, session, tmp_path):
    path = tmp_path / "agencies.csv"
    path.write_text(
        "name,kind,ico_registration,address\n"
        'Good,police,Z7000002,"1 Street\nTown"\n'
        "Bad\x1b[31m,police,Z7000003,\n",
        encoding="utf-8",
    )
    result = run(app, "import-agencies", str(path))
    assert result.exit_code != 0
    assert "line 4: name: The agency's name must not contain control characters" in result.output
    fields = refused(
        lambda: import_agencies(session, ADMIN, read_rows(path.read_text()), now=FIXED_NOW)
    )
    assert list(fields) == ["line 4: name"]


def test_the_command_line_refuses_a_user_name_with_a_line_break(app, session):
    result = run(
        app,
        "create-user",
        "--email",
        "admin@example.org",
        "--name",
        "Ada\nAdmin",
        "--password",
        "a long password",
        "--role",
        "admin",
    )
    assert result.exit_code != 0
    assert "must be on one line" in result.output and "Traceback" not in result.output


# Far dates ---------------------------------------------------------------------------

FAR = [date(9999, 12, 31), date(2200, 1, 1), date(1, 1, 1), date(1899, 12, 31)]


@pytest.mark.parametrize("day", FAR)
def test_an_effective_date_outside_1900_to_2199_is_a_field_error(session, day):
    council = make_agency(session, name="Council")
    fields = refused(
        lambda: make_draft(
            session, tier=1, owner=council, parties=[party(council)], effective_from=day
        )
    )
    assert fields == {
        "effective_from": "Effective date must be between 1 January 1900 and 31 December 2199"
    }
    assert session.scalar(select(func.count()).select_from(Agreement)) == 0


def test_far_review_and_end_dates_are_refused_too(session):
    council = make_agency(session, name="Council")
    for name, label in (("review_date", "Review date"), ("end_date", "End date")):
        fields = refused(
            lambda name=name: make_draft(
                session,
                tier=1,
                owner=council,
                parties=[party(council)],
                **{name: date(9999, 12, 31)},
            )
        )
        assert fields[name].startswith(f"{label} must be between 1 January 1900")


def test_near_the_last_date_a_review_date_is_worked_out_or_refused_plainly(session):
    council = make_agency(session, name="Council")
    draft = make_draft(
        session,
        tier=1,
        owner=council,
        parties=[party(council)],
        effective_from=date(2194, 12, 31),
        review_period_months=60,
    )
    assert draft.latest.review_date == date(2199, 12, 31)
    fields = refused(
        lambda: make_draft(
            session,
            tier=1,
            owner=council,
            parties=[party(council)],
            effective_from=date(2199, 12, 31),
            review_period_months=60,
        )
    )
    assert fields == {
        "review_date": "Review date must be between 1 January 1900 and 31 December 2199"
    }


def test_a_review_period_too_long_is_its_own_error(session):
    council = make_agency(session, name="Council")
    data = {
        "title": "Protocol",
        "tier": 1,
        "owner_agency_id": council.id,
        "lawful_bases": ["art6_1_e"],
        "effective_from": date(2026, 1, 1),
        "review_period_months": 10**9,
        "parties": [party(council)],
    }
    fields = refused(lambda: agreements.create_draft(session, ADMIN, data, now=FIXED_NOW))
    assert fields == {"review_period_months": "Review period must be between 1 and 60 months"}


def test_withdrawal_coverage_and_follow_up_dates_are_bounded(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    _, tier2 = chain(session, council, police)
    fields = refused(
        lambda: agreement_lifecycle.withdraw(
            session,
            ig_lead_actor(police),
            tier2.id,
            agency_id=police.id,
            effective_on=date(9999, 12, 31),
            reason="The service moves to the new provider",
            today=TODAY,
            now=FIXED_NOW,
        )
    )
    assert "between 1 January 1900 and 31 December 2199" in fields["effective_on"]
    user = make_user(session, agency=council)
    for day in (date(9999, 12, 31), date(1, 1, 1)):
        fields = refused(
            lambda day=day: run_check(
                session,
                user.actor(),
                CheckInput(council.id, police.id, "mash_triage", ["identity_contact"], day),
                today=TODAY,
                now=FIXED_NOW,
                settings=StatusSettings(),
            )
        )
        assert "The date of the share must be between" in fields["on_date"]
    fields = refused(
        lambda: record_decision(
            session,
            user.actor(),
            DecisionInput(
                from_agency_id=council.id,
                to_agency_id=police.id,
                purpose="mash_triage",
                data_categories=["identity_contact"],
                decision="share",
                consent="given",
                reasons="Risk",
                follow_up_on=date(9999, 12, 31),
            ),
            idempotency_key=None,
            today=TODAY,
            now=FIXED_NOW,
        )
    )
    assert "The follow-up date must be between" in fields["follow_up_on"]


# Names that look the same are the same name -------------------------------------------


def _agency(session, name, ico="Z7100001"):
    return agencies.create_agency(
        session,
        ADMIN,
        {"name": name, "kind": "local_authority", "ico_registration": ico},
        now=FIXED_NOW,
    )


@pytest.mark.parametrize("blank", ["\u200b", "\u3164", "\u2800", "\u200b\u3164 \u2800"])
def test_a_name_made_only_of_invisible_characters_is_not_a_name(session, blank):
    fields = refused(lambda: _agency(session, blank))
    assert "invisible characters" in fields["name"]
    assert session.scalar(select(func.count()).select_from(Agency)) == 0


def test_a_name_is_stored_with_its_accents_composed(session):
    agency = _agency(session, "Eastmoo\u0301r Council")
    assert agency.name == "Eastmoór Council"
    officer = make_officer(session, agency, name="Zoe\u0308 Jone\u0300s", job_title="Re\u0301gie")
    assert (officer.name, officer.job_title) == ("Zoë Jonès", "Régie")


@pytest.mark.parametrize(
    "twin",
    [
        "Eastmoo\u0301r Council",  # decomposed: o and a combining acute accent
        "EASTMOÓR COUNCIL",
        "eastmoór  council",
        "Ｅastmoór Council",  # a full-width E
    ],
)
def test_a_name_that_reads_the_same_is_a_duplicate(session, twin):
    first = _agency(session, "Eastmoór Council")
    with pytest.raises(Conflict) as caught:
        _agency(session, twin, ico="Z7100002")
    assert caught.value.fields["name"].startswith("Eastmoór Council already has the name")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Agency)) == 1
    # Renaming another agency to it is refused the same way; renaming itself is not.
    other = _agency(session, "Westmoor Council", ico="Z7100003")
    with pytest.raises(Conflict):
        agencies.update_agency(session, ADMIN, other.id, {"name": twin}, now=FIXED_NOW)
    session.rollback()
    agencies.update_agency(session, ADMIN, first.id, {"name": twin}, now=FIXED_NOW)


def test_a_name_stored_before_the_rule_still_counts(session):
    """A look-alike already in the database (as the outside tester left one) is found,
    though no migration rewrote it."""
    agency = _agency(session, "Northshire County Council")
    agency.name = "Northshire County Council\u200b"  # as stored before the rule
    session.commit()
    with pytest.raises(Conflict):
        _agency(session, "Northshire County Council", ico="Z7100002")


def test_a_csv_import_sees_names_that_read_the_same(session):
    _agency(session, "Eastmoór Council")
    rows = read_rows(
        "name,kind,ico_registration\n"
        "EASTMOO\u0301R COUNCIL,police,Z7200001\n"
        "Westmoor Council,police,Z7200002\n"
        "WESTMOOR  council,police,Z7200003\n"
    )
    fields = refused(lambda: import_agencies(session, ADMIN, rows, now=FIXED_NOW))
    assert fields == {
        "line 2: name": "an agency called EASTMOÓR COUNCIL already exists",
        "line 4: name": "WESTMOOR  council is also on line 3",
    }


@pytest.mark.parametrize("nothing", ["\u200b", " \u2800 ", "\u3164\u200d", "\u00ad\n\u2060"])
def test_a_required_reason_that_shows_nothing_is_no_reason(session, nothing):
    """A decision recorded with reasons a reader cannot see records no reasons; nor does a
    review's notes, a suspension's reason or a signatory's comment."""
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    user = make_user(session, agency=council)
    fields = refused(
        lambda: record_decision(
            session,
            user.actor(),
            DecisionInput(
                from_agency_id=council.id,
                to_agency_id=police.id,
                purpose="mash_triage",
                data_categories=["identity_contact"],
                decision="share",
                consent="refused",
                consent_reason=nothing,
                reasons=nothing,
            ),
            idempotency_key=None,
            today=TODAY,
            now=FIXED_NOW,
        )
    )
    assert fields["reasons"] == "Record the reasons for your decision"
    assert "say why" in fields["consent_reason"]
    fields = refused(
        lambda: agreement_lifecycle.review(
            session,
            ig_lead_actor(council),
            protocol.id,
            outcome="continue",
            notes=nothing,
            today=TODAY,
            now=FIXED_NOW,
        )
    )
    assert fields == {"notes": "Say what the review found"}
    fields = refused(
        lambda: agreement_lifecycle.suspend(session, ADMIN, protocol.id, nothing, now=FIXED_NOW)
    )
    assert fields["reason"].startswith("Give the reason")
