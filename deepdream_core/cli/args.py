"""What the commands share: the parser with every command's flags, and settings, guides and images from them.

Exit codes: 0 done, 2 bad input (settings, files, names), 3 weights unavailable, 4 a batch where some
images failed (the others were dreamed), 130 stopped with Ctrl-C, 1 anything else.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from ..dreaming.images import ImageInputError, load_image
from ..dreaming.settings import CHOICES, DreamSettings, RangedSettings, SettingsError, field_kinds, parse_layer
from ..files.links import SharedLink
from ..files.presets import Preset, guide_path, load_preset, settings_with_preset
from ..files.records import settings_from_file
from ..models.echo import echo
from ..models.zoo import get_spec
from ..motion.animation import AnimationSettings
from ..motion.live import LiveSettings
from ..motion.segments import SegmentSettings
from ..motion.video import VideoSettings

EXIT_BAD_INPUT = 2
EXIT_NO_WEIGHTS = 3
EXIT_STOPPED = 130

# Every field of a settings class has a flag of its name (--octave-scale sets octave_scale; a switch has
# --name and --no-name), helped by its range or words, unless it is set by a flag of its own, here.
# Values stay text until from_dict reads them, so a bad value gets the same message as everywhere else.
OWN_FLAGS = {
    "layers": "--layer",
    "channel_pick": "--channels",
    "channel_count": "--channels",
    "translate_x": "--translate",
    "translate_y": "--translate",
}
# Help for the flags that say more than their field's name and range.
FLAG_HELP = {
    "keep_colors": "change brightness only and keep the photo's colours",
    "loop": "fade the last frames into the first, so the clip loops with no jump",
    "color_lock": "hold each frame to the first (or source) frame's colours (the default); --no-color-lock "
    "lets them drift",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deepdream_core", description="DeepDream from the command line.")
    commands = parser.add_subparsers(dest="command", required=True)

    dream = commands.add_parser("dream", help="dream an image")
    dream.add_argument("input", help="photo to dream on, or 'noise' to start from noise")
    dream.add_argument("-o", "--output", required=True, help="where to write the result (PNG or JPEG)")
    add_dream_flags(dream)

    _add_motion_commands(commands)

    many = commands.add_parser("batch", help="dream many images with one look (files, folders, globs)")
    many.add_argument("inputs", nargs="+", help="image files, folders and glob patterns (quote them: 'photos/*.jpg')")
    many.add_argument("-o", "--output", required=True, help="folder for the dreams (PNG, named after the inputs)")
    many.add_argument("--recursive", action="store_true", help="also dream images in subfolders (mirrored)")
    add_ray_flag(many, "dream on a Ray cluster, one worker per CPU or GPU")
    add_dream_flags(many)

    _add_sheet_commands(commands)

    commands.add_parser("models", help="list the model zoo")
    layers = commands.add_parser("layers", help="list a model's dream layers")
    layers.add_argument("model")
    return parser


def _add_motion_commands(commands: Any) -> None:
    """``animate``, ``video`` and ``live``: the commands that make moving pictures."""
    animate = commands.add_parser("animate", help="zoom-feedback animation: dream, move, dream again")
    animate.add_argument("input", help="photo to start from, or 'noise'")
    animate.add_argument("-o", "--output", required=True, help="where to write the animation (.mp4 or .gif)")
    add_settings_flags(animate, AnimationSettings)
    animate.add_argument("--translate", metavar="X,Y", help="pixels per frame the picture moves (right, down)")
    add_dream_flags(animate)

    video = commands.add_parser("video", help="dream a video clip, frame by frame, without flicker")
    video.add_argument("input", help="clip to dream on (MP4, MOV, WebM, MKV, AVI or GIF)")
    video.add_argument("-o", "--output", required=True, help="where to write the result (.mp4, with the clip's audio)")
    add_settings_flags(video, VideoSettings)
    add_settings_flags(video, SegmentSettings)
    add_ray_flag(video, "dream the segments in parallel on a Ray cluster")
    add_dream_flags(video)

    live = commands.add_parser("live", help="a live dream of a camera, or of a clip played as if it were one")
    live.add_argument("source", help="camera index (0 is the first camera) or a clip played at its own pace")
    live.add_argument("-o", "--output", required=True, help="where to write what it showed (.mp4)")
    add_settings_flags(live, LiveSettings)
    live.add_argument("--seconds", type=float, default=10.0, help="how long a camera is dreamed (default 10)")
    live.add_argument("--max-frames", default=None, help="a clip's frames to play (1 to 900, default 900)")
    add_dream_flags(live)


def _add_sheet_commands(commands: Any) -> None:
    """``sweep`` and ``atlas``: the commands that make contact sheets."""
    sweep = commands.add_parser("sweep", help="a contact sheet of one photo dreamed several ways")
    sweep.add_argument("input", help="photo to dream on")
    sweep.add_argument("-o", "--output", required=True, help="where to write the sheet (PNG or JPEG)")
    ways = sweep.add_mutually_exclusive_group(required=True)
    ways.add_argument("--set", metavar="NAME=V1,V2,...", help="one setting at 2 to 6 values, e.g. steps=5,10,20")
    ways.add_argument("--presets", metavar="A,B,...", help="2 to 6 presets (the other flags apply to each)")
    add_dream_flags(sweep)

    atlas = commands.add_parser("atlas", help="a contact sheet of what each layer of a model draws")
    atlas.add_argument("model")
    atlas.add_argument("-o", "--output", required=True, help="where to write the sheet (PNG or JPEG)")
    atlas.add_argument("--layer", help="instead: that layer's channels that respond most to --photo")
    atlas.add_argument("--photo", help="photo for --layer (default: the atlas's sample photo)")
    atlas.add_argument("--count", type=int, default=12, help="how many channels --layer shows (1 to 64)")
    atlas.add_argument("--device", default="auto", help="where to dream: auto, cpu, cuda or mps")
    add_cuda_graphs_flag(atlas)
    atlas.add_argument("--quiet", action="store_true", help="no progress bar")


def add_settings_flags(parser: argparse.ArgumentParser, settings_class: type[RangedSettings]) -> None:
    """A flag for each field of ``settings_class`` (see :data:`OWN_FLAGS`); :func:`flag_settings` reads them."""
    for name, kind in field_kinds(settings_class).items():
        if name in OWN_FLAGS:
            continue
        flag = "--" + name.replace("_", "-")
        if kind.switch:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, help=FLAG_HELP.get(name, name))
        else:
            helped = FLAG_HELP.get(name, f"{name} ({kind.allowed})" if kind.allowed else name)
            parser.add_argument(flag, help=helped)


def flag_settings(args: argparse.Namespace, settings_class: type[RangedSettings]) -> dict[str, Any]:
    """The fields of ``settings_class`` given as flags of their own name, as typed, for its ``from_dict``."""
    return {
        name: getattr(args, name)
        for name in field_kinds(settings_class)
        if name not in OWN_FLAGS and getattr(args, name, None) is not None
    }


def add_cuda_graphs_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cuda-graphs",
        action="store_true",
        help="on a CUDA GPU, replay each step's network pass as a CUDA graph (not yet verified on a GPU, so off)",
    )


def add_ray_flag(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        metavar="ADDRESS",
        help=f"{what}: 'auto' (the default) joins the running one, HOST:PORT that one, "
        f"'local' starts one on this machine",
    )


def add_dream_flags(parser: argparse.ArgumentParser) -> None:
    """The flags every dreaming command shares, read by :meth:`SettingsInput.from_args`."""
    parser.add_argument("--preset", help="start from a preset (name of a file in presets/, without .json)")
    parser.add_argument(
        "--layer",
        action="append",
        dest="layers",
        metavar="NAME[:WEIGHT[:CH,...]]",
        help="layer to dream on; repeat for several (list them with `layers MODEL`)",
    )
    parser.add_argument("--guide", help="guide image: pull the dream towards its features")
    parser.add_argument(
        "--settings-from",
        metavar="FILE",
        help="dream with the settings stored in a dreamed PNG, GIF or MP4 (flags given too win)",
    )
    add_settings_flags(parser, DreamSettings)
    parser.add_argument(
        "--channels",
        metavar="strongest:N|weakest:N|all",
        help="dream only the N channels of each layer that respond most (least) to the photo",
    )
    add_cuda_graphs_flag(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


@dataclass(frozen=True)
class SettingsInput:
    """What a dreaming command was given for its settings: ``--preset``, the settings of a dreamed file
    (``--settings-from``, read once), and the settings given as flags, which win over both.

    :func:`~deepdream_core.cli.main` builds it from the command line and hands it to the command.
    """

    preset: str | None = None
    settings_file: SharedLink | None = None
    flags: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> SettingsInput:
        """The settings a dreaming command's flags give; the ``--settings-from`` file is read now."""
        settings_file = read_settings_file(args)
        return cls(args.preset, settings_file, flag_values(args))

    def or_preset(self, name: str) -> SettingsInput:
        """These, starting from preset ``name`` when they name neither a preset nor a settings file."""
        return self if self.preset or self.settings_file is not None else dataclasses.replace(self, preset=name)

    def settings(self) -> tuple[DreamSettings, Preset | None]:
        """Preset (or the file's settings) first, then every flag on top, through the one settings object.

        Returns the settings and the preset they start from: ``--preset``, or the one the settings file names.
        """
        data = dict(self.flags)
        if self.settings_file is not None and not self.preset:
            settings = DreamSettings.from_dict(data, base=self.settings_file.settings)
            preset = load_preset(self.settings_file.preset) if self.settings_file.preset else None
        else:
            if self.preset:
                data["preset"] = self.preset
            settings, preset = settings_with_preset(data)
        get_spec(settings.model)  # an unknown model fails now, in one line, not after files are read and a bar drawn
        return settings, preset


def flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags (not the preset), by name."""
    data = flag_settings(args, DreamSettings)
    if args.layers:
        data["layers"] = tuple(parse_layer(text) for text in args.layers)
    if args.channels is not None:
        data.update(parse_channel_pick(args.channels))
    return data


def parse_channel_pick(text: str) -> dict[str, str]:
    """``strongest:8``, ``weakest:4`` or ``all`` as the ``channel_pick`` and ``channel_count`` settings."""
    pick, _, count = text.partition(":")
    if pick not in CHOICES["channel_pick"] or (pick == "all") != (count == ""):
        raise SettingsError("channels", f"write strongest:N, weakest:N or all, got {echo(text)}")
    return {"channel_pick": pick, "channel_count": count} if count else {"channel_pick": pick}


def read_settings_file(args: argparse.Namespace) -> SharedLink | None:
    """``--settings-from``'s settings, read like a share link; what was skipped is noted on stderr."""
    if not getattr(args, "settings_from", None):
        return None
    link = settings_from_file(args.settings_from)
    for note in link.ignored:
        print(f"note: settings-from: {note}", file=sys.stderr)
    return link


def guide_from_args(args: argparse.Namespace, preset: Preset | None, max_size: int) -> Image.Image | None:
    """``--guide``, or else the guide image a guide-image preset ships with."""
    path = guide_path(preset, args.guide)
    return open_image(path, "guide", max_size) if path else None


