"""Share links and preset files: settings round-trip through a URL, and bad links still open."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest
from PIL import Image

from deepdream_core import DreamSettings, LayerTarget, SettingsError
from deepdream_core.files.links import from_query, to_query
from deepdream_core.files.presets import all_presets, guide_path, load_preset, settings_with_preset


@pytest.fixture
def presets(tmp_path: Path) -> Path:
    """A presets folder with two presets, one with a guide image."""
    Image.new("RGB", (8, 8), "red").save(tmp_path / "eyes.jpg")
    Image.new("RGB", (8, 8), "blue").save(tmp_path / "guide.jpg")
    (tmp_path / "eyes.json").write_text(
        json.dumps(
            {
                "title": "Eyes",
                "description": "Eyes everywhere",
                "family": "creatures",
                "order": 20,
                "thumbnail": "eyes.jpg",
                "settings": {"layers": [{"layer": "blocks.3", "weight": 1.0}], "steps": 12},
            }
        )
    )
    (tmp_path / "guided.json").write_text(
        json.dumps({"title": "Guided", "order": 10, "guide": "guide.jpg", "settings": {"octaves": 3}})
    )
    return tmp_path


def parse(query: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(query, keep_blank_values=True))


def test_full_settings_round_trip_exactly(presets: Path) -> None:
    settings = DreamSettings(
        layers=(LayerTarget("blocks.4", 0.123456789, (3, 7)), LayerTarget("blocks.5.0", -2.0)),
        class_target="tabby cat",
        steps=20,
        step_size=1.25,
        seed=None,
        octave_scale=1.7,
        max_size=512,
    )
    link = from_query(parse(to_query(settings, folder=presets)), folder=presets)
    assert link.settings == settings and link.preset is None and link.ignored == []


def test_link_names_the_preset_and_only_what_differs(presets: Path) -> None:
    settings = load_preset("eyes", presets).settings.replace(steps=30)
    query = to_query(settings, preset="eyes", folder=presets)
    assert parse(query) == {"preset": "eyes", "steps": "30"}
    link = from_query(parse(query), folder=presets)
    assert link.settings == settings and link.preset == "eyes"


def test_machine_settings_are_not_shared() -> None:
    assert to_query(DreamSettings(device="cpu", precision="fp32")) == ""


def test_bad_link_opens_with_each_bad_value_named(presets: Path) -> None:
    link = from_query(
        {
            "preset": "../../etc/passwd",
            "steps": "1000",
            "octaves": "3",
            "colour": "red",
            "layers": "blocks.4:heavy",
            "__theme": "dark",
        },
        folder=presets,
    )
    assert link.preset is None
    assert link.settings == DreamSettings(octaves=3)
    assert link.ignored == [
        "preset: unknown preset '../../etc/passwd'; choose one of eyes, guided",
        "steps: must be from 1 to 100, got 1000",
        "colour: unknown setting; known settings are channel_count, channel_pick, class_target, class_weight, "
        "device, gradient_norm, guide_weight, jitter, keep_colors, layers, max_size, model, octave_scale, octaves, "
        "parameterization, precision, seed, smoothing, step_size, steps, tile_size, transform_robustness, wrap",
        "layers: weight must be a number and channels whole numbers, got 'blocks.4:heavy'",
    ]


def test_a_layer_the_network_does_not_have_is_refused_when_the_link_opens(presets: Path) -> None:
    # Known from the architecture, without weights: a listed dream layer, or any module path of the network.
    link = from_query({"layers": "blocks.99;blocks.2:0.5;conv_stem;<script>alert(1)</script>"}, folder=presets)
    assert link.settings.layers == (LayerTarget("blocks.2", 0.5), LayerTarget("conv_stem"))
    hint = "list them with `python -m deepdream_core layers efficientnet_lite0`"
    assert link.ignored == [
        f"layers: model 'efficientnet_lite0' has no layer 'blocks.99'; {hint}",
        f"layers: model 'efficientnet_lite0' has no layer '<script>alert(1)</script>'; {hint}",
    ]
    # A preset's layer that another network named by the link lacks is refused too, so the dream does not fail.
    link = from_query({"preset": "eyes", "model": "googlenet"}, folder=presets)
    assert link.settings.model == "googlenet" and link.settings.layers == ()
    assert link.ignored == [
        "layers: model 'googlenet' has no layer 'blocks.3'; list them with `python -m deepdream_core layers googlenet`"
    ]
    # A network that does not exist is left to whoever offers networks (the page names its own).
    assert from_query({"model": "nosuchnet", "layers": "blocks.3"}, folder=presets).ignored == []


def test_settings_start_from_a_named_preset_and_its_guide_is_found(presets: Path) -> None:
    data = {"preset": "guided", "steps": 3}
    settings, preset = settings_with_preset(data, presets)
    assert preset == load_preset("guided", presets) and settings == preset.settings.replace(steps=3)
    assert data == {"preset": "guided", "steps": 3}  # the caller's dict is left as it was
    assert guide_path(preset) == presets / "guide.jpg"
    assert guide_path(preset, "mine.png") == Path("mine.png")  # a guide given wins over the preset's
    assert settings_with_preset({"steps": 3, "preset": ""}, presets) == (DreamSettings(steps=3), None)
    assert guide_path(None) is None and guide_path(load_preset("eyes", presets)) is None
    with pytest.raises(SettingsError, match="preset: unknown preset 'nope'; choose one of eyes, guided"):
        settings_with_preset({"preset": "nope"}, presets)
    with pytest.raises(SettingsError, match="stepz: unknown setting"):
        settings_with_preset({"preset": "eyes", "stepz": 3}, presets)


def test_presets_load_in_gallery_order_with_their_files(presets: Path) -> None:
    guided, eyes = all_presets(presets)
    assert (guided.name, eyes.name) == ("guided", "eyes")
    assert guided.guide == presets / "guide.jpg" and guided.thumbnail is None
    assert eyes.thumbnail == presets / "eyes.jpg" and eyes.family == "creatures"
    assert eyes.settings == DreamSettings(layers=(LayerTarget("blocks.3"),), steps=12)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("thumbnail", "../outside.jpg", "thumbnail '../outside.jpg' is not a file in"),
        ("guide", "missing.jpg", "guide 'missing.jpg' is not a file in"),
        ("colour", "red", "unknown key 'colour'"),
    ],
)
def test_preset_files_are_checked(presets: Path, key: str, value: str, message: str) -> None:
    (presets.parent / "outside.jpg").write_bytes(b"")
    (presets / "bad.json").write_text(json.dumps({"title": "Bad", key: value}))
    with pytest.raises(SettingsError, match=message):
        load_preset("bad", presets)
