from registry.domain.chain import GENESIS, entry_hash, first_break


def build(contents):
    entries, previous = [], GENESIS
    for n, content in enumerate(contents, start=1):
        h = entry_hash(content, previous)
        entries.append((n, content, previous, h))
        previous = h
    return entries


def test_an_intact_chain_has_no_break():
    assert first_break(build([{"a": 1}, {"b": 2}, {"c": 3}])) is None


def test_a_changed_entry_is_the_first_break():
    entries = build([{"a": 1}, {"b": 2}, {"c": 3}])
    n, content, prev, h = entries[1]
    entries[1] = (n, {"b": 999}, prev, h)
    assert first_break(entries) == 2


def test_a_removed_entry_breaks_the_sequence():
    entries = build([{"a": 1}, {"b": 2}, {"c": 3}])
    del entries[1]
    assert first_break(entries) == 3
