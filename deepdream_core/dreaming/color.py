"""Colour: dreams that keep a photo's colours, and the colour lock that keeps long animations from drifting.

Luminance and chroma are ITU-R BT.601 (JPEG's) Y, Cb and Cr. Adding the same amount to R, G and B
changes Y by that amount and leaves Cb and Cr as they were, so a gradient step that is equal in the
three channels changes brightness only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

# BT.601 full range, as JPEG uses: rows give Y, Cb, Cr from R, G, B in 0-255 (Cb and Cr centred on 128).
_YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
SATURATION_ROUNDS = 4


def luminance_only(grad: torch.Tensor) -> torch.Tensor:
    """The part of an RGB gradient that changes brightness only: its mean over the channels, in each channel.

    The nearest step (least squares) to ``grad`` among those that leave Cb and Cr unchanged.
    """
    return grad.mean(dim=1, keepdim=True).expand_as(grad).contiguous()


def keep_chroma(image: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """``image``'s luminance with ``source``'s chroma (both (N, 3, H, W) in [0, 1]).

    The last step of a dream that keeps the photo's colours: it undoes the colour change that clamping
    to valid pixel values makes where a bright or dark patch saturates one channel.
    """
    weights = torch.tensor(_YCBCR[0], dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
    luminance_change = ((image - source) * weights).sum(dim=1, keepdim=True)
    return (source + luminance_change).clamp(0, 1)


def ycbcr(image: Image.Image | np.ndarray) -> np.ndarray:
    """(H, W, 3) float Y, Cb, Cr in 0-255 of an RGB image."""
    rgb = np.asarray(image, dtype=np.float64)[..., :3]
    return rgb @ _YCBCR.T + (0.0, 128.0, 128.0)


@dataclass(frozen=True)
class ColorStats:
    """What the colour lock holds an animation to: the mean colour and how colours spread around it."""

    mean: np.ndarray  # (3,) RGB, 0-255
    covariance: np.ndarray  # (3, 3)
    saturation: float  # mean HSV saturation, 0-1


def color_stats(image: Image.Image | np.ndarray) -> ColorStats:
    pixels = np.asarray(image, dtype=np.float64)[..., :3].reshape(-1, 3)
    return ColorStats(pixels.mean(axis=0), np.cov(pixels, rowvar=False), mean_saturation(pixels))


def mean_saturation(pixels: np.ndarray) -> float:
    """Mean HSV saturation (0-1) of RGB pixels (..., 3): (max - min) / max, 0 for black."""
    # Channel by channel: numpy's max/min over a last axis of 3 is 5x slower (9 ms vs 2 ms on a
    # 256x192 frame), and the live mode's colour lock runs this five times per frame.
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    high, low = np.maximum(np.maximum(red, green), blue), np.minimum(np.minimum(red, green), blue)
    return float(np.divide(high - low, high, out=np.zeros_like(high), where=high > 0).mean())


def match_colors(image: Image.Image | np.ndarray, target: ColorStats) -> Image.Image:
    """``image`` with its colours moved to ``target``'s mean, covariance and mean saturation.

    First one linear map, the Monge-Kantorovich linear colour transfer (Pitie and Kokaram, 2007): the
    smallest change of colours that gives them the target's spread, channel correlations included.
    Then the chroma is scaled to the target's mean saturation (see :func:`hold_saturation`). Held to
    the first frame's statistics before every frame is dreamed again, an animation keeps its colours:
    without it the small colour shift of each dream adds up over the frames.
    """
    pixels = np.asarray(image, dtype=np.float64)[..., :3]
    own = color_stats(pixels)
    matched = np.clip((pixels - own.mean) @ _transfer(own.covariance, target.covariance).T + target.mean, 0, 255)
    return Image.fromarray(hold_saturation(matched, target.saturation).round().astype(np.uint8))


def hold_saturation(pixels: np.ndarray, saturation: float) -> np.ndarray:
    """RGB ``pixels`` (0-255) with their chroma scaled so that their mean HSV saturation is ``saturation``.

    The covariance match holds the spread of R, G and B but not HSV saturation, a ratio to each
    pixel's brightest channel: over a 120-frame zoom it still wandered 6 % from frame 1's. Scaling
    each pixel's distance from the grey of its own luminance leaves luminance alone; clipping makes
    the saturation a little nonlinear in the scale, so it is refined a few times. The scale stays
    within [1/2, 2] so a nearly grey frame is not blown up into noise.
    """
    luminance = (pixels @ _YCBCR[0])[..., None]
    chroma, scale = pixels - luminance, 1.0
    for _ in range(SATURATION_ROUNDS):
        now = mean_saturation(np.clip(luminance + chroma * scale, 0, 255))
        if now <= 0:
            break
        scale = float(np.clip(scale * saturation / now, 0.5, 2.0))
    return np.clip(luminance + chroma * scale, 0, 255)


def _transfer(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The symmetric ``T`` with ``T @ source @ T.T == target`` that moves colours least."""
    eps = np.eye(3) * 1e-3  # a flat (grey or single-colour) frame has a singular covariance
    root = _sqrtm(source + eps)
    inverse_root = np.linalg.inv(root)
    return inverse_root @ _sqrtm(root @ (target + eps) @ root) @ inverse_root


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
