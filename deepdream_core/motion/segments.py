"""Long videos in overlapping segments: each dreamed on its own (in parallel on a Ray cluster), then cross-faded.

A video dream carries each frame's dream over to the next (see :func:`.video.dream_video`), which makes
it sequential. Cut into segments, the parts can run at once. Each segment starts ``overlap`` frames
before its own share, so the frames around a cut are dreamed twice: by the segment ending there and
by the one starting, which has settled into its pattern by then. Across those frames the picture fades
from the one to the other, so no frame jumps from one pattern to an unrelated one.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from PIL import Image

from ..dreaming.settings import DreamSettings, Range, RangedSettings, SettingsError
from .video import VideoSettings, dream_video

if TYPE_CHECKING:
    from ..files.clips import Clip

SEGMENT_RANGES: dict[str, Range] = {
    "segments": Range(1, 256, integer=True),
    # Frames dreamed by two segments and cross-faded; a few are enough for the later segment's
    # carried-over dream to settle (measured on the test clip: 4 keep the cut's change within 1.5x).
    "overlap": Range(0, 60, integer=True),
}


@dataclass(frozen=True)
class SegmentSettings(RangedSettings):
    """How a clip is cut for parallel dreaming."""

    RANGES: ClassVar[dict[str, Range]] = SEGMENT_RANGES

    segments: int = 1
    overlap: int = 4

    def split(self, count: int) -> list[range]:
        """The frames of each segment (0-based, end exclusive) for a clip of ``count`` frames."""
        if self.segments > count:
            raise SettingsError(
                "segments", f"the clip has {count} frames to dream, so at most {count} segments; got {self.segments}"
            )
        bounds = [round(i * count / self.segments) for i in range(self.segments + 1)]
        shortest = min(b - a for a, b in itertools.pairwise(bounds))
        if self.segments > 1 and self.overlap >= shortest:
            raise SettingsError(
                "overlap",
                f"must be less than a segment's {shortest} frames, got {self.overlap}; "
                f"use fewer segments or less overlap",
            )
        return [range(max(0, start - self.overlap), end) for start, end in itertools.pairwise(bounds)]


def dream_segment(
    clip: Clip, settings: DreamSettings, video: VideoSettings, guide: Image.Image | None = None
) -> list[Image.Image]:
    """One segment (a clip of its frames) dreamed with the usual frame-to-frame coherence."""
    return [event.image for event in dream_video(clip, settings, video, guide)]


def segment_clips(clip: Clip, parts: Sequence[range]) -> list[Clip]:
    """The clip cut into its segments' frames (the same fps and source; audio stays with the whole clip)."""
    return [dataclasses.replace(clip, frames=clip.frames[part.start : part.stop]) for part in parts]


def join(parts: Sequence[range], dreamed: Sequence[Sequence[Image.Image]]) -> list[Image.Image]:
    """The segments' frames as one clip, cross-faded linearly where two segments dreamed the same frames."""
    frames = list(dreamed[0])
    for part, segment in zip(parts[1:], dreamed[1:], strict=False):
        shared = len(frames) - part.start
        for k in range(shared):
            frames[part.start + k] = Image.blend(frames[part.start + k], segment[k], (k + 1) / (shared + 1))
        frames.extend(segment[shared:])
    return frames


def dream_in_segments(
    clip: Clip,
    settings: DreamSettings,
    video: VideoSettings,
    cut: SegmentSettings,
    guide: Image.Image | None = None,
    on_segment: Callable[[int, int], None] | None = None,
) -> list[Image.Image]:
    """The whole clip dreamed segment by segment in this process (what a cluster does in parallel)."""
    parts = cut.split(len(clip.frames))
    dreamed = []
    for index, segment in enumerate(segment_clips(clip, parts), start=1):
        dreamed.append(dream_segment(segment, settings, video, guide))
        if on_segment is not None:
            on_segment(index, len(parts))
    return join(parts, dreamed)
