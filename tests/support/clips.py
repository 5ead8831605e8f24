"""Generated test clips for the motion tests (core, CLI and app): moving shapes over a panning texture, with sound;
and a camera scene (``bench/scenes.py``) written as a clip, for the live tests."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from deepdream_core.files.clips import write_mp4

# The test clip: a texture panning by PAN pixels per frame (so its motion is known exactly), with a
# disc and a square moving on their own over it, and a sine tone.
SIZE, FRAMES, FPS, PAN = (64, 48), 8, 8, (2, 2)


def shapes_at(index: int) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """Centre of the disc and corners of the square in frame ``index``."""
    return (10 + 3 * index, 24), (40, 4 + 2 * index, 52, 16 + 2 * index)


def make_clip(path: Path, frames: int = FRAMES, audio: str | None = "aac") -> Path:
    width, height = SIZE
    rng = np.random.default_rng(0)
    # A smooth texture (cells of ~10 px): fine colour noise would not survive H.264's halved chroma.
    texture = cv2.resize(
        rng.integers(0, 256, (6, 8, 3), dtype=np.uint8),
        (width + frames * PAN[0] + 8, height + frames * PAN[1] + 8),
        interpolation=cv2.INTER_CUBIC,
    )
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt, video.options = width, height, "yuv420p", {"crf": "10"}
        sound = out.add_stream(audio, rate=16000, layout="mono") if audio else None
        for index in range(frames):
            x, y = 4 + index * PAN[0], 4 + index * PAN[1]
            frame = texture[y : y + height, x : x + width].copy()
            disc, square = shapes_at(index)
            cv2.circle(frame, disc, 7, (255, 240, 0), -1)
            cv2.rectangle(frame, square[:2], square[2:], (0, 0, 255), -1)
            out.mux(video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(video.encode())
        if sound is not None:
            seconds = np.arange(16000 * frames // FPS) / 16000
            tone = av.AudioFrame.from_ndarray(
                (0.3 * np.sin(2 * np.pi * 440 * seconds)).astype(np.float32)[None], format="fltp", layout="mono"
            )
            tone.sample_rate, tone.pts = 16000, 0
            out.mux(sound.encode(tone))
            out.mux(sound.encode())
    return path


def frame_changes(frames: Sequence[Image.Image]) -> list[float]:
    """Per pair of consecutive frames of the test clip (dreamed or not): the mean change after undoing the known pan,
    on the texture only, leaving out where the shapes are, were, and their edges (0-255)."""
    changes = []
    for index in range(1, len(frames)):
        now = np.asarray(frames[index], np.float32)[: -PAN[1], : -PAN[0]]
        before = np.asarray(frames[index - 1], np.float32)[PAN[1] :, PAN[0] :]
        texture = np.ones(now.shape[:2], bool)
        for shown in (index - 1, index):
            (cx, cy), (x0, y0, x1, y1) = shapes_at(shown)
            texture[max(0, cy - 9) : cy + 10, max(0, cx - 9) : cx + 10] = False
            texture[max(0, y0 - 2) : y1 + 3, x0 - 2 : x1 + 3] = False
        changes.append(float(np.abs(now - before)[texture].mean()))
    return changes


def boundary_ratio(frames: Sequence[Image.Image], parts: Sequence[range]) -> float:
    """Segments' cut (issue 14's measure): the largest change between consecutive frames from the last frame before
    the overlap to the first frame after it, over the median change everywhere else."""
    changes = frame_changes(frames)
    cut = range(parts[1].start - 1, parts[0].stop)  # change i is between frames i and i + 1
    return max(changes[i] for i in cut) / statistics.median(c for i, c in enumerate(changes) if i not in cut)


def write_scene(frames: list[Image.Image], path: Path, fps: int = 10) -> Path:
    """The frames as an MP4 clip (H.264 at high quality, so the sensor noise survives)."""
    write_mp4(frames, path, fps)
    return path


def write_y4m(frames: list[Image.Image], path: Path, fps: int = 10) -> Path:
    """The frames as a raw Y4M clip (4:2:0), what Chromium's --use-file-for-fake-video-capture plays in a loop."""
    width, height = frames[0].width // 2 * 2, frames[0].height // 2 * 2
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            rgb = np.ascontiguousarray(np.asarray(frame)[:height, :width])
            out.write(b"FRAME\n" + cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path
