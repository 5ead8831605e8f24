"""tile_size "auto": the tile rule by device, the CPU's unchanged dream, and "auto" through every way settings travel.

The GPU side of the rule is a pure function of the free memory and the network's memory figure, tested here
on numbers; what a real GPU picks is checked by tests/cuda (skipped without one) and bench/gpu.sh.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from deepdream_core import Dreamer, DreamSettings, LayerTarget, SettingsError, get_spec, settings_from_file
from deepdream_core.cli import EXIT_BAD_INPUT, main
from deepdream_core.cli.args import SettingsInput, build_parser
from deepdream_core.dreaming.graphs import replays
from deepdream_core.dreaming.settings import RANGES
from deepdream_core.dreaming.tiles import (
    CPU_TILE,
    MAX_TILE,
    MEMORY_SHARE,
    MIN_TILE,
    PASS_MEMORY_MARGIN,
    TILE_STEP,
    auto_tile_size,
    planned_tile_size,
    tile_size_for,
)
from deepdream_core.files.links import from_query, to_query
from deepdream_core.files.presets import PRESETS_DIR, fingerprint, load_preset
from deepdream_core.files.records import dream_record, save_png
from deepdream_core.models.zoo import ZOO
from tests.support.networks import make_tiny_cnn
from tests.support.photos import skimage_photo

GIB = 2**30


# -- the rule ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("free_gib", [0.05, 0.5, 2, 6, 11, 24, 79])
@pytest.mark.parametrize("model", sorted(ZOO))
def test_auto_tile_is_the_largest_step_multiple_that_fits_the_free_memory(free_gib: float, model: str) -> None:
    bytes_per_pixel = ZOO[model].pass_bytes_per_pixel
    budget = free_gib * GIB * MEMORY_SHARE
    side = auto_tile_size(int(free_gib * GIB), bytes_per_pixel)
    assert side % TILE_STEP == 0 and MIN_TILE <= side <= MAX_TILE
    needs = lambda s: s * s * bytes_per_pixel * PASS_MEMORY_MARGIN  # noqa: E731
    if side > MIN_TILE:  # the floor may not fit: then the out-of-memory fallback refuses with a message
        assert needs(side) <= budget
    if side < MAX_TILE:
        assert needs(side + TILE_STEP) > budget


def test_auto_tile_grows_with_the_free_memory_and_stops_at_the_largest_setting() -> None:
    sides = [auto_tile_size(gib * GIB, 1572) for gib in (0, 1, 2, 4, 8, 16, 32, 64)]
    assert sides == sorted(sides)
    assert sides[0] == MIN_TILE and sides[-1] == MAX_TILE == int(RANGES["tile_size"].high)
    # An H100 with the bundled model loaded has some 78 GiB free: one 2048 px tile, as measured in issue 24.
    assert auto_tile_size(78 * GIB, ZOO["efficientnet_lite0"].pass_bytes_per_pixel) == 2048


def test_a_number_is_kept_and_auto_is_512_on_the_cpu() -> None:
    cpu = torch.device("cpu")
    assert tile_size_for(256, cpu, 1572) == 256
    assert tile_size_for("auto", cpu, 1572) == CPU_TILE == 512
    assert tile_size_for("auto", torch.device("mps"), 1572) == CPU_TILE  # not measured there: the CPU's rule
    assert (planned_tile_size("auto", "cpu"), planned_tile_size("auto", "cuda"), planned_tile_size(300, "cuda")) == (
        512,
        2048,
        300,
    )


def test_a_cpu_dream_with_auto_tiles_is_the_512_px_dream() -> None:
    # 600 px: the largest octave needs two 512 px tiles a side, so the tiling is really exercised.
    photo = skimage_photo("astronaut", 600)
    dreamer = Dreamer(make_tiny_cnn(), device="cpu")
    settings = DreamSettings(max_size=600, octaves=2, steps=2, layers=(LayerTarget("relu3"),), seed=3)
    assert dreamer.tile_size(settings) == 512
    auto = np.asarray(dreamer.dream(photo, settings))
    assert np.array_equal(auto, np.asarray(dreamer.dream(photo, settings.replace(tile_size=512))))
    assert not np.array_equal(auto, np.asarray(dreamer.dream(photo, settings.replace(tile_size=256))))


def test_graphs_stay_off_on_the_cpu_even_when_asked() -> None:
    assert not replays(torch.device("cpu"), cuda_graphs=True)
    assert replays(torch.device("cuda"), cuda_graphs=True)  # only decides; nothing runs on a GPU here
    assert not replays(torch.device("cuda"), cuda_graphs=False)
    assert Dreamer(make_tiny_cnn(), device="cpu", cuda_graphs=True).pass_graphs is None


def test_every_zoo_network_has_a_memory_figure_below_the_unmeasured_one() -> None:
    from deepdream_core.models.zoo import UNMEASURED_PASS_BYTES_PER_PIXEL

    assert all(0 < spec.pass_bytes_per_pixel < UNMEASURED_PASS_BYTES_PER_PIXEL for spec in ZOO.values())
    assert Dreamer.from_spec(get_spec("efficientnet_lite0"), make_tiny_cnn()).pass_bytes_per_pixel == 1572


# -- "auto" and numbers, wherever settings travel ---------------------------------------------------------


@pytest.mark.parametrize("tile", ["auto", 512, 1024])
def test_links_records_presets_and_api_json_keep_auto_and_numbers(tile: int | str, tmp_path: Path) -> None:
    settings = DreamSettings(tile_size=tile, steps=7)
    assert DreamSettings().tile_size == "auto"
    # A share link (only what differs from the defaults), an output file's record, a preset and API JSON.
    query = dict(urllib.parse.parse_qsl(to_query(settings)))
    assert ("tile_size" in query) == (tile != "auto")
    assert from_query(query).settings == settings
    save_png(Image.new("RGB", (8, 8)), tmp_path / "d.png", dream_record(settings, None))
    assert settings_from_file(tmp_path / "d.png").settings == settings
    (tmp_path / "p.json").write_text(json.dumps({"title": "P", "settings": {"tile_size": tile, "steps": 7}}))
    assert load_preset("p", tmp_path).settings == settings
    assert DreamSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings


def test_files_and_links_made_before_auto_keep_their_number() -> None:
    # Before "auto", 512 was the default and left out of links; a link or file that names a number keeps it.
    assert from_query({"tile_size": "512"}).settings.tile_size == 512
    assert from_query({"tile_size": "1024"}).settings.tile_size == 1024
    assert load_preset("panorama", PRESETS_DIR).settings.tile_size == 1024


def test_the_cli_takes_auto_and_numbers_and_names_what_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = build_parser()
    for text, expected in (("auto", "auto"), ("768", 768)):
        settings, _ = SettingsInput.from_args(
            parser.parse_args(["dream", "noise", "-o", "o.png", "--tile-size", text])
        ).settings()
        assert settings.tile_size == expected
    with pytest.raises(SystemExit):
        main(["dream", "--help"])
    assert "tile_size (64 to 2048, or auto)" in " ".join(capsys.readouterr().out.split())
    code = main(["dream", "noise", "-o", str(tmp_path / "o.png"), "--tile-size", "big"])
    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr().err == "error: tile_size: must be a whole number from 64 to 2048, or auto, got 'big'\n"


@pytest.mark.parametrize("value", ["Auto", "", None, 2.5, 16])
def test_anything_else_is_refused_with_what_is_allowed(value: object) -> None:
    with pytest.raises(SettingsError, match=r"^tile_size: must be .*from 64 to 2048, or auto, got "):
        DreamSettings.from_dict({"tile_size": value})


def test_preset_thumbnails_stamped_with_512_stay_fresh_under_auto() -> None:
    # Thumbnails are dreamed on the CPU, where auto is 512: the stamps made when 512 was the default still hold.
    assert fingerprint(DreamSettings(), None, None) == fingerprint(DreamSettings(tile_size=512), None, None)
    assert fingerprint(DreamSettings(), None, None) != fingerprint(DreamSettings(tile_size=1024), None, None)
