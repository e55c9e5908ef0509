"""The review calendar read as a strict RFC 5545 parser reads it, and as the lax parsers
that split on any line break do: an agency's title, even one stored before text fields
refused line breaks, never ends its line and so never adds an event to a partner's feed."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from registry.models import AgreementVersion
from registry.services import reviews

from .test_reviews import due_soon

INJECTED = "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@x\r\nSUMMARY:Injected\r\nEND:VEVENT"
TITLES = {
    "CRLF": "Protocol" + INJECTED,
    "CR alone": "Protocol" + INJECTED.replace("\r\n", "\r"),
    "LF alone": "Protocol" + INJECTED.replace("\r\n", "\n"),
    "vertical tab": "Protocol" + INJECTED.replace("\r\n", "\x0b"),
    "form feed": "Protocol" + INJECTED.replace("\r\n", "\x0c"),
    "NEL": "Protocol" + INJECTED.replace("\r\n", "\x85"),
    "line separator": "Protocol" + INJECTED.replace("\r\n", "\u2028"),
    "paragraph separator": "Protocol" + INJECTED.replace("\r\n", "\u2029"),
    "file separator": "Protocol" + INJECTED.replace("\r\n", "\x1c"),
    "folded": "Protocol " + "x" * 70 + INJECTED,
}


def strict_parse(feed: bytes) -> list[dict[str, str]]:
    """Content lines end in CRLF and nothing else; a line starting with a space or a tab
    continues the one before; a value holds no control character but tab (RFC 5545
    sections 3.1 and 3.3.11). Answers each event's properties; fails on anything else."""
    text = feed.decode("utf-8")
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    lines: list[str] = []
    for line in physical:
        assert "\r" not in line and "\n" not in line, f"a bare line break in {line!r}"
        assert len(line.encode("utf-8")) <= 75, f"an unfolded line: {line!r}"
        if line[:1] in (" ", "\t"):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    events: list[dict[str, str]] = []
    stack: list[str] = []
    for line in lines:
        assert not any(ord(c) < 32 and c != "\t" or c == "\x7f" for c in line), repr(line)
        name, sep, value = line.partition(":")
        assert sep, f"no colon in {line!r}"
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif name == "END":
            assert stack.pop() == value
        elif stack and stack[-1] == "VEVENT":
            events[-1][name] = value
    assert stack == []
    return events


def lax_events(feed: bytes) -> int:
    """How many events a parser that splits on every kind of line break would find."""
    return sum(1 for line in feed.decode("utf-8").splitlines() if line == "BEGIN:VEVENT")


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append("\n" if value[i + 1] in "nN" else value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


@pytest.mark.parametrize("kind", TITLES)
def test_a_title_stored_with_line_breaks_adds_no_event_to_a_partners_feed(client, session, kind):
    council, _, protocol = due_soon(session)
    partner = next(p.agency for p in protocol.latest.parties if p.agency_id != council.id)
    # Written straight to the table, as a title saved before the rule on text fields was.
    session.execute(
        update(AgreementVersion)
        .where(AgreementVersion.agreement_id == protocol.id)
        .values(title=TITLES[kind])
    )
    session.commit()
    token = reviews.calendar_token(session, partner.id)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    events = strict_parse(response.data)
    assert len(events) == 1 and lax_events(response.data) == 1
    assert events[0]["UID"].startswith(protocol.reference)
    summary = unescape(events[0]["SUMMARY"])
    assert summary.startswith(f"Review {protocol.reference} Protocol")
    assert "END:VEVENT" in summary  # the text is kept, as text, inside the one event


def test_escapes_and_a_welsh_name_survive(client, session):
    council, _, protocol = due_soon(session)
    title = "Cytundeb; Ynys Môn, Gwynedd \\ Conwy – ☂"
    session.execute(
        update(AgreementVersion)
        .where(AgreementVersion.agreement_id == protocol.id)
        .values(title=title)
    )
    session.commit()
    response = client.get(f"/calendar/{reviews.calendar_token(session, council.id)}.ics")
    events = strict_parse(response.data)
    assert unescape(events[0]["SUMMARY"]) == f"Review {protocol.reference} {title}"


def test_a_reminder_subject_stays_on_one_line(session):
    from datetime import date

    from registry.domain.vocab import EffectiveStatus

    council, _, protocol = due_soon(session)
    subject, _ = reviews._message(
        protocol, TITLES["CRLF"], EffectiveStatus.REVIEW_DUE, date(2026, 7, 15)
    )
    assert "\r" not in subject and "\n" not in subject
