"""The Live tab's handlers, called as plain functions on the real engine (the browser side is in tests/e2e).

A camera frame reaches the handler as the page sends it: ``{"url": "data:image/jpeg;base64,..."}``, read by the
camera input's own preprocess (:func:`deepdream_studio.uploads.inline_frame`).
"""

from __future__ import annotations

import base64
import io
import os
import threading
import time
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from bench.scenes import still_scene
from deepdream_core.files.clips import read_clip
from deepdream_core.files.presets import all_presets
from deepdream_core.files.records import read_record
from deepdream_core.motion.live import LIVE_LOOK
from deepdream_studio.tabs import live
from deepdream_studio.tabs.replay import RECORD_FPS, Replay
from deepdream_studio.uploads import CameraPayload, inline_frame
from tests.support.live_stream import bytes_url, data_url
from tests.support.odd_images import png_claiming

pytestmark = pytest.mark.usefixtures("uploads")  # Gradio's upload folder: tests/studio/conftest.py


def sent(frame: object) -> bytes | None:
    """A frame as the camera input hands it to the handler."""
    return inline_frame(CameraPayload(root=frame))


def camera(count: int, size: tuple[int, int] = (96, 72)) -> list[bytes | None]:
    return [sent(data_url(frame, "PNG")) for frame in still_scene(count, size)]


def shown(dream: dict[str, str]) -> Image.Image:
    """The dream as the page shows it: the JPEG inside the data URL the handler returned, with no file path."""
    assert list(dream) == ["url"]
    head, _, data = dream["url"].partition(",")
    assert head == "data:image/jpeg;base64"
    return Image.open(io.BytesIO(base64.b64decode(data)))


def test_frames_stream_through_one_session_per_visitor_and_the_readout_counts_them() -> None:
    frames = camera(3)
    dreamed, text, state, watch = live.live_frame(frames[0], LIVE_LOOK, 0.5, 128, None)
    assert state is not None and shown(dreamed).size == (96, 72)
    assert isinstance(watch, gr.Timer) and watch.active  # a run started: the stop watch runs
    session = state.session
    for frame in frames[1:]:
        dreamed, text, state, watch = live.live_frame(frame, LIVE_LOOK, 0.5, 128, state)
    assert state.session is session and session.stats.frames == 3
    assert "frames/s" in text and "ms per frame" in text
    assert not isinstance(watch, gr.Timer)  # the same run: left as it is
    # Another visitor starts with nothing: a session of their own.
    _, _, other, _ = live.live_frame(frames[0], LIVE_LOOK, 0.5, 128, None)
    assert other is not None and other.session is not session


def test_a_new_look_starts_a_new_session_and_strength_applies_to_the_next_frame() -> None:
    frame = camera(1)[0]
    _, _, state, _ = live.live_frame(frame, LIVE_LOOK, 0.5, 128, None)
    _, _, same, _ = live.live_frame(frame, LIVE_LOOK, 0.9, 128, state)
    assert same is state and state.session.live.strength == 0.9
    _, _, swapped, _ = live.live_frame(frame, "swirls", 0.9, 128, state)
    assert swapped is not state and swapped.look == "swirls"


def test_pause_keeps_the_dream_and_ignores_the_camera_until_resumed() -> None:
    frame = camera(1)[0]
    _, _, state, _ = live.live_frame(frame, LIVE_LOOK, 0.5, 128, None)
    state, button = live.toggle_pause(state)
    assert state.paused and button["value"] == "▶ Resume"
    dream, text, state, _ = live.live_frame(frame, LIVE_LOOK, 0.5, 128, state)
    assert isinstance(dream, type(gr.skip())) and "Paused" in text and state.session.stats.frames == 1
    state, button = live.toggle_pause(state)
    assert not state.paused and button["value"] == "⏸ Pause"
    live.live_frame(frame, LIVE_LOOK, 0.5, 128, state)
    assert state.session.stats.frames == 2


