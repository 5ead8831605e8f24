"""The Live tab's handlers, called as plain functions on the real engine (the browser side is in tests/e2e)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from deepdream_core.files.presets import all_presets
from deepdream_core.files.records import read_record
from deepdream_core.motion.live import LIVE_LOOK
from deepdream_studio.tabs import live
from tests.support.live_scenes import still_scene


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "gradio"
    folder.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    return folder


def camera(count: int) -> list[np.ndarray]:
    return [np.asarray(frame) for frame in still_scene(count, (96, 72))]


def test_frames_stream_through_one_session_per_visitor_and_the_readout_counts_them() -> None:
    frames = camera(3)
    dreamed, text, state = live.live_frame(frames[0], LIVE_LOOK, 0.5, 128, None)
    assert state is not None and dreamed.size == (96, 72)
    assert not np.array_equal(np.asarray(dreamed), frames[0])
    session = state.session
    for frame in frames[1:]:
        dreamed, text, state = live.live_frame(frame, LIVE_LOOK, 0.5, 128, state)
    assert state.session is session and session.stats.frames == 3
    assert "frames/s" in text and "ms per frame" in text
    # Another visitor starts with nothing: a session of their own.
    _, _, other = live.live_frame(frames[0], LIVE_LOOK, 0.5, 128, None)
    assert other is not None and other.session is not session


def test_a_new_look_starts_a_new_session_and_strength_applies_to_the_next_frame() -> None:
    frame = camera(1)[0]
    _, _, state = live.live_frame(frame, LIVE_LOOK, 0.5, 128, None)
    _, _, same = live.live_frame(frame, LIVE_LOOK, 0.9, 128, state)
    assert same is state and state.session.live.strength == 0.9
    _, _, swapped = live.live_frame(frame, "swirls", 0.9, 128, state)
    assert swapped is not state and swapped.look == "swirls"


def test_pause_keeps_the_dream_and_ignores_the_camera_until_resumed() -> None:
    frame = camera(1)[0]
    _, _, state = live.live_frame(frame, LIVE_LOOK, 0.5, 128, None)
    state, button = live.toggle_pause(state)
    assert state.paused and button["value"] == "▶ Resume"
    shown, text, state = live.live_frame(frame, LIVE_LOOK, 0.5, 128, state)
    assert isinstance(shown, type(gr.skip())) and "Paused" in text and state.session.stats.frames == 1
    state, button = live.toggle_pause(state)
    assert not state.paused and button["value"] == "⏸ Pause"
    live.live_frame(frame, LIVE_LOOK, 0.5, 128, state)
    assert state.session.stats.frames == 2


def test_snapshot_saves_the_current_dream_with_its_settings() -> None:
    with pytest.raises(gr.Error, match="Nothing to save yet"):
        live.snapshot(None)
    _, _, state = live.live_frame(camera(1)[0], LIVE_LOOK, 0.7, 128, None)
    path = live.snapshot(state)
    assert Path(path).suffix == ".png"
    record = read_record(path)
    assert record["kind"] == "live" and record["preset"] == LIVE_LOOK
    assert record["motion"]["strength"] == 0.7 and record["settings"]["model"] == "efficientnet_lite0"
    saved = np.asarray(Image.open(path).convert("RGB"))
    assert np.array_equal(saved, np.asarray(state.session.last))


def test_no_frame_or_a_bad_setting_gets_a_message() -> None:
    with pytest.raises(gr.Error, match="no camera frame arrived; allow the page to use the camera"):
        live.live_frame(None, LIVE_LOOK, 0.5, 128, None)
    with pytest.raises(gr.Error, match="strength: must be from 0 to 1"):
        live.live_frame(camera(1)[0], LIVE_LOOK, 3, 128, None)
    with pytest.raises(gr.Error, match="unknown preset"):
        live.live_frame(camera(1)[0], "no-such-look", 0.5, 128, None)


def test_the_looks_offered_dream_a_photo_on_their_own() -> None:
    presets = all_presets()
    names = [name for _, name in live.look_choices(presets)]
    assert LIVE_LOOK in names
    for preset in presets:
        wanted = preset.start == "photo" and preset.guide is None and preset.settings.wrap == "none"
        assert (preset.name in names) == wanted
    assert "seamless-texture" not in names and "galaxies" not in names
