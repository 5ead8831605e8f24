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


def color_stats(image: Image.Image | np.ndarray) -> ColorStats:
    pixels = np.asarray(image, dtype=np.float64)[..., :3].reshape(-1, 3)
    return ColorStats(pixels.mean(axis=0), np.cov(pixels, rowvar=False))


def match_colors(image: Image.Image | np.ndarray, target: ColorStats) -> Image.Image:
    """``image`` with its colours moved, by one linear map, to ``target``'s mean and covariance.

    The map is the Monge-Kantorovich linear colour transfer (Pitie and Kokaram, 2007): the smallest
    change of colours that gives them the target's spread, channel correlations included, so
    saturation is held along with brightness and each channel's level. Held to the first frame's
    statistics before every frame is dreamed again, an animation keeps its colours: without it the
    small colour shift of each dream adds up over the frames.
    """
    pixels = np.asarray(image, dtype=np.float64)[..., :3]
    own = color_stats(pixels)
    matched = (pixels - own.mean) @ _transfer(own.covariance, target.covariance).T + target.mean
    return Image.fromarray(np.clip(matched, 0, 255).round().astype(np.uint8))


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
