"""The demo settings (issue 16, defect 6): production refuses to start with them, and the
two-factor exemption belongs to the accounts the demo's seeding made, by their record,
never to an address that looks like the demo's."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry.config import ConfigError, load_config
from registry.models import User
from registry.services.demo import DEMO_PASSWORD, demo_accounts, seed_demo
from registry.services.users import create_user

from ..client import RegistryClient
from ..factories import FIXED_NOW, make_admin, make_agency
from ..test_config import PRODUCTION


def test_production_settings_refuse_the_demo(tmp_path):
    assert not load_config(PRODUCTION, tmp_path)["DEMO_MODE"]
    with pytest.raises(ConfigError, match="REGISTRY_DEMO=1 .* cannot be used in production"):
        load_config({**PRODUCTION, "REGISTRY_DEMO": "1"}, tmp_path)
    assert load_config({"REGISTRY_DEMO": "1"}, tmp_path)["DEMO_MODE"]  # development: yes


def test_a_production_server_with_the_demo_on_does_not_start(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_", "SEAL_"))},
        **PRODUCTION,
        "REGISTRY_DEMO": "1",
        "REGISTRY_INSTANCE_PATH": str(tmp_path),
    }
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "registry", "routes"],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode != 0
    assert "REGISTRY_DEMO=1" in done.stderr and "production" in done.stderr
    assert "Traceback" not in done.stderr


def _sign_in(app, email: str, password: str) -> str:
    app.test_client_class = RegistryClient
    client = app.test_client()
    answer = client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": client.csrf_token("/sign-in")},
    )
    assert answer.status_code == 302
    return answer.headers["Location"]


def test_the_exemption_is_the_seeded_accounts_record_not_an_address(session, app):
    app.config["DEMO_MODE"] = True
    # An administrator makes an account whose address looks like the demo's.
    admin = make_admin(session)
    lookalike = create_user(
        session,
        admin.actor(),
        email="ig.lead.police@northshire.example",
        name="Not The Demo",
        password=RegistryClient.password,
        roles=["ig_lead"],
        agency_id=make_agency(session).id,
        now=FIXED_NOW,
    )
    assert not lookalike.demo_account
    location = _sign_in(app, lookalike.email, RegistryClient.password)
    assert location.startswith("/sign-in/two-factor/set-up")  # not exempt
    assert lookalike.email not in [e for e, _ in demo_accounts(session)]


def test_the_demo_s_own_accounts_are_marked_by_the_seeding(session, app):
    seed_demo(session, now=FIXED_NOW)
    lead = session.query(User).filter_by(email="ig.lead.council@northshire.example").one()
    assert lead.demo_account
    assert all(u.demo_account for u in session.query(User))
    assert _sign_in(app, lead.email, DEMO_PASSWORD).startswith("/sign-in/two-factor")
    app.config["DEMO_MODE"] = True
    assert _sign_in(app, lead.email, DEMO_PASSWORD) == "/"
    # Not in production, even if the settings were put together by hand.
    app.config["ENV_NAME"] = "production"
    assert _sign_in(app, lead.email, DEMO_PASSWORD).startswith("/sign-in/two-factor")


def test_the_printed_demo_logins_can_bring_a_demo_agreement_into_force(session, app):
    """Someone trying the demo signs as both parties of a two-party agreement: the logins
    printed (and shown on the sign-in page) include the police's signatory as well as the
    council's. Only the council's was printed, and every demo agreement has another party."""
    seed_demo(session, now=FIXED_NOW)
    shown = dict(demo_accounts(session))
    assert shown["signatory.council@northshire.example"].startswith("Signatory – ")
    assert shown["signatory.police@northshire.example"] == "Signatory – Northshire Police"
