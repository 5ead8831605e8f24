"""Speed paths must not change the dream: mixed precision tracks fp32 or falls back, channels_last is float noise."""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn

from deepdream_core import Dreamer, DreamSettings, LayerTarget, get_dreamer, get_spec
from deepdream_core.dreaming.devices import resolve_precision
from deepdream_core.dreaming.transforms import pil_to_tensor
from tests.support import REPO
from tests.support.networks import Overflows

SMALL = DreamSettings(max_size=128, steps=4, octaves=2, seed=1, device="cpu")


def dream_with_losses(dreamer: Dreamer, image: Image.Image, settings: DreamSettings) -> tuple[np.ndarray, np.ndarray]:
    events = list(dreamer.dream_frames(image, settings, preview_every=0))
    losses = np.array([e.loss for e in events if not e.final])
    return np.asarray(events[-1].image, dtype=np.float32), losses


def test_bf16_dream_tracks_fp32_on_the_bundled_model(photo: Image.Image) -> None:
    dreamer = get_dreamer("efficientnet_lite0", "cpu")
    fp32, fp32_losses = dream_with_losses(dreamer, photo, SMALL.replace(precision="fp32"))
    bf16, bf16_losses = dream_with_losses(dreamer, photo, SMALL.replace(precision="bf16"))
    # The loss climbs the same way, step by step (measured: within 2%).
    assert np.all(np.abs(bf16_losses - fp32_losses) <= 0.05 * fp32_losses)
    # One step's gradient points the same way (measured: cosine 0.91; VGG16 0.98).
    image = pil_to_tensor(photo)
    objective = dreamer.objective(SMALL)
    grad32, _ = dreamer.gradient(image, objective, 512, None)
    grad16, _ = dreamer.gradient(image, objective, 512, torch.bfloat16)
    assert torch.cosine_similarity(grad32.flatten(), grad16.flatten(), dim=0) > 0.85
    # Pixels drift apart as steps compound (measured: 4 grey levels on average, as much as 4 fp32 steps
    # change the photo), one reason the bundled model stays in fp32 under precision="auto".
    assert np.abs(bf16 - fp32).mean() < 8
    assert get_spec("efficientnet_lite0").mixed_precision is False


def test_a_network_that_overflows_in_low_precision_falls_back_to_fp32(photo: Image.Image) -> None:
    settings = SMALL.replace(layers=(LayerTarget("body.relu"),))
    dreamer = Dreamer(Overflows())
    with torch.autocast("cpu", dtype=torch.float16):  # the premise: fp16 really overflows here
        assert not torch.isfinite(dreamer.module(torch.rand(1, 3, 8, 8))).all()

    fallback, losses = dream_with_losses(dreamer, photo, settings.replace(precision="fp16"))
    fp32, fp32_losses = dream_with_losses(dreamer, photo, settings.replace(precision="fp32"))
    assert np.isfinite(losses).all() and losses[-1] > losses[0]
    # Every step, the first included, ran in fp32: the same dream, pixel for pixel.
    assert np.array_equal(fallback, fp32) and np.array_equal(losses, fp32_losses)


def test_auto_stays_in_fp32_for_a_network_marked_so(photo: Image.Image, tiny_cnn: nn.Module) -> None:
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu, mixed_ok=False) is None
    assert resolve_precision("bf16", cpu, mixed_ok=False) is torch.bfloat16  # asked for by name: honoured
    settings = SMALL.replace(layers=(LayerTarget("relu3"),))
    dreamer = Dreamer(tiny_cnn, mixed_precision=False)
    auto = np.asarray(dreamer.dream(photo, settings.replace(precision="auto")))
    assert np.array_equal(auto, np.asarray(dreamer.dream(photo, settings.replace(precision="fp32"))))


def test_channels_last_changes_the_dream_by_float_noise_only(photo: Image.Image) -> None:
    module = get_dreamer("efficientnet_lite0", "cpu").module
    settings = SMALL.replace(precision="fp32")
    fast, fast_losses = dream_with_losses(
        Dreamer(copy.deepcopy(module), default_layer="blocks.4", channels_last=True), photo, settings
    )
    plain, plain_losses = dream_with_losses(
        Dreamer(copy.deepcopy(module), default_layer="blocks.4", channels_last=False), photo, settings
    )
    # Another summation order, like another thread count: losses agree closely, pixels by about a grey level.
    assert np.allclose(fast_losses, plain_losses, rtol=1e-2)
    assert np.abs(fast - plain).mean() < 3


def test_importing_the_engine_loads_no_model() -> None:
    """A cold start stays short: importing deepdream_core loads no weights and pulls in no UI or model library."""
    code = (
        "import sys, deepdream_core; from deepdream_core.dreaming.cache import loaded_models; "
        "print(loaded_models(), sorted(m for m in ('gradio', 'timm', 'torchvision') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] []"


def test_fast_blur_equals_the_grouped_convolution_it_replaced() -> None:
    import torch.nn.functional as F

    from deepdream_core.dreaming.transforms import gaussian_blur

    torch.manual_seed(0)
    for shape, sigma in [((1, 3, 40, 30), 1.5), ((1, 3, 5, 7), 2.3), ((1, 1, 64, 2), 0.5)]:
        image = torch.rand(shape)
        radius = max(1, int(np.ceil(3 * round(sigma, 3))))
        x = torch.arange(-radius, radius + 1, dtype=torch.float32)
        kernel = torch.exp(-0.5 * (x / sigma) ** 2)
        row = (kernel / kernel.sum()).view(1, 1, 1, -1).repeat(shape[1], 1, 1, 1)
        mode = "reflect" if min(shape[-2:]) > radius else "replicate"
        expected = F.conv2d(F.pad(image, (radius, radius, 0, 0), mode=mode), row, groups=shape[1])
        expected = F.conv2d(F.pad(expected, (0, 0, radius, radius), mode=mode), row.transpose(-1, -2), groups=shape[1])
        assert torch.allclose(gaussian_blur(image, sigma), expected, atol=1e-6)


def test_in_place_update_keeps_the_normalized_step(tiny_cnn: nn.Module) -> None:
    """One step moves pixels by step_size grey levels on average (nothing clamped on a mid-grey photo)."""
    grey = Image.new("RGB", (64, 64), (128, 128, 128))
    settings = DreamSettings(
        max_size=64,
        steps=1,
        octaves=1,
        jitter=0,
        smoothing=0,
        step_size=2.0,
        layers=(LayerTarget("relu3"),),
        precision="fp32",
        device="cpu",
    )
    result = next(e for e in Dreamer(tiny_cnn).dream_frames(grey, settings, preview_every=0) if e.final).image
    change = np.abs(np.asarray(result, dtype=np.float32) - 128).mean()
    assert 1.5 < change < 2.5  # 8-bit rounding of a 2-level mean step
