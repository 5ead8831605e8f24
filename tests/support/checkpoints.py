"""Checkpoints for loading tests: random weights (nothing real is downloaded), and one that runs code."""

from __future__ import annotations

import builtins
import hashlib
import io
from pathlib import Path

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


class Payload:
    """Unpickling this runs code: it writes ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return builtins.exec, (f"open({str(self.marker)!r}, 'w').write('code ran')",)


def malicious_checkpoint(marker: Path) -> bytes:
    """A pickled checkpoint that writes ``marker`` if it is unpickled as code (``weights_only=False``)."""
    buffer = io.BytesIO()
    torch.save({"conv1.weight": Payload(marker)}, buffer)
    return buffer.getvalue()
