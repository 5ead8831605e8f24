"""The CLI's one-image commands: ``dream``, and ``models`` and ``layers``, which list what it can dream with."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from ..files.records import atomic_path, dream_record, save_png
from ..models.zoo import get_spec, model_names
from .args import SettingsInput, guide_from_args, open_image, output_path, source_bytes


def dream_command(args: argparse.Namespace, given: SettingsInput) -> int:
    from tqdm import tqdm

    from ..jobs.timing import dream_frames

    settings, preset = given.settings()
    settings = settings.with_seed()  # drawn now, so the file's record holds the seed that made it
    output = output_path(args.output, (".png", ".jpg", ".jpeg", ".webp"), args)
    image = None if args.input == "noise" else open_image(args.input, "input", settings.max_size)
    guide = guide_from_args(args, preset, settings.max_size)
    bar = tqdm(total=None, unit="step", disable=args.quiet, file=sys.stderr)
    result = None
    for event in dream_frames(image, settings, guide=guide, preview_every=0):
        bar.total = event.total
        bar.set_description(f"octave {event.octave}/{event.octaves}")
        bar.set_postfix(loss=f"{event.loss:.3g}")
        bar.update(1 if not event.final else 0)
        if event.final:
            result = event.image
    bar.close()
    assert result is not None, "dream_frames ends with the final image"
    _save_image(
        result,
        output,
        dream_record(settings, preset.name if preset else None, source=source_bytes(args.input), guide=guide),
    )
    print(f"wrote {output} ({result.width}x{result.height})")
    return 0


def _save_image(image: Image.Image, output: Path, record: dict) -> None:
    """A PNG with its settings inside; other formats as they are. Atomic either way: no half-written file."""
    if output.suffix.lower() == ".png":
        save_png(image, output, record)
    else:
        with atomic_path(output) as partial:
            image.save(partial)


def models_command() -> int:
    for name in model_names():
        spec = get_spec(name)
        where = "bundled, offline" if spec.weights.offline else f"downloads ~{spec.download_mb} MB on first use"
        print(f"{name:20s} {spec.title} [{where}]")
    print("Any timm model name with Hub weights works too, e.g. convnext_tiny.fb_in1k.")
    return 0


def layers_command(model: str) -> int:
    spec = get_spec(model)
    width = max(16, *(len(layer.path) for layer in spec.layers))  # the descriptions in one column
    for layer in spec.layers:
        marker = "*" if layer.path == spec.default_layer else " "
        print(f"{marker} {layer.path:{width}s} {layer.description}")
    print("* default. Any module path of the network works too.")
    return 0
