"""The page's and the API's handlers, called as plain functions (no page, no server) on the real engine."""

from __future__ import annotations

import json
import re
from pathlib import Path

import gradio as gr
import pytest

from deepdream_core import DreamSettings, SettingsError
from deepdream_core.files.presets import load_preset
from deepdream_core.files.records import read_record
from deepdream_studio import api
from deepdream_studio.config import StudioConfig
from deepdream_studio.handlers import bind, user_errors
from deepdream_studio.sharing import file_updates, link_updates, make_link
from deepdream_studio.tabs import photo, video, zoom
from tests.studio.test_controls import control_values
from tests.support import ABOUT, said_seconds
from tests.support.photos import skimage_photo

TINY = DreamSettings(max_size=64, steps=1, octaves=1, seed=3)
CONFIG = StudioConfig(preview_interval_s=0.0, motion_max_frames=3)


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Gradio's upload folder for this test: uploads and results land here, and the inputs must be in it."""
    folder = tmp_path / "gradio"
    folder.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    return folder


@pytest.fixture
def cat_png(uploads: Path) -> str:
    path = uploads / "cat.png"
    skimage_photo("chelsea", 96).save(path)
    return str(path)


def test_user_errors_become_messages_for_plain_handlers_and_generators() -> None:
    def plain(steps: int) -> DreamSettings:
        return DreamSettings(steps=steps)

    def stream(steps: int):
        yield DreamSettings(steps=steps)

    with pytest.raises(gr.Error, match="steps: must be from 1 to 100, got 1000"):
        user_errors(plain)(1000)
    with pytest.raises(gr.Error, match="steps: must be from 1 to 100, got 1000"):
        list(user_errors(stream)(1000))
    with pytest.raises(ZeroDivisionError):  # a bug is not the user's to fix: it keeps its traceback
        user_errors(lambda: 1 / 0)()


def test_bound_handlers_keep_the_rest_of_their_signature() -> None:
    def handler(config: StudioConfig, photo: str, evt: gr.SelectData, progress: gr.Progress = gr.Progress()):
        return config, photo

    bound = bind(handler, CONFIG)
    assert list(bound.__signature__.parameters) == ["photo", "evt", "progress"]
    assert bound.__annotations__["evt"] is gr.SelectData and bound.__name__ == "handler"
    assert bound("x.png", None) == (CONFIG, "x.png")


def test_a_preset_fills_every_control_its_guide_and_its_description() -> None:
    updates = photo.preset_chosen("galaxies")
    assert updates["guide"].endswith("guides/galaxies.jpg") and updates["preset_about"].startswith("**")
    assert updates["steps"] == load_preset("galaxies").settings.steps
    assert photo.preset_chosen(None) == {}
    with pytest.raises(gr.Error, match="unknown preset 'nope'"):
        photo.preset_chosen("nope")


def test_a_share_link_round_trips_through_the_controls() -> None:
    values = control_values(DreamSettings(steps=7, octave_scale=1.6))
    link, status = make_link("http://host/?old=1#x", "more-cat", **values)
    assert link.startswith("http://host/?preset=more-cat&") and "steps=7" in link and "Link ready" in status
    restored = link_updates(dict(part.split("=") for part in link.split("?")[1].split("&")))
    assert restored["preset"] == "more-cat" and restored["steps"] == 7 and restored["octave_scale"] == 1.6
    assert restored["link_note"]["visible"] is False


def test_a_link_with_bad_values_keeps_the_good_ones_and_names_the_bad() -> None:
    restored = link_updates({"steps": "1000", "octaves": "3", "colour": "blue"})
    assert restored["octaves"] == 3
    note = restored["link_note"]["value"]
    assert "steps: must be from 1 to 100, got 1000" in note and "colour: unknown setting" in note
    assert link_updates({}) == {}


def test_dream_button_streams_previews_then_the_png(cat_png: str, uploads: Path) -> None:
    values = control_values(TINY.replace(steps=3))
    frames = list(photo.dream_ui(CONFIG, cat_png, None, None, None, **values))
    *previews, (png, compare, download, status) = frames
    first, *steps = previews
    assert re.fullmatch(rf"Dreaming… {ABOUT}", first[3])  # the estimate comes first
    assert steps and all(frame[3].startswith("Dreaming… Octave 1 of 1") for frame in steps)
    assert Path(png).is_relative_to(uploads) and png.endswith(".png") and status.endswith("seed 3")
    assert compare["visible"] is True and download["value"] == png


def test_dream_button_without_a_photo_says_what_to_do() -> None:
    with pytest.raises(gr.Error, match="Add a photo first"):
        list(photo.dream_ui(CONFIG, None, None, None, None, **control_values(TINY)))


def test_api_dream_reads_json_settings_and_a_preset(cat_png: str) -> None:
    png, status = api.dream(CONFIG, cat_png, json.dumps({"preset": "eyes", **TINY.to_dict()}), None, None)
    assert Path(png).exists() and status.startswith("Done in") and "seed 3" in status
    with pytest.raises(gr.Error, match=r"settings: not valid JSON \(Expecting value at character 0\)"):
        api.dream(CONFIG, cat_png, "nope", None, None)
    with pytest.raises(gr.Error, match="settings: send a JSON object"):
        api.dream(CONFIG, cat_png, "[1]", None, None)


