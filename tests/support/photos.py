"""Real photos from scikit-image and a tiny CNN, for tests of every layer."""

from __future__ import annotations

from collections import OrderedDict

import torch
from PIL import Image
from torch import nn


def skimage_photo(name: str, max_side: int | None = None) -> Image.Image:
    """One of scikit-image's bundled photos (chelsea, astronaut, coffee, rocket...) as RGB, optionally shrunk."""
    from skimage import data

    image = Image.fromarray(getattr(data, name)()).convert("RGB")
    if max_side:
        image.thumbnail((max_side, max_side))
    return image


def make_tiny_cnn(seed: int = 0) -> nn.Module:
    """A three-convolution network: fast enough to check the dream loop's behaviour in milliseconds."""
    torch.manual_seed(seed)
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 8, 3, padding=1),
            relu1=nn.ReLU(),
            conv2=nn.Conv2d(8, 16, 3, padding=1, stride=2),
            relu2=nn.ReLU(),
            conv3=nn.Conv2d(16, 16, 3, padding=1),
            relu3=nn.ReLU(),
        )
    )
