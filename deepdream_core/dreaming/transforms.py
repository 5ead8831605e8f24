"""Small tensor transforms used by the dream loop: images in and out, resizing, jitter, smoothing, padding
that wraps around, Laplacian-pyramid normalization and random views for transformation robustness."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def pil_to_tensor(image: Image.Image, device: torch.device | str = "cpu") -> torch.Tensor:
    """An RGB image as a (1, 3, H, W) float tensor in [0, 1]."""
    # Reordered while still 8-bit, then one float copy: a 4096 px photo briefly needs 250 MB, not 600.
    pixels = torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1).unsqueeze(0).contiguous()
    return pixels.to(device=device, dtype=torch.float32).div_(255.0)


def tensor_to_pil(tensor: torch.Tensor) -> Image.Image:
    # One float copy, scaled in place: previews every step and 4096 px results stay cheap.
    scaled = tensor.detach()[0].clamp(0, 1).mul_(255).round_()
    return Image.fromarray(scaled.to(torch.uint8).permute(1, 2, 0).cpu().numpy())


def resize(tensor: torch.Tensor, size: tuple[int, int], wrap: str = "none") -> torch.Tensor:
    """Bilinear (antialiased when shrinking), a no-op at the same size.

    Along axes that ``wrap`` joins, the pixels near one edge are interpolated with those across the
    opposite edge, as if the image repeated: a seamless image stays seamless at every octave.
    """
    if tuple(tensor.shape[-2:]) == tuple(size):
        return tensor
    shrinking = size[0] < tensor.shape[-2] or size[1] < tensor.shape[-1]
    for dim in (-1, -2):
        if wraps(wrap, dim) and tensor.shape[dim] != size[dim]:
            tensor = _resize_wrapped(tensor, size[dim], dim, shrinking)
    if tuple(tensor.shape[-2:]) == tuple(size):
        return tensor
    return F.interpolate(tensor, size=size, mode="bilinear", align_corners=False, antialias=shrinking)


def _resize_wrapped(tensor: torch.Tensor, length: int, dim: int, antialias: bool) -> torch.Tensor:
    """``tensor`` resized to ``length`` along ``dim`` as one period of a repeating image.

    It is padded with whole periods of the pixel grids' common rhythm (after ``period`` input pixels
    the output grid lines up with the input grid again), resized at exactly the same scale, and the
    middle cropped out, so the interpolation at each edge sees what lies across the other edge.
    """
    old = tensor.shape[dim]
    period = old // math.gcd(old, length)
    margin = math.ceil(old / length) + 2  # input pixels an output pixel's (antialiased) kernel can reach
    pad = period * math.ceil(margin / period)
    grown = pad * length // old
    size = [tensor.shape[-2], tensor.shape[-1]]
    size[dim] = length + 2 * grown
    padded = circular_pad(tensor, pad, pad, dim)
    return F.interpolate(padded, size=tuple(size), mode="bilinear", align_corners=False, antialias=antialias).narrow(
        dim, grown, length
    )


def octave_sizes(size: tuple[int, int], octaves: int, scale: float, min_side: int = 32) -> list[tuple[int, int]]:
    """Sizes from small to large, ending at ``size``; octaves smaller than ``min_side`` are left out."""
    height, width = size
    sizes = []
    for i in reversed(range(octaves)):
        factor = scale**i
        h, w = round(height / factor), round(width / factor)
        if min(h, w) >= min(min_side, height, width):
            sizes.append((h, w))
    return sizes


def roll(tensor: torch.Tensor, shift: tuple[int, int]) -> torch.Tensor:
    return torch.roll(tensor, shifts=shift, dims=(-2, -1))


@lru_cache(maxsize=64)
def _gaussian_weights(sigma: float) -> tuple[float, ...]:
    radius = max(1, math.ceil(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return tuple((kernel / kernel.sum()).tolist())


def wraps(wrap: str, dim: int) -> bool:
    """Whether the ``wrap`` setting ("none", "x", "xy") joins the image's edges along ``dim`` (-1: x, -2: y)."""
    return (wrap == "xy") or (wrap == "x" and dim == -1)


