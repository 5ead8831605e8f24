"""The app's handlers meet NaN, Infinity, JSON nested too deep and long values: each gets its one message.

The API's JSON (settings, motion, video, sweep), share links, "Use the settings of a dream", the page's
controls and the motion tabs' size, as plain functions (the real server is in tests/e2e/test_app_odd_inputs.py).
Every error is the engine's own message as a ``gr.Error``, never Gradio's generic one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import gradio as gr
import pytest
from PIL import Image, PngImagePlugin

from deepdream_core import DreamSettings, SettingsError
from deepdream_core.dreaming.json_input import MAX_JSON_DEPTH
from deepdream_core.files.records import CHUNK
from deepdream_studio import api
from deepdream_studio.config import StudioConfig
from deepdream_studio.controls import settings_from_values
from deepdream_studio.gpu import check_offered
from deepdream_studio.sharing import file_updates, link_updates
from deepdream_studio.tabs.motion_controls import chosen_settings
from tests.support.controls import control_values

pytestmark = pytest.mark.usefixtures("uploads")  # Gradio's upload folder: tests/studio/conftest.py

CONFIG = StudioConfig(preview_interval_s=0.0, motion_max_frames=3)
STEPS_NAN = "steps: must be a number from 1 to 100, got NaN"
DEEP = "[" * 100_000 + "]" * 100_000
TOO_DEEP = f"the JSON nests deeper than {MAX_JSON_DEPTH} levels, so it was not read"
LONG_NAME = "m" * 8192


def error_of(call) -> str:
    """The message a handler's ``gr.Error`` carries (a generator is run until it raises)."""
    with pytest.raises(gr.Error) as raised:
        result = call()
        if hasattr(result, "__next__"):
            list(result)
    return raised.value.message


def endpoints(photo: str, settings: str = "{}", motion: str = "{}", video: str = "{}", sweep: str | None = None):
    """Every API endpoint with these JSON arguments (the sheet's sweep JSON defaults to a valid one)."""
    sweep = sweep or '{"setting": "octaves", "values": [1, 2, 3]}'
    return {
        "dream": lambda: api.dream(CONFIG, photo, settings),
        "dream_stream": lambda: api.dream_stream(CONFIG, photo, settings),
        "animate": lambda: api.animate(CONFIG, photo, settings, motion),
        "dream_video": lambda: api.dream_video(CONFIG, "clip.mp4", settings, video),  # refused before it is opened
        "sweep": lambda: api.sweep(CONFIG, photo, settings, sweep),
    }


@pytest.mark.parametrize("spelled", ["NaN", "Infinity", "-Infinity", "1e309"])
def test_every_endpoint_refuses_nan_and_infinity_in_the_settings_json(cat_png: str, spelled: str) -> None:
    shown = "-Infinity" if spelled == "-Infinity" else "NaN" if spelled == "NaN" else "Infinity"
    for name, call in endpoints(cat_png, settings=f'{{"max_size": {spelled}}}').items():
        assert error_of(call) == f"max_size: must be a number from 32 to 4096, got {shown}", name


def test_motion_video_and_sweep_json_refuse_nan_and_infinity(cat_png: str) -> None:
    calls = endpoints(
        cat_png,
        motion='{"frames": NaN}',
        video='{"max_frames": Infinity}',
        sweep='{"setting": "steps", "values": [5, NaN, 20]}',
    )
    assert error_of(calls["animate"]) == "frames: must be a number from 1 to 600, got NaN"
    assert error_of(calls["dream_video"]) == "max_frames: must be a number from 1 to 900, got Infinity"
    assert error_of(calls["sweep"]) == STEPS_NAN
    text_values = endpoints(cat_png, sweep='{"setting": "steps", "values": "5, nan, 20"}')["sweep"]
    assert error_of(text_values) == STEPS_NAN


def test_every_json_argument_refuses_deep_nesting_before_parsing(cat_png: str) -> None:
    cases = [(name, "settings") for name in endpoints(cat_png)]
    cases += [("animate", "motion"), ("dream_video", "video"), ("sweep", "sweep")]
    for name, argument in cases:
        message = error_of(endpoints(cat_png, **{argument: DEEP})[name])
        assert message.startswith(f"{argument}: {TOO_DEEP}") and "send an object such as" in message, (name, argument)


def test_a_link_or_a_file_holding_nan_opens_with_a_note(tmp_path: Path) -> None:
    restored = link_updates({"steps": "NaN", "octaves": "Infinity", "jitter": "3"})
    assert restored["jitter"] == 3
    note = restored["link_note"]["value"]
    assert "- Steps per octave: must be a number from 1 to 100, got NaN" in note
    assert "- Octaves: must be a number from 1 to 8, got Infinity" in note
    info = PngImagePlugin.PngInfo()
    info.add_text(CHUNK, '{"format": 1, "settings": {"steps": NaN, "jitter": 5}}')
    Image.new("RGB", (16, 16)).save(tmp_path / "dream.png", pnginfo=info)
    restored = file_updates(str(tmp_path / "dream.png"))
    assert (
        restored["jitter"] == 5
        and "- Steps per octave: must be a number from 1 to 100, got NaN" in (restored["link_note"]["value"])
    )


def test_a_file_with_deep_json_is_refused_saying_why(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text(CHUNK, "[" * 30_000 + "]" * 30_000)
    Image.new("RGB", (16, 16)).save(tmp_path / "deep.png", pnginfo=info)
    said = file_updates(str(tmp_path / "deep.png"))
    assert set(said) == {"settings_file", "settings_about"}  # no control changes
    assert f"the file's settings are damaged: {TOO_DEEP}" in said["settings_about"]


def test_the_page_and_the_motion_tabs_refuse_nan(cat_png: str) -> None:
    values = control_values(DreamSettings())
    with pytest.raises(SettingsError) as refused:
        settings_from_values({**values, "steps": math.nan})
    assert str(refused.value) == STEPS_NAN
    with pytest.raises(SettingsError) as refused:  # a slider lets NaN through: NaN is neither below nor above
        chosen_settings(None, math.nan, None, values)
    assert str(refused.value) == "max_size: must be a number from 32 to 4096, got NaN"


def test_long_values_are_echoed_short(cat_png: str) -> None:
    restored = link_updates({"model": LONG_NAME, "steps": LONG_NAME, "x" * 8192: "1"})
    note = restored["link_note"]["value"]
    assert note.count("(8,192 characters)") == 3 and len(note) < 1500, len(note)
    for settings in ({"model": LONG_NAME}, {"preset": LONG_NAME}, {LONG_NAME: 1}, {"layers": LONG_NAME}):
        message = error_of(lambda settings=settings: api.dream(CONFIG, cat_png, json.dumps(settings)))
        assert "(8,192 characters)" in message and len(message) < 600, message
    with pytest.raises(SettingsError) as refused:
        check_offered(LONG_NAME, ("efficientnet_lite0",))
    assert len(str(refused.value)) < 200
