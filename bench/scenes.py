"""Camera scenes for the live figures: a still scene and a panning one, with sensor noise, and the changes measured.

A real camera's frames differ even when nothing moves (sensor noise, about 2 grey levels), so the
still scene has it too: flicker is measured against that change. ``bench/live.py`` measures on these scenes and
``tests/core/test_live.py`` asserts the figures that do not depend on the machine on the same ones, so both
import them from here (the bench never imports the tests).
"""

from __future__ import annotations

import itertools

import numpy as np
from PIL import Image

NOISE = 2.0  # grey levels, standard deviation: a webcam in a lit room


def _photo(name: str) -> np.ndarray:
    from skimage import data

    return np.asarray(Image.fromarray(getattr(data, name)()).convert("RGB"))


def still_scene(
    frames: int, size: tuple[int, int] = (256, 192), seed: int = 0, photo: str = "astronaut"
) -> list[Image.Image]:
    """``frames`` frames of one photo (cropped to ``size``'s shape) with fresh sensor noise in each."""
    base = np.asarray(Image.fromarray(_photo(photo)).resize(size, Image.Resampling.LANCZOS), np.float32)
    rng = np.random.default_rng(seed)
    return [_noisy(base, rng) for _ in range(frames)]


def panning_scene(
    frames: int, size: tuple[int, int] = (256, 192), pan: int = 3, seed: int = 0, photo: str = "astronaut"
) -> list[Image.Image]:
    """``frames`` frames of a window moving ``pan`` pixels right per frame across a photo, with sensor noise."""
    width, height = size
    wide = Image.fromarray(_photo(photo))
    scale = (width + pan * frames) / wide.width
    wide = wide.resize((width + pan * frames, max(height, round(wide.height * scale))), Image.Resampling.LANCZOS)
    pixels = np.asarray(wide, np.float32)
    top = (pixels.shape[0] - height) // 2
    rng = np.random.default_rng(seed)
    return [_noisy(pixels[top : top + height, i * pan : i * pan + width], rng) for i in range(frames)]


def _noisy(base: np.ndarray, rng: np.random.Generator) -> Image.Image:
    return Image.fromarray(np.clip(base + rng.normal(0, NOISE, base.shape), 0, 255).round().astype(np.uint8))


def mean_change(frames: list[Image.Image]) -> float:
    """Mean absolute change between consecutive frames, in grey levels."""
    arrays = [np.asarray(f, np.float32) for f in frames]
    return float(np.mean([np.abs(b - a).mean() for a, b in itertools.pairwise(arrays)]))


def dream_change(dreams: list[Image.Image], camera: list[Image.Image]) -> float:
    """Mean absolute difference between each dream and its camera frame, in grey levels: how visibly it dreams."""
    pairs = zip(dreams, camera, strict=True)
    return float(np.mean([np.abs(np.asarray(d, np.float32) - np.asarray(c, np.float32)).mean() for d, c in pairs]))
