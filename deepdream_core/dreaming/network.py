"""A network a dream runs through: the module, its input normalization, activations by layer, its copies with
wrap-around padding, and the CUDA graphs of its passes (:class:`Network`).

A :class:`Network` works on any ``torch.nn.Module`` that takes a normalized (N, 3, H, W) batch, so a user can
bring their own; :meth:`Network.from_spec` gives a zoo model's network its spec's metadata.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

import torch
from torch import nn

from ..models.zoo import UNMEASURED_PASS_BYTES_PER_PIXEL, ModelSpec, UnknownModelError, dream_layers, get_spec
from . import gradients
from .graphs import GraphCache, replays
from .hooks import StopForward, capture
from .objectives import LOGITS, Activations, Objective
from .settings import DreamSettings
from .tiles import tile_size_for
from .wrap import wrapped_network

# from_spec of a subclass (the Dreamer) gives that subclass.
_N = TypeVar("_N", bound="Network")


class Network:
    """A network to dream with: ``module`` takes a normalized (N, 3, H, W) batch.

    The Network moves ``module`` to ``device`` (and to channels_last) in place and keeps it: give it a
    module nothing else uses, or a copy.
    """

    def __init__(
        self,
        module: nn.Module,
        mean: Sequence[float] = (0.485, 0.456, 0.406),
        std: Sequence[float] = (0.229, 0.224, 0.225),
        device: torch.device | str = "cpu",
        default_layer: str | None = None,
        class_names: Callable[[], list[str]] | None = None,
        name: str = "custom",
        channels_last: bool | None = None,
        mixed_precision: bool = True,
        min_side: int = 32,
        pass_bytes_per_pixel: int = UNMEASURED_PASS_BYTES_PER_PIXEL,
        cuda_graphs: bool = False,
    ) -> None:
        self.device = torch.device(device)
        # channels_last lets oneDNN run every convolution (1x1 ones included) in its fast layout:
        # measured 14% faster for EfficientNet-Lite0 and 7% for VGG16 forward+backward on the CPU; on an
        # H100, VGG16's bare pass took 2.23 ms instead of 2.94 at 600x399 and 21.7 instead of 29.8 at
        # 2048x1362 (issue 24). None picks it on the CPU and CUDA; on Apple's MPS it is untested here.
        self.channels_last = self.device.type in ("cpu", "cuda") if channels_last is None else channels_last
        memory_format = torch.channels_last if self.channels_last else torch.preserve_format
        self.module = module.eval().requires_grad_(False).to(self.device).to(memory_format=memory_format)
        self._input_format = torch.channels_last if self.channels_last else torch.contiguous_format
        # False when precision="auto" should stay in fp32 for this network (see ModelSpec.mixed_precision).
        self.mixed_precision = mixed_precision
        self.min_side = min_side  # octaves smaller than this are skipped
        self.pass_bytes_per_pixel = pass_bytes_per_pixel  # sizes tile_size "auto" on a GPU (see .tiles)
        self.mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, device=self.device).view(1, 3, 1, 1)
        self.layer_names = {name for name, _ in module.named_modules() if name}
        self.default_layer = default_layer
        self.class_names = class_names
        self.name = name
        # Copies of the network whose padding wraps around (settings.wrap), built on first use and then
        # only read, so the shared module itself is never changed; see deepdream_core.dreaming.wrap.
        self._wrapped: dict[str, nn.Module] = {}
        self._wrapped_lock = threading.Lock()
        # Whether a dream replays this network's passes as CUDA graphs (on CUDA only), kept in its graph cache.
        # It changes what DreamProgress.loss reports between previews; see .graphs. Off until verified on a GPU.
        self.cuda_graphs = cuda_graphs
        self.graphs = GraphCache()

    @classmethod
    def from_spec(
        cls: type[_N], spec: ModelSpec, module: nn.Module, device: torch.device | str = "cpu", cuda_graphs: bool = False
    ) -> _N:
        """A zoo model's network (``module``, with whatever weights it holds) with its spec's metadata."""
        return cls(
            module,
            spec.mean,
            spec.std,
            device,
            spec.default_layer,
            spec.class_names,
            spec.name,
            mixed_precision=spec.mixed_precision,
            min_side=spec.min_side,
            pass_bytes_per_pixel=spec.pass_bytes_per_pixel,
            cuda_graphs=cuda_graphs,
        )

    @property
    def pass_graphs(self) -> GraphCache | None:
        """The graph cache a dream replays its passes from, or None when they run eagerly (see ``cuda_graphs``)."""
        return self.graphs if replays(self.device, self.cuda_graphs) else None

    def activations(self, image: torch.Tensor, layers: frozenset[str], wrap: str = "none") -> Activations:
        """Activations of ``layers`` for an image in [0, 1]; stops at the last layer needed.

        ``wrap`` ("x", "xy") runs the network with padding that wraps around those axes.
        """
        wanted = sorted(layers - {LOGITS})
        module = self._network(wrap)
        with capture(module, wanted, stop_early=LOGITS not in layers) as acts:
            try:
                output = module(((image - self.mean) / self.std).contiguous(memory_format=self._input_format))
                acts[LOGITS] = output
            except StopForward:
                pass
            return dict(acts)

    def _network(self, wrap: str) -> nn.Module:
        if wrap == "none":
            return self.module
        with self._wrapped_lock:
            if wrap not in self._wrapped:
                self._wrapped[wrap] = wrapped_network(self.module, wrap)
            return self._wrapped[wrap]

    def how_to_list_layers(self) -> str:
        """Where a user finds this network's layer names, for a message about a layer it does not have."""
        try:
            get_spec(self.name)
        except UnknownModelError:
            # A network of one's own: the CLI cannot list it, so name some of its modules instead.
            first = ", ".join(repr(name) for name in dream_layers(self.module)[:6])
            return (
                f"its layers are its module names ({first}, ...); "
                f"list them with `deepdream_core.models.zoo.dream_layers(module)`"
            )
        return f"list them with `python -m deepdream_core layers {self.name}`"

    def gradient(
        self,
        image: torch.Tensor,
        objective: Objective,
        tile_size: int,
        dtype: torch.dtype | None = None,
        wrap: str = "none",
    ) -> tuple[torch.Tensor, float]:
        """d(objective)/d(pixels) and the objective, tile by tile; see :func:`.gradients.gradient`."""
        grad, loss = gradients.gradient(self, image, objective, tile_size, dtype, wrap)
        return grad, float(loss)

    def tile_size(self, settings: DreamSettings) -> int:
        """The tile the settings' ``tile_size`` means here: a number as given, ``auto`` for this device."""
        return tile_size_for(settings.tile_size, self.device, self.pass_bytes_per_pixel)
