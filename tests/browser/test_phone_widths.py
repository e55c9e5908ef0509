"""Every page fits a phone's screen (390 px wide): nothing makes the page wider than the
screen (a wide table scrolls inside its own box), and at 1280 px the navigation is one row.

Each role signs in to the demo partnership once and goes through every page it can reach
by following links from its home page (one page of each kind: an agreement, not all of
them), plus the pages reached by sending a form: a coverage answer, a decision, a form
sent with mistakes. Each page is checked with axe the first time its kind is seen."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from registry.models import Agency
from registry.services.demo import DEMO_PASSWORD, email, seed_demo

from ..factories import FIXED_NOW, make_user
from .conftest import Journey

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MOST_PAGES = 90  # per role: more kinds of page than any role can reach

# Not pages: files, feeds and the machine-readable register.
NOT_PAGES = re.compile(r"\.(pdf|csv|ics|json|crt|crl)$|/pdf$|^/(api|assets|static|pki|session)/")

# What pokes out of the screen, and by how much. An element inside a box that scrolls (or
# clips) sideways is that box's business: the box itself is measured.
OVERFLOW = """() => {
  const screen = document.documentElement.clientWidth;
  const found = [];
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    if (el.classList.length) name += "." + [...el.classList].join(".");
    const text = (el.innerText || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return text ? `${name} ("${text}")` : name;
  };
  const inScrollingBox = (el, itself) => {
    for (let p = itself ? el : el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(p).overflowX)) {
        return true;
      }
    }
    return false;
  };
  let widest = null;  // the element reaching furthest, in a scrolling box or not
  // Elements, and the text in them (a long address can run out of its paragraph).
  const measured = [];
  for (const el of document.body.querySelectorAll("*")) measured.push([el, el, false]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (node.parentElement) measured.push([node.parentElement, range, true]);
  }
  for (const [el, thing, text] of measured) {
    const box = thing.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const past = Math.max(box.right - screen, -box.left);
    if (past > 1 && (!widest || past > widest.past)) widest = {el, past};
    if (past <= 1 || inScrollingBox(el, text)) continue;
    if (found.some((f) => f.el.contains(el) || el.contains(f.el))) continue;  // named
    found.push({el, said: `${describe(el)} by ${Math.round(past)} px`});
  }
  const width = document.documentElement.scrollWidth;
  if (!found.length && width > screen && widest) {
    // Something escapes its box (say, positioned outside it): name what reaches furthest.
    found.push({said: `${describe(widest.el)} by ${Math.round(widest.past)} px`});
  }
  return {width, screen, overflowing: found.slice(0, 5).map((f) => f.said)};
}"""

# The top of each item of the service navigation: one row when all are the same.
NAV_ROWS = """() => new Set([...document.querySelectorAll(".govuk-service-navigation__item")]
  .map((item) => Math.round(item.getBoundingClientRect().top))).size"""

ACCOUNTS = {
    "administrator": "admin",
    "IG lead": "ig.lead.council",
    "signatory": "signatory.council",
    "practitioner": "practitioner.council",
}


def _kind(path: str) -> str:
    """The kind of page an address is: its path with ids as {id}, and its query's keys."""
    parts = urlsplit(path)
    shape = re.sub(r"/[0-9a-f]{32}(?=/|$)", "/{id}", parts.path)
    shape = re.sub(r"/\d+(?=/|$|\.)", "/{id}", shape)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return shape + ("?" + "&".join(keys) if keys else "")


class PhoneTab(Journey):
    def __init__(self, browser, base: str, axed: set[str]):
        super().__init__(browser, base)
        self.page.set_viewport_size(PHONE)
        self.axed = axed  # kinds of page already checked by axe, by any role
        self.problems: list[str] = []

    def measure(self, what: str) -> None:
        found = self.page.evaluate(OVERFLOW)
        if found["width"] > found["screen"] or found["overflowing"]:
            self.problems.append(
                f"{what}: {found['width']} px wide on a {found['screen']} px screen; "
                + "; ".join(found["overflowing"])
            )
        kind = _kind(urlsplit(self.page.url).path + "?" + urlsplit(self.page.url).query)
        if kind not in self.axed:
            self.axed.add(kind)
            self.axe()

    def links(self) -> list[str]:
        base = urlsplit(self.page.url)
        hrefs = self.page.eval_on_selector_all("a[href]", "links => links.map((a) => a.href)")
        found = []
        for href in hrefs:
            there = urlsplit(href)
            if there.netloc != base.netloc or NOT_PAGES.search(there.path):
                continue
            found.append(there.path + (f"?{there.query}" if there.query else ""))
        return found

    def crawl(self, *starts: str) -> list[str]:
        """Visit every kind of page reachable from `starts`, measuring each."""
        seen = {_kind(s) for s in starts}
        queue = deque(starts)
        visited = []
        while queue and len(visited) < MOST_PAGES:
            path = queue.popleft()
            answer = self.page.goto(path)
            if answer is None or "text/html" not in answer.headers.get("content-type", ""):
                continue
            visited.append(path)
            self.measure(path)
            for link in self.links():
                if _kind(link) not in seen:
                    seen.add(_kind(link))
                    queue.append(link)
        return visited


