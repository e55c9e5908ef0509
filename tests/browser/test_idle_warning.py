"""A session that goes idle never takes what was typed with it: typing keeps it open,
a warning with "Stay signed in" comes before it ends, and when it has ended the page
says so and keeps the text.

The page runs on Playwright's fake clock, so the real 30 minutes pass in no time: nothing
here sleeps. (The server's clock is fixed in tests, so the server never ends the session
itself; the end is played by answering /session/alive as a signed-out server does.)"""

import re
import time

import pytest

from ..factories import make_agency, make_user

pytestmark = pytest.mark.browser

WARNING = ".registry-timeout:not([hidden])"
IDLE_MINUTES = 30
# registry.js: the server writes its last-seen time at most once a minute, so the page
# counts its deadline from a minute before its last contact, and warns 2 minutes before it.
WARNS_AFTER = (IDLE_MINUTES - 1 - 2) * 60_000  # ms of fake time after the last contact
TICK = 5_000  # how often the page looks at the time (ms)
SETTLE_SECONDS = 10  # real time for the page's own requests to the server to come back


def pause(page) -> None:
    """Stop the page's clock a moment ahead of where it is: from here on, time passes only
    when the test says so."""
    now = page.evaluate("Date.now()") / 1000
    page.clock.pause_at(now + 1)


def axe(tab) -> None:
    """The accessibility check, with the clock let go meanwhile: axe-core waits on timers
    of its own. A second or two of real time is nothing against the page's minutes."""
    tab.page.clock.resume()
    tab.axe()
    pause(tab.page)


def settle(page, asked: list, answered: list) -> None:
    """Wait (in real time, with a bound) until every /session/alive request the page has
    sent has been answered, so that the page has taken in the answer before the clock
    moves on."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while len(answered) < len(asked):
        assert time.monotonic() < deadline, "the page's /session/alive request never came back"
        page.wait_for_timeout(20)
    page.evaluate("0")  # a round trip through the page, after the answer's own task


def test_typing_keeps_the_session_and_the_warning_gives_a_way_to_stay(
    journey, live_app, live_session
):
    live_app.config["SESSION_IDLE_MINUTES"] = IDLE_MINUTES
    practitioner = make_user(live_session, agency=make_agency(live_session))
    tab = journey("keyboard")
    tab.sign_in(practitioner)
    page = tab.page
    asked, answered = [], []
    alive = "/session/alive"
    page.on("request", lambda r: asked.append(r.url) if alive in r.url else None)
    page.on("requestfinished", lambda r: answered.append(r.url) if alive in r.url else None)
    page.on("requestfailed", lambda r: answered.append(r.url) if alive in r.url else None)
    # Installed before the page loads, so that its timers are the fake ones; running while
    # it loads, paused once it has.
    page.clock.install()
    tab.visit("/decisions/new")
    pause(page)

    words = "The child told her teacher about the bruises on Monday morning"
    tab.act.fill("textarea[name=reasons]", "")
    for word in words.split():  # slowly: 3 minutes a word, 36 minutes in all
        page.keyboard.type(word + " ")
        settle(page, asked, answered)
        page.clock.run_for("03:00")
        assert not page.locator(WARNING).count(), "warned while the person was typing"
    assert len(asked) >= 10, "typing did not keep telling the server the page was in use"

    # Then nothing happens: no warning until 2 minutes before the end, then the warning.
    page.clock.run_for(WARNS_AFTER - 3 * 60_000 - 2 * TICK)
    assert not page.locator(WARNING).count(), "warned more than 2 minutes before the end"
    page.clock.run_for(4 * TICK)
    assert page.locator(WARNING).count(), "no warning 2 minutes before the end"
    assert "signed out soon" in page.locator(".registry-timeout").inner_text()
    axe(tab)
    assert page.evaluate("document.activeElement.textContent.trim()") == "Stay signed in"
    before = len(asked)
    tab.act.press(page.get_by_role("button", name="Stay signed in"))
    settle(page, asked, answered)
    page.wait_for_selector(".registry-timeout[hidden]", state="attached")
    assert len(asked) > before
    # back where they were typing
    assert page.evaluate("document.activeElement.name") == "reasons"
    assert page.input_value("textarea[name=reasons]").strip() == words

    # The server has ended the session meanwhile (another tab signed out, say).
    page.route(
        "**/session/alive",
        lambda route: route.fulfill(status=302, headers={"Location": "/sign-in"}),
    )
    page.clock.run_for(WARNS_AFTER + 2 * TICK)
    assert page.locator(WARNING).count(), "no warning the second time"
    tab.act.press(page.get_by_role("button", name="Stay signed in"))
    settle(page, asked, answered)
    ended = page.locator("[data-timeout-ended]")
    ended.wait_for(state="visible")
    assert "What you typed is still on this page" in ended.inner_text()
    assert not page.get_by_role("button", name="Stay signed in").is_visible()
    assert (
        ended.get_by_role("link", name=re.compile("sign in again")).get_attribute("target")
        == "_blank"
    )
    assert page.input_value("textarea[name=reasons]").strip() == words
    axe(tab)
