"""The CLI's live mirror: ``live SOURCE -o OUT.mp4``, a camera (or a clip, as if it were one) dreamed live."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import asdict

from PIL import Image

from ..dreaming.settings import SettingsError
from ..files.records import dream_record, save_video
from ..motion.animation import MOTION_RANGES
from ..motion.live import LIVE_LOOK, LiveInputError, LiveSession, LiveSettings, play
from .args import SettingsInput, flag_settings, output_path, source_bytes


def live_command(args: argparse.Namespace, given: SettingsInput) -> int:
    settings, preset = given.or_preset(LIVE_LOOK).settings()
    live = LiveSettings.from_dict(flag_settings(args, LiveSettings))
    output = output_path(args.output, (".mp4",))
    session = LiveSession(settings, live)
    if args.source.isdigit():
        shown, latencies, fps, dropped = _from_camera(session, int(args.source), args.seconds)
        source = None
    else:
        shown, latencies, fps, dropped = _from_clip(session, args.source, args.max_frames)
        source = source_bytes(args.source)
    record = dream_record(
        session.settings, preset.name if preset else None, source=source, motion=asdict(live), kind="live"
    )
    save_video(shown, output, fps, record)
    dreamed = len(latencies)
    seconds = len(shown) / fps
    print(
        f"live: {dreamed / seconds:.1f} frames/s dreamed ({dreamed} of {len(shown)}, {dropped} dropped), "
        f"latency {statistics.median(latencies):.3f} s median, {max(latencies):.3f} s worst; "
        f"budget now {session.stats.octaves} octave(s) x {session.stats.steps} step(s)"
    )
    print(f"wrote {output} ({len(shown)} frames, {shown[0].width}x{shown[0].height}, {fps:g} fps)")
    return 0


def _from_clip(
    session: LiveSession, path: str, max_frames: str | None
) -> tuple[list[Image.Image], list[float], float, int]:
    """The clip played in real time at its own fps, as a camera would give it."""
    from ..files.clips import read_clip

    cap = MOTION_RANGES["max_frames"]
    frames = cap.parse("max_frames", max_frames) if max_frames is not None else int(cap.high)
    cap.check("max_frames", frames)
    clip = read_clip(path, frames, session.live.size)
    for notice in clip.notices:
        print(f"note: input: {notice}", file=sys.stderr)
    session.warm_up(clip.frames[0])
    played = list(play(session, clip.frames, float(clip.fps)))
    latencies = [p.latency_s for p in played if p.latency_s is not None]
    return [p.shown for p in played], latencies, float(clip.fps), len(played) - len(latencies)


def _from_camera(session: LiveSession, index: int, seconds: float) -> tuple[list[Image.Image], list[float], float, int]:
    """``seconds`` of camera ``index``: each dream shows the newest frame (the driver keeps one)."""
    import cv2

    camera = cv2.VideoCapture(index)
    if not camera.isOpened():
        raise LiveInputError(f"no camera at index {index}; plug one in, or give a clip (MP4, WebM...) instead")
    camera.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of stale ones
    shown, latencies = [], []
    begin = time.perf_counter()
    try:
        while time.perf_counter() - begin < seconds:
            ok, frame = camera.read()
            if not ok:
                raise LiveInputError(f"camera {index} stopped sending frames; check it, then start again")
            taken = time.perf_counter()
            shown.append(session.frame(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
            latencies.append(time.perf_counter() - taken)
    finally:
        camera.release()
    if not shown:
        raise SettingsError("seconds", "no frame was dreamed in that time; give more seconds")
    return shown, latencies, len(shown) / (time.perf_counter() - begin), 0