def test_snapshot_saves_the_current_dream_with_its_settings() -> None:
    with pytest.raises(gr.Error, match="Nothing to save yet"):
        live.snapshot(None)
    _, _, state, _ = live.live_frame(camera(1)[0], LIVE_LOOK, 0.7, 128, None)
    update = live.snapshot(state)
    path = update["value"]
    assert update["visible"] and Path(path).suffix == ".png"
    record = read_record(path)
    assert record["kind"] == "live" and record["preset"] == LIVE_LOOK
    assert record["motion"]["strength"] == 0.7 and record["settings"]["model"] == "efficientnet_lite0"
    saved = np.asarray(Image.open(path).convert("RGB"))
    assert np.array_equal(saved, np.asarray(state.session.last))


def test_a_bad_setting_or_no_frame_gets_a_message() -> None:
    with pytest.raises(gr.Error, match="no camera frame arrived; allow the page to use the camera"):
        live.live_frame(None, LIVE_LOOK, 0.5, 128, None)
    frame = camera(1)[0]
    for strength, said in [(3, "strength: must be from 0 to 1, got 3"), ("abc", "got 'abc'")]:
        with pytest.raises(gr.Error, match=said):
            live.live_frame(frame, LIVE_LOOK, strength, 128, None)
    with pytest.raises(gr.Error, match="size: must be a whole number"):
        live.live_frame(frame, LIVE_LOOK, 0.5, "big", None)
    with pytest.raises(gr.Error, match="unknown preset"):
        live.live_frame(frame, "no-such-look", 0.5, 128, None)