def open_image(path: str | Path, what: str, max_size: int) -> Image.Image:
    """The image at working size; notices (first frame only, downscaled...) go to stderr."""
    try:
        loaded = load_image(path, max_size)
    except ImageInputError as err:
        raise ImageInputError(f"{what}: {err}") from None
    for notice in loaded.notices:
        print(f"note: {what}: {notice}", file=sys.stderr)
    return loaded.image


def output_path(text: str, suffixes: Sequence[str], args: argparse.Namespace) -> Path:
    """The output path, checked before anything is read or dreamed, so a typo does not cost a whole run.

    It may not be any file the command reads (:func:`input_files`): a dream written over its own photo, clip
    or guide would lose it.
    """
    output = Path(text)
    if output.is_dir():
        example = output / f"dream{suffixes[0]}"
        raise SettingsError("output", f"{text} is a folder; give a file name in it, such as {example}")
    if output.suffix.lower() not in suffixes:
        raise SettingsError("output", f"{text} must end in {', '.join(suffixes)}")
    folder = output.parent
    if not folder.is_dir():
        raise SettingsError("output", f"the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SettingsError("output", f"cannot write in the folder {folder} (permission denied); choose another folder")
    refuse_overwriting_inputs([output], args)
    return output


def input_files(args: argparse.Namespace) -> dict[str, str]:
    """The files a command reads, by what they are: its input (photo, clip), guide, settings file, atlas photo."""
    named = {what: getattr(args, what, None) for what in ("input", "source", "guide", "settings_from", "photo")}
    return {what: text for what, text in named.items() if isinstance(text, str) and text != "noise"}


def refuse_overwriting_inputs(outputs: Sequence[Path], args: argparse.Namespace) -> None:
    """Refuse outputs that are one of the command's input files (the same file by any name or link)."""
    for what, text in input_files(args).items():
        for output in outputs:
            if output.exists() and Path(text).exists() and os.path.samefile(output, text):
                raise SettingsError(
                    "output",
                    f"{output} is the {what.replace('_', '-')} file this command reads; writing the dream there would "
                    f"replace it. Give another output name",
                )


def source_bytes(path: str) -> bytes | None:
    """The input file's bytes, for the record's fingerprint of it (None for noise); it has been read already."""
    return None if path == "noise" else Path(path).read_bytes()


def fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code
