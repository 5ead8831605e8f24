"""The page meets bad values, odd links and odd files, in Chromium at 1366x768 and 390x844 (issues 29.5, 30.5,
30.6, 30.8): each is said in one sentence in the visitor's words where the eye is, nothing runs or changes on its
own, the action of each tab stays in view with what it makes, and the server log holds no traceback.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    DESKTOP,
    DREAM_WAIT_MS,
    PHONE,
    new_page,
    open_advanced,
    open_app,
    overlaps,
    screenshot,
    upload,
)
from tests.support.odd_images import png_claiming
from tests.support.photos import skimage_photo


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def logged_since(app_server, start: int) -> str:
    with app_server.log.open("rb") as log:
        log.seek(start)
        return log.read().decode(errors="replace")


def in_view(page: Page, selector: str, viewport: dict[str, int]) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


def type_into(page: Page, control: str, text: str) -> None:
    """Put ``text`` in a slider's number box (as a paste does: at once), then leave the box."""
    box = page.locator(f"#{control} input[type=number]")
    box.fill(text)
    page.locator("#title").click()  # focus leaves the box: Gradio's slider clamped it here


def test_a_bad_value_in_advanced_is_said_in_the_status_and_nothing_runs(
    desktop: Page, app_server, cat_png: Path
) -> None:
    page, logged = desktop, app_server.log.stat().st_size
    open_app(page, app_server.url)
    upload(page, cat_png)
    open_advanced(page)
    status = page.locator("#status")
    for control, typed, said in (
        ("steps", "0", "Steps per octave: must be from 1 to 100, got 0."),
        ("octave-scale", "", "Octave scale: must be a number from 1.05 to 2.5, got no number."),
        # A number box cannot read 1e999: the browser holds it as no value (and Gradio's box made it the maximum).
        ("octave-scale", "1e999", "Octave scale: must be a number from 1.05 to 2.5, got no number."),
    ):
        type_into(page, control, typed)
        kept = "" if typed == "1e999" else typed
        expect(page.locator(f"#{control} input[type=number]")).to_have_value(kept)  # not clamped when left
        page.locator("#dream").click()
        expect(status).to_contain_text(said)
        expect(page.locator("#dream-result img")).to_have_count(0)  # no dream ran
        expect(page.locator("#stop")).to_be_hidden()
        page.locator("#copy-link").click()  # no link carries a value the visitor did not type
        expect(page.locator("#link textarea, #link input").first).to_have_value("")
        expect(status).to_contain_text(said)
        expect(page.locator(f"#{control} input[type=number]")).to_have_value(kept)
        type_into(page, control, "2" if control == "steps" else "1.4")
    expect(page.locator(".toast-body")).to_have_count(0)  # Gradio's "Value 0 is less than minimum value 1." toast
    screenshot(page, "bad-value-in-advanced")
    log = logged_since(app_server, logged)
    assert "Traceback" not in log and "less than minimum" not in log, log[-3000:]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE])
def test_a_link_with_bad_values_opens_with_a_closable_note_in_the_visitors_words(
    browser: Browser,
    app_server,
    viewport: dict[str, int],
) -> None:
    page = new_page(browser, viewport)
    try:
        query = "?layers=blocks.99;<script>alert(1)</script>&max_size=9999&preset=nope&colour=red&steps=7"
        open_app(page, app_server.url + query)
        note = page.locator("#link-note")
        expect(note).to_be_visible()
        for said in (
            "What it dreams of: EfficientNet-Lite0 has no layer 'blocks.99'",
            "What it dreams of: EfficientNet-Lite0 has no layer '<script>alert(1)</script>'",  # shown, not run
            "Max size (px): must be from 32 to 4096, got 9999",
            "Look: there is no look called 'nope' here",
            "colour: this page has no such setting",
        ):
            expect(note).to_contain_text(said)
        expect(note).not_to_contain_text("max_size")
        expect(note).not_to_contain_text("python -m")
        expect(page.locator("#status")).to_contain_text("This link set the controls, except the values the note")
        expect(page.locator("#status")).not_to_contain_text("every control")
        expect(page.locator("#layer input")).to_have_value(re.compile(r"^blocks\.4 — "))  # the default: dreamable
        assert in_view(page, "#dream", viewport), "the note pushed Dream below the fold"
        screenshot(page, f"link-note-{viewport['width']}")
        page.locator("#link-note-close").click()
        expect(note).to_be_hidden()
        expect(page.locator("#link-note-close")).to_be_hidden()
    finally:
        page.context.close()


def test_a_dream_that_fails_after_it_started_leaves_no_photo_as_its_result(
    desktop: Page, app_server, cat_png: Path
) -> None:
    page = desktop
    open_app(page, app_server.url + "?steps=1&octaves=1&max_size=64")
    upload(page, cat_png)
    layer = page.locator("#layer input")
    layer.fill("blocks.99")  # the dropdown takes any module path; the network has no such layer
    layer.press("Enter")
    page.locator("#dream").click()
    expect(page.locator("#status")).to_contain_text(
        "What it dreams of: EfficientNet-Lite0 has no layer 'blocks.99'", timeout=DREAM_WAIT_MS
    )
    expect(page.locator("#dream-result img")).to_have_count(0)  # not the undreamed photo, as if it were the dream
    expect(page.locator("#stop")).to_be_hidden()


