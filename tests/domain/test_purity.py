"""registry/domain is pure: no Flask, no database session, no clock (STYLE convention 2)."""

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "registry" / "domain"
FORBIDDEN_MODULES = (
    "flask",
    "flask_sqlalchemy",
    "flask_login",
    "sqlalchemy",
    "registry.extensions",
    "registry.models",
    "registry.services",
    "registry.web",
    "registry.clock",
)
CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
}


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against registry.domain
                module = ("registry." if node.level == 2 else "registry.domain.") + module
            yield module


def test_domain_imports_nothing_from_the_app_or_the_database():
    offenders = []
    for path in DOMAIN.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for module in _imports(tree):
            if any(module == f or module.startswith(f + ".") for f in FORBIDDEN_MODULES):
                offenders.append(f"{path.name}: {module}")
    assert offenders == []


def test_domain_never_reads_the_clock():
    offenders = []
    for path in DOMAIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and (node.func.value.id, node.func.attr) in CLOCK_CALLS
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_the_purity_check_would_catch_an_offender(tmp_path):
    tree = ast.parse("from flask import current_app\nfrom ..extensions import db\n")
    found = list(_imports(tree))
    assert "flask" in found and "registry.extensions" in found
