"""Journeys in a real browser: Debian's Chromium driven by Playwright, against the app
served on a free local port from a fresh SQLite copy (the same migrations as every test).

Every page a journey reaches is checked with axe-core (from the npm registry, installed by
`make assets`) for WCAG 2.2 A and AA; a violation fails the journey."""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from registry import create_app
from registry.extensions import db

from ..client import RegistryClient
from ..conftest import FIXED_NOW, _config
from .drivers import DRIVERS, totp_now

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture
def live_app(tmp_path, instance_dir, sqlite_template):
    path = tmp_path / "registry.db"
    shutil.copy(sqlite_template, path)
    config = _config(f"sqlite:///{path}", instance_dir)
    config.pop("SERVER_NAME")
    application = create_app(config)
    application.extensions["clock"] = lambda: FIXED_NOW
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    application.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    with application.app_context():
        yield application
        db.session.remove()
    server.shutdown()
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def chromium():
    # Module scope: Playwright's sync API keeps an event loop running while it is open,
    # and other tests (pyHanko's sealing) call asyncio.run, which refuses to nest.
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: apt-get install chromium (CI does)")
    if not AXE.exists():
        pytest.fail("axe-core is not in node_modules: run `make assets`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


class Journey:
    """One person's browser tab, with the accessibility check after every page."""

    def __init__(self, browser, base: str, driver: str = "mouse"):
        # axe is injected as a script; the registry's CSP (rightly) refuses inline scripts.
        self.context = browser.new_context(base_url=base, bypass_csp=True, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.act = DRIVERS[driver](self.page)
        self.checked: list[str] = []

    def visit(self, path: str) -> int:
        """Open `path` as a typed address; answer the HTTP status."""
        status = self.page.goto(path).status
        self.axe()
        return status

    def sign_in(self, user, password: str = RegistryClient.password) -> None:
        """Through the real sign-in page, setting up two-factor sign-in when the role
        needs it, with the code an authenticator app would show."""
        page, act = self.page, self.act
        self.visit("/sign-in")
        act.fill("input[name=email]", user.email)
        act.fill("input[name=password]", password)
        act.go(page.get_by_role("button", name="Sign in"))
        self.gave_a_code = "/two-factor" in page.url
        if self.gave_a_code:
            self.axe()
            if "/set-up" in page.url:
                act.press(page.locator("summary", has_text="I cannot scan the QR code"))
                secret = "".join(page.locator(".registry-secret").inner_text().split())
                self.secret = secret
            act.fill("input[name=code]", totp_now(self.secret))
            act.go(page.get_by_role("button", name="Continue"))
        assert re.search(r"/$", page.url), page.url
        self.axe()

    def axe(self) -> None:
        page = self.page
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
        )
        problems = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
            for v in result["violations"]
        ]
        assert problems == [], f"{page.url}: {problems}"
        self.checked.append(page.url)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def journey(chromium, live_app):
    opened = []

    def open_tab(driver: str = "mouse") -> Journey:
        tab = Journey(chromium, live_app.config["LIVE_URL"], driver)
        opened.append(tab)
        return tab

    yield open_tab
    for tab in opened:
        tab.close()


@pytest.fixture
def live_session(live_app):
    """The database session of the served app (browser journeys run on SQLite only)."""
    return db.session
