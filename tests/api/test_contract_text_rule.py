"""The API's document states the same text rule the services apply: what the contract's
patterns refuse is exactly what domain/fields.py refuses (a client validating against the
document is never surprised by a 422 the document did not predict, nor the reverse)."""

import pytest
from pydantic import TypeAdapter, ValidationError

from registry.domain.fields import text_error
from registry.web.api.contract import line, text

ONE_LINE = TypeAdapter(line(50))
MANY_LINES = TypeAdapter(text(50))

# Every character from U+0000 to U+3000 (controls, Latin, the separators and the
# bidirectional marks among them) and the last few of the Basic Multilingual Plane.
CHARACTERS = [chr(c) for c in range(0x3001) if not 0xD800 <= c <= 0xDFFF] + [
    chr(c) for c in range(0xFEF0, 0x10000)
]


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
