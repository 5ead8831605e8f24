"""The CLI's live mirror: ``live SOURCE -o OUT.mp4``, a camera (or a clip, as if it were one) dreamed live."""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from fractions import Fraction

from PIL import Image

from ..dreaming.settings import Range, SettingsError
from ..files.records import dream_record, save_video
from ..motion.animation import MOTION_RANGES
from ..motion.live import LIVE_LOOK, LiveInputError, LiveSession, LiveSettings, play
from .args import SettingsInput, flag_settings, output_path, source_bytes

# A clip is played at the rate its header claims, as a camera would give it, within what cameras do: a header can
# claim one frame per 10 minutes (3 frames would take half an hour of "real time") or thousands a second.
PLAY_FPS = Range(1, 120)


@dataclass(frozen=True)
class Played:
    """What a live run showed, and how it kept up."""

    shown: list[Image.Image]  # what a screen showed at each camera frame's time
    fps: float  # the camera's frame rate: the output plays at it
    latencies: list[float]  # seconds from a dreamed frame's arrival to its dream
    dropped: int  # camera frames not dreamed: a newer one was waiting when the dream was free
    seconds: float  # time spent playing: dreamed frames / seconds is the rate the dream kept

    @property
    def dreamed_fps(self) -> float:
        return len(self.latencies) / self.seconds


def live_command(args: argparse.Namespace, given: SettingsInput) -> int:
    settings, preset = given.or_preset(LIVE_LOOK).settings()
    live = LiveSettings.from_dict(flag_settings(args, LiveSettings))
    output = output_path(args.output, (".mp4",), args)
    max_frames = _max_frames(args.max_frames)  # a bad cap is said before the model loads
    session = LiveSession(settings, live)
    if re.fullmatch(r"[0-9]+", args.source):  # ASCII digits: "²".isdigit() is true, and int() fails on it
        played, source = _from_camera(session, int(args.source), args.seconds), None
    else:
        played, source = _from_clip(session, args.source, max_frames), source_bytes(args.source)
    record = dream_record(
        session.settings, preset.name if preset else None, source=source, motion=asdict(live), kind="live"
    )
    save_video(played.shown, output, played.fps, record)
    dreamed = len(played.latencies)
    print(
        f"live: {played.dreamed_fps:.1f} frames/s dreamed ({dreamed} of {len(played.shown)}, {played.dropped} "
        f"dropped), latency {statistics.median(played.latencies):.3f} s median, {max(played.latencies):.3f} s worst; "
        f"budget now {session.stats.octaves} octave(s) x {session.stats.steps} step(s)"
    )
    first = played.shown[0]
    print(f"wrote {output} ({len(played.shown)} frames, {first.width}x{first.height}, {played.fps:g} fps)")
    return 0


def _max_frames(text: str | None) -> int:
    cap = MOTION_RANGES["max_frames"]
    frames = cap.parse("max_frames", text) if text is not None else int(cap.high)
    cap.check("max_frames", frames)
    return int(frames)


def _from_clip(session: LiveSession, path: str, max_frames: int) -> Played:
    """The clip played in real time at its own fps (within :data:`PLAY_FPS`), as a camera would give it."""
    from ..files.clips import read_clip

    clip = read_clip(path, max_frames, session.live.size)
    notices = list(clip.notices)
    fps = play_rate(clip.fps)
    if fps != clip.fps:
        notices.append(
            f"the clip claims {float(clip.fps):.3g} frames/s; it is played (and written) at {fps:g} frames/s, "
            f"within what a camera gives ({PLAY_FPS.low:g} to {PLAY_FPS.high:g})"
        )
    for notice in notices:
        print(f"note: input: {notice}", file=sys.stderr)
    session.warm_up(clip.frames[0])
    begin = time.perf_counter()
    played = list(play(session, clip.frames, fps))
    seconds = time.perf_counter() - begin
    latencies = [p.latency_s for p in played if p.latency_s is not None]
    return Played([p.shown for p in played], fps, latencies, len(played) - len(latencies), seconds)


def play_rate(claimed: Fraction) -> float:
    """The rate a clip is played at: its own, held within :data:`PLAY_FPS`."""
    return min(max(float(claimed), PLAY_FPS.low), PLAY_FPS.high)


def _from_camera(session: LiveSession, index: int, seconds: float) -> Played:
    """``seconds`` of camera ``index``: each dream shows the newest frame (the driver keeps one)."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # a missing camera is said once, below
    try:
        camera = cv2.VideoCapture(index)
    except (cv2.error, OverflowError):  # an index past a C int
        camera = None
    if camera is None or not camera.isOpened():
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
    spent = time.perf_counter() - begin
    return Played(shown, len(shown) / spent, latencies, 0, spent)
