"""The Python API as the README shows it, and the one settings object's round trip through JSON.

The README's Python block is run as written (on a small photo saved as photo.jpg), so the
documented API cannot drift from the code without this failing.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from deepdream_core import DreamSettings, LayerTarget, SettingsError
from deepdream_core.dreaming.settings import format_layer, parse_layer
from deepdream_core.files.presets import load_preset
from tests.support import REPO
from tests.support.photos import skimage_photo

README = REPO / "README.md"


def readme_python_block() -> str:
    """The first ```python block after the README's "## Python API" heading."""
    section = README.read_text().split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_python_api_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = skimage_photo("chelsea", 64)  # 64x43: the snippet's steps stay quick, its smaller octaves drop out
    photo.save(tmp_path / "photo.jpg")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(readme_python_block(), "README.md", "exec"), namespace)
    result, settings = namespace["result"], namespace["settings"]
    assert result.size == photo.size == (64, 43)
    assert [t.layer for t in settings.layers] == ["blocks.3", "blocks.5.0"]
    # One printed line per event: 1 octave (43 px / 1.4 is under 32 px) of 12 steps, and the result.
    lines = printed.getvalue().splitlines()
    assert len(lines) == 12 + 1
    assert lines[0].split()[:2] == ["1", "1"] and lines[-1].split()[:2] == ["1", "12"]
    assert all(float(line.split()[2]) > 0 for line in lines)  # the losses
    assert namespace["event"].final and namespace["event"].image.size == (64, 43)


def test_readme_bring_your_own_network_line_runs_as_written() -> None:
    import torchvision

    line = re.search(r"Bring your own network: `(.*?)`", README.read_text()).group(1)
    image = skimage_photo("chelsea", 64)
    scope = {
        "Dreamer": __import__("deepdream_core").Dreamer,
        "DreamSettings": DreamSettings,
        "LayerTarget": LayerTarget,
        "module": torchvision.models.resnet18(weights=None),
        "mean": (0.485, 0.456, 0.406),
        "std": (0.229, 0.224, 0.225),
        "device": "cpu",
        "image": image,
    }
    result = eval(line, scope)
    assert result.size == image.size and result.tobytes() != image.tobytes()


def test_readme_pieces_of_a_dream_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = README.read_text().split("## Python API", 1)[1].split("\n## ", 1)[0]
    pieces = re.findall(r"```python\n(.*?)```", section, re.S)[1]
    photo = skimage_photo("chelsea", 64)
    photo.save(tmp_path / "photo.jpg")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(pieces, "README.md", "exec"), namespace)
    assert namespace["result"].size == photo.size
    assert "channels(blocks.5.0, [3, 7])" in namespace["objective"].name


# -- one settings object, the same through dicts, JSON and presets ---------------------------------------

EVERYTHING_CHANGED = DreamSettings(
    model="googlenet",
    layers=(LayerTarget("inception4c", 0.5, (3, 7)), LayerTarget("inception3b", -1.0)),
    class_target="281",
    class_weight=2.5,
    guide_weight=0.25,
    octaves=3,
    octave_scale=1.3,
    steps=7,
    step_size=2.25,
    jitter=16,
    smoothing=1.0,
    seed=None,
    max_size=512,
    tile_size=256,
    device="cpu",
    precision="bf16",
)


@pytest.mark.parametrize("settings", [DreamSettings(), EVERYTHING_CHANGED])
def test_to_dict_and_from_dict_round_trip_exactly_through_json(settings: DreamSettings) -> None:
    data = json.loads(json.dumps(settings.to_dict()))
    assert DreamSettings.from_dict(data) == settings
    assert DreamSettings.from_dict(data, base=EVERYTHING_CHANGED if settings == DreamSettings() else None) == settings


def test_layers_from_text_lists_and_dicts_are_the_same() -> None:
    expected = (LayerTarget("blocks.3", 0.5, (1, 2)), LayerTarget("blocks.5.0"))
    for layers in [
        "blocks.3:0.5:1,2;blocks.5.0",
        ["blocks.3:0.5:1,2", "blocks.5.0"],
        [{"layer": "blocks.3", "weight": 0.5, "channels": [1, 2]}, {"layer": "blocks.5.0"}],
    ]:
        assert DreamSettings.from_dict({"layers": layers}).layers == expected


@pytest.mark.parametrize(
    "target",
    [
        LayerTarget("blocks.4"),
        LayerTarget("blocks.4", 0.5, (3, 7)),
        LayerTarget("blocks.5.0", -2.0),
        LayerTarget("blocks.3", 0.123456789),
        LayerTarget("blocks.3", 1e-7, (0,)),
        LayerTarget("blocks.3", 2),
    ],
)
def test_a_layer_as_text_reads_back_exactly(target: LayerTarget) -> None:
    text = format_layer(target)
    assert parse_layer(text) == target
    assert text.startswith(f"{target.layer}:")


def test_a_layer_as_text_is_short_when_its_weight_is() -> None:
    assert format_layer(LayerTarget("blocks.4", 0.5, (3, 7))) == "blocks.4:0.5:3,7"
    assert format_layer(LayerTarget("blocks.4")) == "blocks.4:1"


def test_with_seed_keeps_a_fixed_seed_and_draws_one_for_random() -> None:
    fixed = DreamSettings(seed=5, steps=3)
    assert fixed.with_seed() is fixed
    drawn = DreamSettings(seed=None, steps=3).with_seed()
    assert isinstance(drawn.seed, int)  # validated against RANGES["seed"] like any other value
    assert drawn.replace(seed=None) == DreamSettings(seed=None, steps=3)


def test_preset_layers_become_layer_targets(tmp_path: Path) -> None:
    (tmp_path / "two.json").write_text(
        json.dumps(
            {
                "title": "Two layers",
                "description": "eyes and fur",
                "settings": {
                    "layers": [{"layer": "blocks.3", "weight": 0.5, "channels": [4]}, {"layer": "blocks.4"}],
                    "steps": 5,
                },
            }
        )
    )
    preset = load_preset("two", tmp_path)
    assert (preset.title, preset.description) == ("Two layers", "eyes and fur")
    assert preset.settings == DreamSettings(
        layers=(LayerTarget("blocks.3", 0.5, (4,)), LayerTarget("blocks.4")), steps=5
    )


def test_unknown_setting_names_the_key_and_lists_the_known_ones() -> None:
    with pytest.raises(SettingsError, match="stepz: unknown setting; known settings are ") as err:
        DreamSettings.from_dict({"stepz": 3})
    assert err.value.field == "stepz" and "steps" in str(err.value)
