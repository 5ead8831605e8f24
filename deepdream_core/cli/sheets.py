"""The CLI's contact sheets: ``sweep`` (one photo dreamed several ways) and ``atlas`` (what a model's layers draw)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from ..dreaming.settings import SettingsError
from ..models.zoo import get_spec
from .args import SettingsInput, guide_from_args, open_image, output_path


def sweep_command(args: argparse.Namespace, given: SettingsInput) -> int:
    from tqdm import tqdm

    from ..jobs.sheets import contact_sheet, dream_variants, parse_set, preset_variants, setting_variants, split_values

    if args.presets:
        if given.preset or args.guide:
            raise SettingsError(
                "presets", "compares presets as they are (with their own guides); leave out --preset and --guide"
            )
        variants = preset_variants(split_values(args.presets), dict(given.flags))
    else:
        settings, preset = given.settings()
        setting, values = parse_set(args.set)
        variants = setting_variants(settings, setting, values, guide_from_args(args, preset, settings.max_size))
    output = output_path(args.output, (".png", ".jpg", ".jpeg", ".webp"), args)
    image = open_image(args.input, "input", max(v.settings.max_size for v in variants))
    cells: list[Image.Image | None] = [None] * len(variants)
    for cell in tqdm(
        dream_variants(image, variants), total=len(variants), unit="dream", disable=args.quiet, file=sys.stderr
    ):
        cells[cell.index] = cell.image
    sheet = contact_sheet([(cell, variant.label) for cell, variant in zip(cells, variants, strict=True)])
    sheet.save(output)
    print(f"wrote {output} ({len(variants)} dreams, {sheet.width}x{sheet.height})")
    return 0


def atlas_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..jobs.atlas import SAMPLE, channel_pictures, render_layer_atlas
    from ..jobs.sheets import contact_sheet

    spec = get_spec(args.model)
    output = output_path(args.output, (".png", ".jpg", ".jpeg", ".webp"), args)
    if args.layer:
        if not 1 <= args.count <= 64:
            raise SettingsError("count", f"must be from 1 to 64, got {args.count}")
        photo = Path(args.photo or SAMPLE)
        pictures = channel_pictures(
            open_image(photo, "photo", 1024), spec.name, args.layer, args.count, device=args.device
        )
        cells = [
            (picture, f"channel {channel}")
            for channel, picture in tqdm(
                pictures, total=args.count, unit="channel", disable=args.quiet, file=sys.stderr
            )
        ]
        title = f"{spec.name} {args.layer}: the channels that respond most to {photo.name}"
        sheet = contact_sheet(cells, columns=4, title=title)
    else:
        layers = tqdm(
            render_layer_atlas(spec.name), total=len(spec.layers), unit="layer", disable=args.quiet, file=sys.stderr
        )
        cells = [
            (Image.open(picture.path), f"{picture.layer.path}: {picture.layer.description}")
            for picture in layers
            if picture.path
        ]
        sheet = contact_sheet(
            cells,
            columns=2,
            title=f"{spec.name}: what each layer draws (left: a photo dreamed there; right: from noise)",
        )
    sheet.save(output)
    print(f"wrote {output} ({len(cells)} pictures, {sheet.width}x{sheet.height})")
    return 0
