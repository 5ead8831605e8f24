"""The controls hold every setting, by name: settings -> controls -> settings is exact, and none is forgotten."""

from __future__ import annotations

import dataclasses

import gradio as gr
import pytest

from deepdream_core import DreamSettings, LayerTarget, SettingsError, get_spec
from deepdream_core.dreaming.settings import RANGES
from deepdream_studio import build_demo
from deepdream_studio.config import StudioConfig
from deepdream_studio.controls import (
    API_ONLY,
    CHOICE_CONTROLS,
    COMPOSITE,
    SLIDERS,
    SettingControls,
    class_choices,
    model_changed,
    settings_from_values,
)
from tests.support.controls import control_values


def test_every_setting_has_a_control_or_is_api_only() -> None:
    fields = {f.name for f in dataclasses.fields(DreamSettings)}
    shown = set(SLIDERS) | set(CHOICE_CONTROLS) | set(COMPOSITE) | set(API_ONLY)
    assert fields == shown, f"no control for {sorted(fields - shown)}; controls for unknown {sorted(shown - fields)}"
    assert set(SLIDERS) <= set(RANGES)  # a slider's bounds are the ones every entry point checks


def test_the_page_builds_every_control_by_name() -> None:
    with gr.Blocks():
        demo_controls = SettingControls()
        demo_controls.model(), demo_controls.layer(), demo_controls.layer_mix()
        demo_controls.class_target(), demo_controls.seed()
        for name in SLIDERS:
            demo_controls.slider(name)
        for name in CHOICE_CONTROLS:
            demo_controls.choice(name)
    expected = (
        set(SLIDERS) | set(CHOICE_CONTROLS) | {control for controls in COMPOSITE.values() for control in controls}
    )
    assert set(demo_controls.by_name) == expected
    steps = demo_controls.by_name["steps"]
    assert (steps.minimum, steps.maximum, steps.value) == (RANGES["steps"].low, RANGES["steps"].high, 10)


@pytest.mark.parametrize(
    "settings",
    [
        DreamSettings(),
        DreamSettings(
            layers=(LayerTarget("blocks.3", 0.5, (3, 7)), LayerTarget("blocks.5.0", -1.25)),
            steps=20,
            octaves=6,
            octave_scale=1.7,
            step_size=2.25,
            jitter=12,
            smoothing=1.5,
            seed=1234,
            max_size=512,
            tile_size=256,
        ),
        DreamSettings(class_target="281", class_weight=4.0, guide_weight=3.0, seed=None),
        DreamSettings(model="googlenet", layers=(LayerTarget("inception4c"),)),
        DreamSettings(
            gradient_norm="laplacian",
            parameterization="fourier",
            transform_robustness=0.5,
            keep_colors=True,
            wrap="xy",
            channel_pick="weakest",
            channel_count=3,
        ),
    ],
)
def test_controls_hold_every_setting(settings: DreamSettings) -> None:
    restored = settings_from_values(control_values(settings))
    expected = (
        settings if settings.layers else settings.replace(layers=(LayerTarget(get_spec(settings.model).default_layer),))
    )
    assert restored == expected


def test_a_class_by_name_shows_as_the_models_own_class() -> None:
    values = control_values(DreamSettings(class_target="tabby cat"))
    assert settings_from_values(values).class_target == "281"
    assert ("tabby, tabby cat", "281") in class_choices("efficientnet_lite0")


def test_bad_control_values_fail_with_the_settings_message() -> None:
    values = control_values(DreamSettings())
    # Each control's value is checked by that control's name, as typed: not as the "layer:weight:channels" text
    # the controls are joined into, which the visitor never typed.
    values["channels"] = "3, abc, -5"
    with pytest.raises(SettingsError) as refused:
        settings_from_values(values)
    assert str(refused.value) == "channels: each must be a whole number from 0 to 65535, separated by commas, got 'abc'"
    with pytest.raises(SettingsError, match="got '-5'"):
        settings_from_values({**values, "channels": "3, -5"})


def test_another_model_offers_its_own_layers_and_classes() -> None:
    updates = model_changed("googlenet")
    assert updates["layer"]["value"] == get_spec("googlenet").default_layer
    assert ("inception4c", "inception4c") in [(v, v) for _, v in updates["layer"]["choices"]]
    assert updates["class_target"]["value"] == ""


def test_config_comes_from_the_environment_and_refuses_nonsense() -> None:
    config = StudioConfig.from_env(
        {"DEEPDREAM_CONCURRENCY": "2", "DEEPDREAM_PREVIEW_INTERVAL_MS": "0", "DEEPDREAM_MOTION_MAX_FRAMES": "100000"}
    )
    assert (config.concurrency, config.preview_interval_s, config.queue_size) == (2, 0.0, 16)
    assert config.motion_max_frames == 600  # capped at what the engine allows
    with pytest.raises(SystemExit, match="DEEPDREAM_QUEUE_SIZE must be a whole number of at least 1, got '0'"):
        StudioConfig.from_env({"DEEPDREAM_QUEUE_SIZE": "0"})


def test_the_page_wires_every_handler_with_its_special_arguments(recwarn: pytest.WarningsRecorder) -> None:
    """Gradio warns when a handler's parameters do not match its inputs (a lost gr.Request or gr.SelectData)."""
    demo = build_demo(StudioConfig())
    assert not [w for w in recwarn if "arguments for function" in str(w.message)]
    names = {dependency["api_name"] for dependency in demo.config["dependencies"]}
    assert {"dream", "dream_stream", "animate", "dream_video"} <= names  # the API
    assert {"dream_ui", "gallery_selected", "restore_link", "animate_ui", "video_ui"} <= names  # the page
