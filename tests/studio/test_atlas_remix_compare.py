"""The layer picker, Remix and the Compare tab's handlers, and /sweep's, as plain functions on the real engine."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import gradio as gr
import pytest
from PIL import Image

from deepdream_core import BUNDLED_MODEL, DreamSettings, get_spec
from deepdream_core.files.links import from_query
from deepdream_core.jobs import atlas as core_atlas
from deepdream_studio import api
from deepdream_studio.config import StudioConfig
from deepdream_studio.controls import settings_from_values
from deepdream_studio.sharing import make_link
from deepdream_studio.sweeps import variants_from_request
from deepdream_studio.tabs import compare, dreaming, layers, remix
from tests.support.controls import control_values

pytestmark = pytest.mark.usefixtures("uploads", "empty_cache")  # uploads: tests/studio/conftest.py

TINY = DreamSettings(max_size=48, steps=1, octaves=1, seed=3)
CONFIG = StudioConfig(atlas_size=40)
LAYERS = [layer.path for layer in get_spec(BUNDLED_MODEL).layers]


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty atlas cache for this test."""
    monkeypatch.setenv("DEEPDREAM_CACHE", str(tmp_path / "cache"))


def selected(index: int) -> gr.SelectData:
    return gr.SelectData(None, {"index": index, "value": None})


# -- the layer picker --------------------------------------------------------------------------------------


def test_the_bundled_atlas_shows_every_layer_with_its_description() -> None:
    shown = layers.atlas_shown(CONFIG, BUNDLED_MODEL)
    items = shown["atlas_gallery"]["value"]
    assert [caption.split(":")[0] for _, caption in items] == LAYERS
    assert items[3][1] == f"blocks.3: {get_spec(BUNDLED_MODEL).layer_description('blocks.3')}"
    assert shown["atlas_render"]["visible"] is False and shown["atlas_note"] == layers.ABOUT
    assert layers.atlas_selected(CONFIG, BUNDLED_MODEL, selected(5))["layer"] == "blocks.5.0"


def test_a_network_whose_atlas_is_not_rendered_offers_to_render_it() -> None:
    shown = layers.atlas_shown(CONFIG, "resnet50")  # nothing downloads to find out
    assert shown["atlas_gallery"]["visible"] is False and shown["atlas_render"]["visible"] is True
    assert "not rendered yet (6 of 6 layers)" in shown["atlas_note"] and "weights download first" in shown["atlas_note"]


def test_rendering_an_atlas_streams_each_picture_into_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(core_atlas, "SHIPPED_DIR", tmp_path / "nothing-shipped")  # the bundled model, on request
    assert layers.atlas_shown(CONFIG, BUNDLED_MODEL)["atlas_render"]["visible"] is True
    updates = list(layers.atlas_render_ui(CONFIG, BUNDLED_MODEL))
    counts = [len(update["atlas_gallery"]["value"]) for update in updates]
    assert counts == [*range(1, len(LAYERS) + 1), len(LAYERS)], "one more picture each time, then the atlas"
    final = updates[-1]
    assert final["atlas_render"]["visible"] is False and final["atlas_note"] == layers.ABOUT
    assert all(Path(path).is_relative_to(tmp_path / "cache" / "atlas") for path, _ in final["atlas_gallery"]["value"])


def test_the_channels_a_photo_stirs_stream_in_and_a_click_sets_the_channel(cat_png: str) -> None:
    updates = list(layers.channels_ui(cat_png, BUNDLED_MODEL, "blocks.2"))
    assert [len(update["channel_gallery"]["value"]) for update in updates] == list(range(1, 13))
    channels = updates[-1]["channel_list"]
    assert len(set(channels)) == 12 and updates[-1]["channel_gallery"]["value"][4][1] == f"channel {channels[4]}"
    assert layers.channel_selected(channels, selected(4)) == {"channels": str(channels[4])}
    with pytest.raises(gr.Error, match="Pick a layer first"):
        list(layers.channels_ui(cat_png, BUNDLED_MODEL, ""))
    with pytest.raises(gr.Error, match="Add a photo first"):
        list(layers.channels_ui(None, BUNDLED_MODEL, "blocks.2"))
    with pytest.raises(gr.Error, match="has no layer 'nope'"):
        list(layers.channels_ui(cat_png, BUNDLED_MODEL, "nope"))


# -- remix -------------------------------------------------------------------------------------------------


def remixed_settings(updates: dict) -> dict:
    """The controls' values after a remix, as the browser would send them back."""
    values = {}
    for name, update in updates.items():
        values[name] = update.get("value", 0) if isinstance(update, dict) else update
    return values


def test_remix_changes_one_value_and_the_link_holds_it() -> None:
    values = control_values(TINY.replace(steps=10))
    updates = remix.remix_settings("steps", "20", **values)
    assert updates["status"] == "Remixing: steps 10 → 20…"
    after = {**values, **{k: v for k, v in remixed_settings(updates).items() if k in values}}
    link, _ = make_link("http://host/", None, **after)
    restored = from_query(dict(urllib.parse.parse_qsl(link.split("?")[1])))
    remixed = settings_from_values(after)
    assert remixed == settings_from_values(values).replace(steps=20)
    assert restored.settings == remixed and restored.ignored == []


