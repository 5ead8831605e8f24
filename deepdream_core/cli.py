"""Command line: ``python -m deepdream_core dream|models|layers``.

Exit codes: 0 done, 2 bad input (settings, files, names), 3 weights unavailable, 1 anything else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from PIL import Image

from .devices import DeviceError
from .images import ImageInputError, load_image
from .settings import RANGES, DreamSettings, SettingsError, parse_layer
from .weights import WeightsUnavailableError
from .zoo import UnknownModelError, get_spec, model_names

EXIT_BAD_INPUT = 2
EXIT_NO_WEIGHTS = 3

# Settings fields with a flag of the same name. Values stay text until DreamSettings.from_dict
# reads them, so a bad value gets the same message here as in presets, share links and the API.
_FLAGS = ("model", "octaves", "octave_scale", "steps", "step_size", "jitter", "smoothing", "seed", "max_size",
          "tile_size", "device", "precision", "class_target")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deepdream_core", description="DeepDream from the command line.")
    commands = parser.add_subparsers(dest="command", required=True)

    dream = commands.add_parser("dream", help="dream an image")
    dream.add_argument("input", help="photo to dream on, or 'noise' to start from noise")
    dream.add_argument("-o", "--output", required=True, help="where to write the result (PNG or JPEG)")
    dream.add_argument("--preset", help="start from a preset (name of a file in presets/, without .json)")
    dream.add_argument("--layer", action="append", dest="layers", metavar="NAME[:WEIGHT[:CH,...]]",
                       help="layer to dream on; repeat for several (list them with `layers MODEL`)")
    dream.add_argument("--guide", help="guide image: pull the dream towards its features")
    for name in _FLAGS:
        rng = RANGES.get(name)
        bounds = f" ({rng.low:g} to {rng.high:g})" if rng else ""
        dream.add_argument("--" + name.replace("_", "-"), default=None, help=f"{name}{bounds}")
    dream.add_argument("--quiet", action="store_true", help="no progress bar")

    commands.add_parser("models", help="list the model zoo")
    layers = commands.add_parser("layers", help="list a model's dream layers")
    layers.add_argument("model")
    return parser


def settings_from_args(args: argparse.Namespace) -> DreamSettings:
    """Preset first, then every flag given on top of it, through the one validated settings object."""
    base = DreamSettings()
    if args.preset:
        from .presets import load_preset

        base = load_preset(args.preset).settings
    changes = {name: getattr(args, name) for name in _FLAGS if getattr(args, name) is not None}
    if args.layers:
        changes["layers"] = tuple(parse_layer(text) for text in args.layers)
    return DreamSettings.from_dict(changes, base=base)


def _open_image(path: str, what: str, max_size: int) -> Image.Image:
    """The image at working size; notices (first frame only, downscaled...) go to stderr."""
    try:
        loaded = load_image(path, max_size)
    except ImageInputError as err:
        raise ImageInputError(f"{what}: {err}") from None
    for notice in loaded.notices:
        print(f"note: {what}: {notice}", file=sys.stderr)
    return loaded.image


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _dream(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .dreamer import dream_frames

    settings = settings_from_args(args)
    output = Path(args.output)
    if output.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        return _fail(f"output {output} must end in .png, .jpg or .webp", EXIT_BAD_INPUT)
    if not output.parent.is_dir():
        return _fail(f"the folder {output.parent} does not exist; create it first", EXIT_BAD_INPUT)
    image = None if args.input == "noise" else _open_image(args.input, "input", settings.max_size)
    guide = _open_image(args.guide, "guide", settings.max_size) if args.guide else None
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
    result.save(output)
    print(f"wrote {output} ({result.width}x{result.height})")
    return 0


def _models() -> int:
    for name in model_names():
        spec = get_spec(name)
        where = "bundled, offline" if spec.weights.offline else f"downloads ~{spec.download_mb} MB on first use"
        print(f"{name:20s} {spec.title} [{where}]")
    print("Any timm model name with Hub weights works too, e.g. convnext_tiny.fb_in1k.")
    return 0


def _layers(model: str) -> int:
    spec = get_spec(model)
    for layer in spec.layers:
        marker = "*" if layer.path == spec.default_layer else " "
        print(f"{marker} {layer.path:16s} {layer.description}")
    print("* default. Any module path of the network works too.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "models":
            return _models()
        if args.command == "layers":
            return _layers(args.model)
        return _dream(args)
    except (SettingsError, UnknownModelError, DeviceError, ImageInputError) as err:
        return _fail(str(err), EXIT_BAD_INPUT)
    except WeightsUnavailableError as err:
        return _fail(str(err), EXIT_NO_WEIGHTS)
    except KeyboardInterrupt:
        return _fail("stopped", 130)
