"""Command line: ``python -m deepdream_core dream|animate|video|batch|models|layers``.

Exit codes: 0 done, 2 bad input (settings, files, names), 3 weights unavailable, 4 a batch where some
images failed (the others were dreamed), 130 stopped with Ctrl-C, 1 anything else.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from PIL import Image

from .batch import ClusterError, Outcome
from .devices import DeviceError
from .images import ImageInputError, load_image
from .links import SharedLink
from .metadata import atomic_path, dream_record, save_png, save_video, settings_from_file
from .motion import MOTION_RANGES, AnimationSettings, FrameProgress, VideoSettings
from .segments import SEGMENT_RANGES, SegmentSettings
from .settings import RANGES, DreamSettings, Range, SettingsError, parse_layer
from .weights import WeightsUnavailableError
from .zoo import UnknownModelError, get_spec, model_names

if TYPE_CHECKING:
    from .video import Clip

EXIT_BAD_INPUT = 2
EXIT_NO_WEIGHTS = 3
EXIT_STOPPED = 130

# Settings fields with a flag of the same name. Values stay text until DreamSettings.from_dict
# reads them, so a bad value gets the same message here as in presets, share links and the API.
_FLAGS = ("model", "octaves", "octave_scale", "steps", "step_size", "jitter", "smoothing", "seed", "max_size",
          "tile_size", "device", "precision", "class_target", "class_weight", "guide_weight")
# The same for AnimationSettings and VideoSettings (--translate X,Y sets translate_x and translate_y).
_ANIMATION_FLAGS = ("frames", "zoom", "rotate", "fps", "feedback_octaves", "feedback_steps")
_VIDEO_FLAGS = ("blend", "max_frames", "max_side")
_SEGMENT_FLAGS = ("segments", "overlap")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deepdream_core", description="DeepDream from the command line.")
    commands = parser.add_subparsers(dest="command", required=True)

    dream = commands.add_parser("dream", help="dream an image")
    dream.add_argument("input", help="photo to dream on, or 'noise' to start from noise")
    dream.add_argument("-o", "--output", required=True, help="where to write the result (PNG or JPEG)")
    _add_dream_flags(dream)

    animate = commands.add_parser("animate", help="zoom-feedback animation: dream, move, dream again")
    animate.add_argument("input", help="photo to start from, or 'noise'")
    animate.add_argument("-o", "--output", required=True, help="where to write the animation (.mp4 or .gif)")
    _add_flags(animate, _ANIMATION_FLAGS, MOTION_RANGES)
    animate.add_argument("--translate", metavar="X,Y", help="pixels per frame the picture moves (right, down)")
    _add_dream_flags(animate)

    video = commands.add_parser("video", help="dream a video clip, frame by frame, without flicker")
    video.add_argument("input", help="clip to dream on (MP4, MOV, WebM, MKV, AVI or GIF)")
    video.add_argument("-o", "--output", required=True, help="where to write the result (.mp4, with the clip's audio)")
    _add_flags(video, _VIDEO_FLAGS, MOTION_RANGES)
    _add_flags(video, _SEGMENT_FLAGS, SEGMENT_RANGES)
    _add_ray_flag(video, "dream the segments in parallel on a Ray cluster")
    _add_dream_flags(video)

    many = commands.add_parser("batch", help="dream many images with one look (files, folders, globs)")
    many.add_argument("inputs", nargs="+", help="image files, folders and glob patterns (quote them: 'photos/*.jpg')")
    many.add_argument("-o", "--output", required=True, help="folder for the dreams (PNG, named after the inputs)")
    many.add_argument("--recursive", action="store_true", help="also dream images in subfolders (mirrored)")
    _add_ray_flag(many, "dream on a Ray cluster, one worker per CPU or GPU")
    _add_dream_flags(many)

    commands.add_parser("models", help="list the model zoo")
    layers = commands.add_parser("layers", help="list a model's dream layers")
    layers.add_argument("model")
    return parser


def _add_flags(parser: argparse.ArgumentParser, names: Sequence[str], ranges: dict[str, Range]) -> None:
    for name in names:
        rng = ranges.get(name)
        bounds = f" ({rng.low:g} to {rng.high:g})" if rng else ""
        parser.add_argument("--" + name.replace("_", "-"), default=None, help=f"{name}{bounds}")


def _add_ray_flag(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--ray", nargs="?", const="auto", metavar="ADDRESS",
                        help=f"{what}: 'auto' (the default) joins the running one, HOST:PORT that one, "
                             f"'local' starts one on this machine")


def _add_dream_flags(parser: argparse.ArgumentParser) -> None:
    """The flags every dreaming command shares, read by :func:`settings_from_args`."""
    parser.add_argument("--settings-from", metavar="FILE",
                        help="dream with the settings stored in a dreamed PNG, GIF or MP4 (flags given too win)")
    parser.add_argument("--preset", help="start from a preset (name of a file in presets/, without .json)")
    parser.add_argument("--layer", action="append", dest="layers", metavar="NAME[:WEIGHT[:CH,...]]",
                        help="layer to dream on; repeat for several (list them with `layers MODEL`)")
    parser.add_argument("--guide", help="guide image: pull the dream towards its features")
    _add_flags(parser, _FLAGS, RANGES)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def settings_from_args(args: argparse.Namespace) -> DreamSettings:
    """Preset (or a file's settings) first, then every flag given on top of it, through the one settings object."""
    base = DreamSettings()
    if args.preset:
        from .presets import load_preset

        base = load_preset(args.preset).settings
    elif args.settings_file is not None:
        base = args.settings_file.settings
    changes = {name: getattr(args, name) for name in _FLAGS if getattr(args, name) is not None}
    if args.layers:
        changes["layers"] = tuple(parse_layer(text) for text in args.layers)
    return DreamSettings.from_dict(changes, base=base)


def _read_settings_file(args: argparse.Namespace) -> SharedLink | None:
    """``--settings-from``'s settings, read like a share link; what was skipped is noted on stderr."""
    if not args.settings_from:
        return None
    link = settings_from_file(args.settings_from)
    for note in link.ignored:
        print(f"note: settings-from: {note}", file=sys.stderr)
    return link


def _preset_name(args: argparse.Namespace) -> str | None:
    """The preset the dream starts from: ``--preset``, or the one named in ``--settings-from``'s file."""
    return args.preset or (args.settings_file.preset if args.settings_file is not None else None)


def _guide_from_args(args: argparse.Namespace, max_size: int) -> Image.Image | None:
    """``--guide``, or else the guide image a guide-image preset ships with."""
    path = args.guide
    if path is None and _preset_name(args):
        from .presets import load_preset

        path = load_preset(_preset_name(args)).guide
    return _open_image(path, "guide", max_size) if path else None


def _open_image(path: str | Path, what: str, max_size: int) -> Image.Image:
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

    settings = settings_from_args(args).with_seed()
    output = _output_path(args.output, (".png", ".jpg", ".jpeg", ".webp"))
    image = None if args.input == "noise" else _open_image(args.input, "input", settings.max_size)
    guide = _guide_from_args(args, settings.max_size)
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
    _save_image(result, output, dream_record(settings, _preset_name(args), source=_source_bytes(args.input),
                                             guide=guide))
    print(f"wrote {output} ({result.width}x{result.height})")
    return 0


def _save_image(image: Image.Image, output: Path, record: dict) -> None:
    """A PNG with its settings inside; other formats as they are. Atomic either way: no half-written file."""
    if output.suffix.lower() == ".png":
        save_png(image, output, record)
    else:
        with atomic_path(output) as partial:
            image.save(partial)


def _source_bytes(path: str) -> bytes | None:
    """The input file's bytes, for the record's fingerprint of it (None for noise); it has been read already."""
    return None if path == "noise" else Path(path).read_bytes()


def _output_path(text: str, suffixes: Sequence[str]) -> Path:
    """The output path, checked before any dreaming so a typo does not cost a whole run."""
    output = Path(text)
    if output.suffix.lower() not in suffixes:
        raise SettingsError("output", f"{output} must end in {', '.join(suffixes)}")
    if not output.parent.is_dir():
        raise SettingsError("output", f"the folder {output.parent} does not exist; create it first")
    return output


def _animate(args: argparse.Namespace) -> int:
    from .motion import animate
    from .video import VIDEO_SUFFIXES

    settings = settings_from_args(args).with_seed()
    changes = {name: getattr(args, name) for name in _ANIMATION_FLAGS if getattr(args, name) is not None}
    if args.translate is not None:
        parts = args.translate.split(",")
        if len(parts) != 2:
            raise SettingsError("translate", f"write it as X,Y in pixels per frame, e.g. 2,-1; got {args.translate!r}")
        changes["translate_x"], changes["translate_y"] = parts
    motion = AnimationSettings.from_dict(changes)
    output = _output_path(args.output, VIDEO_SUFFIXES)
    image = None if args.input == "noise" else _open_image(args.input, "input", settings.max_size)
    guide = _guide_from_args(args, settings.max_size)
    frames = _frames_with_bar(animate(image, settings, motion, guide), args.quiet)
    record = dream_record(settings, _preset_name(args), source=_source_bytes(args.input), guide=guide,
                          motion=motion, kind="animation")
    save_video(frames, output, motion.fps, record)
    print(f"wrote {output} ({len(frames)} frames, {frames[0].width}x{frames[0].height}, {motion.fps} fps)")
    return 0


def _video(args: argparse.Namespace) -> int:
    from .motion import dream_video, load_clip

    settings = settings_from_args(args).with_seed()
    video = VideoSettings.from_dict({name: getattr(args, name) for name in _VIDEO_FLAGS
                                     if getattr(args, name) is not None})
    cut = SegmentSettings(**{name: SEGMENT_RANGES[name].parse(name, getattr(args, name)) for name in _SEGMENT_FLAGS
                             if getattr(args, name) is not None})
    output = _output_path(args.output, (".mp4",))
    clip = load_clip(args.input, settings, video)
    for notice in clip.notices:
        print(f"note: input: {notice}", file=sys.stderr)
    guide = _guide_from_args(args, settings.max_size)
    if cut.segments > 1 or args.ray:
        frames = _video_in_segments(clip, settings, video, cut, guide, args)
    else:
        frames = _frames_with_bar(dream_video(clip, settings, video, guide), args.quiet)
    motion = {**asdict(video), **(asdict(cut) if cut.segments > 1 else {})}
    record = dream_record(settings, _preset_name(args), source=_source_bytes(args.input), guide=guide,
                          motion=motion, kind="video")
    save_video(frames, output, clip.fps, record, audio_from=clip)
    audio = ", with the clip's audio" if clip.has_audio else ""
    print(f"wrote {output} ({len(frames)} frames, {frames[0].width}x{frames[0].height}, {float(clip.fps):g} fps{audio})")
    return 0


def _video_in_segments(clip: Clip, settings: DreamSettings, video: VideoSettings, cut: SegmentSettings,
                       guide: Image.Image | None, args: argparse.Namespace) -> list[Image.Image]:
    """The clip dreamed in overlapping segments, here one after another or on a Ray cluster at once."""
    from tqdm import tqdm

    from .segments import dream_in_segments, join, segment_clips

    with tqdm(total=cut.segments, unit="segment", disable=args.quiet, file=sys.stderr) as bar:
        def on_segment(done: int, total: int) -> None:
            bar.update(done - bar.n)

        if not args.ray:
            return dream_in_segments(clip, settings, video, cut, guide, on_segment)
        parts = cut.split(len(clip.frames))
        dreamed = _cluster().run_segments(segment_clips(clip, parts), settings, video, guide, args.ray, on_segment)
        return join(parts, dreamed)


def _cluster():
    """:mod:`deepdream_core.cluster`, which needs Ray: imported only for ``--ray``."""
    try:
        from . import cluster
    except ImportError as err:
        raise ClusterError(f"--ray needs Ray, which is not installed ({err}); "
                           f"pip install 'deepdream-studio[ray]' (or pip install 'ray>=2.40')") from None
    return cluster


def _batch(args: argparse.Namespace) -> int:
    from .batch import BatchJob, collect, run_local

    settings = settings_from_args(args)
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise SettingsError("output", f"{outdir} is a file; give a folder for the dreams")
    items = collect(args.inputs, outdir, args.recursive)
    outdir.mkdir(parents=True, exist_ok=True)
    job = BatchJob(settings, _preset_name(args), _guide_from_args(args, settings.max_size))
    progress = _BatchBar(args.quiet)
    try:
        if args.ray:
            report = _cluster().run_batch(items, job, args.ray, progress)
        else:
            report = run_local(items, job, progress)
    except KeyboardInterrupt:
        progress.close()
        print(f"stopped: {progress.dreamed} dreamed, {progress.failed} failed; run the same command again to "
              f"dream the rest (finished images are kept)", file=sys.stderr)
        return EXIT_STOPPED
    progress.close()
    for outcome in report.failed:
        print(f"failed: {outcome.item.source}: {outcome.error}", file=sys.stderr)
    skipped = f", {report.skipped} already done" if report.skipped else ""
    print(f"{report.dreamed} dreamed, {len(report.failed)} failed{skipped} (of {report.total}) -> {outdir}")
    return report.exit_code


class _BatchBar:
    """One progress bar for a batch: images done and failed, and tqdm's time left."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar = None
        self.dreamed = self.failed = 0

    def start(self, total: int, skipped: int) -> None:
        from tqdm import tqdm

        if skipped:
            print(f"{skipped} of {total} already dreamed with these settings; skipping them", file=sys.stderr)
        self.bar = tqdm(total=total - skipped, unit="image", disable=self.quiet, file=sys.stderr)
        self.bar.set_postfix(done=0, failed=0)

    def finished(self, outcome: Outcome) -> None:
        if outcome.error is None:
            self.dreamed += 1
        else:
            self.failed += 1
            self.note(f"failed: {outcome.item.source}: {outcome.error}")
        for notice in outcome.notices:
            self.note(f"note: {outcome.item.source}: {notice}")
        self.bar.set_postfix(done=self.dreamed, failed=self.failed)
        self.bar.update(1)

    def note(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _frames_with_bar(progress: Iterator[FrameProgress], quiet: bool) -> list[Image.Image]:
    from tqdm import tqdm

    frames = []
    with tqdm(total=None, unit="frame", disable=quiet, file=sys.stderr) as bar:
        for event in progress:
            bar.total = event.total
            bar.update(1)
            frames.append(event.image)
    return frames


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
        args.settings_file = _read_settings_file(args)
        if args.command == "animate":
            return _animate(args)
        if args.command == "video":
            return _video(args)
        if args.command == "batch":
            return _batch(args)
        return _dream(args)
    except (SettingsError, UnknownModelError, DeviceError, ImageInputError, ClusterError) as err:
        return _fail(str(err), EXIT_BAD_INPUT)
    except WeightsUnavailableError as err:
        return _fail(str(err), EXIT_NO_WEIGHTS)
    except KeyboardInterrupt:
        return _fail("stopped", EXIT_STOPPED)
