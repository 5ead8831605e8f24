"""The Photo tab as a public demo's visitors meet it: on a phone (390x844), and several at once in one line.

Chromium (Debian's, via Playwright) against an app of this module's own: these tests fill its line and teach its
estimate, which no other test should meet. Positions are read with ``getBoundingClientRect`` while a dream runs;
screenshots land in test-artifacts/ (``visitors-*``), for a person to look at.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.support import said_seconds
from tests.support.app_server import AppServer, running_app
from tests.support.browser import ARTIFACTS, DESKTOP, DREAM_WAIT_MS, PHONE, new_page
from tests.support.odd_images import png_claiming
from tests.support.photos import skimage_photo

LONG = "?steps=100&octaves=4&max_size=512"  # a dream that runs until it is stopped (minutes on two cores)
SHORT = "?steps=2&octaves=1&max_size=128"
# What Gradio itself would show of its queue or of a progress bar: the status line says all that, once.
GRADIOS_OWN = ".progress-text:visible, .eta-bar:visible, .progress-level:visible"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with running_app(tmp_path_factory.mktemp("visitors")) as server:
        yield server


@pytest.fixture(scope="module")
def astronaut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "astronaut.png"
    skimage_photo("astronaut", 512).save(path)
    return path


def visitor(browser: Browser, app: AppServer, viewport: dict[str, int], query: str = "") -> Page:
    page = new_page(browser, viewport)
    page.goto(app.url + query)
    expect(page.locator("#dream")).to_be_visible()
    return page


def with_photo(page: Page, photo: Path) -> Page:
    page.locator("#photo input[type=file]").set_input_files(str(photo))
    expect(page.locator("#status")).to_contain_text("Ready", timeout=DREAM_WAIT_MS)
    return page


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"visitors-{name}.png")


def shown(page: Page, selector: str) -> float:
    """The share of an element's height inside the screen (0 to 1), as the visitor's browser lays it out now."""
    return page.locator(selector).evaluate(
        """el => {
          const box = el.getBoundingClientRect();
          const seen = Math.min(box.bottom, window.innerHeight) - Math.max(box.top, 0);
          return box.height > 0 ? Math.max(0, seen) / box.height : 0;
        }"""
    )


def test_on_a_phone_the_growing_picture_its_status_and_stop_stay_in_view(
    browser: Browser, app: AppServer, astronaut: Path
) -> None:
    page = with_photo(visitor(browser, app, PHONE, LONG), astronaut)
    try:
        page.locator("#dream").click()
        expect(page.locator("#status")).to_contain_text("Octave 1 of 4", timeout=DREAM_WAIT_MS)  # the first preview
        for moment in range(3):  # from the first preview on, as the run goes
            assert shown(page, "#dream-result") >= 0.5, "at least half of the growing picture"
            assert shown(page, "#status") == 1 and shown(page, "#stop") == 1, "all of the status, and Stop"
            expect(page.locator(GRADIOS_OWN)).to_have_count(0)
            if moment == 0:
                screenshot(page, "phone-dreaming")
            page.wait_for_timeout(1500)
        # Dream says a dream is running, and cannot be pressed twice.
        expect(page.locator("#dream")).to_have_text("Dreaming…")
        expect(page.locator("#dream")).to_be_disabled()
        page.locator("#stop").click()
        expect(page.locator("#status")).to_contain_text("Stopped at octave")
        assert shown(page, "#dream-result") >= 0.5 and shown(page, "#status") == 1
        expect(page.locator("#dream")).to_be_enabled()
        screenshot(page, "phone-stopped")
    finally:
        page.context.close()


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("notes.jpg", b"Dear diary, this is not a picture.\n" * 20, "not an image format we read"),
        ("one_pixel.png", None, "1x1"),
        ("huge.png", png_claiming(12000, 12000), "12000x12000 pixels"),
    ],
)
def test_on_a_phone_a_refused_photo_is_said_where_the_eye_is(
    browser: Browser, app: AppServer, tmp_path: Path, name: str, content: bytes | None, said: str
) -> None:
    refused = tmp_path / name
    if content is None:
        Image.new("RGB", (1, 1), "red").save(refused)
    else:
        refused.write_bytes(content)
    page = visitor(browser, app, PHONE)
    try:
        page.locator("#photo input[type=file]").set_input_files(str(refused))
        status = page.locator("#status")
        expect(status).to_contain_text(said)
        expect(page.locator("#photo img")).to_have_count(0)  # taken out of the photo box
        page.wait_for_timeout(300)  # the scroll that brings it into view runs after the page has said it
        assert shown(page, "#status") == 1, "the whole sentence on screen"
        assert shown(page, "#photo") > 0.3, "next to the photo box it is about"
        screenshot(page, f"phone-refused-{name.split('.')[0]}")
    finally:
        page.context.close()


def test_visitors_in_line_are_told_their_place_and_wait_and_can_leave(
    browser: Browser, app: AppServer, astronaut: Path
) -> None:
    """One dream runs (a desktop); a phone and a second desktop press Dream: each is told, in the status line, how
    many dreams are ahead and about how long until theirs starts, as the line moves; one leaves the line."""
    first = with_photo(visitor(browser, app, DESKTOP, LONG), astronaut)
    phone = with_photo(visitor(browser, app, PHONE, SHORT), astronaut)
    third = with_photo(visitor(browser, app, DESKTOP, SHORT), astronaut)
    try:
        first.locator("#dream").click()
        expect(first.locator("#status")).to_contain_text("Octave", timeout=DREAM_WAIT_MS)
        # Before pressing Dream, the estimate under it counts the dream ahead.
        expect(phone.locator("#estimate")).to_contain_text(re.compile(r"in line \(1 dream ahead\)"), timeout=30_000)

        phone.locator("#dream").click()
        status = phone.locator("#status")
        expect(status).to_contain_text(re.compile(r"In line: 1 dream is ahead of yours, which starts in"))
        expect(phone.locator("#stop")).to_have_text("Leave the line")
        expect(phone.locator("#dream")).to_have_text("In line…")
        expect(phone.locator("#dream")).to_be_disabled()
        assert shown(phone, "#status") == 1 and shown(phone, "#stop") == 1
        for page in (phone, first):
            expect(page.locator(GRADIOS_OWN)).to_have_count(0)
            expect(page.get_by_text(re.compile(r"queue: \d")).filter(visible=True)).to_have_count(0)
        screenshot(phone, "phone-in-line")

        third.locator("#dream").click()
        expect(third.locator("#status")).to_contain_text("In line: 2 dreams are ahead of yours")
        screenshot(third, "desktop-in-line")
        said = status.inner_text()
        expect(status).not_to_have_text(said, timeout=30_000)  # the wait is said again as the line moves
        expect(status).to_contain_text("In line: 1 dream is ahead of yours")

        phone.locator("#stop").click()  # Leave the line
        expect(status).to_contain_text("You left the line")
        expect(phone.locator("#dream")).to_be_enabled()
        expect(phone.locator("#stop")).to_be_hidden()
        expect(third.locator("#status")).to_contain_text("In line: 1 dream is ahead of yours")  # one fewer ahead
        screenshot(phone, "phone-left-the-line")

        first.locator("#stop").click()
        expect(first.locator("#status")).to_contain_text("Stopped at octave")
        expect(third.locator("#status")).to_contain_text("Done", timeout=DREAM_WAIT_MS)  # its turn came
        expect(third.locator("#dream")).to_have_text("✨ Dream")
        expect(third.locator("#stop")).to_be_hidden()
        screenshot(third, "desktop-after-the-line")
    finally:
        for page in (first, phone, third):
            page.context.close()


def test_the_estimate_shows_nothing_without_a_photo_and_follows_the_steps_down(
    browser: Browser, app: AppServer, astronaut: Path
) -> None:
    page = visitor(browser, app, DESKTOP, "?steps=10&max_size=1024")
    try:
        page.wait_for_timeout(1000)
        expect(page.locator("#estimate")).to_have_text("")  # no photo, no figure
        with_photo(page, astronaut)
        estimate = page.locator("#estimate")
        expect(estimate).to_contain_text("on this machine")
        ten = estimate.inner_text()
        page.locator("#advanced").get_by_text("Advanced: every setting").click()
        steps = page.locator("#steps input[type=number]")
        steps.fill("1")
        steps.press("Tab")
        # A tenth of the work: the figure falls well below the ten steps' (the load may move both a little, and the
        # estimate is said again every few seconds, so it is read until it has followed or a minute has passed).
        deadline = time.monotonic() + 60
        while said_seconds(estimate.inner_text() or ten) > said_seconds(ten) / 4 and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        assert said_seconds(estimate.inner_text()) <= said_seconds(ten) / 4, (ten, estimate.inner_text())
        page.locator("#photo button[aria-label='Remove Image']").click()
        expect(estimate).to_have_text("")
    finally:
        page.context.close()


def test_the_other_tabs_say_the_wait_too(browser: Browser, app: AppServer, astronaut: Path) -> None:
    """Zoom, Video and Compare share the line: a render that waits says so in its tab's status line, in words."""
    first = with_photo(visitor(browser, app, DESKTOP, LONG), astronaut)
    zoom = visitor(browser, app, PHONE, SHORT)
    try:
        first.locator("#dream").click()
        expect(first.locator("#status")).to_contain_text("Octave", timeout=DREAM_WAIT_MS)
        zoom.get_by_role("tab", name="Zoom animation").click()
        zoom.locator("#animate").click()
        status = zoom.locator("#anim-status")
        expect(status).to_contain_text("In line: 1 dream is ahead of yours, which starts in")
        expect(zoom.locator(GRADIOS_OWN)).to_have_count(0)
        expect(zoom.get_by_text(re.compile(r"queue: \d")).filter(visible=True)).to_have_count(0)
        zoom.locator("#anim-status").scroll_into_view_if_needed()
        screenshot(zoom, "phone-zoom-in-line")
        zoom.locator("#anim-stop").click()  # leaves the line
        expect(status).not_to_contain_text("In line")
        first.locator("#stop").click()
        expect(first.locator("#status")).to_contain_text("Stopped at octave")
        zoom.wait_for_timeout(2000)
        expect(status).not_to_contain_text("Dreaming")  # the render that left the line never ran
    finally:
        for page in (first, zoom):
            page.context.close()
