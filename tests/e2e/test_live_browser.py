"""The Live tab in a real Chromium whose camera is a fake one playing a test clip (a pan across a photo).

Chromium's ``--use-fake-device-for-media-stream`` gives the page a camera and ``--use-file-for-fake-video-capture``
makes it play our clip; ``--use-fake-ui-for-media-stream`` answers the permission prompt with yes. The app runs
with a 30 s time limit and one visitor at a time, so both limits can be seen to work in one test.
Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import base64
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from bench.scenes import panning_scene
from deepdream_core.files.clips import read_clip
from deepdream_core.files.records import read_record
from tests.support.app_server import AppServer, running_app
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, screenshot
from tests.support.clips import write_y4m

LIVE_SECONDS = 30  # time for pause, resume, snapshot and Save within one start on a loaded machine
# Cold model load on a CPU shared with other work: generous bounds for waits, never asserted on.
FIRST_FRAME_WAIT_S = 120


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
def camera_browser(playwright: Playwright, camera_clip: tuple[Path, list[np.ndarray]]) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera_clip[0]}",
        ],
    )
    yield browser
    browser.close()


def new_page(browser: Browser, width: int = 1366, height: int = 768) -> tuple[BrowserContext, Page]:
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


def shown_image(src: str) -> np.ndarray:
    """The dream the page shows: it arrives inline, as a JPEG data URL (no file on the server)."""
    head, _, data = src.partition(",")
    assert head == "data:image/jpeg;base64", head[:40]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"), np.float32)


def drawn_width(page: Page, selector: str) -> float:
    """How wide the picture in an <img> or <video> is drawn (object-fit: contain inside its box), in CSS pixels."""
    return page.locator(selector).first.evaluate(
        """(el) => {
          const box = el.getBoundingClientRect();
          const w = el.naturalWidth || el.videoWidth, h = el.naturalHeight || el.videoHeight;
          return Math.min(box.width, box.height * w / h);
        }"""
    )


def download(page: Page, link_selector: str, index: int = 0) -> tuple[Path, str]:
    """The file behind a download link, and the name the page gives it."""
    link = page.locator(link_selector).nth(index)
    expect(link).to_be_visible(timeout=120_000)  # 10 s of frames encoded twice, on a loaded machine
    with page.expect_download() as download:
        link.click()
    return Path(download.value.path()), download.value.suggested_filename


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
        dream = shown_image(latest)
        height, width = dream.shape[:2]
        closest = min(
            float(np.abs(dream - np.asarray(Image.fromarray(f).resize((width, height)), np.float32)).mean())
            for frame in camera_clip[1]
            for f in (frame, frame[:, ::-1].copy())
        )
        assert closest > 3  # grey levels; the camera's own noise and JPEG are about 2
        # Drawn as large as the camera (at its own 256 px it was a stamp in a 655 px box).
        assert drawn_width(page, "#live-dream img") >= 0.9 * drawn_width(page, "#live-camera video")

        page.locator("#live-pause").click()
        expect(page.locator("#live-pause")).to_have_text(re.compile("Resume"))
        expect(page.locator("#live-fps")).to_contain_text("Paused")
        held = dream_src(page)
        assert wait_for_new_dream(page, held, 3) is None  # paused: the dream stays
        page.locator("#live-pause").click()
        expect(page.locator("#live-pause")).to_have_text(re.compile("Pause"))
        assert wait_for_new_dream(page, held, 20), "Resume did not bring the dream back"

        page.locator("#live-snapshot").click()
        record = read_record(download(page, "#live-snap-file a[download]")[0])
        assert record["kind"] == "live" and record["preset"] == "eyes"

        # Stop: the readout says so, instead of the last frames/s.
        screenshot(page, "live-desktop")  # the dream grown for a while (README's docs/live.jpg)
        page.locator("#live-camera button:has([title='stop recording'])").click()
        expect(page.locator("#live-fps")).to_contain_text("Stopped", timeout=15_000)
        expect(page.locator("#live-fps")).not_to_contain_text("ms per frame")
        screenshot(page, "live-desktop-stopped")

        # The last seconds of the dream, as an MP4 and a GIF carrying the settings, kept after Stop.
        page.locator("#live-record").click()
        saved = dict(reversed(download(page, "#live-record-files a[download]", index)) for index in (0, 1))
        assert sorted(Path(name).suffix for name in saved) == [".gif", ".mp4"], saved
        for path in saved.values():
            record = read_record(path)
            assert record["kind"] == "live" and record["preset"] == "eyes", record
        mp4 = next(path for name, path in saved.items() if name.endswith(".mp4"))
        assert len(read_clip(mp4, 1000, 1000).frames) >= 2
    finally:
        context.close()


def test_the_tab_on_a_phone(live_server: AppServer, camera_browser: Browser) -> None:
    """The dream leads and is in view while it streams; before, the camera's start is on the first screen."""
    context, page = new_page(camera_browser, 390, 844)
    try:
        page.goto(live_server.url)
        open_live_tab(page)
        start = page.get_by_text("Click to Access Webcam")
        expect(start).to_be_visible()
        box = start.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, box  # no scrolling to find it
        screenshot(page, "live-phone-before")
        start.click()
        page.locator("#live-camera button:has([title='start recording'])").click()
        latest = wait_for_new_dream(page, None, FIRST_FRAME_WAIT_S)
        assert latest, "no dreamed frame arrived on the phone"
        for _ in range(8):  # let the dream grow a little (README's docs/live-phone.jpg)
            latest = wait_for_new_dream(page, latest, 10) or latest
        dream, camera = page.locator("#live-dream").bounding_box(), page.locator("#live-camera").bounding_box()
        assert dream is not None and camera is not None
        screenshot(page, "live-phone")
        assert dream["y"] < camera["y"] and dream["height"] > camera["height"], (dream, camera)
        assert dream["y"] >= 0 and dream["y"] + dream["height"] <= 844, dream  # wholly on the screen
        for element in ("#live-fps", "#live-pause", "#live-snapshot", "#live-record"):
            expect(page.locator(element)).to_be_in_viewport()
        expect(page.locator("#live-fps")).to_contain_text("frames/s")
        page.locator("#live-camera button:has([title='stop recording'])").click()
        expect(page.locator("#live-fps")).to_contain_text("Stopped", timeout=15_000)
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
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *flags])
    try:
        page = browser.new_page()
        page.goto(live_server.url)
        open_live_tab(page)
        expect(page.locator("#live-camera-note")).to_contain_text(message, timeout=30_000)
    finally:
        browser.close()
