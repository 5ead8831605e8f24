"""`python -m deepdream_core sweep` and `atlas`: labelled contact sheets from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepdream_core import BUNDLED_MODEL, get_spec
from deepdream_core.cli import EXIT_BAD_INPUT, main
from deepdream_core.files.presets import load_preset
from deepdream_core.jobs.atlas import model_folder
from deepdream_core.jobs.sheets import contact_sheet
from tests.support import REPO

QUICK = ["--max-size", "48", "--octaves", "1", "--quiet"]


def test_sweep_one_setting_writes_one_labelled_sheet(
    tmp_path: Path, photo_file: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "sheet.png"
    assert main(["sweep", str(photo_file), "--set", "steps=1,2,4", "-o", str(out), *QUICK]) == 0
    assert "3 dreams" in capsys.readouterr().out
    sheet = Image.open(out)
    cell = Image.open(photo_file).convert("RGB")
    cell.thumbnail((48, 48))
    assert sheet.format == "PNG" and sheet.width == 3 * (cell.width + 6) + 6, "three cells in one row"
    cells = [
        np.asarray(
            sheet.crop((6 + i * (cell.width + 6), 6, 6 + i * (cell.width + 6) + cell.width, 6 + cell.height)),
            dtype=float,
        )
        for i in range(3)
    ]
    assert np.abs(cells[2] - cells[0]).mean() > 0.5, "more steps, more dream"


def test_sweep_presets_dreams_each_with_the_flags_on_top(tmp_path: Path, photo_file: Path) -> None:
    out = tmp_path / "looks.png"
    assert (
        main(["sweep", str(photo_file), "--presets", "gentle,brush-strokes", "-o", str(out), "--steps", "1", *QUICK])
        == 0
    )
    assert Image.open(out).width == 2 * (48 + 6) + 6
    assert load_preset("gentle").settings.steps != 1  # so --steps really applied on top of the preset


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--set", "steps=5,10,1000"], "steps: must be from 1 to 100, got 1000"),
        (["--set", "colour=1,2,3"], "colour: unknown setting"),
        (["--set", "steps=5"], "steps: a sheet compares 2 to 6 values, got 1"),
        (["--set", "steps"], "set: write it as NAME=VALUE,VALUE,VALUE"),
        (["--presets", "gentle"], "presets: a sheet compares 2 to 6 presets, got 1"),
        (["--presets", "gentle,eyes", "--preset", "eyes"], "leave out --preset and --guide"),
    ],
)
def test_a_bad_sweep_says_what_is_wrong(
    tmp_path: Path, photo_file: Path, flags: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    assert main(["sweep", str(photo_file), "-o", str(tmp_path / "x.png"), *flags, *QUICK]) == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_atlas_sheet_of_the_bundled_model_uses_the_shipped_pictures(tmp_path: Path) -> None:
    out = tmp_path / "atlas.png"
    result = subprocess.run(
        [sys.executable, "-m", "deepdream_core", "atlas", BUNDLED_MODEL, "-o", str(out), "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    layers = get_spec(BUNDLED_MODEL).layers
    folder = model_folder(REPO / "presets" / "atlas", BUNDLED_MODEL)
    expected = contact_sheet(
        [(Image.open(folder / f"{layer.path}.jpg"), f"{layer.path}: {layer.description}") for layer in layers],
        columns=2,
        title=f"{BUNDLED_MODEL}: what each layer draws (left: a photo dreamed there; right: from noise)",
    )
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(expected))


def test_atlas_of_one_layer_shows_its_channels(tmp_path: Path, photo_file: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "channels.png"
    assert (
        main(
            [
                "atlas",
                BUNDLED_MODEL,
                "--layer",
                "blocks.2",
                "--photo",
                str(photo_file),
                "--count",
                "2",
                "-o",
                str(out),
                "--quiet",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    assert "2 pictures" in capsys.readouterr().out
    assert main(["atlas", BUNDLED_MODEL, "--layer", "blocks.99", "-o", str(out), "--quiet"]) == EXIT_BAD_INPUT
    assert "has no layer 'blocks.99'" in capsys.readouterr().err
    assert main(["atlas", "no_such_model", "-o", str(out)]) == EXIT_BAD_INPUT
    assert "Unknown model 'no_such_model'" in capsys.readouterr().err