def test_a_jpeg_dropped_for_settings_is_answered_next_to_the_box(desktop: Page, app_server, tmp_path: Path) -> None:
    page = desktop
    jpeg = tmp_path / "chelsea.jpg"
    skimage_photo("chelsea", 64).save(jpeg)
    open_app(page, app_server.url + "?steps=7")
    page.locator("#settings-from input[type=file]").set_input_files(str(jpeg))
    about = page.locator("#settings-from-about")
    expect(about).to_contain_text("chelsea.jpg has no settings to use: the file is not a PNG, GIF or MP4")
    expect(about).to_contain_text("Only dreams made here carry them")
    expect(page.locator(".toast-body")).to_have_count(0)  # not Gradio's "Invalid file type" toast
    open_advanced(page)
    expect(page.locator("#steps input[type=number]")).to_have_value("7")  # no control changed
    screenshot(page, "settings-from-a-jpeg")


def test_a_12000_px_upload_is_refused_before_pillow_warns(
    desktop: Page, app_server, tmp_path: Path, cat_png: Path
) -> None:
    bomb = tmp_path / "huge.png"
    bomb.write_bytes(png_claiming(12000, 12000))
    logged = app_server.log.stat().st_size
    open_app(desktop, app_server.url)
    # A photo first: the page then updates the photo box, which Gradio rebuilds; the rebuilt box decoded the next
    # upload with Pillow itself, before our check (two DecompressionBombWarnings: the photo's two handlers).
    upload(desktop, cat_png)
    desktop.locator("#photo input[type=file]").set_input_files(str(bomb))
    expect(desktop.locator("#status")).to_contain_text("The image is 12000x12000 pixels; the limit is 50 megapixels")
    log = logged_since(app_server, logged)
    assert "DecompressionBombWarning" not in log and "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize(
    ("tab", "action", "stop", "made"),
    [
        ("Zoom animation", "#animate", "#anim-stop", "#anim-live"),
        ("Video", "#dream-video", "#video-stop", "#video-live"),
        ("Compare", "#compare", "#compare-stop", "#compare-sheet"),
    ],
)
def test_each_tabs_action_is_in_view_with_what_it_makes_and_stop_only_while_it_runs(
    desktop: Page, app_server, tab: str, action: str, stop: str, made: str
) -> None:
    page = desktop
    open_app(page, app_server.url)
    page.get_by_role("tab", name=tab).click()
    expect(page.locator(action)).to_be_visible()
    expect(page.locator(stop)).to_be_hidden()  # nothing runs
    assert in_view(page, action, DESKTOP) and in_view(page, made, DESKTOP)
    made_box, action_box = page.locator(made).bounding_box(), page.locator(action).bounding_box()
    assert made_box and action_box and 0 <= action_box["y"] - (made_box["y"] + made_box["height"]) < 40, "under it"
    screenshot(page, f"tab-{tab.split()[0].lower()}-1366")


def test_zoom_shows_stop_while_it_renders_and_its_label_stays_clear(desktop: Page, app_server, cat_png: Path) -> None:
    page = desktop
    open_app(page, app_server.url + "?steps=1&octaves=1")
    page.get_by_role("tab", name="Zoom animation").click()
    page.locator("#anim-start input[type=file]").set_input_files(str(cat_png))
    expect(page.locator("#anim-start img")).to_be_visible()
    label = page.locator("#anim-start [data-testid=block-label]")
    label_box = label.bounding_box()
    buttons = page.locator("#anim-start button:visible").all()
    assert label_box and buttons
    for button in buttons:  # once a picture is in, its corner buttons (full screen, clear) show
        box = button.bounding_box()
        assert box and not overlaps(label_box, box), f"{button.get_attribute('aria-label')} over the label"
    type_into(page, "anim-frames", "2")
    type_into(page, "anim-size", "64")
    page.locator("#animate").click()
    expect(page.locator("#anim-stop")).to_be_visible()
    expect(page.locator("#anim-status")).to_contain_text("Done", timeout=DREAM_WAIT_MS)
    expect(page.locator("#anim-stop")).to_be_hidden()


def test_a_one_step_dream_serves_its_pictures_whole(desktop: Page, app_server, cat_png: Path) -> None:
    """The h11 "Too much data for declared Content-Length" came after 1-step dreams: the first frame was saved
    again, in place, as the slider's "before" picture while the browser fetched it."""
    logged = app_server.log.stat().st_size
    open_app(desktop, app_server.url + "?steps=1&octaves=1&max_size=128")
    upload(desktop, cat_png)
    for _ in range(3):
        desktop.locator("#dream").click()
        expect(desktop.locator("#status")).to_contain_text("Done", timeout=DREAM_WAIT_MS)
        expect(desktop.locator("#compare img")).to_have_count(2)
    for image in desktop.locator("#dream-result img, #compare img").all():
        src = image.get_attribute("src")
        assert src
        Image.open(io.BytesIO(desktop.request.get(src).body())).load()  # whole pictures
    log = logged_since(app_server, logged)
    assert "LocalProtocolError" not in log and "Traceback" not in log, log[-3000:]
