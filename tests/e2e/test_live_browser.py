"""The Live tab in a real Chromium whose camera is a fake one playing a test clip (a pan across a photo).

Chromium's ``--use-fake-device-for-media-stream`` gives the page a camera and ``--use-file-for-fake-video-capture``
makes it play our clip; ``--use-fake-ui-for-media-stream`` answers the permission prompt with yes. The app runs
with a 12 s time limit and one visitor at a time, so both limits can be seen to work in one test.
Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from deepdream_core.files.records import read_record
from tests.e2e.test_browser import CHROMIUM, screenshot
from tests.support.app_server import AppServer, running_app
from tests.support.live_scenes import panning_scene, write_y4m

LIVE_SECONDS = 12
# Cold model load on a CPU shared with other work: generous bounds for waits, never asserted on.
FIRST_FRAME_WAIT_S = 120
BASE_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    env = {"DEEPDREAM_LIVE_SECONDS": str(LIVE_SECONDS), "DEEPDREAM_LIVE_VISITORS": "1"}
    with running_app(tmp_path_factory.mktemp("live-app"), env) as server:
        yield server


@pytest.fixture(scope="module")
def camera_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[np.ndarray]]:
    frames = panning_scene(30, (320, 240))
    path = write_y4m(frames, tmp_path_factory.mktemp("camera") / "camera.y4m")
    return path, [np.asarray(frame) for frame in frames]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def camera_browser(playwright: Playwright, camera_clip: tuple[Path, list[np.ndarray]]) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *BASE_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera_clip[0]}",
        ],
    )
    yield browser
    browser.close()


def new_page(browser: Browser, width: int = 1400, height: int = 1000) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": width, "height": height}, permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    return context, page


def open_live_tab(page: Page) -> None:
    """Click the Live tab, in the overflow menu where a narrow screen puts it."""
    tab = page.get_by_role("tab", name="Live")
    expect(page.get_by_role("tab", name="Photo")).to_be_visible()
    if tab.is_visible():
        tab.click()
    else:
        page.locator(".overflow-menu > button").first.click()
        page.locator(".overflow-dropdown button", has_text="Live").click()


def start_camera(page: Page, url: str) -> None:
    page.goto(url)
    open_live_tab(page)
    page.get_by_text("Click to Access Webcam").click()
    page.locator("#live-camera button:has([title='start recording'])").click()


def dream_src(page: Page) -> str | None:
    image = page.locator("#live-dream img")
    return image.first.get_attribute("src") if image.count() else None


def wait_for_new_dream(page: Page, after: str | None, timeout_s: float) -> str | None:
    """The dream's URL once it differs from ``after``; None if none came in ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        src = dream_src(page)
        if src and src != after:
            return src
        time.sleep(0.1)
    return None


def fetch_image(page: Page, src: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.request.get(src).body())).convert("RGB"), np.float32)


def test_dreamed_frames_stream_back_and_pause_and_snapshot_work(
    live_server: AppServer, camera_browser: Browser, camera_clip: tuple[Path, list[np.ndarray]]
) -> None:
    context, page = new_page(camera_browser)
    try:
        start_camera(page, live_server.url)
        first = wait_for_new_dream(page, None, FIRST_FRAME_WAIT_S)
        assert first, "no dreamed frame arrived"
        latest = first
        for _ in range(5):
            src = wait_for_new_dream(page, latest, 10)
            assert src, "dreamed frames stopped arriving"
            latest = src
        expect(page.locator("#live-fps")).to_contain_text(re.compile(r"[1-9][\d.]* frames/s"))
        # The dream differs from every camera frame (as sent, or mirrored as Gradio's webcam shows it).
        dream = fetch_image(page, latest)
        height, width = dream.shape[:2]
        closest = min(
            float(np.abs(dream - np.asarray(Image.fromarray(f).resize((width, height)), np.float32)).mean())
            for frame in camera_clip[1]
            for f in (frame, frame[:, ::-1].copy())
        )
        assert closest > 3  # grey levels; the camera's own noise and JPEG are about 2
        screenshot(page, "live-desktop")

        page.locator("#live-pause").click()
        expect(page.locator("#live-pause")).to_have_text(re.compile("Resume"))
        expect(page.locator("#live-fps")).to_contain_text("Paused")
        held = dream_src(page)
        assert wait_for_new_dream(page, held, 3) is None  # paused: the dream stays
        page.locator("#live-pause").click()
        expect(page.locator("#live-pause")).to_have_text(re.compile("Pause"))
        assert wait_for_new_dream(page, held, 20), "Resume did not bring the dream back"

        page.locator("#live-snapshot").click()
        link = page.locator("#live-snap-file a[download]").first
        expect(link).to_be_visible()
        with page.expect_download() as download:
            link.click()
        saved = download.value.path()
        record = read_record(saved)
        assert record["kind"] == "live" and record["preset"] == "eyes"
    finally:
        context.close()


def test_the_tab_on_a_phone(live_server: AppServer, camera_browser: Browser) -> None:
    context, page = new_page(camera_browser, 390, 844)
    try:
        start_camera(page, live_server.url)
        assert wait_for_new_dream(page, None, FIRST_FRAME_WAIT_S), "no dreamed frame arrived on the phone"
        expect(page.locator("#live-snapshot")).to_be_visible()
        screenshot(page, "live-phone")
        page.locator("#live-camera button:has([title='stop recording'])").click()
    finally:
        context.close()


def test_time_limit_ends_a_visit_and_the_next_visitor_waits_for_the_one_slot(
    live_server: AppServer, camera_browser: Browser
) -> None:
    first_context, first = new_page(camera_browser)
    second_context, second = new_page(camera_browser)
    try:
        start_camera(first, live_server.url)
        src = wait_for_new_dream(first, None, FIRST_FRAME_WAIT_S)
        assert src, "the first visitor got no dream"
        started = time.monotonic()
        start_camera(second, live_server.url)
        # While the first visitor holds the one slot, the second gets nothing; the first keeps dreaming
        # until its time limit, then stops.
        last_change = started
        while time.monotonic() - started < LIVE_SECONDS + 15:
            now_src = dream_src(first)
            if now_src != src:
                src, last_change = now_src, time.monotonic()
            if dream_src(second):
                break
            time.sleep(0.1)
        second_started = time.monotonic()
        assert dream_src(second), "the second visitor never got the slot after the first one's time limit"
        assert last_change - started < LIVE_SECONDS + 2  # the first visit ended at its limit
        assert second_started - started > LIVE_SECONDS / 2  # the second waited its turn
        assert wait_for_new_dream(first, src, 3) is None  # and the first visitor's dream stays stopped
    finally:
        first_context.close()
        second_context.close()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--use-fake-device-for-media-stream"], "The camera was refused"),  # a camera, but no permission
        (["--use-fake-ui-for-media-stream"], "No camera found"),  # permission, but no camera
    ],
)
def test_a_refused_or_missing_camera_gets_a_message(
    live_server: AppServer, playwright: Playwright, flags: list[str], message: str
) -> None:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*BASE_ARGS, *flags])
    try:
        page = browser.new_page()
        page.goto(live_server.url)
        open_live_tab(page)
        expect(page.locator("#live-camera-note")).to_contain_text(message, timeout=30_000)
    finally:
        browser.close()
