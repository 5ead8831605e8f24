"""How the command line turns flags into settings: every setting has its flag (derived from the settings
dataclasses, so a new setting has one too), options the process decides once (CUDA graphs), and one input
object built in ``main()`` that says where a command's settings come from."""

from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image

from deepdream_core import AnimationSettings, DreamSettings, LayerTarget, LiveSettings, SettingsError, VideoSettings
from deepdream_core.cli import main
from deepdream_core.cli.args import SettingsInput, add_settings_flags, build_parser, flag_settings
from deepdream_core.dreaming.cache import cuda_graphs_on, set_cuda_graphs
from deepdream_core.dreaming.settings import RANGES, Range, RangedSettings, field_kinds, format_layer
from deepdream_core.files.presets import load_preset
from deepdream_core.motion.segments import SegmentSettings

QUICK = ["--max-size", "48", "--steps", "1", "--octaves", "1", "--quiet"]


def test_cuda_graphs_are_a_flag_the_cli_hands_to_the_engine(tmp_path: Path) -> None:
    try:
        assert main(["dream", "noise", "-o", str(tmp_path / "graphs.png"), *QUICK, "--cuda-graphs"]) == 0
        assert cuda_graphs_on()
        # On the CPU there is nothing to replay: the same dream as without the flag.
        assert main(["dream", "noise", "-o", str(tmp_path / "eager.png"), *QUICK, "--seed", "0"]) == 0
        assert not cuda_graphs_on()
        main(["dream", "noise", "-o", str(tmp_path / "graphs.png"), *QUICK, "--seed", "0", "--cuda-graphs"])
        assert np.array_equal(
            np.asarray(Image.open(tmp_path / "graphs.png")), np.asarray(Image.open(tmp_path / "eager.png"))
        )
    finally:
        set_cuda_graphs(False)


# -- one list of settings: the dataclasses --------------------------------------------------------------------

COMMANDS = {  # each settings class, and a command line whose flags set it
    DreamSettings: ["dream", "noise", "-o", "x.png"],
    AnimationSettings: ["animate", "noise", "-o", "x.gif"],
    VideoSettings: ["video", "clip.mp4", "-o", "x.mp4"],
    SegmentSettings: ["video", "clip.mp4", "-o", "x.mp4"],
    LiveSettings: ["live", "0", "-o", "x.mp4"],
}


def a_value(settings_class: type[RangedSettings], name: str) -> object:
    """A value for the field other than its default, as the field holds it."""
    kind, default = field_kinds(settings_class)[name], getattr(settings_class(), name)
    if name in settings_class.RANGES:
        rng = settings_class.RANGES[name]
        return int(rng.high) if rng.integer else rng.high
    if name in settings_class.CHOICES:
        return next(word for word in reversed(settings_class.CHOICES[name]) if word != default)
    if kind.switch:
        return not default
    return {"model": "googlenet", "class_target": "tabby cat", "layers": (LayerTarget("inception4c", 0.5, (3,)),)}[name]


def as_flags(name: str, value: object) -> list[str]:
    """The flags a user types to give the field this value."""
    if name == "layers":
        return [arg for target in value for arg in ("--layer", format_layer(target))]  # type: ignore[attr-defined]
    if name in ("channel_pick", "channel_count"):
        return []  # set together by --channels, below
    if name in ("translate_x", "translate_y"):
        return []  # set together by --translate, below
    flag = "--" + name.replace("_", "-")
    if isinstance(value, bool):
        return [flag if value else flag.replace("--", "--no-", 1)]
    return [flag, f"{value:g}" if isinstance(value, float) else str(value)]


@pytest.mark.parametrize("settings_class", list(COMMANDS), ids=lambda c: c.__name__)
def test_every_field_of_every_settings_class_is_a_flag_of_its_command(settings_class: type[RangedSettings]) -> None:
    values = {name: a_value(settings_class, name) for name in field_kinds(settings_class)}
    line = [*COMMANDS[settings_class], *(flag for name, value in values.items() for flag in as_flags(name, value))]
    if settings_class is DreamSettings:
        line += ["--channels", f"{values['channel_pick']}:{values['channel_count']}"]
    if settings_class is AnimationSettings:
        line += ["--translate", f"{values['translate_x']:g},{values['translate_y']:g}"]
    args = build_parser().parse_args(line)
    if settings_class is DreamSettings:
        settings, _ = SettingsInput.from_args(args).settings()
    else:
        given = flag_settings(args, settings_class)
        if settings_class is AnimationSettings:
            given["translate_x"], given["translate_y"] = args.translate.split(",")
        settings = settings_class.from_dict(given)
    assert {name: getattr(settings, name) for name in values} == values


