"""The migration files themselves: they never import the application, and the revision
that seals two-factor secrets keeps writing the bytes it wrote when it was made."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
SEALING = "5e0c1a7b2d94_seal_two_factor_secrets.py"


def _application_imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "registry"]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level or module.split(".")[0] == "registry":
                found.append("." * node.level + module)
        elif isinstance(node, ast.Call):  # importlib.import_module("registry..."), __import__
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("import_module", "__import__") and any(
                isinstance(a, ast.Constant) and str(a.value).split(".")[0] == "registry"
                for a in node.args
            ):
                found.append(str(node.args[0].value))
    return found


def test_no_migration_imports_the_application():
    """A migration is frozen when it is written; the application moves on. Importing it
    would make an old revision do what today's code does (or fail to import at all)."""
    files = sorted(VERSIONS.glob("*.py"))
    assert files
    offenders = {
        path.name: found
        for path in files
        if (found := _application_imports(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_the_import_check_sees_every_way_of_importing():
    source = (
        "import registry\nimport registry.models as m\nfrom registry.services import x\n"
        "from . import y\nimport importlib\nimportlib.import_module('registry.web')\n"
        "import sqlalchemy\nfrom alembic import op\n"
    )
    assert _application_imports(ast.parse(source)) == [
        "registry",
        "registry.models",
        "registry.services",
        ".",
        "registry.web",
    ]


@pytest.fixture
def sealing():
    spec = importlib.util.spec_from_file_location("sealing_revision", VERSIONS / SEALING)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NONCE = bytes(range(12))
# Known answers, computed once from registry/services/two_factor.py when this revision's
# sealing was copied out of it: the frozen copy must give exactly these bytes.
KNOWN = [
    (
        {"SECRET_KEY": "test-secret-key", "TOTP_KEY": None},
        "5003bb3d30b0ba37991503e60379e54446ac3ed903cd5c605272372b2bb7dbeb",
        "AAECAwQFBgcICQoLa6D4Eb47BQ9rLf4kEPAB0p92McevxOfJ1KcokeEtccjTSIs1",
    ),
    (
        {"SECRET_KEY": "ignored", "TOTP_KEY": "ŷ-a-totp-key-of-at-least-32-characters"},
        "24fb164ffb36bb82d8bbfea30167c0b5de3eeb005249cee12c40d8bfd2ea4810",
        "AAECAwQFBgcICQoL2PT2SExML5b5nmUDvhUapuk5rWmCXzunWgCWjh079ZQn99nb",
    ),
]


@pytest.mark.parametrize(("config", "key", "sealed"), KNOWN, ids=["secret-key", "totp-key"])
def test_the_sealing_revision_writes_the_bytes_it_always_wrote(
    sealing, monkeypatch, config, key, sealed
):
    monkeypatch.setattr(sealing.os, "urandom", lambda n: NONCE[:n])
    assert sealing._key(config).hex() == key
    assert sealing._seal(SECRET, 5, bytes.fromhex(key)) == sealed
    assert sealing._unseal(sealed, 5, bytes.fromhex(key)) == SECRET


def test_the_application_reads_what_the_sealing_revision_wrote_and_back(sealing):
    from registry.services.two_factor import key_from_config, seal, unseal

    config = {"SECRET_KEY": "test-secret-key", "TOTP_KEY": None}
    key = sealing._key(config)
    assert key == key_from_config(config)
    assert unseal(sealing._seal(SECRET, 7, key), 7, key) == SECRET
    assert sealing._unseal(seal(SECRET, 7, key), 7, key) == SECRET


def test_the_sealing_revision_refuses_a_secret_sealed_for_someone_else(sealing):
    key = bytes.fromhex(KNOWN[0][1])
    with pytest.raises(RuntimeError, match="user 6"):
        sealing._unseal(KNOWN[0][2], 6, key)  # sealed for user 5
