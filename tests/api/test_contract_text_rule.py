"""The API's document states the same text rule the services apply: what the contract's
patterns refuse is exactly what domain/fields.py refuses (a client validating against the
document is never surprised by a 422 the document did not predict, nor the reverse)."""

import pytest
from pydantic import TypeAdapter, ValidationError

from registry.domain.fields import blank, text_error
from registry.web.api.contract import line, text

ONE_LINE = TypeAdapter(line(50))
MANY_LINES = TypeAdapter(text(50))

# Every character from U+0000 to U+3000 (controls, Latin, the separators and the
# bidirectional marks among them), the private-use area's edges, the noncharacters
# U+FDD0 to U+FDEF and the last few of the Basic Multilingual Plane; then, beyond it, the
# format characters (Brahmi, Egyptian, shorthand, musical and tag characters), the edges
# of the private-use planes and each plane's last two code points, with their neighbours.
ASTRAL = sorted(
    {0x110BD, 0x110CD, 0x13430, 0x13438, 0x1BCA0, 0x1BCA3, 0x1D173, 0x1D17A}
    | {0xE0000, 0xE0001, 0xE0002, 0xE001F, 0xE0020, 0xE0041, 0xE007F, 0xE0080, 0xE0100}
    | {0xEFFFD, 0xF0000, 0xF8000, 0xFFFFD, 0x100000, 0x10FFFD, 0x1F600, 0x1F3F4}
    | {plane * 0x10000 + low for plane in range(1, 17) for low in (0xFFFD, 0xFFFE, 0xFFFF)}
)
CHARACTERS = (
    [chr(c) for c in range(0x3001) if not 0xD800 <= c <= 0xDFFF]
    + [chr(c) for c in (0x3164, 0xDFFF + 1, 0xE001, 0xF8FF, 0xF900)]
    + [chr(c) for c in range(0xFDC0, 0xFDF8)]
    + [chr(c) for c in range(0xFEF0, 0x10000)]
    + [chr(c) for c in ASTRAL]
)


def refused_by(adapter: TypeAdapter, value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize("multiline", [False, True])
def test_the_document_and_the_services_refuse_the_same_characters(multiline):
    adapter = MANY_LINES if multiline else ONE_LINE
    disagree = [
        f"U+{ord(c):04X}"
        for c in CHARACTERS
        if refused_by(adapter, f"a{c}b")
        != (text_error(f"a{c}b", "F", multiline=multiline) is not None)
    ]
    assert disagree == [], disagree


@pytest.mark.parametrize(
    "value", ["\u200b", " \u2800 ", "\ufe0f", "\u3164\u200d", "\u00ad\n\u2060", " ", "a", "\u200ba"]
)
def test_a_required_field_the_document_calls_filled_is_one_the_services_call_filled(value):
    """A reason of one zero-width space is no reason to the services (`blank`); the
    document's pattern for a required text says the same."""
    services_refuse = blank(value) or text_error(value, "F", multiline=True) is not None
    assert refused_by(TypeAdapter(text(50, filled=True)), value) == services_refuse
