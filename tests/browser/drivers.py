"""Two ways of working a page: with the mouse, and with the keyboard alone.

Every journey runs once with each. The keyboard driver reaches each control by pressing
Tab (never by focusing it from the script), so a control that the keyboard cannot reach,
or reaches only after leaving the page, fails the journey."""

from __future__ import annotations

import pyotp

from registry.clock import now as clock_now

MOST_TABS = 400  # more Tab presses than any registry page has stops


class Mouse:
    name = "mouse"

    def __init__(self, page):
        self.page = page

    def fill(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)

    def tick(self, selector: str) -> None:
        self.page.check(selector)

    def choose(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)

    def pick(self, field: str, typed: str, name: str) -> None:
        """In an agency's box (registry.js), type `typed` and choose `name` from the
        matches listed."""
        self.page.fill(f"input#{field}", typed)
        self.page.locator(".autocomplete__option", has_text=name).first.click()

    def press(self, locator) -> None:
        """Press a button or open a summary."""
        locator.click()

    def go(self, locator) -> None:
        """Follow a link or press a button that loads the next page, and wait for it."""
        with self.page.expect_navigation():
            self.press(locator)


class Keyboard(Mouse):
    name = "keyboard"

    def _reach(self, locator) -> None:
        """Press Tab until `locator` has the focus (radios: until its group has it)."""
        handle = locator.element_handle()
        for _ in range(MOST_TABS):
            there = self.page.evaluate(
                """el => {
                    const now = document.activeElement;
                    if (now === el) return true;
                    return el.type === 'radio' && now && now.type === 'radio'
                        && now.name === el.name && now.form === el.form;
                }""",
                handle,
            )
            if there:
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"the keyboard never reached {locator} on {self.page.url}")

    def fill(self, selector: str, text: str) -> None:
        self._reach(self.page.locator(selector))
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def tick(self, selector: str) -> None:
        target = self.page.locator(selector)
        self._reach(target)
        if target.get_attribute("type") == "radio":
            group = self.page.locator(f"input[type=radio][name={target.get_attribute('name')}]")
            for _ in range(group.count() + 1):
                if target.is_checked():
                    return
                self.page.keyboard.press("ArrowDown")
            raise AssertionError(f"the arrow keys never chose {selector}")
        if not target.is_checked():
            self.page.keyboard.press("Space")
        assert target.is_checked(), selector

    def choose(self, selector: str, value: str) -> None:
        select = self.page.locator(selector)
        self._reach(select)
        self.page.keyboard.press("Home")
        for _ in range(select.locator("option").count()):
            if select.input_value() == value:
                return
            self.page.keyboard.press("ArrowDown")
        assert select.input_value() == value, f"no option {value} in {selector}"

    def pick(self, field: str, typed: str, name: str) -> None:
        box = self.page.locator(f"input#{field}")
        self._reach(box)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(typed)
        # Matches, not the line the box shows while it asks the server or finds none.
        options = self.page.locator(".autocomplete__option:not(.autocomplete__option--no-results)")
        options.first.wait_for()
        highlighted = self.page.locator(".autocomplete__option--focused")
        for _ in range(options.count()):  # the first match starts highlighted
            # Each match reads its name, then its ICO number (and ODS code).
            if highlighted.count() and highlighted.inner_text().startswith(f"{name} ICO "):
                self.page.keyboard.press("Enter")
                return
            self.page.keyboard.press("ArrowDown")
        listed = options.all_inner_texts()
        raise AssertionError(f"no {name} among the matches for {typed!r} in {field}: {listed}")

    def press(self, locator) -> None:
        self._reach(locator)
        self.page.keyboard.press("Enter")


DRIVERS = {"mouse": Mouse, "keyboard": Keyboard}


def totp_now(secret: str, offset: int = 0) -> str:
    """The code an authenticator app would show at the registry's (fixed) time. A user
    may sign in once per 30-second step: `offset` takes the next steps (at most +1)."""
    step = int(clock_now().timestamp()) // 30 + offset
    return pyotp.TOTP(secret).at(step * 30)
