"""A real browser (Debian's Chromium, headless, via Playwright) against the launched app.

Screenshots land in test-artifacts/ (gitignored) so a person can look at what the tests saw.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

from deepdream_core import DreamSettings, LayerTarget, dream_record, save_png
from deepdream_core.files.presets import load_preset
from tests.support import ABOUT, said_seconds
from tests.support.app_server import AppServer, running_app
from tests.support.browser import (
    ARTIFACTS,
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
from tests.support.photos import skimage_photo


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def screenshot_between(page: Page, top: str, bottom: str, name: str) -> None:
    """A picture of the page from the top of one element to the bottom of another, as wide as the first."""
    ARTIFACTS.mkdir(exist_ok=True)
    first, last = page.locator(top).bounding_box(), page.locator(bottom).bounding_box()
    assert first is not None and last is not None
    height = last["y"] + last["height"] - first["y"]
    clip = {"x": first["x"], "y": first["y"], "width": first["width"], "height": height}
    page.screenshot(path=ARTIFACTS / f"{name}.png", clip=clip, full_page=True)


def test_upload_pick_a_look_dream_and_share(page: Page, app_server, cat_png: Path) -> None:
    open_app(page, app_server.url)
    upload(page, cat_png)
    page.locator("#preset-gallery button.thumbnail-item").first.click()
    expect(page.locator("#preset input")).to_have_value("Brush strokes")
    expect(page.locator("#preset-about")).to_contain_text("brush strokes and hatching")

    page.locator("#dream").click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=DREAM_WAIT_MS)
    result = page.locator("#dream-result img")
    expect(result).to_have_attribute("src", re.compile(r"deepdream\.png"))
    expect(page.locator("#download")).to_be_visible()
    expect(page.locator("#compare img")).to_have_count(2)
    screenshot(page, "dreamed")

    page.locator("#copy-link").click()
    expect(page.locator("#link textarea, #link input").first).to_have_value(re.compile(r"\?preset=brush-strokes$"))


def test_a_share_link_restores_the_controls(page: Page, app_server) -> None:
    open_app(page, app_server.url + "?preset=more-cat&steps=7&octave_scale=1.6&layers=blocks.2:0.5")
    expect(page.locator("#preset input")).to_have_value("Make it a cat")
    expect(page.locator("#layer input")).to_have_value(re.compile(r"^blocks\.2 — "))
    open_advanced(page)
    expect(page.locator("#steps input[type=number]")).to_have_value("7")
    expect(page.locator("#octaves input[type=number]")).to_have_value("5")  # from the preset
    expect(page.locator("#octave-scale input[type=number]")).to_have_value("1.6")
    expect(page.locator("#layer-weight input[type=number]")).to_have_value("0.5")
    expect(page.locator("#class-target input")).to_have_value("tabby, tabby cat")
    expect(page.locator("#link-note")).to_be_hidden()
    expect(page.locator("#status")).to_contain_text("This link set every control: Make it a cat")
    expect(page.locator("#preset-about")).to_contain_text(load_preset("more-cat").description)
    screenshot(page, "link-restored")


def test_a_link_with_bad_values_opens_with_a_note_naming_them(page: Page, app_server) -> None:
    open_app(page, app_server.url + "?steps=1000&colour=blue&octaves=3&model=nosuchnet")
    note = page.locator("#link-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("there is no network called 'nosuchnet' here; this page offers EfficientNet-Lite0")
    expect(note).not_to_contain_text("python -m")
    expect(note).to_contain_text("Steps per octave: must be from 1 to 100, got 1000")  # the control's label
    expect(note).to_contain_text("colour: this page has no such setting")
    open_advanced(page)
    expect(page.locator("#octaves input[type=number]")).to_have_value("3")  # the good value is kept
    screenshot(page, "link-with-bad-values")


def shown_picture(page: Page) -> tuple[bytes, tuple[int, int]]:
    """The bytes of the file the result shows, and its size in pixels (not the size it is drawn at)."""
    result = page.locator("#dream-result img")
    # The status and the picture's new address arrive together; the picture itself loads after.
    result.evaluate(
        "img => img.complete && img.naturalWidth ? null : new Promise(done => { img.onload = img.onerror = done; })"
    )
    size = result.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    return page.request.get(result.get_attribute("src")).body(), (size[0], size[1])


def downloaded(page: Page) -> bytes:
    with page.expect_download() as download:
        page.locator("#download").click()
    return Path(download.value.path()).read_bytes()


def test_stop_keeps_the_picture_on_screen_at_full_size_for_download_and_go_deeper(
    page: Page, app_server, tmp_path: Path
) -> None:
    cat = tmp_path / "chelsea.png"
    skimage_photo("chelsea", 451).save(cat)  # 451x300: the first of 3 octaves is dreamed at about half that
    open_app(page, app_server.url + "?steps=100&octaves=3&max_size=451")
    upload(page, cat)
    for before in ("#stop", "#deeper", "#download", "#remix-row", "#compare"):  # nothing to act on yet
        expect(page.locator(before)).to_be_hidden()
    page.locator("#dream").click()
    expect(page.locator("#status")).to_contain_text(re.compile(r"Octave 1 of 3 · step \d+"), timeout=DREAM_WAIT_MS)
    expect(page.locator("#stop")).to_be_visible()
    for hidden in ("#deeper", "#download", "#remix-row"):
        expect(page.locator(hidden)).to_be_hidden()
    page.locator("#stop").click()
    # Stopped in octave 1 or 2 (each 100 steps), where the preview is smaller than the photo.
    expect(page.locator("#status")).to_contain_text(re.compile(r"Stopped at octave [12] of 3 · step \d+ of 100"))
    expect(page.locator("#status")).to_contain_text("at full size (451×300 px)")
    expect(page.locator("#dream-result img")).to_have_attribute("src", re.compile(r"deepdream\.png"))
    expect(page.locator("#stop")).to_be_hidden()
    shown, size = shown_picture(page)
    assert size == (451, 300), "the full working size, not the preview of the first octave"
    assert downloaded(page) == shown, "Download saves exactly the picture on screen"
    record = json.loads(Image.open(io.BytesIO(shown)).text["deepdream"])
    assert record["stopped"]["octave"] in (1, 2) and record["settings"]["steps"] == 100
    screenshot(page, "stopped")

    page.locator("#deeper").click()  # Go deeper dreams that picture, at its full size
    expect(page.locator("#status")).to_contain_text("Dreaming… Octave", timeout=DREAM_WAIT_MS)
    page.locator("#stop").click()
    expect(page.locator("#status")).to_contain_text("Stopped at octave", timeout=DREAM_WAIT_MS)
    deeper, size = shown_picture(page)
    assert size == (451, 300) and deeper != shown and downloaded(page) == deeper


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}])
def test_dream_and_stop_sit_under_the_result_in_view_with_one_progress_display(
    browser: Browser, app_server, tmp_path: Path, viewport: dict[str, int]
) -> None:
    astronaut = tmp_path / "astronaut.png"
    skimage_photo("astronaut", 512).save(astronaut)  # 4 octaves of 100 steps: a run long enough to look at
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_app(page, app_server.url + "?steps=100&octaves=4&max_size=512")
        upload(page, astronaut)
        page.locator("#dream").click()
        expect(page.locator("#stop")).to_be_visible(timeout=DREAM_WAIT_MS)
        expect(page.locator("#status")).to_contain_text("Octave", timeout=DREAM_WAIT_MS)
        result, dream, stop, status = (
            page.locator(part).bounding_box() for part in ("#dream-result", "#dream", "#stop", "#status")
        )
        assert result and dream and stop and status
        assert dream["y"] >= result["y"] + result["height"] and stop["y"] == dream["y"], "under the result"
        assert dream["y"] - (result["y"] + result["height"]) < 40, "right under it"
        for part in (result, dream, stop, status):  # the live preview, the buttons and the status: one view
            assert part["y"] >= 0 and part["y"] + part["height"] <= viewport["height"]
        # One progress display: the status line, with no progress overlay of Gradio's anywhere on the page.
        expect(page.locator(".progress-text:visible, .eta-bar:visible")).to_have_count(0)
        screenshot(page, f"dreaming-{viewport['width']}")
        page.locator("#stop").click()
        expect(page.locator("#status")).to_contain_text("Stopped")
    finally:
        context.close()


def test_a_file_that_is_not_a_picture_is_said_once_in_the_status_and_taken_out(
    page: Page, app_server, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture")
    open_app(page, app_server.url)
    page.locator("#photo input[type=file]").set_input_files(str(notes))
    status = page.locator("#status")
    expect(status).to_contain_text("This is not an image format we read; upload a JPEG, PNG")  # a capital letter
    expect(page.locator("#photo img")).to_have_count(0)  # no broken image left in the box
    expect(page.locator(".toast-body")).to_have_count(0)  # said once, where the eye is; no toast
    expect(page.get_by_text("Error", exact=True)).to_have_count(0)  # and no red badge
    screenshot(page, "not-a-picture")
    # Go deeper is not there before any dream; after a good photo the status moves on.
    expect(page.locator("#deeper")).to_be_hidden()
    page.locator("#preset-gallery button.thumbnail-item").nth(1).click()
    expect(status).to_contain_text("Swirls and scales is set: add a photo")


def test_video_tab_dreams_an_uploaded_clip_and_plays_it(page: Page, app_server, tmp_path: Path) -> None:
    from tests.support.clips import make_clip

    open_app(page, app_server.url)
    page.get_by_role("tab", name="Video").click()
    page.locator("#video-clip input[type=file]").set_input_files(str(make_clip(tmp_path / "pan.mp4", frames=4)))
    page.locator("#video-look input").click()
    page.get_by_role("option", name="Eyes everywhere").click()
    page.locator("#dream-video").click()
    expect(page.locator("#video-status")).to_contain_text("with the clip's sound", timeout=DREAM_WAIT_MS)
    expect(page.locator("#video-result video")).to_have_attribute("src", re.compile(r"deepdream-video\.mp4$"))
    expect(page.locator("#video-live img")).to_be_visible()
    screenshot(page, "video-dreamed")


def test_the_layer_atlas_sets_the_layer_and_the_channel_atlas_the_channel(
    page: Page, app_server, cat_png: Path
) -> None:
    open_app(page, app_server.url)
    upload(page, cat_png)
    page.locator("#layer-atlas").get_by_text("See what each layer draws").click()
    pictures = page.locator("#atlas-gallery button.thumbnail-item")
    expect(pictures).to_have_count(8)
    expect(page.locator("#atlas-gallery")).to_contain_text("blocks.5.0: dog faces, birds and creatures")
    pictures.nth(1).click()
    expect(page.locator("#layer input")).to_have_value(re.compile(r"^blocks\.2 — "))
    screenshot(page, "layer-atlas")

    page.locator("#atlas-channels").click()
    channels = page.locator("#channel-gallery button.thumbnail-item")
    expect(channels).to_have_count(12, timeout=DREAM_WAIT_MS)
    label = channels.nth(2).locator(".caption-label").inner_text()  # "channel 17"
    channels.nth(2).click()
    open_advanced(page)
    expect(page.locator("#channels textarea, #channels input").first).to_have_value(label.split()[-1])
    screenshot(page, "channel-atlas")


def test_a_network_without_its_atlas_yet_keeps_its_layer_list(page: Page, app_server) -> None:
    open_app(page, app_server.url)
    page.locator("#layer-atlas").get_by_text("See what each layer draws").click()
    page.locator("#model input").click()
    page.get_by_role("option", name=re.compile(r"^ResNet-50")).click()
    expect(page.locator("#atlas-note")).to_contain_text("not rendered yet")
    expect(page.locator("#atlas-render")).to_be_visible()
    expect(page.locator("#atlas-gallery")).to_be_hidden()
    expect(page.locator("#layer input")).to_have_value(re.compile(r"^layer3 — "))
    screenshot(page, "layer-atlas-not-ready")


def test_remix_dreams_again_with_one_change_and_the_link_shows_it(page: Page, app_server, cat_png: Path) -> None:
    open_app(page, app_server.url + "?steps=2&octaves=1")
    upload(page, cat_png)
    expect(page.locator("#remix-row")).to_be_hidden()  # nothing to remix before the first dream
    page.locator("#dream").click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=DREAM_WAIT_MS)
    page.locator("#remix-what input").click()
    page.get_by_role("option", name="Steps per octave").click()
    page.locator("#remix-value textarea, #remix-value input").first.fill("3")
    page.locator("#remix").click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=DREAM_WAIT_MS)
    expect(page.locator("#dream-result img")).to_have_attribute("src", re.compile(r"deepdream\.png"))
    open_advanced(page)
    expect(page.locator("#steps input[type=number]")).to_have_value("3")
    page.locator("#copy-link").click()
    expect(page.locator("#link textarea, #link input").first).to_have_value(re.compile(r"steps=3(&|$)"))
    screenshot(page, "remixed")


@pytest.fixture
def undreamed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """An app where nothing has been dreamed: the estimate's cost is the built-in figure and stays so.

    In the shared app every finished dream refines the cost (a moving average), so what a duration reads
    depends on which tests ran before, and a dream of an earlier test still finishing can change it between
    two readings of one test. Stopped after its test, so later tests do not share the CPU with it.
    """
    workdir = tmp_path_factory.mktemp("undreamed")
    with running_app(workdir) as server:
        yield server


def test_the_time_estimate_shows_next_to_dream_and_follows_the_settings(
    page: Page, undreamed_app: AppServer, tmp_path: Path
) -> None:
    astronaut = tmp_path / "astronaut.png"
    skimage_photo("astronaut", 512).save(astronaut)
    open_app(page, undreamed_app.url + "?max_size=512")
    upload(page, astronaut)
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text(re.compile(rf"{ABOUT} on this machine \(a first guess", re.IGNORECASE))
    quick = said_seconds(estimate.inner_text())
    screenshot_between(page, "#dream-row", "#estimate", "estimate")

    open_advanced(page)
    page.locator("#steps input[type=number]").fill("60")
    page.locator("#steps input[type=number]").press("Tab")
    # 6x the steps (from 10): the estimate follows the change.
    deadline = time.monotonic() + 60
    while said_seconds(estimate.inner_text()) <= quick * 4 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert said_seconds(estimate.inner_text()) > quick * 4, estimate.inner_text()
    expect(estimate).to_contain_text("a first guess")  # the cost the two were computed with never changed


def test_on_a_phone_the_photo_a_look_and_dream_fit_the_first_screen(
    browser: Browser, app_server, cat_png: Path
) -> None:
    page = new_page(browser, PHONE)
    try:
        open_app(page, app_server.url)
        first_look = page.locator("#preset-gallery button.thumbnail-item").first
        for part in (page.locator("#photo"), first_look, page.locator("#dream")):
            box = part.bounding_box()
            assert box is not None and box["y"] + box["height"] <= PHONE["height"], "reachable without scrolling"
        assert page.locator("#preset-gallery").bounding_box()["height"] < PHONE["height"] / 4, "one row of looks"
        samples = [box["y"] for box in map(Locator.bounding_box, page.locator("#samples .gallery-item").all())]
        assert len(samples) >= 2 and len(set(samples)) == 1, "the samples in one row, none alone on a second"
        for tab in page.get_by_role("tab").all():  # every tab in view, none behind the "•••" menu
            expect(tab).to_be_visible()
            assert tab.evaluate("t => t.scrollWidth <= t.clientWidth"), f"{tab.inner_text()} is cut"
        assert page.get_by_role("tab").count() >= 4
        expect(page.locator(".overflow-menu:visible")).to_have_count(0)
        screenshot(page, "phone")

        upload(page, cat_png)
        first_look.click()
        page.locator("#dream").click()
        expect(page.locator("#dream-result")).to_be_in_viewport()  # scrolled to as the dream starts
        expect(page.locator("#status")).to_contain_text("Done", timeout=DREAM_WAIT_MS)
        screenshot(page, "phone-dreamed")
    finally:
        page.context.close()


def test_compare_tab_makes_one_sheet_and_offers_it_as_a_png(page: Page, app_server, cat_png: Path) -> None:
    open_app(page, app_server.url + "?octaves=1")
    page.get_by_role("tab", name="Compare").click()
    page.locator("#compare-photo input[type=file]").set_input_files(str(cat_png))
    expect(page.locator("#compare-size")).to_contain_text("Long side of each dream")
    values = page.locator("#compare-values textarea, #compare-values input").first
    values.fill("5, banana")
    page.locator("#compare").click()
    expect(page.locator("#compare-status")).to_contain_text(
        "Steps per octave: must be a whole number from 1 to 100, got 'banana'"
    )
    values.fill("1, 2")  # this against that: two values are a comparison
    page.locator("#compare").click()
    expect(page.locator("#compare-status")).to_contain_text("2 dreams", timeout=DREAM_WAIT_MS)
    expect(page.locator("#compare-sheet img")).to_have_attribute("src", re.compile(r"deepdream-sheet\.png"))
    expect(page.locator("#compare-download")).to_be_visible()
    page.locator("#compare-mode").get_by_text("Looks").click()
    expect(page.locator("#compare-looks")).to_be_visible()
    expect(page.locator("#compare-setting")).to_be_hidden()
    screenshot(page, "compare")


def test_a_dreamed_png_dropped_back_in_restores_every_control(page: Page, app_server, tmp_path: Path) -> None:
    """The file holds its settings: dropping it on "Use the settings of a dream" sets the controls as they were."""
    settings = DreamSettings(steps=7, octave_scale=1.6, layers=(LayerTarget("blocks.2", 0.5),), seed=42)
    dreamed = save_png(skimage_photo("chelsea", 64), tmp_path / "dreamed.png", dream_record(settings, "more-cat"))
    open_app(page, app_server.url)
    page.locator("#settings-from input[type=file]").set_input_files(str(dreamed))
    expect(page.locator("#preset input")).to_have_value("Make it a cat")
    expect(page.locator("#layer input")).to_have_value(re.compile(r"^blocks\.2 — "))
    open_advanced(page)
    expect(page.locator("#steps input[type=number]")).to_have_value("7")
    expect(page.locator("#octave-scale input[type=number]")).to_have_value("1.6")
    expect(page.locator("#layer-weight input[type=number]")).to_have_value("0.5")
    expect(page.locator("#seed input[type=number]")).to_have_value("42")
    expect(page.locator("#link-note")).to_be_hidden()
    # What was restored is said where the file was dropped (a toast, the box being at the foot of the page).
    expect(page.locator(".toast-body")).to_contain_text("This file set every control: Make it a cat")
    screenshot(page, "settings-from-a-dream")


CUT = "el => el.scrollWidth > el.clientWidth + 1"  # text wider than its box: cut off, or ending in "…"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE])
def test_every_label_reads_whole(browser: Browser, app_server, cat_png: Path, viewport: dict[str, int]) -> None:
    """Look names, the network, the before/after label and the Zoom tab's start image: none cut off."""
    page = new_page(browser, viewport)
    try:
        open_app(page, app_server.url + "?steps=1&octaves=1")
        captions = page.locator("#preset-gallery .caption-label")
        assert captions.count() >= 12
        cut = [caption.inner_text() for caption in captions.all() if caption.evaluate(CUT)]
        assert not cut, f"look names cut off: {cut}"
        assert not page.locator("#model input").evaluate(CUT), page.locator("#model input").input_value()
        upload(page, cat_png)
        page.locator("#dream").click()
        expect(page.locator("#compare")).to_be_visible(timeout=DREAM_WAIT_MS)
        label = page.locator("#compare label, #compare [data-testid=block-label]").first
        expect(label).to_have_text(re.compile(r"Before / after"))
        assert not label.evaluate(CUT)
        page.get_by_role("tab", name=re.compile(r"^Zoom")).click()
        start = page.locator("#anim-start [data-testid=block-label]")
        expect(start).to_have_text("Start image")
        start_box, button_box = start.bounding_box(), page.locator("#anim-use-photo").bounding_box()
        assert start_box and button_box and not start.evaluate(CUT)
        assert not overlaps(start_box, button_box), "no button over the label"
        screenshot(page, f"labels-{viewport['width']}")
    finally:
        page.context.close()
