"""The command line on a real photo: `python -m deepdream_core dream ...`, its flags, presets and exit codes.

Most cases call ``main([...])`` in-process (fast, and the same code the entry point runs); two run
the real ``python -m deepdream_core`` as a subprocess, end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepdream_core.cli import EXIT_BAD_INPUT, main
from tests.support import REPO
from tests.support.photos import skimage_photo

# Small and short: 64 px, one octave of two steps.
QUICK = ["--max-size", "64", "--steps", "2", "--octaves", "1", "--quiet"]


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(np.int16)


def dream(tmp_path: Path, photo: Path | str, *flags: str, name: str = "out.png") -> Path:
    """Runs ``dream`` in-process, expects success, returns the output's path."""
    output = tmp_path / name
    assert main(["dream", str(photo), "-o", str(output), *QUICK, *flags]) == 0
    return output


def working_size_photo(photo: Path, size: int = 64) -> np.ndarray:
    image = Image.open(photo).convert("RGB")
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image).astype(np.int16)


@pytest.fixture(scope="module")
def default_dream(photo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """The photo dreamed with QUICK and nothing else, to compare other flags' dreams with."""
    return pixels(dream(tmp_path_factory.mktemp("default"), photo_file))


# -- end to end, as a user runs it --------------------------------------------------------------------


def test_dream_end_to_end_in_a_subprocess(photo_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "dream.png"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "deepdream_core",
            "dream",
            str(photo_file),
            "-o",
            str(output),
            "--max-size",
            "96",
            "--steps",
            "2",
            "--octaves",
            "2",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"wrote {output} (96x64)"
    assert "octave 2/2" in run.stderr and "4/4" in run.stderr  # the progress bar
    assert "note: input: the image is 160x106 pixels; it was scaled down to 96x64" in run.stderr
    assert Image.open(output).size == (96, 64)
    assert np.abs(pixels(output) - working_size_photo(photo_file, 96)).mean() > 1


def test_preset_from_the_presets_folder_with_flags_on_top(photo_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "presets"
    folder.mkdir()
    preset = {
        "title": "Eyes",
        "description": "two layers, one channel set",
        "settings": {
            "layers": [
                {"layer": "blocks.3", "weight": 0.5, "channels": [1, 2]},
                {"layer": "blocks.5.0", "weight": 1.0},
            ],
            "steps": 3,
            "octaves": 1,
            "max_size": 64,
            "seed": 11,
        },
    }
    (folder / "eyes.json").write_text(json.dumps(preset))
    output = tmp_path / "preset.png"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "deepdream_core",
            "dream",
            str(photo_file),
            "-o",
            str(output),
            "--preset",
            "eyes",
            "--steps",
            "2",
            "--quiet",
        ],
        cwd=REPO,
        env={**os.environ, "DEEPDREAM_PRESETS": str(folder)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert Image.open(output).size == (64, 42)  # the preset's max_size
    # The same settings as flags give the same pixels: the preset's layers, channels and seed were used,
    # and --steps 2 overrode its 3 steps.
    same = tmp_path / "flags.png"
    assert (
        main(
            [
                "dream",
                str(photo_file),
                "-o",
                str(same),
                "--layer",
                "blocks.3:0.5:1,2",
                "--layer",
                "blocks.5.0",
                "--steps",
                "2",
                "--octaves",
                "1",
                "--max-size",
                "64",
                "--seed",
                "11",
                "--quiet",
            ]
        )
        == 0
    )
    assert np.array_equal(pixels(output), pixels(same))


# -- flags ------------------------------------------------------------------------------------------


def test_output_differs_from_the_input_and_has_the_working_size(photo_file: Path, default_dream: np.ndarray) -> None:
    assert default_dream.shape == (42, 64, 3)
    assert np.abs(default_dream - working_size_photo(photo_file)).mean() > 1


def test_same_seed_same_pixels_other_seed_other_pixels(
    photo_file: Path, tmp_path: Path, default_dream: np.ndarray
) -> None:
    first = dream(tmp_path, photo_file, "--seed", "3", name="a.png")
    again = dream(tmp_path, photo_file, "--seed", "3", name="b.png")
    assert np.array_equal(pixels(first), pixels(again))
    assert not np.array_equal(pixels(first), default_dream)  # the default seed is 0


def test_layers_with_weights_and_channels_change_the_dream(
    photo_file: Path, tmp_path: Path, default_dream: np.ndarray
) -> None:
    layered = dream(tmp_path, photo_file, "--layer", "blocks.2:0.5", "--layer", "blocks.5:1:3,7", name="l.png")
    assert np.abs(pixels(layered) - default_dream).mean() > 1


def test_class_target_by_name_or_by_index_is_the_same_dream(
    photo_file: Path, tmp_path: Path, default_dream: np.ndarray
) -> None:
    by_name = dream(tmp_path, photo_file, "--class-target", "tabby cat", name="name.png")
    by_index = dream(tmp_path, photo_file, "--class-target", "281", name="index.png")
    assert np.array_equal(pixels(by_name), pixels(by_index))
    assert not np.array_equal(pixels(by_name), default_dream)


def test_guide_image_changes_the_dream(photo_file: Path, tmp_path: Path, default_dream: np.ndarray) -> None:
    guide = tmp_path / "coffee.png"
    skimage_photo("coffee", 120).save(guide)
    guided = dream(tmp_path, photo_file, "--guide", str(guide), name="guided.png")
    assert Image.open(guided).size == (64, 42)
    assert np.abs(pixels(guided) - default_dream).mean() > 1


def test_noise_input_dreams_a_square_of_max_size(tmp_path: Path) -> None:
    output = dream(tmp_path, "noise", "--max-size", "48")
    assert Image.open(output).size == (48, 48)
    assert pixels(output).std() > 5


@pytest.mark.parametrize(
    "flags",
    [
        ["--octave-scale", "1.3"],
        ["--step-size", "3"],
        ["--jitter", "8"],
        ["--smoothing", "0"],
        ["--tile-size", "64"],
        ["--device", "cpu"],
        ["--precision", "fp32"],
        ["--model", "efficientnet_lite0"],
        ["--class-target", "goldfish", "--class-weight", "3"],
        ["--guide-weight", "2"],
    ],
)
def test_every_settings_flag_is_accepted(flags: list[str], tmp_path: Path) -> None:
    assert Image.open(dream(tmp_path, "noise", "--max-size", "40", "--steps", "1", *flags)).size == (40, 40)


# -- mistakes: exit code 2 and a message naming what was wrong ------------------------------------------


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--steps", "abc"], "error: steps: must be a whole number from 1 to 100, got 'abc'"),
        (["--octave-scale", "9"], "error: octave_scale: must be from 1.05 to 2.5, got 9.0"),
        (["--device", "gpu"], "error: device: must be one of auto, cpu, cuda, mps, got 'gpu'"),
        (["--precision", "fp8"], "error: precision: must be one of auto, fp32, bf16, fp16, got 'fp8'"),
        (
            ["--layer", "blocks.4:heavy"],
            "error: layers: weight must be a number and channels whole numbers, got 'blocks.4:heavy'",
        ),
        (
            ["--layer", "blocks.99"],
            "error: layers: model 'efficientnet_lite0' has no layer 'blocks.99'; "
            "list them with `python -m deepdream_core layers efficientnet_lite0`",
        ),
        (["--layer", "blocks.4:1:999"], "error: layers: layer 'blocks.4' has 112 channels (0 to 111), got 999"),
        (["--class-target", "unicorn"], "error: class_target: 'unicorn' is not an ImageNet class"),
        (["--preset", "nope"], "error: preset: unknown preset 'nope'"),
    ],
)
def test_bad_flags_exit_2_naming_the_setting(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "o.png"
    assert main(["dream", "noise", "-o", str(output), "--max-size", "40", "--steps", "1", "--quiet", *flags]) == 2
    assert capsys.readouterr().err.startswith(message)
    assert not output.exists()


def test_unknown_model_exits_2_with_the_models_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dream", "noise", "-o", str(tmp_path / "o.png"), "--model", "dreamnet9000"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "Unknown model 'dreamnet9000'" in err and "python -m deepdream_core models" in err


def test_output_in_a_missing_folder_exits_2(
    photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "missing" / "o.png"
    assert main(["dream", str(photo_file), "-o", str(output), *QUICK]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == f"error: output: the folder {output.parent} does not exist; create it first\n"


def test_missing_input_and_odd_output_type_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dream", str(tmp_path / "nothing.jpg"), "-o", str(tmp_path / "o.png"), *QUICK]) == 2
    assert "does not exist or is not a file" in capsys.readouterr().err
    assert main(["dream", "noise", "-o", str(tmp_path / "o.gif"), *QUICK]) == 2
    assert "o.gif must end in .png, .jpg, .jpeg, .webp" in capsys.readouterr().err


def test_a_missing_output_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["dream", "noise"])
    assert exit_info.value.code == 2
    assert "the following arguments are required: -o/--output" in capsys.readouterr().err