def test_zoom_tab_and_api_share_one_run_path(cat_png: str) -> None:
    """Both cap the frames (with a notice) and end with an MP4 and a GIF; the seed is drawn once per run."""
    values = control_values(TINY.replace(seed=None))
    ui = list(zoom.animate_ui(CONFIG, cat_png, None, 64, 5, 1.1, 0, 0, 0, 4, False, True, None, None, **values))
    assert len(ui) == 3 + 1 and ui[-1][1].endswith(".mp4") and ui[-1][3]["value"].endswith(".gif")
    assert "3 frames" in ui[-1][4] and "seed" in ui[-1][4]
    settings = json.dumps(TINY.to_dict())
    *_, (_frame, mp4, gif, status) = api.animate(CONFIG, cat_png, settings, '{"frames": 5}', None)
    assert mp4.endswith(".mp4") and gif.endswith(".gif")
    assert "this app makes at most 3 frames per animation; rendering 3 of the 5 asked for" in status
    with pytest.raises(gr.Error, match="motion: not valid JSON"):
        list(api.animate(CONFIG, cat_png, settings, "{", None))


def test_stopping_keeps_the_frames_dreamed_so_far(cat_png: str) -> None:
    values = control_values(TINY)
    stream = zoom.animate_ui(CONFIG, cat_png, None, 64, 3, 1.1, 0, 0, 0, 4, False, True, None, None, **values)
    *_, run = next(stream)  # the first frame is done; the user presses Stop
    stream.close()
    mp4, _mp4_button, gif_button, status, state = zoom.stop_animation_ui(run)
    assert mp4.endswith(".mp4") and gif_button["value"].endswith(".gif") and state is None
    assert status.startswith("Stopped: kept the 1 frame ·")
    assert zoom.stop_animation_ui(None)[3] == "Stopped before the first frame was done."
    assert video.stop_video_ui(None)[1] == "Stopped before the first frame was done."


def test_video_tab_without_a_clip_says_what_to_do() -> None:
    with pytest.raises(gr.Error, match="Add a clip first"):
        list(video.video_ui(CONFIG, None, None, 64, 0.5, True, None, None, **control_values(TINY)))
    with pytest.raises(SettingsError):
        api.settings_from_json('{"steps": 0}')


def test_a_dreamed_png_carries_its_settings_and_restores_every_control(cat_png: str) -> None:
    """The app's PNG holds its record; dropped back in, it sets the controls as a share link does."""
    settings = TINY.replace(steps=2, octave_scale=1.6, keep_colors=True)
    *_, (png, _, _, _status) = photo.dream_ui(
        CONFIG, cat_png, None, None, None, preset="eyes", **control_values(settings)
    )
    record = read_record(png)
    assert record["preset"] == "eyes" and record["settings"]["steps"] == 2 and record["settings"]["seed"] == 3
    restored = file_updates(None, png)
    assert (restored["steps"], restored["octave_scale"], restored["keep_colors"]) == (2, 1.6, True)
    assert restored["preset"] == "eyes" and restored["link_note"]["visible"] is False


def test_a_file_without_settings_opens_with_a_note(cat_png: str) -> None:
    restored = file_updates(None, cat_png)  # a plain photo: no record inside
    assert (
        restored["link_note"]["visible"] is True
        and "This file had values that were ignored" in restored["link_note"]["value"]
    )


def test_animation_files_carry_their_settings(cat_png: str) -> None:
    values = control_values(TINY)
    *_, last = zoom.animate_ui(CONFIG, cat_png, None, 64, 2, 1.1, 0, 0, 0, 4, False, True, None, None, **values)
    for path in (last[1], last[3]["value"]):  # the MP4 and the GIF
        record = read_record(path)
        assert record["kind"] == "animation" and record["motion"]["frames"] == 2 and record["settings"]["seed"] == 3


def test_a_dream_over_the_apps_time_limit_is_refused_saying_what_to_lower(cat_png: str) -> None:
    strict = StudioConfig(max_seconds=1)
    big = control_values(DreamSettings(max_size=2048, steps=100, octaves=8))
    with pytest.raises(
        gr.Error,
        match=rf"max_size: this dream would take {ABOUT} here, over this app's limit "
        r"of 1 s; lower max_size, steps or octaves",
    ):
        list(photo.dream_ui(strict, cat_png, None, None, None, **big))


def test_the_page_says_about_how_long_a_dream_takes(cat_png: str, uploads: Path) -> None:
    big = uploads / "astronaut.png"
    skimage_photo("astronaut").save(big)
    quick = photo.estimate_ui(cat_png, **control_values(TINY))
    slow = photo.estimate_ui(str(big), **control_values(TINY.replace(max_size=1024, steps=50, octaves=4)))
    assert re.fullmatch(rf"{ABOUT} on this machine.*\.", quick.lower())
    assert said_seconds(slow) > said_seconds(quick)
    assert photo.estimate_ui(cat_png, **{**control_values(TINY), "steps": 1000}) == ""  # Dream says what is wrong
