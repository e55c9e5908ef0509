"""Settings from the environment: production refuses to start without what several
servers must share."""

import pytest

from registry.config import ConfigError, load_config

PRODUCTION = {"REGISTRY_ENV": "production", "SECRET_KEY": "shared secret",
              "SEAL_CERT": "/etc/registry/seal-cert.pem", "SEAL_KEY": "/etc/registry/seal-key.pem"}


def test_production_starts_with_the_shared_settings(tmp_path):
    settings = load_config(PRODUCTION, tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] and settings["TRUSTED_PROXIES"] == 0


@pytest.mark.parametrize("missing, named", [("SECRET_KEY", "SECRET_KEY"),
                                            ("SEAL_CERT", "seal-keys"),
                                            ("SEAL_KEY", "seal-keys")])
def test_production_without_a_shared_setting_says_which(tmp_path, missing, named):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigError, match=named):
        load_config(env, tmp_path)


def test_a_setting_that_is_not_a_number_is_named(tmp_path):
    with pytest.raises(ConfigError, match="REGISTRY_TRUSTED_PROXIES"):
        load_config({"REGISTRY_TRUSTED_PROXIES": "one"}, tmp_path)