def test_remix_with_a_new_seed_fixes_that_seed_so_the_link_reproduces_it() -> None:
    values = control_values(TINY.replace(seed=None))
    updates = remix.remix_settings(remix.NEW_SEED, "", **values)
    assert updates["random_seed"] is False and isinstance(updates["seed"], int)
    assert updates["status"] == f"Remixing: seed none → {updates['seed']}…"
    after = {**values, "seed": updates["seed"], "random_seed": False}
    link, _ = make_link("http://host/", None, **after)
    assert f"seed={updates['seed']}" in link
    assert remix.remix_settings(remix.NEW_SEED, "42", **values)["seed"] == 42
    # Another change with a random seed set: the seed is drawn now and kept, so the link reproduces this dream too.
    steps = remix.remix_settings("steps", "7", **values)
    assert steps["random_seed"] is False and isinstance(steps["seed"], int) and steps["steps"] == 7


def test_a_bad_remix_value_names_the_setting() -> None:
    said = remix.remix_settings("steps", "1000", **control_values(TINY))
    # In the status line, by the control's label; nothing else changes.
    assert said == {"status": "⚠️ Steps per octave: must be from 1 to 100, got 1000."}
    # and the dream that follows a remix does not run: the page stays as it was.
    assert list(dreaming.remixed_ui(CONFIG, said["status"], None, None, None, None, **control_values(TINY))) == [{}]
    assert remix.remix_hint("steps", **control_values(TINY))["placeholder"] == "now 1"


# -- comparison sheets -------------------------------------------------------------------------------------


def test_compare_streams_the_sheet_then_the_png(cat_png: str, uploads: Path) -> None:
    values = control_values(TINY)
    start, *frames = list(
        compare.compare_ui(CONFIG, cat_png, compare.ONE_SETTING, "steps", "1, 2, 3", None, "", 48, None, None, **values)
    )
    assert start[2].startswith("Dreaming… 0 of 3 done") and len(frames) == 3
    assert all(isinstance(sheet, Image.Image) and download["visible"] is False for sheet, download, _ in frames[:2])
    # The photo scaled to the working size is normal use: said quietly under the status, never as a warning.
    scaled = "<small>The image is 96x64 pixels; it was scaled down to 48x32 (the maximum working size is 48).</small>"
    assert frames[0][2] == f"Dreaming… 1 of 3 done (steps = 1)  \n{scaled}"
    png, download, status = frames[-1]
    assert Path(png).is_relative_to(uploads) and png.endswith(".png") and download["value"] == png
    assert status.startswith("Done in") and "3 dreams" in status
    looks = list(
        compare.compare_ui(
            CONFIG, cat_png, compare.LOOKS, "steps", "", ["gentle", "eyes"], "", 48, None, None, **values
        )
    )
    assert len(looks) == 3 and "2 dreams" in looks[-1][2]
    for typed, said in (
        ("1", "⚠️ Steps per octave: a sheet compares 2 to 6 values, got 1."),
        ("5, banana", "⚠️ Steps per octave: must be a whole number from 1 to 100, got 'banana'."),
    ):  # said in the tab's status line, the sheet and download left as they were
        assert list(
            compare.compare_ui(CONFIG, cat_png, compare.ONE_SETTING, "steps", typed, None, "", 48, None, None, **values)
        ) == [(gr.skip(), gr.skip(), said)]


def test_the_sweep_request_names_what_is_wrong() -> None:
    assert [v.label for v in variants_from_request({"steps": 2}, {"setting": "octaves", "values": "1,2,3"})] == [
        "octaves = 1",
        "octaves = 2",
        "octaves = 3",
    ]
    assert variants_from_request({"preset": "eyes"}, {"setting": "seed", "values": [1, 2, 3]})[0].settings.steps == 12
    with pytest.raises(gr.Error, match="sweep: name a setting or presets to compare"):
        next(api.sweep(CONFIG, None, "{}", "{}"))
    with pytest.raises(gr.Error, match=r"sweep: unknown key .+colour"):
        next(api.sweep(CONFIG, None, "{}", '{"colour": 1, "setting": "steps"}'))
    with pytest.raises(gr.Error, match=r"leave .+preset.+ out of the settings"):
        next(api.sweep(CONFIG, None, '{"preset": "eyes"}', '{"presets": ["eyes", "gentle"]}'))
    with pytest.raises(gr.Error, match="values: send a list"):
        next(api.sweep(CONFIG, None, "{}", '{"setting": "steps", "values": 5}'))


def test_the_sweep_endpoint_streams_then_returns_the_png(cat_png: str) -> None:
    settings = json.dumps({"max_size": 48, "octaves": 1})
    *partial, (png, status) = api.sweep(CONFIG, cat_png, settings, '{"setting": "steps", "values": [1, 2, 3]}', None)
    assert [text for _, text in partial] == ["Dreaming… 1 of 3 done (steps = 1)", "Dreaming… 2 of 3 done (steps = 2)"]
    assert Image.open(png).format == "PNG" and status.startswith("Done in")
