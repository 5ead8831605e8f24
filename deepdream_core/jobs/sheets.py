"""Contact sheets: many small pictures in one labelled grid, and comparison sweeps that fill one.

A sweep dreams the same photo several ways, one setting at 2 to 6 values or 2 to 6 presets, each variant
made through :class:`DreamSettings` (so a bad value fails with the usual message naming the setting), and
yields the cells as they finish; :func:`contact_sheet` lays out whatever is done so far, with labels drawn
in Pillow's default font.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ..dreaming.images import load_image
from ..dreaming.settings import DreamSettings, SettingsError
from ..files.presets import load_preset
from ..models.echo import echo

SWEEP_VALUES = (2, 6)  # how many values of one setting a sheet compares
SWEEP_PRESETS = (2, 6)  # how many presets
FONT_SIZE = 14
_PAD = 6
_BACKGROUND = (255, 255, 255)
_PENDING = (225, 225, 230)  # a cell still being dreamed
_INK = (30, 30, 30)


@dataclass(frozen=True)
class Variant:
    """One cell of a comparison sheet: its label, its settings and the guide image it dreams towards (if any)."""

    label: str
    settings: DreamSettings
    guide: Image.Image | None = None


@dataclass(frozen=True)
class SweepCell:
    """A finished cell: its place on the sheet and its dream."""

    index: int
    variant: Variant
    image: Image.Image


def parse_set(text: str) -> tuple[str, list[str]]:
    """``"steps=5,10,20"`` as the setting's name and its values as text (the CLI's ``--set``)."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip():
        raise SettingsError("set", f"write it as NAME=VALUE,VALUE,VALUE, e.g. steps=5,10,20; got {echo(text)}")
    return name.strip(), split_values(values)


def split_values(text: str) -> list[str]:
    """Values separated by commas, as typed (``"5, 10, 20"``); empty ones are dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def setting_variants(
    base: DreamSettings, setting: str, values: Sequence[Any], guide: Image.Image | None = None
) -> list[Variant]:
    """``base`` with ``setting`` at each of ``values`` (2 to 6), all with one seed so only that setting differs."""
    _check_count(setting or "values", len(values), SWEEP_VALUES, "values")
    base = base if setting == "seed" else base.with_seed()
    return [
        Variant(f"{setting} = {value}", DreamSettings.from_dict({setting: value}, base=base), guide) for value in values
    ]


def preset_variants(names: Sequence[str], changes: Mapping[str, Any] | None = None) -> list[Variant]:
    """Each preset (2 to 6), with ``changes`` (settings by name, e.g. a smaller ``max_size``) on top of each.

    A guide-image preset dreams towards its own guide, as it does everywhere else.
    """
    _check_count("presets", len(names), SWEEP_PRESETS, "presets")
    variants = []
    for name in names:
        preset = load_preset(name)
        guide = load_image(preset.guide).image if preset.guide else None
        variants.append(Variant(preset.title, DreamSettings.from_dict(changes or {}, base=preset.settings), guide))
    return variants


def _check_count(field: str, count: int, bounds: tuple[int, int], what: str) -> None:
    if not bounds[0] <= count <= bounds[1]:
        raise SettingsError(field, f"a sheet compares {bounds[0]} to {bounds[1]} {what}, got {count}")


def dream_variants(image: Image.Image, variants: Sequence[Variant]) -> Iterator[SweepCell]:
    """Dream ``image`` with each variant in turn, yielding each cell as it finishes."""
    from .timing import dream

    for index, variant in enumerate(variants):
        yield SweepCell(index, variant, dream(image, variant.settings, guide=variant.guide))


def sheet_columns(count: int) -> int:
    """Columns for ``count`` cells: one row up to three, then two rows (4 -> 2x2, 6 -> 3x2)."""
    return count if count <= 3 else math.ceil(count / 2)


def contact_sheet(
    cells: Sequence[tuple[Image.Image | None, str]], columns: int | None = None, title: str = "", max_cell: int = 512
) -> Image.Image:
    """``cells`` (a picture, or None for one not done yet, and its label) in a grid, each label underneath.

    Every cell is as large as the largest picture (shrunk to at most ``max_cell`` on its long side); smaller
    pictures are centred in it.
    """
    if not cells:
        raise ValueError("a contact sheet needs at least one cell")
    columns = columns or sheet_columns(len(cells))
    rows = math.ceil(len(cells) / columns)
    pictures = [_fit(picture, max_cell) if picture is not None else None for picture, _ in cells]
    sizes = [p.size for p in pictures if p is not None] or [(max_cell // 2, max_cell // 2)]
    box_w, box_h = max(w for w, _ in sizes), max(h for _, h in sizes)
    font = ImageFont.load_default(size=FONT_SIZE)
    line_h = FONT_SIZE + 4
    labels = [_wrap(label, font, box_w) for _, label in cells]
    label_h = max(len(lines) for lines in labels) * line_h
    title_lines = _wrap(title, font, columns * (box_w + _PAD)) if title else []
    top = _PAD + len(title_lines) * line_h + (_PAD if title_lines else 0)
    cell_w, cell_h = box_w + _PAD, box_h + label_h + 2 * _PAD
    sheet = Image.new("RGB", (columns * cell_w + _PAD, top + rows * cell_h), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for i, line in enumerate(title_lines):
        draw.text((_PAD, _PAD + i * line_h), line, font=font, fill=_INK)
    for index, (picture, lines) in enumerate(zip(pictures, labels, strict=True)):
        x, y = _PAD + (index % columns) * cell_w, top + (index // columns) * cell_h
        if picture is None:
            draw.rectangle((x, y, x + box_w - 1, y + box_h - 1), fill=_PENDING)
        else:
            sheet.paste(picture, (x + (box_w - picture.width) // 2, y + (box_h - picture.height) // 2))
        for i, line in enumerate(lines):
            draw.text((x, y + box_h + _PAD // 2 + i * line_h), line, font=font, fill=_INK)
    return sheet


def _fit(picture: Image.Image, max_side: int) -> Image.Image:
    picture = picture.convert("RGB")
    if max(picture.size) <= max_side:
        return picture
    scale = max_side / max(picture.size)
    return picture.resize(
        (max(1, round(picture.width * scale)), max(1, round(picture.height * scale))), Image.Resampling.LANCZOS
    )


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels (words longer than a line are cut by characters)."""
    average = max(1.0, font.getlength("abcdefghijklmnopqrstuvwxyz") / 26)
    for chars in range(max(1, int(width / average)), 0, -1):
        lines = textwrap.wrap(text, chars, break_long_words=True) or [""]
        if all(font.getlength(line) <= width for line in lines):
            return lines
    return [text]
