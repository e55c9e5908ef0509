"""The command line: exit codes and what it prints."""

from registry.models import User

from ..factories import make_agency, make_user
from ..tamper import tamper


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_create_user_prints_the_new_id(app, session):
    agency = make_agency(session)
    result = run(app, "create-user", "--email", "Lead@Example.org", "--name", "Lee Lead",
                 "--password", "a long password", "--role", "ig_lead", "--role", "signatory",
                 "--agency-id", str(agency.id))
    assert result.exit_code == 0, result.output
    user = session.get(User, int(result.output.strip()))
    assert user.email == "lead@example.org"
    assert {r.value for r in user.roles} == {"ig_lead", "signatory"}


def test_create_user_names_each_bad_field_and_exits_non_zero(app, session):
    result = run(app, "create-user", "--email", "nope", "--name", "X", "--password", "short",
                 "--role", "wizard")
    assert result.exit_code != 0
    assert "email:" in result.output and "password:" in result.output
    assert "roles:" in result.output
    assert "Traceback" not in result.output


def test_create_token_prints_the_token_alone(app, session, client):
    user = make_user(session)
    result = run(app, "create-token", "--email", user.email)
    assert result.exit_code == 0
    token = result.output.strip()
    assert "\n" not in token and len(token) > 30
    assert client.get("/api/v1/agencies",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200
    missing = run(app, "create-token", "--email", "nobody@example.org")
    assert missing.exit_code != 0 and "No active user" in missing.output


def test_verify_audit_names_the_first_broken_entry(app, session):
    make_agency(session, name="One")
    make_agency(session, name="Two")
    assert run(app, "verify-audit").exit_code == 0
    tamper(session, "audit_entries",
           "UPDATE audit_entries SET actor_name = 'someone else' WHERE sequence = 2")
    result = run(app, "verify-audit")
    assert result.exit_code != 0
    assert "entry 2" in result.output


def test_seed_demo_if_empty_loads_once(app, session):
    first = run(app, "seed-demo", "--if-empty")
    assert first.exit_code == 0 and "Demo partnership loaded" in first.output
    logins = run(app, "demo-logins")
    assert "admin@northshire.example" in logins.output
    second = run(app, "seed-demo", "--if-empty")
    assert second.exit_code == 0 and "already holds agencies" in second.output


def test_import_agencies_all_or_nothing_naming_line_and_field(app, session, tmp_path):
    from registry.models import Agency

    make_agency(session, name="Existing", ico="Z7000001")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,kind,ico_registration,ods_code\n"
                   "Good Agency,police,Z7000002,\n"
                   "Bad Kind,bank,Z7000003,\n"
                   "Copy,health,Z7000001,rx1\n"
                   "Twice,health,Z7000002,\n", encoding="utf-8")
    result = run(app, "import-agencies", str(bad))
    assert result.exit_code != 0
    assert "line 3: kind" in result.output
    assert "line 4: ico_registration: Z7000001 is already registered" in result.output
    assert "line 5: ico_registration: Z7000002 is also on line 2" in result.output
    assert "Traceback" not in result.output
    session.rollback()
    assert session.query(Agency).count() == 1  # nothing half-imported
    good = tmp_path / "good.csv"
    good.write_text("name,kind,ico_registration,ods_code,email\n"
                    "Good Agency,police,Z7000002,,info@good.example\n"
                    "Riverside Practice,health,za 123456,n81001,\n", encoding="utf-8")
    result = run(app, "import-agencies", str(good))
    assert result.exit_code == 0, result.output
    assert "Imported 2 agencies" in result.output
    session.rollback()
    imported = session.query(Agency).filter_by(name="Riverside Practice").one()
    assert (imported.ico_registration, imported.ods_code) == ("ZA123456", "N81001")


def test_import_agencies_refuses_a_file_without_the_columns(app, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("title,type\nA,B\n", encoding="utf-8")
    result = run(app, "import-agencies", str(path))
    assert result.exit_code != 0 and "line 1" in result.output


def test_export_writes_the_register(app, session, tmp_path):
    from ..factories import chain

    a, b = make_agency(session, name="A"), make_agency(session, name="B")
    protocol, mash = chain(session, a, b)
    out = tmp_path / "register.csv"
    result = run(app, "export", "--output", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("reference,title,tier")
    assert any(mash.reference in line for line in lines)
