"""Videos dreamed frame by frame with temporal coherence (:class:`VideoSettings`, :func:`dream_video`).

Each frame starts from the previous dream carried along the optical flow (:func:`carry_over`).
Decoding and encoding clips is :mod:`deepdream_core.files.clips`' job (:func:`~deepdream_core.files.clips.write_video`
saves the frames); optical flow is :mod:`.flow`'s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from PIL import Image

from ..dreaming.cache import get_dreamer
from ..dreaming.color import color_stats, match_colors
from ..dreaming.images import fit_image
from ..dreaming.settings import DreamSettings, Range, RangedSettings
from .animation import MOTION_RANGES, FrameProgress
from .flow import optical_flow, reliable, warp

if TYPE_CHECKING:  # the CLI imports this module for its settings; PyAV loads only when a clip is read
    from ..files.clips import Clip


@dataclass(frozen=True)
class VideoSettings(RangedSettings):
    """How a clip is dreamed, and the caps a demo puts on it."""

    RANGES: ClassVar[dict[str, Range]] = MOTION_RANGES

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


def load_clip(path: str | os.PathLike, settings: DreamSettings, video: VideoSettings) -> Clip:
    """The clip within ``video``'s caps, at the size it will be dreamed at; its notices say what was cut.

    Raises :class:`~deepdream_core.files.clips.VideoInputError` with a message for the user when the file
    cannot be used.
    """
    from ..files.clips import read_clip

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
