"""A real browser (Debian's Chromium, headless, via Playwright) against the launched app.

Screenshots land in test-artifacts/ (gitignored) so a person can look at what the tests saw.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from deepdream_core import DreamSettings, LayerTarget, dream_record, save_png
from tests.support import ABOUT, REPO, said_seconds
from tests.support.app_server import AppServer, running_app
from tests.support.photos import skimage_photo

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
# Cold model load and a CPU shared with other work: generous bounds for waits, never asserted on.
DREAM_WAIT_MS = 240_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def cat_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "chelsea.png"
    skimage_photo("chelsea", 128).save(path)
    return path


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def screenshot_between(page: Page, top: str, bottom: str, name: str) -> None:
    """A picture of the page from the top of one element to the bottom of another, as wide as the first."""
    ARTIFACTS.mkdir(exist_ok=True)
    first, last = page.locator(top).bounding_box(), page.locator(bottom).bounding_box()
    assert first is not None and last is not None
    height = last["y"] + last["height"] - first["y"]
    clip = {"x": first["x"], "y": first["y"], "width": first["width"], "height": height}
    page.screenshot(path=ARTIFACTS / f"{name}.png", clip=clip, full_page=True)


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#dream")).to_be_visible()


def upload(page: Page, photo: Path) -> None:
    page.locator("#photo input[type=file]").set_input_files(str(photo))
    expect(page.locator("#status")).to_contain_text("Ready")


def open_advanced(page: Page) -> None:
    page.locator("#advanced").get_by_text("Advanced: every setting").click()
    expect(page.locator("#steps input[type=number]")).to_be_visible()


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
    screenshot(page, "link-restored")


def test_a_link_with_bad_values_opens_with_a_note_naming_them(page: Page, app_server) -> None:
    open_app(page, app_server.url + "?steps=1000&colour=blue&octaves=3")
    note = page.locator("#link-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("steps: must be from 1 to 100, got 1000")
    expect(note).to_contain_text("colour: unknown setting")
    open_advanced(page)
    expect(page.locator("#octaves input[type=number]")).to_have_value("3")  # the good value is kept
    screenshot(page, "link-with-bad-values")


def test_stop_ends_a_run_and_keeps_the_last_frame(page: Page, app_server, cat_png: Path) -> None:
    open_app(page, app_server.url + "?steps=100&octaves=4")
    upload(page, cat_png)
    page.locator("#dream").click()
    expect(page.locator("#status")).to_contain_text("Dreaming", timeout=DREAM_WAIT_MS)
    expect(page.locator("#dream-result img")).to_have_attribute("src", re.compile(r"."))
    page.locator("#stop").click()
    expect(page.locator("#status")).to_contain_text("Stopped")
    expect(page.locator("#dream-result img")).to_have_attribute("src", re.compile(r"."))
    screenshot(page, "stopped")


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
    screenshot_between(page, "#layer", "#estimate", "estimate")

    open_advanced(page)
    page.locator("#steps input[type=number]").fill("60")
    page.locator("#steps input[type=number]").press("Tab")
    # 6x the steps (from 10): the estimate follows the change.
    deadline = time.monotonic() + 60
    while said_seconds(estimate.inner_text()) <= quick * 4 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert said_seconds(estimate.inner_text()) > quick * 4, estimate.inner_text()
    expect(estimate).to_contain_text("a first guess")  # the cost the two were computed with never changed


PHONE = {"width": 390, "height": 844}


def test_on_a_phone_the_photo_a_look_and_dream_fit_the_first_screen(
    browser: Browser, app_server, cat_png: Path
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_app(page, app_server.url)
        first_look = page.locator("#preset-gallery button.thumbnail-item").first
        for part in (page.locator("#photo"), first_look, page.locator("#dream")):
            box = part.bounding_box()
            assert box is not None and box["y"] + box["height"] <= PHONE["height"], "reachable without scrolling"
        assert page.locator("#preset-gallery").bounding_box()["height"] < PHONE["height"] / 4, "one row of looks"
        screenshot(page, "phone")

        upload(page, cat_png)
        first_look.click()
        page.locator("#dream").click()
        expect(page.locator("#dream-result")).to_be_in_viewport()  # scrolled to as the dream starts
        expect(page.locator("#status")).to_contain_text("Done", timeout=DREAM_WAIT_MS)
        screenshot(page, "phone-dreamed")
    finally:
        context.close()


def test_compare_tab_makes_one_sheet_and_offers_it_as_a_png(page: Page, app_server, cat_png: Path) -> None:
    open_app(page, app_server.url + "?octaves=1")
    page.get_by_role("tab", name="Compare").click()
    page.locator("#compare-photo input[type=file]").set_input_files(str(cat_png))
    page.locator("#compare-values textarea, #compare-values input").first.fill("1, 2, 3")
    page.locator("#compare").click()
    expect(page.locator("#compare-status")).to_contain_text("3 dreams", timeout=DREAM_WAIT_MS)
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
    screenshot(page, "settings-from-a-dream")