def spanned_wrap(wrap: str, spans_x: bool, spans_y: bool) -> str:
    """The part of ``wrap`` a tile can wrap: only an axis the tile spans from edge to edge."""
    x = spans_x and wrap in ("x", "xy")
    return "xy" if x and spans_y and wrap == "xy" else "x" if x else "none"


def circular_pad(tensor: torch.Tensor, before: int, after: int, dim: int) -> torch.Tensor:
    """``tensor`` padded along ``dim`` with what lies across the opposite edge, for any pad (even past one period)."""
    length = tensor.shape[dim]
    if before <= length and after <= length:
        # Slices and a concatenation keep channels_last (index_select does not, and the network's
        # convolutions then run 2-3x slower), and their backward is a cheap copy, not a scatter.
        parts = [tensor.narrow(dim, length - before, before), tensor, tensor.narrow(dim, 0, after)]
        return torch.cat([part for part in parts if part.shape[dim]], dim)
    index = torch.arange(-before, length + after, device=tensor.device) % length
    return tensor.index_select(dim, index)


def pad_edges(tensor: torch.Tensor, before: int, after: int, dim: int, wrap: str, mode: str) -> torch.Tensor:
    """Pad along ``dim``: wrapped around where ``wrap`` joins the edges, else with F.pad's ``mode``."""
    if wraps(wrap, dim):
        return circular_pad(tensor, before, after, dim)
    pads = (before, after, 0, 0) if dim == -1 else (0, 0, before, after)
    return F.pad(tensor, pads, mode=mode)


def gaussian_blur(tensor: torch.Tensor, sigma: float, wrap: str = "none") -> torch.Tensor:
    """Separable Gaussian blur with reflected borders (wrapped where ``wrap`` says); weights are cached.

    Each pass is a weighted sum of shifted views rather than a grouped convolution: on the CPU
    the convolution took an im2col path (130 ms at 512 px, 2.4 GB extra at 4096 px) where the
    sums take 2.4 ms and one padded copy, with the same result.
    """
    if sigma <= 0:
        return tensor
    weights = _gaussian_weights(round(sigma, 3))
    radius = len(weights) // 2
    mode = "reflect" if min(tensor.shape[-2:]) > radius else "replicate"
    rows = _weighted_shifts(pad_edges(tensor, radius, radius, -1, wrap, mode), weights, dim=-1)
    return _weighted_shifts(pad_edges(rows, radius, radius, -2, wrap, mode), weights, dim=-2)


def _weighted_shifts(padded: torch.Tensor, weights: tuple[float, ...], dim: int) -> torch.Tensor:
    """sum_k weights[k] * padded shifted by k along ``dim``: one blur pass, accumulated in place."""
    length = padded.shape[dim] - len(weights) + 1
    out = padded.narrow(dim, 0, length) * weights[0]
    for shift, weight in enumerate(weights[1:], start=1):
        out.add_(padded.narrow(dim, shift, length), alpha=weight)
    return out


def tile_slices(length: int, tile: int) -> list[slice]:
    """Even tiles no longer than ``tile`` covering ``length``: no sliver at the end to upset a deep network."""
    count = max(1, math.ceil(length / tile))
    edges = [round(i * length / count) for i in range(count + 1)]
    return [slice(a, b) for a, b in itertools.pairwise(edges)]


