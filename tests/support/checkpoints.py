"""Checkpoints with random weights, for loading tests that must not download real ones."""

from __future__ import annotations

import hashlib

import torch
from torch import nn


def random_checkpoint(module: nn.Module, seed: int) -> dict[str, torch.Tensor]:
    """The module's state dict with every float tensor random: unlike any freshly built module's."""
    generator = torch.Generator().manual_seed(seed)
    return {
        k: (torch.rand(v.shape, generator=generator) if v.is_floating_point() else v).contiguous()
        for k, v in module.state_dict().items()
    }


def state_dict_digest(state: dict[str, torch.Tensor]) -> dict[str, str]:
    """A SHA-256 per tensor: equal digests mean exactly equal weights."""
    return {k: hashlib.sha256(v.detach().contiguous().cpu().numpy().tobytes()).hexdigest() for k, v in state.items()}
