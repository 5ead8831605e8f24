"""The app's controls hold every setting: settings -> controls -> settings is exact, and a painted mask is white where painted."""

from __future__ import annotations

import pytest
from PIL import Image

from deepdream_core import DreamSettings, LayerTarget, SettingsError


@pytest.fixture(scope="module")
def app():
    import app

    return app


def control_values(app, settings: DreamSettings) -> list:
    """What the browser would send back after the app filled its controls with ``settings``."""
    values = []
    for update in app.controls_from_settings(settings):
        if isinstance(update, dict):
            update = update.get("value", 0)  # gr.skip() leaves the seed box as it was
        values.append(update)
    return values


@pytest.mark.parametrize("settings", [
    DreamSettings(),
    DreamSettings(layers=(LayerTarget("blocks.3", 0.5, (3, 7)), LayerTarget("blocks.5.0", -1.25)), steps=20,
                  octaves=6, octave_scale=1.7, step_size=2.25, jitter=12, smoothing=1.5, seed=1234, max_size=512,
                  tile_size=256),
    DreamSettings(class_target="281", class_weight=4.0, guide_weight=3.0, seed=None),
    DreamSettings(model="googlenet", layers=(LayerTarget("inception4c"),)),
])
def test_controls_hold_every_setting(app, settings: DreamSettings) -> None:
    restored = app.settings_from_controls(*control_values(app, settings))
    expected = settings if settings.layers else settings.replace(
        layers=(LayerTarget(app.get_spec(settings.model).default_layer),))
    assert restored == expected


def test_a_class_by_name_shows_as_the_models_own_class(app) -> None:
    values = control_values(app, DreamSettings(class_target="tabby cat"))
    assert app.settings_from_controls(*values).class_target == "281"
    assert ("tabby, tabby cat", "281") in app._class_choices("efficientnet_lite0")


def test_bad_control_values_fail_with_the_settings_message(app) -> None:
    values = control_values(app, DreamSettings())
    values[3] = "3, x"  # channels
    with pytest.raises(SettingsError, match="channels whole numbers"):
        app.settings_from_controls(*values)


def test_painted_strokes_become_a_white_mask_at_working_size(app) -> None:
    strokes = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    strokes.paste((255, 0, 200, 150), (0, 0, 100, 100))  # the left half, half transparent like the brush
    mask = app._mask_from_editor({"background": None, "layers": [strokes], "composite": None}, (100, 50))
    assert mask.mode == "L" and mask.size == (100, 50)
    assert mask.getpixel((10, 25)) == 255 and mask.getpixel((90, 25)) == 0
    empty = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    assert app._mask_from_editor({"background": None, "layers": [empty], "composite": None}, (100, 50)) is None