@pytest.fixture
def demo(live_app, live_session):
    live_app.config["DEMO_MODE"] = True  # the demo's accounts sign in without a code
    seed_demo(live_session, now=FIXED_NOW)
    return live_app.config["LIVE_URL"]


def _signed_in(chromium, demo, axed, local: str) -> PhoneTab:
    tab = PhoneTab(chromium, demo, axed)
    page = tab.page
    page.goto("/sign-in")
    page.fill("input[name=email]", email(local))
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert urlsplit(page.url).path == "/", page.url
    return tab


def test_every_page_fits_a_phone_screen_for_every_role(chromium, demo, live_session):
    axed: set[str] = set()
    problems: list[str] = []
    reached: dict[str, list[str]] = {}

    anonymous = PhoneTab(chromium, demo, axed)
    reached["anonymous"] = anonymous.crawl("/", "/sign-in", "/register", "/verify")
    anonymous.page.goto("/sign-in")
    anonymous.page.get_by_role("button", name="Sign in").click()  # sent empty: errors
    anonymous.page.wait_for_load_state()
    anonymous.measure("sign-in sent empty")
    problems += anonymous.problems
    anonymous.close()

    for role, local in ACCOUNTS.items():
        tab = _signed_in(chromium, demo, axed, local)
        page = tab.page
        # The navigation folds away behind a menu button on a phone.
        assert page.locator(".govuk-service-navigation__toggle").is_visible(), role
        assert not page.locator(".govuk-service-navigation__list").is_visible(), role
        # The map for a purpose is a form's answer, not a link: start there too.
        reached[role] = tab.crawl("/", "/coverage/map?purpose=mash_triage")
        if role == "practitioner":
            page.goto("/coverage")
            page.get_by_role("button", name="Check").click()  # sent empty: errors
            page.wait_for_load_state()
            tab.measure("coverage check sent empty")
            page.goto("/coverage")
            page.fill("input#to_agency_id", "Police")
            page.locator(".autocomplete__option", has_text="Northshire Police").first.click()
            page.select_option("select[name=purpose]", "mash_triage")
            page.check("input[name=data_categories][value=identity_contact]")
            with page.expect_navigation():
                page.get_by_role("button", name="Check").click()
            tab.measure("a coverage answer")
            with page.expect_navigation():
                page.get_by_role("link", name="Record your decision").click()
            page.check("input[name=decision][value=share]")
            page.check("input[name=consent][value=not_sought]")
            with page.expect_navigation():
                page.get_by_role("button", name=re.compile("Record")).click()
            tab.measure("a decision sent with mistakes")
            page.fill("textarea[name=consent_reason]", "Asking would put the child at risk")
            page.fill("textarea[name=reasons]", "Police need the address for the strategy meeting")
            with page.expect_navigation():
                page.get_by_role("button", name=re.compile("Record")).click()
            assert re.search(r"/decisions/\d+$", page.url), page.url
            tab.measure("a decision")
            tab.crawl("/decisions")
        problems += [f"{role}: {p}" for p in dict.fromkeys(tab.problems)]

        # On a desktop screen the navigation is one row.
        page.set_viewport_size(DESKTOP)
        page.goto("/")
        if (rows := page.evaluate(NAV_ROWS)) != 1:
            problems.append(f"{role}: the navigation takes {rows} rows at 1280 px")
        tab.close()

    # A person holding every agency role has the most links: still one row at 1280 px.
    council = live_session.scalar(select(Agency).where(Agency.name == "Northshire County Council"))
    busy = Journey(chromium, demo)
    busy.page.set_viewport_size(DESKTOP)
    busy.sign_in(
        make_user(live_session, roles=("ig_lead", "signatory", "practitioner"), agency=council)
    )
    busy.page.goto("/")
    if (rows := busy.page.evaluate(NAV_ROWS)) != 1:
        problems.append(f"every agency role: the navigation takes {rows} rows at 1280 px")
    busy.close()

    assert problems == [], "\n".join(problems)
    # The walk reached the pages it is meant to check (so a broken link cannot hide them).
    every = {_kind(p) for pages in reached.values() for p in pages}
    for kind in (
        "/agreements",
        "/agreements/{id}",
        "/agencies",
        "/agencies/{id}",
        "/coverage/map",
        "/coverage/map?purpose",
        "/coverage/map?purpose&view",
        "/agreements/reviews",
        "/notifications",
        "/delegations",
        "/decisions",
        "/admin/users",
        "/admin/audit",
        "/admin/vocabularies",
        "/register",
        "/verify",
    ):
        assert kind in every, (kind, sorted(every))
