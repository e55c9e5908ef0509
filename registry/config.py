"""Configuration, read from the environment when the app is created (never at import)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"


class ConfigError(RuntimeError):
    """The environment does not describe a runnable registry."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _bounded(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    value = _int(env, name, default)
    if not low <= value <= high:
        raise ConfigError(f"{name} must be from {low} to {high}, not {value}")
    return value


def _pool(env: dict[str, str], database_url: str) -> dict[str, int]:
    """REGISTRY_DB_POOL_SIZE: how many connections each of a worker's two pools (the
    pages' and the coverage check's, database.hot_engine) keeps to PostgreSQL, and no more:
    a thread that finds them all in use waits for one (up to 30 s, then a 503). Unset,
    SQLAlchemy's 5 with 10 more at need, each. A national deployment sizes it so that
    servers x workers x 2 x this stays within PostgreSQL's max_connections (README)."""
    if not env.get("REGISTRY_DB_POOL_SIZE"):
        return {}
    size = _bounded(env, "REGISTRY_DB_POOL_SIZE", 5, 1, 1000)
    if not database_url.startswith("postgresql"):
        raise ConfigError(
            "REGISTRY_DB_POOL_SIZE is for PostgreSQL: SQLite opens its file, not connections "
            "to a server (unset it)"
        )
    return {"pool_size": size, "max_overflow": 0}


def _paths(env: dict[str, str], name: str) -> list[str]:
    """A list of files in one setting, separated like PATH."""
    return [p.strip() for p in env.get(name, "").split(os.pathsep) if p.strip()]


def _files(env: dict[str, str], name: str) -> list[str]:
    """Files named in a setting (separated like PATH), each of which must exist: a typo
    stops the start rather than the first seal."""
    paths = _paths(env, name)
    for path in paths:
        if not Path(path).is_file():
            raise ConfigError(f"{name} names {path}, which is not a file")
    return paths


def _web_address(env: dict[str, str], name: str, default: str | None = None) -> str | None:
    raw = (env.get(name) or "").strip() or default
    if raw is not None and not raw.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http:// or https:// address, not {raw!r}")
    return raw


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, not {env[name]!r}")


TRANSPORTS = ("smtp", "notify", "log")


