"""A session that goes idle never takes what was typed with it: typing keeps it open,
a warning with "Stay signed in" comes before it ends, and when it has ended the page
says so and keeps the text. (Idle here is 6 seconds instead of 30 minutes.)"""

import re
import time

import pytest

from ..factories import make_agency, make_user

pytestmark = pytest.mark.browser

WARNING = ".registry-timeout:not([hidden])"


def test_typing_keeps_the_session_and_the_warning_gives_a_way_to_stay(
    journey, live_app, live_session
):
    live_app.config["SESSION_IDLE_MINUTES"] = 0.1
    practitioner = make_user(live_session, agency=make_agency(live_session))
    tab = journey("keyboard")
    tab.sign_in(practitioner)
    page = tab.page
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/session/alive" in r.url else None)
    tab.visit("/decisions/new")

    words = "The child told her teacher about the bruises on Monday morning"
    tab.act.fill("textarea[name=reasons]", "")
    for word in words.split():  # slowly, for longer than the idle limit
        page.keyboard.type(word + " ")
        time.sleep(0.6)
        assert not page.locator(WARNING).count(), "warned while the person was typing"
    assert asked, "typing never told the server the page was in use"

    page.wait_for_selector(WARNING, timeout=10_000)  # then nothing happens for a while
    assert "signed out soon" in page.locator(".registry-timeout").inner_text()
    tab.axe()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Stay signed in"
    before = len(asked)
    tab.act.press(page.get_by_role("button", name="Stay signed in"))
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
    page.wait_for_selector(WARNING, timeout=10_000)
    tab.act.press(page.get_by_role("button", name="Stay signed in"))
    ended = page.locator("[data-timeout-ended]")
    ended.wait_for(state="visible")
    assert "What you typed is still on this page" in ended.inner_text()
    assert not page.get_by_role("button", name="Stay signed in").is_visible()
    assert (
        ended.get_by_role("link", name=re.compile("sign in again")).get_attribute("target")
        == "_blank"
    )
    assert page.input_value("textarea[name=reasons]").strip() == words
    tab.axe()
