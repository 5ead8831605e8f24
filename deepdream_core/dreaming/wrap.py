"""Seamless edges: a network whose convolutions and pools pad with what lies across the opposite edge.

A network pads its feature maps with zeros, so it sees an image's edges as edges and dreams them
differently from the middle: the left and right sides of a dream never match. For a tileable texture
("xy") or a 360-degree panorama ("x"), :func:`wrapped_network` builds a second module tree whose
padding wraps around instead. It shares the original's parameters (no copy of the weights) and is
built once, never changed afterwards: the original stays untouched for requests running at the same
time in other threads, which a switch of the shared modules' ``padding_mode`` would not allow.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from .transforms import circular_pad, wraps


class WrapPadded(nn.Module):
    """A convolution or pool (with its own padding turned off) that gets wrap-around padding first.

    Axes that do not wrap get the padding the layer had: zeros, or minus infinity for a max pool.
    """

    def __init__(self, layer: nn.Module, pads: tuple[int, int, int, int], wrap: str, fill: float) -> None:
        super().__init__()
        self.layer = layer
        self.pads = pads  # left, right, top, bottom, as F.pad takes them
        self.wrap = wrap
        self.fill = fill

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left, right, top, bottom = self.pads
        for before, after, dim in ((left, right, -1), (top, bottom, -2)):
            if wraps(self.wrap, dim):
                x = circular_pad(x, before, after, dim)
            elif before or after:
                x = F.pad(x, (before, after, 0, 0) if dim == -1 else (0, 0, before, after), value=self.fill)
        return self.layer(x)


def wrapped_network(module: nn.Module, wrap: str) -> nn.Module:
    """A copy of ``module``'s structure, sharing its parameters and buffers, whose padding wraps on ``wrap``'s axes.

    Every ``nn.Conv2d``, ``nn.MaxPool2d`` and ``nn.AvgPool2d`` with padding is replaced by a
    :class:`WrapPadded` at the same module path, so layer names keep their meaning. Padding done
    inside a module's own ``forward`` (a functional pad) is not seen and stays as it was.
    """
    new = _structural_copy(module)
    for name, child in module.named_children():
        new._modules[name] = wrapped_network(child, wrap)
    padded = _wrap_padded(new, wrap)
    return padded if padded is not None else new


def _structural_copy(module: nn.Module) -> nn.Module:
    """A new module object: its own dicts of children, parameters and buffers (same tensors), and no hooks.

    No hooks, so the capture hooks other requests put on the original never run on the copy.
    """
    new = copy.copy(module)
    for key, value in module.__dict__.items():
        if isinstance(value, dict):
            new.__dict__[key] = type(value)() if "hooks" in key else copy.copy(value)
    return new


def _wrap_padded(layer: nn.Module, wrap: str) -> WrapPadded | None:
    if isinstance(layer, nn.Conv2d) and layer.padding != (0, 0) and layer.padding != "valid":
        # (left, right, top, bottom), the same for int, tuple and "same" padding.
        left, right, top, bottom = layer._reversed_padding_repeated_twice
        pads = (left, right, top, bottom)
        layer.padding, layer.padding_mode = (0, 0), "zeros"
        return WrapPadded(layer, pads, wrap, 0.0)
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)) and layer.padding not in (0, (0, 0)):
        pad_y, pad_x = (layer.padding, layer.padding) if isinstance(layer.padding, int) else layer.padding
        layer.padding = 0
        fill = float("-inf") if isinstance(layer, nn.MaxPool2d) else 0.0
        return WrapPadded(layer, (pad_x, pad_x, pad_y, pad_y), wrap, fill)
    return None
