"""Settings from the environment: production refuses to start without what several
servers must share."""

import os

import pytest

from registry.config import ConfigError, load_config

PRODUCTION = {
    "REGISTRY_ENV": "production",
    "SECRET_KEY": "shared secret",
    "SEAL_CERT": "/etc/registry/seal-cert.pem",
    "SEAL_KEY": "/etc/registry/seal-key.pem",
    "REGISTRY_TOTP_KEY": "k" * 32,
    "RATELIMIT_STORAGE_URI": "redis://localhost:6379/0",
    "TSA_URL": "https://tsa.example/rfc3161",
    "MAIL_SERVER": "smtp.example",
}


def test_production_starts_with_the_shared_settings(tmp_path):
    settings = load_config(PRODUCTION, tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] and settings["TRUSTED_PROXIES"] == 0


@pytest.mark.parametrize(
    "missing, named",
    [
        ("SECRET_KEY", "SECRET_KEY"),
        ("SEAL_CERT", "seal-keys"),
        ("SEAL_KEY", "seal-keys"),
        ("REGISTRY_TOTP_KEY", "REGISTRY_TOTP_KEY"),
        ("RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URI"),
        ("TSA_URL", "TSA_URL must be set in production"),
        ("MAIL_SERVER", "MAIL_SERVER .or NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID. must be set in"),
    ],
)
def test_production_without_a_shared_setting_says_which(tmp_path, missing, named):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigError, match=named):
        load_config(env, tmp_path)


def test_a_setting_that_is_not_a_number_is_named(tmp_path):
    with pytest.raises(ConfigError, match="REGISTRY_TRUSTED_PROXIES"):
        load_config({"REGISTRY_TRUSTED_PROXIES": "one"}, tmp_path)


def test_production_refuses_a_short_two_factor_key(tmp_path):
    with pytest.raises(ConfigError, match="at least 32"):
        load_config({**PRODUCTION, "REGISTRY_TOTP_KEY": "short"}, tmp_path)


def test_a_server_started_without_a_setting_says_which_without_a_traceback(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_", "SEAL_"))},
        **PRODUCTION,
        "REGISTRY_INSTANCE_PATH": str(tmp_path),
    }
    del env["REGISTRY_TOTP_KEY"]
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "registry", "routes"],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode != 0
    assert "REGISTRY_TOTP_KEY must be set in production" in done.stderr
    assert "Traceback" not in done.stderr


def test_rate_limits_counted_in_each_workers_memory_are_refused_in_production(tmp_path):
    with pytest.raises(ConfigError, match="each worker counts"):
        load_config({**PRODUCTION, "RATELIMIT_STORAGE_URI": "memory://"}, tmp_path)


@pytest.mark.parametrize("kind", ["prod", "Production", "PRODUCTION", " production", "staging"])
def test_a_mistyped_registry_env_stops_the_start_rather_than_run_as_development(tmp_path, kind):
    with pytest.raises(ConfigError, match="REGISTRY_ENV must be production or development"):
        load_config({**PRODUCTION, "REGISTRY_ENV": kind, "REGISTRY_DEMO": "1"}, tmp_path)


def test_the_timestamp_authority_and_the_seal_cas_publications_come_from_the_settings(tmp_path):
    tsa_root, other_root, crl = (tmp_path / n for n in ("tsa.pem", "other.pem", "ca.crl"))
    for path in (tsa_root, other_root, crl):
        path.write_bytes(b"x")
    settings = load_config(
        {
            **PRODUCTION,
            "SEAL_CA": "/etc/registry/ca.pem",
            "TSA_CA": f"{tsa_root}{os.pathsep}{other_root}",
            "SEAL_CRL": str(crl),
            "REGISTRY_URL": "https://isa.northshire.example",
        },
        tmp_path,
    )
    assert settings["TSA_URL"] == "https://tsa.example/rfc3161"
    assert settings["TSA_CA"] == [str(tsa_root), str(other_root)]
    assert settings["SEAL_CRL"] == str(crl)
    assert settings["REGISTRY_URL"] == "https://isa.northshire.example"
    # Without TSA_CA, production trusts the seal CA for the timestamps too.
    assert load_config({**PRODUCTION, "SEAL_CA": "/etc/registry/ca.pem"}, tmp_path)["TSA_CA"] == [
        "/etc/registry/ca.pem"
    ]


def test_development_runs_its_own_timestamp_authority_and_names_itself_on_loopback(tmp_path):
    settings = load_config({}, tmp_path)
    assert settings["TSA_URL"] is None and settings["TSA_CA"] == []
    assert settings["SEAL_CRL"] is None
    assert settings["REGISTRY_URL"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    "setting, value, named",
    [
        ("TSA_URL", "tsa.example", "TSA_URL must be an http:// or https:// address"),
        ("REGISTRY_URL", "isa.example", "REGISTRY_URL must be an http:// or https:// address"),
        ("TSA_CA", "/nowhere/tsa.pem", "TSA_CA names /nowhere/tsa.pem, which is not a file"),
        ("SEAL_CRL", "/nowhere/ca.crl", "SEAL_CRL names /nowhere/ca.crl, which is not a file"),
    ],
)
def test_a_trust_setting_that_cannot_work_is_named(tmp_path, setting, value, named):
    with pytest.raises(ConfigError, match=named):
        load_config({**PRODUCTION, setting: value}, tmp_path)


def test_the_database_pools_are_sized_from_the_environment(tmp_path):
    """REGISTRY_DB_POOL_SIZE bounds both of a worker's pools (no overflow), so that a
    national deployment keeps within PostgreSQL's max_connections."""
    from registry import create_app
    from registry.database import hot_engine
    from registry.extensions import db

    url = "postgresql+psycopg://nobody@127.0.0.1:1/unused"  # never connected to here
    options = load_config({"REGISTRY_DATABASE_URL": url, "REGISTRY_DB_POOL_SIZE": "3"}, tmp_path)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options["SQLALCHEMY_ENGINE_OPTIONS"],
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "test",
        }
    )
    with app.app_context():
        for engine in (db.engine, hot_engine(db.engine)):
            assert engine.pool.size() == 3 and engine.pool._max_overflow == 0
        db.engine.dispose()
    unset = load_config({"REGISTRY_DATABASE_URL": url}, tmp_path)
    assert unset["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}
    with pytest.raises(ConfigError, match="REGISTRY_DB_POOL_SIZE must be from 1"):
        load_config({"REGISTRY_DATABASE_URL": url, "REGISTRY_DB_POOL_SIZE": "0"}, tmp_path)
    with pytest.raises(ConfigError, match="REGISTRY_DB_POOL_SIZE is for PostgreSQL"):
        load_config({"REGISTRY_DB_POOL_SIZE": "3"}, tmp_path)