# Every kind of bad frame a client can send, and the words of the one sentence it gets.
BAD_FRAMES = {
    "a path on the server": ({"path": "/etc/hostname"}, "camera frame: a file path was sent; a frame is read only"),
    "a web URL": ({"url": "http://127.0.0.1:1/x.png"}, "the URL http://127.0.0.1:1/x.png was sent"),
    "not an object": ("hello", "camera frame: .*hello.* was sent"),
    "a number": (5, "camera frame: 5 was sent"),
    "malformed base64": ({"url": "data:image/png;base64,@@@="}, "its data is not valid base64"),
    "text as image/png": (bytes_url(b"just some text"), "camera frame: this is not an image format we read"),
    "an SVG": (bytes_url(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"), "an SVG"),
    "an SVG, percent-encoded": ({"url": "data:image/svg+xml,%3Csvg%3E%3C/svg%3E"}, "an SVG"),
    "nothing in it": ({"url": "data:image/png;base64,"}, "the file is empty"),
    "0x0": (bytes_url(png_claiming(0, 0)), "camera frame: this is not an image format we read"),
    "claims 100000x100000": (bytes_url(png_claiming(100_000, 100_000)), "is 100000x100000 pixels; the limit is 16"),
    "9000x9000": (bytes_url(png_claiming(9000, 9000)), "is 9000x9000 pixels; the limit is 16 megapixels"),
    "2000x16": (data_url(Image.new("RGB", (2000, 16)), "PNG"), "is 2000x16 pixels, too long and thin"),
    "2000x100": (data_url(Image.new("RGB", (2000, 100)), "PNG"), "2000x100 pixels; at the live size .* 128x6"),
}


@pytest.mark.parametrize("case", BAD_FRAMES)
def test_every_bad_frame_gets_its_sentence_first_or_mid_stream(case: str) -> None:
    frame, said = BAD_FRAMES[case]
    good = camera(1)[0]
    _, _, state, _ = live.live_frame(good, LIVE_LOOK, 0.5, 128, None)
    for earlier in (None, state):  # as the stream's first frame, and after a good one
        with pytest.raises(gr.Error, match=said):
            live.live_frame(sent(frame), LIVE_LOOK, 0.5, 128, earlier)
    assert live.live_frame(good, LIVE_LOOK, 0.5, 128, state)[2] is state  # and the stream goes on


def test_a_frame_given_as_a_fifo_is_refused_without_opening_it(uploads: Path) -> None:
    """Opening a FIFO blocks until someone writes to it: the frame must be refused without ever opening the path,
    even one in the upload folder."""
    fifo = uploads / "frame.png"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            sent({"path": str(fifo), "meta": {"_type": "gradio.FileData"}})
        except gr.Error as err:
            outcome.append(err)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(timeout=10)
    assert not caller.is_alive(), "the frame's path was opened"
    assert "a file path was sent" in str(outcome[0])


def test_the_stop_watch_says_when_frames_stopped_and_why() -> None:
    frames = camera(3)
    _, _, state, _ = live.live_frame(frames[0], LIVE_LOOK, 0.5, 128, None)
    for frame in frames[1:]:
        live.live_frame(frame, LIVE_LOOK, 0.5, 128, state)
    state.seen = time.monotonic()  # the last frame was just answered
    said, watch = live.watch_stream(60, state)
    assert isinstance(said, type(gr.skip())) and isinstance(watch, type(gr.skip()))  # frames still coming
    state.seen -= live.STOPPED_AFTER_S + 1  # Stop was pressed a while ago
    said, watch = live.watch_stream(60, state)
    assert said.startswith("**Stopped**: 3 frames dreamed") and "Save last 10 s" in said
    assert "frames/s · " not in said and not watch.active
    state.started = state.seen - 60  # the run went on for its whole time limit (however fast its frames came)
    assert live.watch_stream(60, state)[0].startswith("**Time's up** (60 s per start): 3 frames dreamed")
    # The camera started again: a new run, a fresh dream and recording, the watch on again.
    _, _, again, watch = live.live_frame(frames[0], LIVE_LOOK, 0.5, 128, state)
    assert again is state and state.run_frames == 1 and len(state.replay) == 1 and watch.active


def test_the_last_seconds_are_kept_and_saved_as_mp4_and_gif_with_their_settings() -> None:
    with pytest.raises(gr.Error, match="Nothing to save yet: start the camera"):
        live.record(None)
    frames = camera(4)
    _, _, state, _ = live.live_frame(frames[0], LIVE_LOOK, 0.7, 128, None)
    for frame in frames[1:]:
        live.live_frame(frame, LIVE_LOOK, 0.7, 128, state)
    update = live.record(state)
    mp4, gif = update["value"]
    assert update["visible"] and Path(mp4).suffix == ".mp4" and Path(gif).suffix == ".gif"
    for path in (mp4, gif):
        record = read_record(path)
        assert record["kind"] == "live" and record["preset"] == LIVE_LOOK and record["motion"]["strength"] == 0.7
    clip = read_clip(mp4, 1000, 1000)
    assert clip.fps == RECORD_FPS and clip.frames[0].size == (96, 72)
    # Leaving frees the frames at once.
    state.forget()
    assert len(state.replay) == 0 and state.session.last is None


def test_the_recording_keeps_the_last_seconds_and_plays_at_their_pace() -> None:
    def jpeg(shade: int) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (32, 24), (shade, shade, shade)).save(buffer, format="JPEG", quality=95)
        return buffer.getvalue()

    replay = Replay(seconds=10)
    for second in range(30):  # a frame every half second for 15 s: the first 5 s fall out of the window
        replay.add(100 + second / 2, jpeg(second * 8))
    assert len(replay) == 21
    clip = replay.frames(fps=4)
    assert len(clip) == 41  # 10 s at 4 frames/s, both ends included
    shades = [round(np.asarray(frame)[0, 0, 0] / 8) for frame in clip]
    assert shades[:4] == [9, 9, 10, 10]  # each moment shows the newest frame dreamed by then
    assert shades[-1] == 29
    replay.clear()
    assert replay.frames() == []


def test_the_looks_offered_dream_a_photo_on_their_own() -> None:
    presets = all_presets()
    names = [name for _, name in live.look_choices(presets)]
    assert LIVE_LOOK in names
    for preset in presets:
        wanted = preset.start == "photo" and preset.guide is None and preset.settings.wrap == "none"
        assert (preset.name in names) == wanted
    assert "seamless-texture" not in names and "galaxies" not in names