def _mail(env: dict[str, str], production: bool) -> dict[str, Any]:
    """How notifications leave the registry (services/outbox.py): by SMTP, by GOV.UK
    Notify, or to the log. Unset, the transport follows what is configured: SMTP when
    MAIL_SERVER is set, Notify when NOTIFY_API_KEY is, the log otherwise."""
    server = (env.get("MAIL_SERVER") or "").strip() or None
    notify_key = (env.get("NOTIFY_API_KEY") or "").strip() or None
    transport = (env.get("MAIL_TRANSPORT") or "").strip().lower()
    if not transport:
        transport = "smtp" if server else "notify" if notify_key else "log"
    if transport not in TRANSPORTS:
        raise ConfigError(f"MAIL_TRANSPORT must be smtp, notify or log, not {transport!r}")
    if transport == "smtp" and not server:
        raise ConfigError("MAIL_SERVER must be set when MAIL_TRANSPORT=smtp")
    template = (env.get("NOTIFY_TEMPLATE_ID") or "").strip() or None
    if transport == "notify" and not (notify_key and template):
        raise ConfigError(
            "NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID must both be set when MAIL_TRANSPORT=notify "
            "(the template's subject is ((subject)) and its message ((body)))"
        )
    if production and transport == "log":
        # As with the seal and the timestamp authority: a production registry that
        # quietly sends nothing would leave signatories waiting for mail that never comes.
        raise ConfigError(
            "MAIL_SERVER (or NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID) must be set in "
            "production (REGISTRY_ENV=production): without them notifications are only "
            "written to the log"
        )
    username = env.get("MAIL_USERNAME") or None
    password = env.get("MAIL_PASSWORD") or None
    if bool(username) != bool(password):
        raise ConfigError("MAIL_USERNAME and MAIL_PASSWORD must be set together")
    use_ssl = _flag(env, "MAIL_USE_SSL", False)
    use_tls = _flag(env, "MAIL_USE_TLS", False)
    if use_ssl and use_tls:
        raise ConfigError(
            "MAIL_USE_SSL (TLS from the start, usually port 465) and MAIL_USE_TLS "
            "(STARTTLS, usually port 587) cannot both be set"
        )
    return {
        "MAIL_TRANSPORT": transport,
        "MAIL_SERVER": server,
        "MAIL_PORT": _bounded(env, "MAIL_PORT", 465 if use_ssl else 25, 1, 65535),
        "MAIL_USE_TLS": use_tls,
        "MAIL_USE_SSL": use_ssl,
        "MAIL_USERNAME": username,
        "MAIL_PASSWORD": password,
        "MAIL_TIMEOUT_SECONDS": _bounded(env, "MAIL_TIMEOUT_SECONDS", 30, 1, 600),
        "MAIL_FROM": env.get("MAIL_FROM", "registry@localhost"),
        "NOTIFY_API_KEY": notify_key,
        "NOTIFY_TEMPLATE_ID": template,
        "NOTIFY_BASE_URL": _web_address(
            env, "NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"
        ),
        # The sender (services/outbox.py): a thread in each serving process unless
        # OUTBOX_EMBEDDED=0 (then run `send-notifications --watch`, or from cron); an idle
        # sender looks every OUTBOX_POLL_SECONDS; a row not sent within
        # OUTBOX_LEASE_SECONDS (its sender died) is taken again; a failure is tried again
        # after OUTBOX_RETRY_SECONDS, doubled at each try up to OUTBOX_RETRY_MAX_SECONDS,
        # and given up after OUTBOX_ATTEMPTS tries.
        "OUTBOX_EMBEDDED": _flag(env, "OUTBOX_EMBEDDED", True),
        "OUTBOX_POLL_SECONDS": _bounded(env, "OUTBOX_POLL_SECONDS", 10, 1, 3600),
        "OUTBOX_LEASE_SECONDS": _bounded(env, "OUTBOX_LEASE_SECONDS", 120, 30, 86400),
        "OUTBOX_ATTEMPTS": _bounded(env, "OUTBOX_ATTEMPTS", 12, 1, 100),
        "OUTBOX_RETRY_SECONDS": _bounded(env, "OUTBOX_RETRY_SECONDS", 60, 1, 86400),
        "OUTBOX_RETRY_MAX_SECONDS": _bounded(env, "OUTBOX_RETRY_MAX_SECONDS", 3600, 1, 604800),
    }


