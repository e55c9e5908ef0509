"""Issue 16: CSV the registry reads (agency import) is accepted whether or not Excel saved
it with a byte-order mark, names in Welsh as typed."""

import pytest

from .test_cli import run

WELSH = "Cyngor Sir Ynys Môn"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_agency_import_reads_a_file_saved_by_excel(app, session, tmp_path, encoding):
    from registry.models import Agency

    path = tmp_path / "agencies.csv"
    path.write_text(
        f"name,kind,ico_registration\n{WELSH},local_authority,Z7000011\n"
        "Ceredigion — Gwasanaethau,local_authority,Z7000012\n",
        encoding=encoding,
    )
    result = run(app, "import-agencies", str(path))
    assert result.exit_code == 0, result.output
    session.rollback()
    names = set(session.scalars(Agency.__table__.select().with_only_columns(Agency.name)))
    assert {WELSH, "Ceredigion — Gwasanaethau"} <= names
