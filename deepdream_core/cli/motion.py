"""The CLI's moving pictures: ``animate`` (zoom feedback) and ``video`` (a clip, whole or in segments)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import asdict

from PIL import Image

from ..dreaming.settings import SettingsError
from ..files.records import dream_record, save_video
from ..models.echo import echo
from ..motion.animation import AnimationSettings, FrameProgress
from ..motion.segments import SegmentSettings
from ..motion.video import VideoSettings
from .args import (
    SettingsInput,
    flag_settings,
    guide_from_args,
    open_image,
    output_path,
    source_bytes,
)


def animate_command(args: argparse.Namespace, given: SettingsInput) -> int:
    from ..files.clips import VIDEO_SUFFIXES
    from ..motion.animation import animate

    settings, preset = given.settings()
    settings = settings.with_seed()
    changes = flag_settings(args, AnimationSettings)
    if args.translate is not None:
        parts = args.translate.split(",")
        if len(parts) != 2:
            raise SettingsError(
                "translate", f"write it as X,Y in pixels per frame, e.g. 2,-1; got {echo(args.translate)}"
            )
        changes["translate_x"], changes["translate_y"] = parts
    motion = AnimationSettings.from_dict(changes)
    output = output_path(args.output, VIDEO_SUFFIXES, args)
    image = None if args.input == "noise" else open_image(args.input, "input", settings.max_size)
    guide = guide_from_args(args, preset, settings.max_size)
    frames = frames_with_bar(animate(image, settings, motion, guide), args.quiet)
    record = dream_record(
        settings,
        preset.name if preset else None,
        source=source_bytes(args.input),
        guide=guide,
        motion=motion,
        kind="animation",
    )
    save_video(frames, output, motion.fps, record)
    print(f"wrote {output} ({len(frames)} frames, {frames[0].width}x{frames[0].height}, {motion.fps} fps)")
    return 0


def video_command(args: argparse.Namespace, given: SettingsInput) -> int:
    from ..motion.video import dream_video, load_clip

    settings, preset = given.settings()
    settings = settings.with_seed()
    video = VideoSettings.from_dict(flag_settings(args, VideoSettings))
    cut = SegmentSettings.from_dict(flag_settings(args, SegmentSettings))
    output = output_path(args.output, (".mp4",), args)
    clip = load_clip(args.input, settings, video)
    for notice in clip.notices:
        print(f"note: input: {notice}", file=sys.stderr)
    guide = guide_from_args(args, preset, settings.max_size)
    if cut.segments > 1 or args.ray:
        from .batch import video_in_segments

        frames = video_in_segments(clip, settings, video, cut, guide, args)
    else:
        frames = frames_with_bar(dream_video(clip, settings, video, guide), args.quiet)
    motion = {**asdict(video), **(asdict(cut) if cut.segments > 1 else {})}
    record = dream_record(
        settings,
        preset.name if preset else None,
        source=source_bytes(args.input),
        guide=guide,
        motion=motion,
        kind="video",
    )
    save_video(frames, output, clip.fps, record, audio_from=clip)
    audio = ", with the clip's audio" if clip.has_audio else ""
    print(
        f"wrote {output} ({len(frames)} frames, {frames[0].width}x{frames[0].height}, {float(clip.fps):g} fps{audio})"
    )
    return 0


def frames_with_bar(progress: Iterator[FrameProgress], quiet: bool) -> list[Image.Image]:
    from tqdm import tqdm

    frames = []
    with tqdm(total=None, unit="frame", disable=quiet, file=sys.stderr) as bar:
        for event in progress:
            bar.total = event.total
            bar.update(1)
            frames.append(event.image)
    return frames