def _secret_key(env: dict[str, str], instance: Path, production: bool) -> str:
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    if production:
        raise ConfigError("SECRET_KEY must be set in production (REGISTRY_ENV=production)")
    # Development: make one once and keep it, so sessions survive a restart.
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def load_config(env: dict[str, str] | None = None, instance: Path | None = None) -> dict[str, Any]:
    """Build the app's settings from environment variables, with first-run defaults."""
    env = dict(os.environ if env is None else env)
    instance = instance or Path(env.get("REGISTRY_INSTANCE_PATH", DEFAULT_INSTANCE))
    kind = env.get("REGISTRY_ENV", "development")
    if kind not in ("development", "production"):
        # A typo ("prod", "Production") must not quietly start a development server, with
        # its generated secret key, open cookies and the demo allowed.
        raise ConfigError(
            f"REGISTRY_ENV must be production or development (or unset), not {kind!r}"
        )
    production = kind == "production"
    rate_store = env.get("RATELIMIT_STORAGE_URI", "memory://")
    if production and rate_store.startswith("memory"):
        # Each gunicorn worker would count on its own: 4 workers, 4 times every limit.
        raise ConfigError(
            "RATELIMIT_STORAGE_URI must name a store the app's workers share in production "
            "(REGISTRY_ENV=production), such as redis://localhost:6379/0: with memory:// "
            "each worker counts sign-in attempts on its own"
        )
    database_url = env.get("REGISTRY_DATABASE_URL") or f"sqlite:///{instance / 'registry.db'}"
    two_factor = env.get("TWO_FACTOR_ROLES", "admin,ig_lead,signatory")
    if production and not (env.get("SEAL_CERT") and env.get("SEAL_KEY")):
        # Without them each server would make its own development CA, and a PDF sealed by
        # one would fail verification on another.
        raise ConfigError(
            "SEAL_CERT and SEAL_KEY must be set in production "
            "(REGISTRY_ENV=production); `flask --app registry seal-keys DIR` "
            "makes a pair for a trial"
        )
    tsa_url = _web_address(env, "TSA_URL")
    if production and not tsa_url:
        # Without a timestamp a seal proves nothing once its certificate expires or is
        # revoked; each server running its own development TSA would be no authority.
        raise ConfigError(
            "TSA_URL must be set in production (REGISTRY_ENV=production): the address of "
            "an RFC 3161 timestamp authority, such as your trust service provider's"
        )
    tsa_ca = _files(env, "TSA_CA")
    if production and not tsa_ca and env.get("SEAL_CA"):
        tsa_ca = [env["SEAL_CA"]]
    seal_crl = (_files(env, "SEAL_CRL") or [None])[0]
    if production and env.get("REGISTRY_DEMO", "") == "1":
        # The demo's accounts sign in without a code and its pages show their password.
        raise ConfigError(
            "REGISTRY_DEMO=1 is for trying the registry out and cannot be used in "
            "production (REGISTRY_ENV=production): unset REGISTRY_DEMO"
        )
    token_days = _int(env, "API_TOKEN_DAYS", 90)
    if not 1 <= token_days <= 3650:
        raise ConfigError(f"API_TOKEN_DAYS must be from 1 to 3650 days, not {token_days}")
    totp_key = env.get("REGISTRY_TOTP_KEY") or None
    if production and (totp_key is None or len(totp_key) < 32):
        # It seals the two-factor secrets: made up per server, or from SECRET_KEY (which
        # may be changed after a leak), a server could not read the secrets it holds.
        raise ConfigError(
            "REGISTRY_TOTP_KEY must be set in production (REGISTRY_ENV="
            "production), at least 32 characters, the same on every server "
            "and kept apart from the database and its backups"
        )
    return {
        "ENV_NAME": "production" if production else "development",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": _secret_key(env, instance, production),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **_pool(env, database_url)},
        "PARTNERSHIP_NAME": env.get("PARTNERSHIP_NAME", "Northshire Safeguarding Partnership"),
        "REVIEW_NOTICE_DAYS": _int(env, "REVIEW_NOTICE_DAYS", 90),
        "REVIEW_GRACE_DAYS": _int(env, "REVIEW_GRACE_DAYS", 90),
        "TIMEZONE": "Europe/London",
        "TOTP_KEY": totp_key,
        "TWO_FACTOR_ROLES": [r.strip() for r in two_factor.split(",") if r.strip()],
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # __Host-: the browser keeps it only if Secure, for this host alone, path /.
        "SESSION_COOKIE_NAME": "__Host-registry" if production else "registry",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_IDLE_MINUTES": 30,
        "SESSION_MAX_HOURS": 12,
        # How long an API token works after it is made.
        "API_TOKEN_DAYS": token_days,
        "SIGN_IN_RATE_LIMIT": env.get("SIGN_IN_RATE_LIMIT", "20 per minute; 200 per hour"),
        "REMEMBER_COOKIE_DURATION": 0,
        "SEAL_CERT": env.get("SEAL_CERT"),
        "SEAL_KEY": env.get("SEAL_KEY"),
        "SEAL_CA": env.get("SEAL_CA"),
        # Seal certificates used before SEAL_CERT (after a renewal), as a list of files
        # separated like PATH: PDFs they sealed still verify. No other certificate is
        # trusted, whoever issued it.
        "SEAL_EARLIER_CERTS": _paths(env, "SEAL_EARLIER_CERTS"),
        # The registry's own address, which its certificates name for fetching the seal
        # CA's certificate (/pki/ca.crt) and CRL (/pki/ca.crl).
        "REGISTRY_URL": _web_address(env, "REGISTRY_URL", "http://127.0.0.1:5000"),
        # The RFC 3161 timestamp authority that dates every seal and document timestamp
        # (unset in development: the registry starts its own on loopback), and the
        # certificates trusted for its answers (files separated like PATH; in production
        # SEAL_CA when unset).
        "TSA_URL": tsa_url,
        "TSA_CA": tsa_ca,
        # The seal CA's CRL (DER), put in each sealed PDF's validation data and served at
        # /pki/ca.crl. Keep the file current: the CA publishes a new one before the last
        # expires.
        "SEAL_CRL": seal_crl,
        "SEAL_ON_ACTIVATION": True,
        # This server's copies of the public register's downloads (services/
        # register_copies.py); unset, `register-copies` in the instance folder.
        "REGISTER_COPIES": env.get("REGISTER_COPIES") or None,
        # Sealed PDFs are made in the background (services/sealing.py): each serving
        # process runs a runner thread unless SEAL_JOBS_EMBEDDED=0 (then run the jobs from
        # a separate command); an idle runner looks for jobs every SEAL_JOBS_POLL_SECONDS;
        # a job not completed within SEAL_JOBS_LEASE_SECONDS (its runner died) is taken
        # again; a failing job is tried SEAL_JOBS_ATTEMPTS times, SEAL_JOBS_RETRY_SECONDS
        # times the tries so far apart, then marked failed.
        "SEAL_JOBS_EMBEDDED": env.get("SEAL_JOBS_EMBEDDED", "1") != "0",
        "SEAL_JOBS_POLL_SECONDS": _bounded(env, "SEAL_JOBS_POLL_SECONDS", 1, 1, 3600),
        "SEAL_JOBS_LEASE_SECONDS": _bounded(env, "SEAL_JOBS_LEASE_SECONDS", 60, 30, 86400),
        "SEAL_JOBS_ATTEMPTS": _bounded(env, "SEAL_JOBS_ATTEMPTS", 5, 1, 100),
        "SEAL_JOBS_RETRY_SECONDS": _bounded(env, "SEAL_JOBS_RETRY_SECONDS", 30, 1, 86400),
        # Checking an uploaded PDF (/verify, verify-pdf): at most this many seconds and
        # megabytes, in a process of its own; at most VERIFY_AT_ONCE checks at once on a
        # server (one more is refused at once: "busy, try again"); per address, at most
        # VERIFY_RATE_LIMIT checks on /verify.
        "VERIFY_SECONDS": _bounded(env, "VERIFY_SECONDS", 5, 1, 120),
        "VERIFY_MEMORY_MB": _bounded(env, "VERIFY_MEMORY_MB", 512, 128, 65536),
        "VERIFY_AT_ONCE": _bounded(env, "VERIFY_AT_ONCE", 2, 1, 256),
        "VERIFY_RATE_LIMIT": env.get("VERIFY_RATE_LIMIT", "10 per minute"),
        # Each hash chain's head is signed with the seal key every this many entries.
        "CHAIN_CHECKPOINT_EVERY": _int(env, "CHAIN_CHECKPOINT_EVERY", 1000),
        # Notifications and mail: see _mail and the README's "Notifications and mail".
        **_mail(env, production),
        "RATELIMIT_STORAGE_URI": rate_store,
        "DEMO_MODE": env.get("REGISTRY_DEMO", "") == "1",
        # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host. Left at 0,
        # those headers are ignored: a client cannot choose its own address for the rate
        # limits. Behind one load balancer or reverse proxy, set 1.
        "TRUSTED_PROXIES": _int(env, "REGISTRY_TRUSTED_PROXIES", 0),
    }
