"""Lawful bases list by kind, then with the numbers in their labels read as numbers."""

from registry.domain.vocab import LawfulBasisKind, basis_order, natural_key


def test_paragraph_2_comes_before_paragraph_10():
    labels = ["Sch 1 para 10", "Sch 1 para 18", "Sch 1 para 6", "Sch 1 para 2", "Sch 1 para 33"]
    assert sorted(labels, key=natural_key) == [
        "Sch 1 para 2",
        "Sch 1 para 6",
        "Sch 1 para 10",
        "Sch 1 para 18",
        "Sch 1 para 33",
    ]


def test_article_6_first_and_statutory_gateways_last_whatever_their_labels():
    entries = [
        (LawfulBasisKind.STATUTE, "Care Act 2014 s42"),
        (LawfulBasisKind.SCH1, "DPA 2018 Sch 1 para 2"),
        (LawfulBasisKind.ART9, "UK GDPR Art 9(2)(h)"),
        (LawfulBasisKind.ART6, "UK GDPR Art 6(1)(f)"),
        (LawfulBasisKind.ART6, "UK GDPR Art 6(1)(a)"),
    ]
    assert [label for _, label in sorted(entries, key=lambda e: basis_order(*e))] == [
        "UK GDPR Art 6(1)(a)",
        "UK GDPR Art 6(1)(f)",
        "UK GDPR Art 9(2)(h)",
        "DPA 2018 Sch 1 para 2",
        "Care Act 2014 s42",
    ]