@pytest.mark.parametrize("name", [spec.name for spec in dataclasses.fields(DreamSettings)])
def test_every_dream_setting_is_checked_and_read_from_a_preset(name: str, tmp_path: Path) -> None:
    value = a_value(DreamSettings, name)
    changed = DreamSettings().replace(**{name: value})
    (tmp_path / "every.json").write_text(json.dumps({"title": "Every", "settings": {name: changed.to_dict()[name]}}))
    assert getattr(load_preset("every", tmp_path).settings, name) == value
    if name in RANGES:
        too_big = RANGES[name].high + 1
        with pytest.raises(SettingsError, match=f"^{name}: must be .*from {RANGES[name].low:g} to "):
            DreamSettings(**{name: too_big})
        with pytest.raises(SettingsError, match=f"^{name}: "):
            DreamSettings.from_dict({name: str(too_big)})


@dataclass(frozen=True)
class WithANewSetting(DreamSettings):
    """What adding a setting takes: its field, and its range."""

    RANGES: ClassVar[dict[str, Range]] = {**RANGES, "swirl": Range(0.0, 3.0)}

    swirl: float = 1.0


def test_a_new_setting_is_one_field_with_its_range() -> None:
    with pytest.raises(SettingsError, match=r"^swirl: must be from 0 to 3, got 5.0$"):
        WithANewSetting(swirl=5.0)
    assert WithANewSetting.from_dict({"swirl": "2.5", "steps": "3"}) == WithANewSetting(swirl=2.5, steps=3)
    with pytest.raises(SettingsError, match=r"^swirl: must be a number from 0 to 3, got 'lots'$"):
        WithANewSetting.from_dict({"swirl": "lots"})
    parser = argparse.ArgumentParser()
    add_settings_flags(parser, WithANewSetting)
    assert "swirl (0 to 3)" in parser.format_help()
    assert flag_settings(parser.parse_args(["--swirl", "2"]), WithANewSetting) == {"swirl": "2"}


def test_a_field_that_no_kind_fits_is_refused_at_its_first_use() -> None:
    @dataclass(frozen=True)
    class Unchecked(RangedSettings):
        mood: list = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError, match=r"Unchecked\.mood .*give it a range or its choices"):
        Unchecked()


# -- one input object, built in main() -------------------------------------------------------------------------


def test_a_commands_settings_come_from_one_input_built_from_the_flags(tmp_path: Path) -> None:
    parse = build_parser().parse_args
    given = SettingsInput.from_args(parse(["live", "0", "-o", "x.mp4", "--steps", "3", "--layer", "blocks.3:0.5"]))
    assert given == SettingsInput(None, None, {"steps": "3", "layers": (LayerTarget("blocks.3", 0.5),)})
    # The live mirror's look is the default only when nothing names a look, and the flags still win over it.
    eyes = load_preset("eyes").settings
    assert given.or_preset("eyes").settings()[0] == eyes.replace(steps=3, layers=(LayerTarget("blocks.3", 0.5),))
    assert SettingsInput("gentle").or_preset("eyes").settings()[1].name == "gentle"  # type: ignore[union-attr]
    # A dreamed file's settings count as naming a look: no preset is put under them.
    dreamed = tmp_path / "dreamed.png"
    assert main(["dream", "noise", "-o", str(dreamed), *QUICK, "--steps", "2", "--jitter", "7"]) == 0
    from_file = SettingsInput.from_args(parse(["live", "0", "-o", "x.mp4", "--settings-from", str(dreamed)]))
    settings, preset = from_file.or_preset("eyes").settings()
    assert preset is None and (settings.steps, settings.jitter) == (2, 7)
