"""The page's and the API's handlers, called as plain functions (no page, no server) on the real engine."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import gradio as gr
import pytest
from PIL import Image

from deepdream_core import DreamSettings, SettingsError
from deepdream_core.files.presets import load_preset
from deepdream_core.files.records import read_record
from deepdream_core.jobs.estimate import Estimate
from deepdream_core.jobs.load import Load
from deepdream_studio import api, build_demo, line
from deepdream_studio.config import StudioConfig
from deepdream_studio.handlers import bind, user_errors
from deepdream_studio.sharing import file_updates, link_updates, look_about, make_link
from deepdream_studio.tabs import dreaming, photo, video, zoom
from tests.support import ABOUT, said_seconds
from tests.support.controls import control_values
from tests.support.photos import skimage_photo

pytestmark = pytest.mark.usefixtures("uploads")  # Gradio's upload folder: tests/studio/conftest.py

TINY = DreamSettings(max_size=64, steps=1, octaves=1, seed=3)
CONFIG = StudioConfig(preview_interval_s=0.0, motion_max_frames=3)


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
    assert updates["status"] == "**Galaxies** is set: add a photo (or try a sample), then press **Dream**."
    assert photo.preset_chosen("galaxies", "cat.png")["status"] == "**Galaxies** is set: press **Dream**."
    assert photo.preset_chosen(None) == {}
    said = photo.preset_chosen("nope")  # one sentence in the status line; no control changes
    assert list(said) == ["status"] and said["status"] == "⚠️ Look: there is no look called 'nope' here."


def test_a_share_link_round_trips_through_the_controls() -> None:
    values = control_values(DreamSettings(steps=7, octave_scale=1.6))
    link, status = make_link("http://host/?old=1#x", "more-cat", **values)
    assert link.startswith("http://host/?preset=more-cat&") and "steps=7" in link and "Link ready" in status
    restored = link_updates(dict(part.split("=") for part in link.split("?")[1].split("&")))
    assert restored["preset"] == "more-cat" and restored["steps"] == 7 and restored["octave_scale"] == 1.6
    assert restored["link_note"]["visible"] is False
    # The page says what the link set, and the restored look's own description, not the generic one.
    assert restored["preset_about"] == look_about(load_preset("more-cat"))
    assert restored["status"].startswith("This link set every control: **Make it a cat** · EfficientNet-Lite0 ·")


def test_a_link_to_a_network_not_offered_names_the_networks_on_the_page() -> None:
    note = link_updates({"model": "nosuchnet"}, ("efficientnet_lite0", "googlenet"))["link_note"]["value"]
    assert "there is no network called 'nosuchnet' here; this page offers EfficientNet-Lite0, GoogLeNet" in note
    assert "python -m" not in note and "timm" not in note  # the CLI's wording stays in the CLI


def test_a_link_with_bad_values_keeps_the_good_ones_and_names_the_bad() -> None:
    restored = link_updates({"steps": "1000", "octaves": "3", "colour": "blue"})
    assert restored["octaves"] == 3
    note = restored["link_note"]["value"]
    # Each by its control's label, in the page's words (no list of every setting's key).
    assert "- Steps per octave: must be from 1 to 100, got 1000\n" in note
    assert note.endswith("- colour: this page has no such setting")
    assert restored["link_note_close"]["visible"] is True  # the note can be closed
    assert restored["status"].startswith("This link set the controls, except the values the note at the top names")
    assert link_updates({}) == {}


def test_dream_button_streams_previews_then_the_png(cat_png: str, uploads: Path) -> None:
    values = control_values(TINY.replace(steps=3))
    first, *steps, done = list(dreaming.dream_ui(CONFIG, cat_png, None, None, **values))
    # The estimate comes first, with Stop shown and what acts on the last result hidden while this one grows.
    assert re.fullmatch(rf"Dreaming… {ABOUT}  \n<small>The image is 96x64 pixels; .*</small>", first["status"])
    assert first["stop_btn"]["visible"] is True and first["stop_btn"]["value"] == "Stop"
    # Dream says a dream is running, and cannot be pressed again until it ends.
    assert first["dream_btn"] == {"__type__": "update", "value": "Dreaming…", "interactive": False}
    assert all(first[name]["visible"] is False for name in ("deeper_btn", "download", "remix_row", "compare"))
    assert steps and all(frame["status"].startswith("Dreaming… Octave 1 of 1") for frame in steps)
    png = done["result"]
    assert Path(png).is_relative_to(uploads) and png.endswith(".png") and "seed 3" in done["status"]
    assert done["compare"]["visible"] is True and done["download"]["value"] == png
    assert done["stop_btn"]["visible"] is False and done["deeper_btn"]["visible"] is True
    assert done["dream_btn"]["interactive"] is True and done["dream_btn"]["value"] == "✨ Dream"


def test_stop_keeps_the_picture_on_screen_at_full_size_for_download_and_go_deeper(uploads: Path) -> None:
    """The preview of the first octave is small; what Stop keeps is that picture at the full working size."""
    astronaut = uploads / "astronaut.png"
    skimage_photo("astronaut", 512).save(astronaut)
    values = control_values(TINY.replace(max_size=512, octaves=2, steps=2))
    stream = dreaming.dream_ui(CONFIG, str(astronaut), None, None, **values)
    next(stream)  # started
    preview = next(stream)  # octave 1, step 1 on screen; then the visitor presses Stop
    stream.close()
    so_far = preview["so_far"]
    assert max(preview["result"].size) < 512  # the first octave, shrunk
    stopped = dreaming.stop_ui(so_far, str(astronaut))
    png = stopped["result"]
    assert Image.open(png).size == (512, 512) and stopped["download"]["value"] == png
    assert read_record(png)["stopped"] == {"octave": 1, "step": 1}  # the file says it is a dream cut short
    assert file_updates(png)["link_note"]["visible"] is False  # and reads back without a note
    assert stopped["status"].startswith("Stopped at octave 1 of 2 · step 1 of 2: this is the dream so far, at full")
    assert stopped["deeper_btn"]["visible"] is True and stopped["stop_btn"]["visible"] is False
    # Go deeper dreams exactly that picture, at its full size.
    *_, deeper = dreaming.deeper_ui(CONFIG, png, None, None, **values)
    assert Image.open(deeper["result"]).size == (512, 512)
    assert dreaming.stop_ui(None, str(astronaut))["status"].startswith("Stopped before the first preview")


def test_leaving_the_line_says_so_and_dream_can_be_pressed_again() -> None:
    """Stop reads "Leave the line" while the dream waits; pressed then, nothing was dreamed and the page says so."""
    waiting = dreaming.waiting_updates(line.Place(ahead=2, seconds=40.0, alongside=0))
    assert waiting["status"] == (
        "⏳ In line: 2 dreams are ahead of yours, which starts in about 40 s. "
        "**Leave the line** if you would rather not wait."
    )
    assert waiting["stop_btn"]["value"] == "Leave the line" and waiting["stop_btn"]["visible"] is True
    assert waiting["dream_btn"]["value"] == "In line…" and waiting["dream_btn"]["interactive"] is False
    estimate = Estimate(seconds=8.0, megapixel_steps=4.0, model="efficientnet_lite0", device="cpu", measured=True)
    with_time = dreaming.waiting_updates(line.Place(ahead=2, seconds=40.0, alongside=0), estimate)
    assert re.fullmatch(rf"{ABOUT} on this machine.*\.", with_time["estimate"].lower())  # its own time, not the wait
    assert "in line" not in with_time["estimate"]
    left = dreaming.stop_ui(None, None, waiting["stop_btn"]["value"])
    assert left["status"] == "You left the line: nothing was dreamed. Press **Dream** to join it again."
    assert left["dream_btn"]["interactive"] is True and left["stop_btn"]["visible"] is False
    assert line.said(line.Place(1, 0.4, 0)).startswith("⏳ In line: 1 dream is ahead of yours, which starts in under")
    assert dreaming.settled() == dreaming.buttons(None)  # after any dream, however it ended


def test_go_deeper_before_any_dream_says_there_is_none_yet(cat_png: str) -> None:
    said = list(dreaming.deeper_ui(CONFIG, None, None, None, **control_values(TINY)))
    assert said == [{"status": "⚠️ There is no dream to go deeper into yet: press **Dream** first."}]


def test_a_file_that_is_not_a_picture_is_taken_out_and_the_status_says_why(uploads: Path) -> None:
    bad = uploads / "notes.png"
    bad.write_text("not a picture")
    updates = photo.photo_changed(str(bad), dreaming.START)
    assert updates["photo"] is None and updates["result"] is None  # no broken image stays
    assert updates["status"].startswith("⚠️ ") and updates["status"][3].isupper() and updates["status"].endswith(".")
    # Taking the file out fires the change again: the message stays, and is not replaced by the welcome.
    assert photo.photo_changed(None, updates["status"])["status"] == updates["status"]
    assert photo.photo_changed(None, "Done in 2.0 s")["status"] == dreaming.START


def test_dream_button_without_a_photo_says_what_to_do() -> None:
    said = list(dreaming.dream_ui(CONFIG, None, None, None, **control_values(TINY)))
    assert said == [{"status": "⚠️ Add a photo first: upload one, paste it, or take one with the webcam."}]


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
    assert len(ui) == 1 + 3 + 1 and ui[-1][1].endswith(".mp4") and ui[-1][3]["value"].endswith(".gif")
    assert ui[0][4].startswith("Dreaming… Frame 1 of 3")  # said as the run starts, not the "pick a look" hint
    assert "3 frames" in ui[-1][4] and "seed" in ui[-1][4]
    assert "<small>This app makes at most 3 frames per animation; rendering 3 of the 5 asked for." in ui[-1][4]
    settings = json.dumps(TINY.to_dict())
    *_, (_frame, mp4, gif, status) = api.animate(CONFIG, cat_png, settings, '{"frames": 5}', None)
    assert mp4.endswith(".mp4") and gif.endswith(".gif")
    assert "this app makes at most 3 frames per animation; rendering 3 of the 5 asked for" in status
    with pytest.raises(gr.Error, match="motion: not valid JSON"):
        list(api.animate(CONFIG, cat_png, settings, "{", None))


def test_stopping_keeps_the_frames_dreamed_so_far(cat_png: str) -> None:
    values = control_values(TINY)
    stream = zoom.animate_ui(CONFIG, cat_png, None, 64, 3, 1.1, 0, 0, 0, 4, False, True, None, None, **values)
    next(stream)  # started
    *_, run = next(stream)  # the first frame is done; the user presses Stop
    stream.close()
    mp4, _mp4_button, gif_button, status, state = zoom.stop_animation_ui(run)
    assert mp4.endswith(".mp4") and gif_button["value"].endswith(".gif") and state is None
    assert status.startswith("Stopped: kept the 1 frame ·")
    assert zoom.stop_animation_ui(None)[3] == "Stopped before the first frame was done."
    assert video.stop_video_ui(None)[1] == "Stopped before the first frame was done."


def test_video_tab_without_a_clip_says_what_to_do() -> None:
    [said] = video.video_ui(CONFIG, None, None, 64, 0.5, True, None, None, **control_values(TINY))
    assert said[2].startswith("⚠️ Add a clip first: upload a short video")
    with pytest.raises(SettingsError):
        api.settings_from_json('{"steps": 0}')


def test_a_dreamed_png_carries_its_settings_and_restores_every_control(cat_png: str) -> None:
    """The app's PNG holds its record; dropped back in, it sets the controls as a share link does."""
    settings = TINY.replace(steps=2, octave_scale=1.6, keep_colors=True)
    *_, done = dreaming.dream_ui(CONFIG, cat_png, None, None, preset="eyes", **control_values(settings))
    png = done["result"]
    record = read_record(png)
    assert record["preset"] == "eyes" and record["settings"]["steps"] == 2 and record["settings"]["seed"] == 3
    restored = file_updates(png)
    assert (restored["steps"], restored["octave_scale"], restored["keep_colors"]) == (2, 1.6, True)
    assert restored["preset"] == "eyes" and restored["link_note"]["visible"] is False


