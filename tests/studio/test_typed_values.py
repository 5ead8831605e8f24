"""A value typed into a numeric control reaches our checks as typed: one sentence in the status line, no dream, no
clamp, no traceback (issue 30.5, 29.5). Handlers called as plain functions, on the controls the real page builds.
"""

from __future__ import annotations

import math

import gradio as gr
import pytest

from deepdream_core import DreamSettings, SettingsError
from deepdream_studio import build_demo
from deepdream_studio.config import StudioConfig
from deepdream_studio.sharing import make_link
from deepdream_studio.tabs import compare, dreaming, live, remix, video, zoom
from tests.support.controls import control_values

pytestmark = pytest.mark.usefixtures("uploads")  # Gradio's upload folder: tests/studio/conftest.py

TINY = DreamSettings(max_size=64, steps=1, octaves=1, seed=3)
CONFIG = StudioConfig(preview_interval_s=0.0, motion_max_frames=3)
# What the browser sends for a slider's number box: 0 typed, an emptied box (or "1e999", which a number box cannot
# read: it sends null), and what only an API client can send.
TYPED = [
    ("steps", 0, "⚠️ Steps per octave: must be from 1 to 100, got 0."),
    ("octave_scale", None, "⚠️ Octave scale: must be a number from 1.05 to 2.5, got no number."),
    ("octave_scale", math.nan, "⚠️ Octave scale: must be a number from 1.05 to 2.5, got NaN."),
    ("max_size", math.inf, "⚠️ Max size (px): must be a number from 32 to 4096, got Infinity."),
    ("layer_weight", None, "⚠️ Layer weight: must be a number from -10 to 10, got no number."),
    ("seed", None, "⚠️ Seed: must be a whole number from 0 to 2147483647, got no number."),
    ("seed", 1.5, "⚠️ Seed: must be a whole number from 0 to 2147483647, got 1.5."),
]


def test_every_numeric_control_on_every_tab_hands_over_what_was_sent() -> None:
    # Gradio's own Slider and Number raised "Value 0 is less than minimum value 1." (a toast and a traceback), a
    # TypeError for an emptied box (None < 1.0), and rounded 1.5 to 2: all before our checks could answer.
    demo = build_demo(StudioConfig())
    numeric = [block for block in demo.blocks.values() if isinstance(block, (gr.Slider, gr.Number))]
    named = {block.elem_id for block in numeric}
    assert {"steps", "octave-scale", "seed", "layer-weight", "anim-frames", "video-blend", "compare-size"} <= named
    assert {"live-strength", "live-size"} <= named
    for block in numeric:
        # Gradio rebuilds a control from its arguments whenever a handler updates it in a session (a gr.skip()
        # too, as the share-link handler does on every page load): the rebuilt one behaves the same.
        rebuilt = block.__class__(**{**block.constructor_args, "render": False})
        for sent in (0, -5, 1.5, 10**9, None, math.nan, "text"):
            for control in (block, rebuilt):
                kept = control.preprocess(sent)
                assert kept is sent or (kept == sent), (block.elem_id, sent, kept)


@pytest.mark.parametrize(("name", "typed", "said"), TYPED)
def test_a_bad_value_in_advanced_says_one_sentence_and_dreams_nothing(
    cat_png: str, name: str, typed: object, said: str
) -> None:
    values = {**control_values(TINY), name: typed}
    # Dream: only the status line changes (no result, no Stop, no "Done").
    assert list(dreaming.dream_ui(CONFIG, cat_png, None, None, None, **values)) == [{"status": said}]
    # Copy link: no link (so no older one is copied either), and the same sentence.
    assert make_link("http://host/", None, **values) == ("", said)
    # The estimate shows nothing rather than failing; Remix's hint too.
    assert dreaming.estimate_ui(cat_png, **values) == ""
    assert remix.remix_hint("steps", **values) == gr.update(placeholder="")
    # Remix refuses in the status line, so the dream that follows it does not run.
    refused = remix.remix_settings("seed", "", **values)
    assert refused == {"status": said}
    assert list(dreaming.remixed_ui(CONFIG, refused["status"], cat_png, None, None, None, **values)) == [{}]


def test_a_random_seed_ignores_an_emptied_seed_box(cat_png: str) -> None:
    values = {**control_values(TINY), "seed": None, "random_seed": True}
    *_, done = dreaming.dream_ui(CONFIG, cat_png, None, None, None, **values)
    assert done["status"].startswith("Done")


def test_the_other_tabs_refuse_an_emptied_box_in_their_status_line(cat_png: str) -> None:
    values = control_values(TINY)
    [said] = zoom.animate_ui(CONFIG, cat_png, None, 64, None, 1.1, 0, 0, 0, 4, False, True, None, None, **values)
    assert said[4] == "⚠️ Frames: must be a whole number from 1 to 600, got no number."
    [said] = zoom.animate_ui(CONFIG, cat_png, None, None, 2, 1.1, 0, 0, 0, 4, False, True, None, None, **values)
    assert said[4] == "⚠️ Max size (px): must be a whole number from 32 to 4096, got no number."
    [said] = video.video_ui(CONFIG, cat_png, None, 64, None, True, None, None, **values)
    assert said[2] == "⚠️ Blend: must be a number from 0 to 0.95, got no number."
    [said] = compare.compare_ui(CONFIG, cat_png, compare.LOOKS, "steps", "", ["eyes", "gentle"], None, None, None, None)
    assert said[2] == "⚠️ Max size (px): must be a whole number from 32 to 4096, got no number."
    with pytest.raises(SettingsError, match="strength: must be a number from 0 to 1, got nothing"):
        live.live_settings(None, 256)