def laplacian_normalize(grad: torch.Tensor, levels: int = 4, wrap: str = "none") -> torch.Tensor:
    """The TensorFlow DeepDream notebook's ``lap_normalize``: every scale of detail gets the same weight.

    ``grad`` is split into a Laplacian pyramid (each band: what a level holds beyond the next, half-size
    one), each band is divided by its own root mean square, and the bands are summed back. Levels are
    resized as repeating images along the axes ``wrap`` joins.
    """
    bands = []
    low = grad
    for _ in range(levels):
        height, width = low.shape[-2:]
        if min(height, width) < 2:
            break
        smaller = resize(low, ((height + 1) // 2, (width + 1) // 2), wrap)
        bands.append(low - resize(smaller, (height, width), wrap))
        low = smaller
    out = _unit_rms(low)
    for band in reversed(bands):
        out = resize(out, (band.shape[-2], band.shape[-1]), wrap) + _unit_rms(band)
    return out


def _unit_rms(tensor: torch.Tensor) -> torch.Tensor:
    return tensor / tensor.pow(2).mean().sqrt().clamp_min(1e-30)


# Transformation robustness at amount 1: Lucid's standard transforms scale by 0.9-1.1 and rotate by -10 to 10 degrees.
_MAX_SCALE_CHANGE = 0.1
_MAX_DEGREES = 10.0


@dataclass(frozen=True)
class View:
    """The image as the network sees it this step, and the way back for the gradient.

    ``undo`` applies the transform's adjoint (autograd through the resampling), so the gradient is exactly
    the one of the objective of the transformed image with respect to the untransformed pixels.
    """

    image: torch.Tensor
    source: torch.Tensor | None = None  # the untransformed pixels, when there is a transform to undo

    def undo(self, grad: torch.Tensor) -> torch.Tensor:
        if self.source is None:
            return grad
        (source_grad,) = torch.autograd.grad(self.image, self.source, grad)
        return source_grad


def random_view(image: torch.Tensor, rng: random.Random, amount: float, wrap: str = "none") -> View:
    """``image`` scaled and rotated about its centre by a random amount (Lucid's transformation robustness).

    ``amount`` 1 scales by up to 10% and rotates by up to 10 degrees either way; 0 is the image itself
    and draws no random numbers, so runs without robustness stay as they were.
    """
    if amount <= 0:
        return View(image)
    scale = 1 + amount * rng.uniform(-_MAX_SCALE_CHANGE, _MAX_SCALE_CHANGE)
    angle = math.radians(amount * rng.uniform(-_MAX_DEGREES, _MAX_DEGREES))
    with torch.enable_grad():
        source = image.detach().requires_grad_(True)
        return View(scale_rotate(source, scale, angle, wrap), source)


def scale_rotate(image: torch.Tensor, scale: float, angle: float, wrap: str = "none") -> torch.Tensor:
    """``image`` zoomed by ``scale`` and rotated by ``angle`` radians about its centre, at the same size.

    What comes in from beyond the edges is mirrored, or taken from across the opposite edge where ``wrap``
    joins them, so the network never sees an empty border.
    """
    height, width = image.shape[-2:]
    cos, sin = math.cos(angle), math.sin(angle)
    # How far outside the image the corners of the view reach, per axis: that much border is padded on.
    reach_x = (abs(cos) * (width - 1) + abs(sin) * (height - 1)) / (2 * scale)
    reach_y = (abs(sin) * (width - 1) + abs(cos) * (height - 1)) / (2 * scale)
    margin_x, margin_y = (
        max(0, math.ceil(reach - (side - 1) / 2)) + 1 for reach, side in ((reach_x, width), (reach_y, height))
    )
    padded = image
    for margin, dim in ((margin_x, -1), (margin_y, -2)):
        mode = "reflect" if margin < padded.shape[dim] else "replicate"
        padded = pad_edges(padded, margin, margin, dim, wrap, mode)
    ys = torch.arange(height, device=image.device, dtype=image.dtype) - (height - 1) / 2
    xs = torch.arange(width, device=image.device, dtype=image.dtype) - (width - 1) / 2
    dy, dx = torch.meshgrid(ys, xs, indexing="ij")
    # Each output pixel samples the input at the inverse transform of its position.
    source_x = (cos * dx + sin * dy) / scale + (width - 1) / 2 + margin_x
    source_y = (-sin * dx + cos * dy) / scale + (height - 1) / 2 + margin_y
    grid = torch.stack((source_x / (padded.shape[-1] - 1) * 2 - 1, source_y / (padded.shape[-2] - 1) * 2 - 1), -1)
    return F.grid_sample(
        padded,
        grid.unsqueeze(0).expand(image.shape[0], -1, -1, -1),
        mode="bilinear",
        padding_mode="border",
        align_corners=True,
    )


def compose(transforms: Sequence[Callable[[torch.Tensor], torch.Tensor]]) -> Callable[[torch.Tensor], torch.Tensor]:
    """One function applying ``transforms`` in order (Lucid's ``compose``); no transforms is the identity."""

    def composed(tensor: torch.Tensor) -> torch.Tensor:
        for transform in transforms:
            tensor = transform(tensor)
        return tensor

    return composed
