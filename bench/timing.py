"""The benchmark's clock and inputs: timing that waits for the device, interleaved pairs, the bare network."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
from PIL import Image
from torch import nn

from deepdream_core import Dreamer, DreamSettings

# -- inputs ---------------------------------------------------------------------------------------


def photo(size: tuple[int, int]) -> Image.Image:
    """A real photo (scikit-image's astronaut, 512x512) resized to (width, height)."""
    from skimage import data

    return Image.fromarray(data.astronaut()).convert("RGB").resize(size, Image.Resampling.LANCZOS)


# -- timing ---------------------------------------------------------------------------------------


class Clock:
    """Wall-clock seconds that wait for the device, so GPU work is counted where it happens."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    def now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def time(self, fn: Callable[[], object]) -> float:
        start = self.now()
        fn()
        return self.now() - start


def summary(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "n": len(samples)}


def interleaved(
    clock: Clock, a: Callable[[], object], b: Callable[[], object], repeats: int, warm_up: bool = True
) -> dict:
    """Times of ``a`` and ``b`` run alternately (after one warm-up each), and the median of a/b per pair."""
    if warm_up:
        a(), b()
    times_a, times_b = [], []
    for _ in range(repeats):
        times_a.append(clock.time(a))
        times_b.append(clock.time(b))
    ratios = [x / y for x, y in zip(times_a, times_b, strict=False)]
    return {"a": summary(times_a), "b": summary(times_b), "ratio": statistics.median(ratios)}


def run_dream(dreamer: Dreamer, image: Image.Image | None, settings: DreamSettings, **kwargs: object) -> None:
    for _ in dreamer.dream_frames(image, settings, **kwargs):
        pass


# -- the bare network: the physical floor of one step ----------------------------------------------


def truncated(dreamer: Dreamer, layer: str) -> nn.Module:
    """The same module objects as the Dreamer's network, up to and including ``layer``, as a plain Sequential.

    Only the two architectures the benchmark uses are known here; both run their children in order.
    """
    module = dreamer.module
    if dreamer.name == "efficientnet_lite0":  # timm EfficientNet: conv_stem, bn1, blocks.0 ... blocks.6
        last = int(layer.split(".")[1])
        return nn.Sequential(module.conv_stem, module.bn1, *module.blocks[: last + 1])
    if dreamer.name == "vgg16":  # features.0 ... features.29
        return module.features[: int(layer.split(".")[1]) + 1]
    raise ValueError(f"no truncation known for {dreamer.name!r}")


def bare_step(
    dreamer: Dreamer, layer: str, image: torch.Tensor, dtype: torch.dtype | None, cache: bool = True
) -> Callable[[], None]:
    """One forward+backward pass of the truncated network, the objective's loss, nothing else.

    The input gets the memory format the Dreamer feeds its network, so the floor is the network
    at its fastest, not a slower layout. ``cache=False`` turns off autocast's weight cache, as a pass
    captured in a CUDA graph needs.
    """
    net = truncated(dreamer, layer)
    memory_format = torch.channels_last if dreamer.channels_last else torch.contiguous_format
    normalized = ((image - dreamer.mean) / dreamer.std).contiguous(memory_format=memory_format)

    def step() -> None:
        x = normalized.detach().requires_grad_(True)
        with torch.autocast(
            dreamer.device.type, dtype=dtype or torch.float32, enabled=dtype is not None, cache_enabled=cache
        ):
            loss = net(x).float().pow(2).mean()
        torch.autograd.grad(loss, x)

    return step
