"""Small networks the engine's tests dream with: each runs in milliseconds on the CPU."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn


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


class Overflows(nn.Module):
    """A real network whose activations reach about 1e6: fine in fp32, infinite in fp16 (max 65504)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(OrderedDict(conv=nn.Conv2d(3, 8, 3, padding=1), relu=nn.ReLU()))
        with torch.no_grad():
            self.body.conv.weight.mul_(1e6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)
