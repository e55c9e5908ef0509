"""The DPA 2018 Schedule 1 conditions a safeguarding partnership relies on are seeded, each
once, with a stable code (revision 56934bb2fdb1); an entry an administrator already added
under one of those codes is kept as it was; going back down removes those codes (but never
one an agreement names)."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from registry import create_app
from registry.domain.vocab import LawfulBasisKind
from registry.extensions import db
from registry.models import LawfulBasis
from registry.services import vocabularies

BEFORE = "7c2e4b9d1a53"  # the revision before the one that seeds the paragraphs
PARAGRAPHS = [2, 6, 8, 10, 12, 18, 19, 33]


def test_the_paragraphs_a_partnership_uses_are_seeded_once_in_number_order(session):
    schedule_1 = [
        b for b in vocabularies.listing(session)["lawful_bases"] if b.kind == LawfulBasisKind.SCH1
    ]
    assert [b.code for b in schedule_1] == [f"sch1_para{n}" for n in PARAGRAPHS]
    for basis, number in zip(schedule_1, PARAGRAPHS, strict=True):
        assert basis.label.startswith(f"DPA 2018 Sch 1 para {number}: "), basis.label
        assert basis.active
    assert "health or social care" in schedule_1[0].label


def test_an_entry_already_added_by_hand_is_kept_and_going_down_removes_the_seeds(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}",
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "test-secret-key",
            "TESTING": True,
        }
    )
    with app.app_context():
        upgrade(revision=BEFORE)
        db.session.execute(
            text(
                "INSERT INTO lawful_bases (code, kind, label, active) "
                "VALUES ('sch1_para33', 'sch1', 'Our own words for legal claims', 1)"
            )
        )
        db.session.commit()
        upgrade()
        codes = db.session.scalars(
            select(LawfulBasis.code).where(LawfulBasis.kind == LawfulBasisKind.SCH1)
        ).all()
        assert sorted(codes) == sorted(f"sch1_para{n}" for n in PARAGRAPHS)
        assert db.session.get(LawfulBasis, "sch1_para33").label == "Our own words for legal claims"
        db.session.commit()
        db.session.remove()
        downgrade(revision=BEFORE)
        left = set(
            db.session.scalars(
                select(LawfulBasis.code).where(LawfulBasis.kind == LawfulBasisKind.SCH1)
            )
        )
        assert left == {"sch1_para6", "sch1_para10", "sch1_para18"}
        db.session.remove()
        db.engine.dispose()
