"""Screenshots of the key pages for the README, taken from the demo partnership.

    .venv/bin/python tools/screenshots.py            # or: make screenshots

Serves the registry on a free local port from a throwaway SQLite database loaded with the
demo data, signs in as the demo accounts through the real sign-in page in Debian's
Chromium, and saves one PNG per page in docs/screenshots/."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from registry import create_app  # noqa: E402
from registry.clock import system_now  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.services.demo import DEMO_PASSWORD, email, seed_demo  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium")
WIDTH, TALLEST = 1100, 1500


def serve() -> tuple[str, object]:
    instance = tempfile.mkdtemp(prefix="registry-shots-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/registry.db",
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "screenshots",
            "DEMO_MODE": True,
        }
    )
    with app.app_context():
        upgrade()
        seed_demo(db.session, now=system_now())
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def main() -> int:
    from playwright.sync_api import sync_playwright

    base, server = serve()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )

        def person(local: str | None, width: int = WIDTH):
            context = browser.new_context(base_url=base, viewport={"width": width, "height": 900})
            page = context.new_page()
            if local:
                page.goto("/sign-in")
                page.fill("input[name=email]", email(local))
                page.fill("input[name=password]", DEMO_PASSWORD)
                with page.expect_navigation():
                    page.get_by_role("button", name="Sign in").click()
            return page

        def shot(page, name: str, path: str | None = None) -> None:
            if path:
                page.goto(path)
            height = min(TALLEST, page.evaluate("document.documentElement.scrollHeight"))
            width = page.viewport_size["width"]
            page.screenshot(
                path=OUT / f"{name}.png",
                clip={"x": 0, "y": 0, "width": width, "height": height},
                full_page=True,
            )
            print(f"docs/screenshots/{name}.png  {page.url.removeprefix(base)}")

        shot(person(None), "welcome", "/")
        practitioner = person("practitioner.council")
        shot(practitioner, "home-practitioner", "/")

        def ask(to_agency: str, categories: list[str]) -> None:
            practitioner.goto("/coverage")
            # The agency box lists matches from the server as one types: type, then choose.
            practitioner.fill("input#to_agency_id", to_agency)
            practitioner.locator(".autocomplete__option", has_text=to_agency).first.click()
            practitioner.select_option("select[name=purpose]", "mash_triage")
            for code in categories:
                practitioner.check(f"input[name=data_categories][value={code}]")
            with practitioner.expect_navigation():
                practitioner.get_by_role("button", name="Check").click()

        shot(practitioner, "coverage-question", "/coverage")
        ask("Northshire Police", ["identity_contact", "family_household"])
        shot(practitioner, "coverage-covered")
        ask("Northshire Fire and Rescue Service", ["identity_contact"])
        shot(practitioner, "coverage-not-covered")
        with practitioner.expect_navigation():
            practitioner.get_by_role("link", name="Record your decision").click()
        shot(practitioner, "decision-form")

        lead = person("ig.lead.council")
        lead.goto("/agreements?q=MASH")
        with lead.expect_navigation():
            lead.locator("tbody tr", has_text="Multi-Agency Safeguarding Hub (MASH)").locator(
                "a"
            ).first.click()
        shot(lead, "agreement")
        shot(lead, "agreements", "/agreements")
        shot(lead, "reviews", "/agreements/reviews")
        shot(lead, "coverage-map", "/coverage/map?purpose=mash_triage")
        shot(lead, "decisions-summary", "/decisions/summary")
        shot(lead, "search", "/search?q=northshire")
        signer = person("signatory.council")
        shot(signer, "home-signatory", "/")
        admin = person("admin")
        shot(admin, "home-admin", "/")
        shot(admin, "audit-trail", "/admin/audit")
        phone = person("ig.lead.council", width=390)
        shot(phone, "phone-agreements", "/agreements")
        browser.close()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