def test_a_file_without_settings_is_refused_next_to_the_box_and_changes_nothing(cat_png: str, uploads: Path) -> None:
    said = file_updates(cat_png)  # a plain photo: no record inside
    assert said == {
        "settings_file": None,  # taken out again
        "settings_about": "⚠️ cat.png has no settings to use: the file holds no DeepDream settings (it was not made "
        "by DeepDream Studio, or its metadata was stripped). Only dreams made here carry them: drop a PNG, GIF or "
        "MP4 made with DeepDream Studio.",
    }
    jpeg = uploads / "chelsea.jpg"  # the box takes any file, so a JPEG gets this sentence, not Gradio's toast
    Image.open(cat_png).convert("RGB").save(jpeg)
    assert file_updates(str(jpeg))["settings_about"].startswith(
        "⚠️ chelsea.jpg has no settings to use: the file is not a PNG, GIF or MP4, so it holds no DeepDream settings."
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
    [said] = dreaming.dream_ui(strict, cat_png, None, None, **big)
    assert re.fullmatch(
        rf"⚠️ Max size \(px\): this dream would take {ABOUT} here, over this app's limit of 1 s; lower max_size, "
        r"steps or octaves\.",
        said["status"],
    )


def test_the_page_says_about_how_long_a_dream_takes_and_nothing_without_a_photo() -> None:
    quick = dreaming.estimate_ui((96, 64), **control_values(TINY))
    slow = dreaming.estimate_ui((512, 512), **control_values(TINY.replace(max_size=1024, steps=50, octaves=4)))
    assert re.fullmatch(rf"{ABOUT} on this machine.*\.", quick.lower())
    assert said_seconds(slow) > said_seconds(quick)
    assert dreaming.estimate_ui((96, 64), **{**control_values(TINY), "steps": 1000}) == ""  # Dream says what is wrong
    assert dreaming.estimate_ui(None, **control_values(TINY)) == ""  # no photo, no figure


def test_the_estimate_follows_the_steps_down_as_well_as_up() -> None:
    """From 10 steps to 1 the work is a tenth (less the fixed cost of a step): the figure follows."""
    settings = DreamSettings(max_size=1024, steps=10, octaves=4, device="cpu")
    ten, one = (dreaming.quiet_estimate((1024, 768), control_values(settings.replace(steps=n))) for n in (10, 1))
    assert ten is not None and one is not None and one.seconds == pytest.approx(ten.seconds / 10, rel=0.01)


def test_the_estimate_says_the_line_and_the_load() -> None:
    estimate = Estimate(seconds=8.0, megapixel_steps=4.0, model="efficientnet_lite0", device="cpu", measured=True)
    quiet, alone = Load(others=0.0, cores=2.0, threads=2.0), line.Place(0, 0.0, 0)
    assert dreaming.said_estimate(estimate, quiet, alone) == "About 8 s on this machine."
    busy = Load(others=2.0, cores=2.0, threads=2.0)  # another process keeps both cores busy: twice as long
    assert dreaming.said_estimate(estimate, busy, alone) == "About 16 s on this machine (busy now)."
    behind = line.Place(ahead=2, seconds=40.0, alongside=0)
    said = dreaming.said_estimate(replace(estimate, measured=False), quiet, behind)
    assert said == "About 8 s on this machine (a first guess), after about 40 s in line (2 dreams ahead)."
    beside = line.Place(ahead=1, seconds=0.0, alongside=1)  # two workers: it starts at once, beside the one running
    assert dreaming.said_estimate(estimate, quiet, beside) == "About 16 s on this machine (busy now)."


def test_a_new_photo_keeps_its_upright_size_for_the_estimate(files: dict[str, Path], uploads: Path) -> None:
    """The estimate reads the size kept when the photo came, never the file: a sideways JPEG counts upright."""
    sideways = uploads / "sideways.jpg"
    sideways.write_bytes(files["sideways.jpg"].read_bytes())
    stored = Image.open(sideways).size
    updates = photo.photo_changed(str(sideways), dreaming.START)
    assert updates["photo_size"] == (stored[1], stored[0])
    assert photo.photo_changed(None, dreaming.START)["photo_size"] is None


def test_the_estimate_follows_every_control_the_photo_and_the_line() -> None:
    """Each setting control's change, a new photo's size and the line's clock say the estimate again."""
    demo = build_demo(StudioConfig())
    blocks = {block._id: block for block in demo.blocks.values()}
    [estimate] = [d for d in demo.config["dependencies"] if d["api_name"] == "estimate_ui"]
    said_on = {
        (getattr(blocks[target], "elem_id", None) or type(blocks[target]).__name__, event)
        for target, event in estimate["targets"]
    }
    controls = {blocks[i].elem_id for i in estimate["inputs"] if getattr(blocks[i], "elem_id", None)}
    assert controls >= {"steps", "octaves", "octave-scale", "max-size", "layer", "model", "tile-size", "wrap"}
    assert {(control, "change") for control in controls} <= said_on
    assert ("State", "change") in said_on and ("Timer", "tick") in said_on  # the photo's size; the line and load
