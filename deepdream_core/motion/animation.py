"""Zoom-feedback animations: dream, move the picture, dream again (:class:`AnimationSettings`, :func:`animate`).

The bounds of every motion setting live here, in :data:`MOTION_RANGES` (checked, like every settings
object's, by :class:`~deepdream_core.dreaming.settings.RangedSettings`), and :class:`FrameProgress`: both
this loop and :mod:`.video`'s yield one per finished frame, so a UI can show frames as they come and a CLI
can draw a bar.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import cv2
import numpy as np
from PIL import Image

from ..dreaming.cache import get_dreamer
from ..dreaming.color import color_stats, match_colors
from ..dreaming.settings import DreamSettings, Range, RangedSettings

if TYPE_CHECKING:  # the CLI imports this module for its settings; PyAV loads only when a clip is read
    pass

# Bounds of every motion setting, as data (like settings.RANGES) so UIs can build sliders from them.
# The frame caps keep a public demo's runs to minutes, not hours.
MOTION_RANGES: dict[str, Range] = {
    "frames": Range(1, 600, integer=True),
    "zoom": Range(0.5, 2.0),
    "rotate": Range(-45.0, 45.0),
    "translate_x": Range(-64.0, 64.0),
    "translate_y": Range(-64.0, 64.0),
    "fps": Range(1, 60, integer=True),
    "feedback_octaves": Range(1, 8, integer=True),
    "feedback_steps": Range(1, 100, integer=True),
    "blend": Range(0.0, 0.95),
    "max_frames": Range(1, 900, integer=True),
    "max_side": Range(32, 1920, integer=True),
}


@dataclass(frozen=True)
class AnimationSettings(RangedSettings):
    """How a feedback animation moves: each dreamed frame is transformed and dreamed again."""

    RANGES: ClassVar[dict[str, Range]] = MOTION_RANGES

    frames: int = 24
    # Per frame, about the centre: >1 flies into the picture. The 2015 animations used about 1.05.
    zoom: float = 1.05
    # Degrees per frame, counter-clockwise.
    rotate: float = 0.0
    # Pixels per frame the picture moves (right, down), at working size.
    translate_x: float = 0.0
    translate_y: float = 0.0
    fps: int = 12
    # Frames after the first start from an already dreamy image and only grow the detail the zoom
    # brought in, so they take at most this many octaves and steps: several times faster, same look.
    feedback_octaves: int = 2
    feedback_steps: int = 5
    # Each frame is held to the first frame's colour statistics before it is dreamed again; without
    # it the small colour shift of every dream adds up (a zoom from a photo fades to pastel pink).
    color_lock: bool = True
    # The last frames cross-fade into the first, so the clip plays in a loop with no jump.
    loop: bool = False


@dataclass(frozen=True)
class FrameProgress:
    """One finished frame of an animation or video."""

    index: int  # 1-based
    total: int
    image: Image.Image


def animate(
    image: Image.Image | None, settings: DreamSettings, motion: AnimationSettings, guide: Image.Image | None = None
) -> Iterator[FrameProgress]:
    """Dream ``image`` (noise when None), then again and again, moving the dream by ``motion`` in between.

    With ``motion.loop``, a few more frames are dreamed and cross-faded into the first ones (see
    :func:`loop_frames`), so the clip starts a little later in the motion and has no jump at its end.
    """
    overlap = loop_overlap(motion.frames) if motion.loop else 0
    dreams = feedback_dreams(image, settings, motion, guide, motion.frames + overlap)
    frames = loop_frames(dreams, motion.frames, overlap) if overlap else dreams
    for index, frame in enumerate(frames, start=1):
        yield FrameProgress(index, motion.frames, frame)


def feedback_dreams(
    image: Image.Image | None, settings: DreamSettings, motion: AnimationSettings, guide: Image.Image | None, count: int
) -> Iterator[Image.Image]:
    """``count`` frames of zoom feedback: each one the previous dream moved by ``motion`` and dreamed again."""
    dreamer = get_dreamer(settings.model, settings.device)
    later = feedback_settings(settings, motion)
    frame, first = image, None
    for index in range(count):
        frame_settings = settings if index == 0 else later
        if settings.seed is not None:
            # A new jitter sequence per frame: the same one would grow the same grid into every frame.
            frame_settings = frame_settings.replace(seed=(settings.seed + index) % 2**31)
        dreamed = dreamer.dream(frame, frame_settings, guide)
        yield dreamed
        if first is None:
            first = color_stats(dreamed)
        frame = transform_frame(dreamed, motion)
        if motion.color_lock:
            frame = match_colors(frame, first)


def loop_overlap(frames: int) -> int:
    """How many extra frames a loop dreams and cross-fades into the first: a quarter of the clip."""
    return 0 if frames < 2 else max(1, round(frames / 4))


def loop_frames(dreams: Iterator[Image.Image], frames: int, overlap: int) -> Iterator[Image.Image]:
    """``frames`` frames from ``frames + overlap`` dreams that play in a loop with no jump.

    The first ``overlap`` dreams are held back; the clip starts with the one after them, and the last
    ``overlap`` dreams fade into the held ones, ending on (almost) the dream just before the clip's
    first frame, so the end flows into the start as any frame flows into the next.
    """
    held = [next(dreams) for _ in range(overlap)]
    for _ in range(frames - overlap):
        yield next(dreams)
    for index, start in enumerate(held, start=1):
        yield Image.blend(next(dreams), start, index / (overlap + 1))


def feedback_settings(settings: DreamSettings, motion: AnimationSettings) -> DreamSettings:
    """The settings of every animation frame after the first (see ``AnimationSettings.feedback_octaves``)."""
    return settings.replace(
        octaves=min(settings.octaves, motion.feedback_octaves), steps=min(settings.steps, motion.feedback_steps)
    )


def transform_frame(image: Image.Image, motion: AnimationSettings) -> Image.Image:
    """``image`` zoomed and rotated about its centre, then moved; edges coming in are mirrored, not black."""
    width, height = image.size
    # float64 already; asarray only tells the type checker so (OpenCV's stubs allow integer matrices too).
    matrix = np.asarray(cv2.getRotationMatrix2D((width / 2, height / 2), motion.rotate, motion.zoom), np.float64)
    matrix[:, 2] += (motion.translate_x, motion.translate_y)
    moved = cv2.warpAffine(
        np.asarray(image), matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
    )
    return Image.fromarray(moved)
