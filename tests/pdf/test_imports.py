"""The PDF stack stays where it is used: importing the services or building the app never
imports WeasyPrint or pyHanko, and registry/pdf/ knows nothing of the database or Flask."""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PDF_PACKAGE = ROOT / "registry" / "pdf"
HEAVY = ("weasyprint", "pyhanko", "pyhanko_certvalidator")

PROBE = f"""
import pkgutil, sys
import registry.services
for module in pkgutil.iter_modules(registry.services.__path__):
    __import__("registry.services." + module.name)
import registry.cli, registry.web
from registry import create_app
create_app({{"TESTING": True}})
print(sorted({{m.partition(".")[0] for m in sys.modules}} & set({HEAVY!r})))
"""


def test_the_services_and_the_app_load_without_the_pdf_stack(tmp_path):
    # A fresh interpreter: this one has imported WeasyPrint for the other tests.
    env = {
        **os.environ,
        "REGISTRY_INSTANCE_PATH": str(tmp_path),
        "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.db'}",
    }
    env.pop("REGISTRY_ENV", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout


def _imported(path: Path) -> set[str]:
    """Every module the file imports, relative imports made absolute, and for `from x
    import y` both x and x.y (y may be a module or a name in x)."""
    package = ["registry", "pdf"]  # every file here is in the package registry.pdf
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


FORBIDDEN = (
    "registry.services",
    "registry.models",
    "registry.extensions",
    "registry.database",
    "registry.web",
    "flask",
)


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def test_registry_pdf_takes_plain_values_and_reads_no_database_or_app():
    files = sorted(PDF_PACKAGE.glob("*.py"))
    assert files
    offending = {
        f"{path.name}: {module}"
        for path in files
        for module in _imported(path)
        if _forbidden(module)
    }
    assert offending == set()
