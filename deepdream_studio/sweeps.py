"""Comparison sheets: the run path shared by the Compare tab and the ``/sweep`` endpoint.

The variants come from ``deepdream_core.jobs.sheets`` (every value through ``DreamSettings``); this dreams them under
``@spaces.GPU``, lays out the sheet after each cell (cells not done yet are blank), and saves the finished sheet
as one PNG in Gradio's cache.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr
import spaces
from gradio import processing_utils
from PIL import Image

from deepdream_core.dreaming.settings import SettingsError
from deepdream_core.files.presets import guide_path, settings_with_preset
from deepdream_core.jobs.estimate import estimate_dream, spaces_duration
from deepdream_core.jobs.sheets import (
    SweepCell,
    Variant,
    contact_sheet,
    dream_variants,
    preset_variants,
    setting_variants,
    split_values,
)
from deepdream_core.models.echo import echo

from .gpu import check_offered
from .uploads import load_optional, upload_folder

SWEEP_EXAMPLE = '{"setting": "steps", "values": [5, 10, 20]} or {"presets": ["eyes", "gentle"]}'


def sheet_seconds(image: Image.Image, variants: Sequence[Variant]) -> int:
    """The GPU seconds to ask ZeroGPU for a sheet (same arguments as :func:`_cells`): its dreams, one after another."""
    return spaces_duration([estimate_dream(variant.settings, image.size) for variant in variants])


@spaces.GPU(duration=sheet_seconds)
def _cells(image: Image.Image, variants: Sequence[Variant]) -> Iterator[SweepCell]:
    """The GPU work of a sheet."""
    yield from dream_variants(image, variants)


@dataclass(frozen=True)
class SheetFrame:
    """The sheet so far and a status; the finished one also saved as a PNG (``png``)."""

    sheet: Image.Image
    status: str
    png: str | None = None


def dream_sheet(
    image: Image.Image,
    variants: Sequence[Variant],
    offered: tuple[str, ...] | None,
    progress: gr.Progress | None = None,
) -> Iterator[SheetFrame]:
    """Dream each variant, yielding the sheet after every cell, then the finished sheet saved as a PNG.

    Each variant's model must be one of ``offered`` (None: any), checked before anything is dreamed.
    """
    for variant in variants:
        check_offered(variant.settings.model, offered)
    started = time.monotonic()
    pictures: list[Image.Image | None] = [None] * len(variants)
    for done, cell in enumerate(_cells(image, variants), start=1):
        pictures[cell.index] = cell.image
        if progress is not None:
            progress((done, len(variants)), desc=f"Dream {done} of {len(variants)}")
        sheet = contact_sheet([(picture, variant.label) for picture, variant in zip(pictures, variants, strict=True)])
        if done < len(variants):
            yield SheetFrame(sheet, f"Dreaming… {done} of {len(variants)} done ({cell.variant.label})")
        else:
            png = processing_utils.save_pil_to_cache(
                sheet, cache_dir=upload_folder(), name="deepdream-sheet", format="png"
            )
            yield SheetFrame(
                sheet,
                f"Done in {time.monotonic() - started:.1f} s · {len(variants)} dreams · "
                f"{sheet.width}×{sheet.height} px",
                png,
            )


def variants_from_request(settings: Mapping[str, Any], sweep: Mapping[str, Any]) -> list[Variant]:
    """The API's sheet: ``{"setting": NAME, "values": [...]}`` on top of ``settings`` (which may name a preset),
    or ``{"presets": [...]}`` with ``settings`` applied to each preset."""
    unknown = sorted(set(sweep) - {"setting", "values", "presets"})
    if unknown or ("presets" in sweep) == ("setting" in sweep):
        problem = f"unknown key {echo(unknown[0])}" if unknown else "name a setting or presets to compare"
        raise SettingsError("sweep", f"{problem}; send {SWEEP_EXAMPLE}")
    if "presets" in sweep:
        if "preset" in settings:
            raise SettingsError("preset", 'to compare "presets", leave "preset" out of the settings')
        return preset_variants(_listed(sweep["presets"], "presets"), settings)
    base, preset = settings_with_preset(settings)
    guide = load_optional(guide_path(preset), base.max_size, "guide image")
    return setting_variants(base, str(sweep["setting"]), _listed(sweep.get("values"), "values"), guide)


def _listed(value: Any, name: str) -> list[Any]:
    """A JSON list, or text with commas ("5, 10, 20")."""
    if isinstance(value, str):
        return split_values(value)
    if not isinstance(value, list):
        raise SettingsError(name, f"send a list, e.g. {SWEEP_EXAMPLE}")
    return value
