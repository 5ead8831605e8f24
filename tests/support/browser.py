"""Debian's Chromium driven by Playwright, for the browser tests: how it starts, the screens it is looked at on,
and the steps every page test takes (open the app, upload a photo, open Advanced, take a screenshot).

The ``browser`` fixture is in ``tests/e2e/conftest.py``; the Live tab's tests start their own with a fake camera
(``tests/e2e/test_live_browser.py``) from the same flags.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.support import REPO

CHROMIUM = "/usr/bin/chromium"  # Debian's: never `playwright install`
# Headless, without a GPU, fetching nothing in the background (there is no network here).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = REPO / "test-artifacts"  # gitignored: screenshots for a person to look at
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# Cold model load and a CPU shared with other work: generous bounds for waits, never asserted on.
DREAM_WAIT_MS = 240_000


def new_page(browser: Browser, viewport: dict[str, int]) -> Page:
    """A page in a context of its own at ``viewport``, touch and mobile when it is the phone's (close its context)."""
    phone = viewport == PHONE
    page = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone).new_page()
    page.set_default_timeout(60_000)
    return page


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#dream")).to_be_visible()


def upload(page: Page, photo: Path) -> None:
    page.locator("#photo input[type=file]").set_input_files(str(photo))
    expect(page.locator("#status")).to_contain_text("Ready")


def open_advanced(page: Page) -> None:
    page.locator("#advanced").get_by_text("Advanced: every setting").click()
    expect(page.locator("#steps input[type=number]")).to_be_visible()


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two bounding boxes share any area."""
    across = a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
    return across and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]
