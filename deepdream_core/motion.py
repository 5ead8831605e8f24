"""Dreams that move: the settings and loops that dream many frames with the shared Dreamer.

Zoom-feedback animations (:class:`AnimationSettings`, :func:`animate`, :func:`transform_frame`) and
videos dreamed frame by frame with temporal coherence (:class:`VideoSettings`, :func:`load_clip`,
:func:`dream_video`, :func:`carry_over`), with their bounds in :data:`MOTION_RANGES`. Both loops yield
one :class:`FrameProgress` per finished frame, so a UI can show frames as they come and a CLI can draw
a bar. Decoding and encoding clips is :mod:`deepdream_core.clips`' job (:func:`~deepdream_core.clips.write_video`
saves the frames); optical flow is :mod:`deepdream_core.flow`'s.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import cv2
import numpy as np
from PIL import Image

from .color import color_stats, match_colors
from .dreamer import fit_image
from .dreamers import get_dreamer
from .flow import optical_flow, reliable, warp
from .settings import DreamSettings, Range, SettingsError, parse_switch, reject_unknown

if TYPE_CHECKING:  # the CLI imports this module for its settings; PyAV loads only when a clip is read
    from .clips import Clip

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


class _RangedSettings:
    """Frozen settings whose fields are numbers checked against :data:`MOTION_RANGES`, or switches (bools)."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]  # every subclass is a dataclass

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in MOTION_RANGES:
                MOTION_RANGES[field.name].check(field.name, value)
            elif not isinstance(value, bool):
                raise SettingsError(field.name, f"must be true or false, got {value!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: Any = None) -> Any:
        """Settings from a plain dict (CLI flags, JSON); text is read as numbers or switches; unknown keys fail."""
        reject_unknown(data, cls)
        base = base or cls()
        return dataclasses.replace(
            base,
            **{k: MOTION_RANGES[k].parse(k, v) if k in MOTION_RANGES else parse_switch(k, v) for k, v in data.items()},
        )


@dataclass(frozen=True)
class AnimationSettings(_RangedSettings):
    """How a feedback animation moves: each dreamed frame is transformed and dreamed again."""

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
class VideoSettings(_RangedSettings):
    """How a clip is dreamed, and the caps a demo puts on it."""

    # Share of the previous dream, moved along the optical flow, in each frame's starting point.
    # 0 dreams every frame on its own (patterns flicker); higher keeps patterns on objects but
    # lets them trail behind fast motion.
    blend: float = 0.6
    # Longer clips are cut to their first max_frames frames, with a notice.
    max_frames: int = 120
    # Larger clips are scaled down to this long side, with a notice (DreamSettings.max_size also applies).
    max_side: int = 480
    # Each frame's starting point (the previous dream carried over) is held to its source frame's colour
    # statistics, so dream colours cannot pile up from frame to frame.
    color_lock: bool = True


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


def load_clip(path: str | os.PathLike, settings: DreamSettings, video: VideoSettings) -> Clip:
    """The clip within ``video``'s caps, at the size it will be dreamed at; its notices say what was cut.

    Raises :class:`~deepdream_core.clips.VideoInputError` with a message for the user when the file cannot be used.
    """
    from .clips import read_clip

    return read_clip(path, video.max_frames, min(video.max_side, settings.max_size))


def dream_video(
    clip: Clip, settings: DreamSettings, video: VideoSettings, guide: Image.Image | None = None
) -> Iterator[FrameProgress]:
    """Dream every frame of ``clip``, each starting from the previous dream carried along the motion.

    Per frame: the optical flow between the previous and this SOURCE frame moves the previous
    DREAMED frame onto this one; where the flow is reliable, ``video.blend`` of it is mixed into the
    source frame, and the mix is dreamed. Where something was hidden or newly appears, the source
    frame alone is dreamed, so no dream is smeared across an occlusion.
    """
    dreamer = get_dreamer(settings.model, settings.device)
    later = carried_settings(settings, video)
    previous_source = previous_dream = None
    for index, frame in enumerate(clip.frames):
        source = np.asarray(fit_image(frame, settings.max_size))
        start, frame_settings = source, settings
        if previous_source is not None and previous_dream is not None and video.blend > 0:
            start, frame_settings = carry_over(previous_source, source, previous_dream, video.blend), later
            if video.color_lock:
                start = np.asarray(match_colors(start, color_stats(source)))
        dreamed = dreamer.dream(Image.fromarray(start), frame_settings, guide)
        yield FrameProgress(index + 1, len(clip.frames), dreamed)
        previous_source, previous_dream = source, np.asarray(dreamed)


def carried_settings(settings: DreamSettings, video: VideoSettings) -> DreamSettings:
    """The settings of a video frame that starts from the previous dream carried along the motion."""
    # A frame that starts with `blend` of the previous dream needs only the rest of a dream's steps to
    # reach the same strength; more would pile a fresh, differently placed pattern on top (flicker).
    return settings.replace(steps=max(1, round(settings.steps * (1 - video.blend))))


def carry_over(previous_source: np.ndarray, source: np.ndarray, previous_dream: np.ndarray, blend: float) -> np.ndarray:
    """The starting point for dreaming ``source``: the previous dream moved onto it, blended where reliable."""
    backward = optical_flow(source, previous_source)
    forward = optical_flow(previous_source, source)
    moved = warp(previous_dream, backward).astype(np.float32)
    weight = blend * reliable(backward, forward)[..., None]
    return np.clip(weight * moved + (1 - weight) * source, 0, 255).round().astype(np.uint8)
