"""The Live tab's Record: the last seconds of a visitor's dreamed stream, kept as it streams, saved on request.

Each dreamed frame is kept as the JPEG the page was sent (about 12 KB at 256 px, 40 KB at 512), with the time
it was dreamed, for the last :data:`RECORD_SECONDS`: at 5-10 frames/s that is 0.5-4 MB a visitor, whatever
the length of the visit. Record resamples them onto a steady :data:`RECORD_FPS` timeline (each moment shows the
newest dream finished by then, as the screen did) and writes an MP4 and a GIF whose records hold the settings.
"""

from __future__ import annotations

import io
import tempfile
import threading
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gradio import processing_utils
from PIL import Image

from deepdream_core.files.records import save_video

from ..uploads import upload_folder

# The most a recording holds, in seconds of the stream.
RECORD_SECONDS = 10.0
# Frames per second of the saved clip: above the 5-7 frames/s a CPU dreams, so no dreamed frame is skipped.
RECORD_FPS = 10


class Replay:
    """One visitor's last :data:`RECORD_SECONDS` of dreamed frames (JPEG bytes, by time dreamed)."""

    def __init__(self, seconds: float = RECORD_SECONDS) -> None:
        self.seconds = seconds
        self._frames: deque[tuple[float, bytes]] = deque()
        self._lock = threading.Lock()  # the stream adds while Record reads

    def add(self, at: float, jpeg: bytes) -> None:
        """Keep the frame dreamed at ``at`` (``time.monotonic()``); frames older than the window go."""
        with self._lock:
            self._frames.append((at, jpeg))
            while at - self._frames[0][0] > self.seconds:
                self._frames.popleft()

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()

    def __len__(self) -> int:
        return len(self._frames)

    def frames(self, fps: float = RECORD_FPS) -> list[Image.Image]:
        """The kept frames as a clip at ``fps``: each moment shows the newest frame dreamed by then."""
        with self._lock:
            kept = list(self._frames)
        if not kept:
            return []
        first = kept[0][0]
        count = max(1, round((kept[-1][0] - first) * fps) + 1)
        decoded: dict[int, Image.Image] = {}
        clip, index = [], 0
        for moment in range(count):
            while index + 1 < len(kept) and kept[index + 1][0] - first <= moment / fps + 1e-9:
                index += 1
            if index not in decoded:
                decoded[index] = Image.open(io.BytesIO(kept[index][1])).convert("RGB")
            clip.append(decoded[index])
        return clip


def save_clip(frames: list[Image.Image], record: Mapping[str, Any], fps: float = RECORD_FPS) -> list[str]:
    """``frames`` as an MP4 and a GIF in Gradio's cache (``delete_cache`` cleans it), ``record`` inside each."""
    saved = []
    with tempfile.TemporaryDirectory(prefix="deepdream-") as folder:
        for suffix in (".mp4", ".gif"):
            path = save_video(frames, Path(folder) / f"deepdream-live{suffix}", fps, record)
            saved.append(processing_utils.save_file_to_cache(path, cache_dir=upload_folder()))
    return saved
