"""Contact sheets and comparison sweeps: layout, labels, every value through DreamSettings, cells in order."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from deepdream_core import DreamSettings, LayerTarget, SettingsError
from deepdream_core.files.presets import load_preset
from deepdream_core.jobs.sheets import (
    contact_sheet,
    dream_variants,
    parse_set,
    preset_variants,
    setting_variants,
    sheet_columns,
    split_values,
)

TINY = DreamSettings(max_size=48, octaves=1, steps=1, seed=5)
COLOURS = [(220, 30, 30), (30, 200, 30), (30, 30, 220)]


def test_a_sheet_holds_each_picture_with_its_label_and_blanks_for_cells_not_done() -> None:
    cells = [(Image.new("RGB", (40, 30), colour), f"cell {i}") for i, colour in enumerate(COLOURS)]
    sheet = contact_sheet([*cells, (None, "pending")], columns=2)
    pixels = np.asarray(sheet)
    centres = [(6 + 20, 6 + 15), (6 + 46 + 20, 6 + 15)]  # padding 6, cell width 40 + 6
    for (x, y), colour in zip(centres, COLOURS[:2], strict=True):
        assert tuple(pixels[y, x]) == colour
    assert sheet.width == 2 * 46 + 6
    second_row = pixels[sheet.height // 2 :]
    assert (second_row == COLOURS[2]).all(axis=2).any(), "the third picture starts the second row"
    assert (second_row == (225, 225, 230)).all(axis=2).sum() == 40 * 30, "a cell not done yet is a blank box"
    label_band = pixels[6 + 30 : 6 + 30 + 18, 6:46]
    assert (label_band.sum(axis=2) < 300).any(), "labels are drawn under the pictures"


def test_long_labels_wrap_and_large_pictures_shrink() -> None:
    label = "blocks.5: whole animals, buildings and objects"
    sheet = contact_sheet([(Image.new("RGB", (1000, 500)), label)], max_cell=100)
    short = contact_sheet([(Image.new("RGB", (1000, 500)), "x")], max_cell=100)
    assert sheet.width == short.width == 100 + 12 and sheet.height > short.height


def test_columns_keep_sheets_wide_rather_than_tall() -> None:
    assert [sheet_columns(n) for n in range(1, 7)] == [1, 2, 3, 2, 3, 3]


def test_values_go_through_dream_settings_with_one_seed() -> None:
    variants = setting_variants(TINY.replace(seed=None), "steps", ["2", "4", 8])
    assert [v.label for v in variants] == ["steps = 2", "steps = 4", "steps = 8"]
    assert [v.settings.steps for v in variants] == [2, 4, 8]
    seeds = {v.settings.seed for v in variants}
    assert len(seeds) == 1 and None not in seeds, "cells differ only in the setting compared"
    layers = setting_variants(TINY, "layers", ["blocks.1", "blocks.3:0.5", "blocks.4:1:3,7"])
    assert layers[2].settings.layers == (LayerTarget("blocks.4", 1.0, (3, 7)),)
    with pytest.raises(SettingsError, match="steps: must be from 1 to 100, got 1000"):
        setting_variants(TINY, "steps", [5, 10, 1000])
    with pytest.raises(SettingsError, match="colour: unknown setting"):
        setting_variants(TINY, "colour", ["red", "green", "blue"])
    assert [v.label for v in setting_variants(TINY, "steps", [5, 10])] == ["steps = 5", "steps = 10"]  # this vs that
    with pytest.raises(SettingsError, match="steps: a sheet compares 2 to 6 values, got 1"):
        setting_variants(TINY, "steps", [5])
    with pytest.raises(SettingsError, match="got 7"):
        setting_variants(TINY, "steps", list(range(1, 8)))


def test_presets_compare_as_they_are_with_changes_on_top() -> None:
    variants = preset_variants(["gentle", "galaxies"], {"max_size": 64})
    assert [v.label for v in variants] == [load_preset("gentle").title, load_preset("galaxies").title]
    assert variants[0].settings == load_preset("gentle").settings.replace(max_size=64)
    assert variants[0].guide is None and variants[1].guide is not None  # galaxies brings its guide image
    with pytest.raises(SettingsError, match="presets: a sheet compares 2 to 6 presets, got 1"):
        preset_variants(["gentle"])
    with pytest.raises(SettingsError, match="unknown preset 'nope'"):
        preset_variants(["gentle", "nope"])


def test_set_flags_and_typed_values_are_read() -> None:
    assert parse_set("steps=5,10,20") == ("steps", ["5", "10", "20"])
    assert split_values(" 0.5, 1 ,, 2 ") == ["0.5", "1", "2"]
    with pytest.raises(SettingsError, match="set: write it as NAME=VALUE,VALUE,VALUE"):
        parse_set("steps")


def test_cells_come_in_order_each_dreamed_its_own_way(photo: Image.Image) -> None:
    variants = setting_variants(TINY, "step_size", [0.5, 3, 12])
    cells = list(dream_variants(photo, variants))
    assert [c.index for c in cells] == [0, 1, 2] and [c.variant for c in cells] == variants
    pixels = [np.asarray(c.image, dtype=float) for c in cells]
    assert np.abs(pixels[2] - pixels[0]).mean() > 1, "a larger step size dreams more"
