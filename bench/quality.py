"""Quality figures: what an option changes in the picture, not how long it takes (issue 11)."""

from __future__ import annotations

import itertools
import statistics
import time

import torch
from PIL import Image

from bench.timing import photo
from deepdream_core.dreaming.transforms import pil_to_tensor

DRIFT_LAYERS = ("blocks.2", "blocks.3", "blocks.4", "blocks.5.0")


def bench_drift(ctx: dict) -> dict:
    """A zoom animation (1.05 per frame) from the photo, default settings at 320 px, with and without the colour lock.

    Drift: the largest departure from frame 1 of the mean brightness and of any channel's mean (grey
    levels), and of the mean HSV saturation (a share of frame 1's). Gain: the mean squared activation
    of each dreamed frame over that of the frame it was dreamed from, per layer, averaged over the
    frames: the dream's strength, which the lock must not lower.
    """
    import cv2
    import numpy as np

    from deepdream_core import AnimationSettings, animate
    from deepdream_core.dreaming.color import color_stats, match_colors
    from deepdream_core.motion.animation import transform_frame

    dreamer, frames_wanted = ctx["lite0"], 60 if ctx["repeats"] < 5 else 120
    settings = ctx["base"].replace(max_size=320)

    def energy(image: Image.Image) -> np.ndarray:
        with torch.no_grad():
            acts = dreamer.activations(pil_to_tensor(image, dreamer.device), frozenset(DRIFT_LAYERS))
        return np.array([acts[layer].float().pow(2).mean().item() for layer in DRIFT_LAYERS])

    figures: dict[str, dict] = {}
    for name, lock in (("locked", True), ("free", False)):
        motion = AnimationSettings(frames=frames_wanted, color_lock=lock)
        start = time.perf_counter()
        frames = [event.image for event in animate(photo((512, 512)), settings, motion)]
        seconds = time.perf_counter() - start
        arrays = [np.asarray(frame, np.float64) for frame in frames]
        saturation = [cv2.cvtColor(np.asarray(frame), cv2.COLOR_RGB2HSV)[..., 1].mean() for frame in frames]
        first = color_stats(frames[0])
        gains = [
            energy(after)
            / energy(match_colors(transform_frame(before, motion), first) if lock else transform_frame(before, motion))
            for before, after in itertools.pairwise(frames)
        ]
        figures.setdefault("drift_brightness", {})[name] = max(abs(a.mean() - arrays[0].mean()) for a in arrays)
        figures.setdefault("drift_channel", {})[name] = max(
            float(np.abs(a.mean(axis=(0, 1)) - arrays[0].mean(axis=(0, 1))).max()) for a in arrays
        )
        figures.setdefault("drift_saturation", {})[name] = max(abs(s / saturation[0] - 1) for s in saturation)
        figures.setdefault("drift_last_frame", {})[name] = {
            "brightness": arrays[-1].mean(),
            "saturation": saturation[-1],
            "first_brightness": arrays[0].mean(),
            "first_saturation": saturation[0],
        }
        figures.setdefault("drift_gain", {})[name] = dict(
            zip(DRIFT_LAYERS, np.mean(gains, axis=0).tolist(), strict=False)
        )
        figures.setdefault("drift_seconds_per_frame", {})[name] = seconds / len(frames)
    figures["drift_frames"] = frames_wanted
    return figures


NOISE_CLASSES = ("jellyfish", "tabby cat", "volcano", "goldfinch")


def bench_noise_parameterization(ctx: dict) -> dict:
    """A class dreamed from noise, pixels against the decorrelated Fourier parameterization, in the same steps.

    224 px, 4 octaves x 20 steps, step size 3, the class's logit only (the layer's weight is 0), seed 0.
    Per class: the class's softmax probability on the result, and the share of the result's energy
    (mean removed) above a quarter cycle per pixel: grey speckle has much of it, a picture little.
    """
    import numpy as np

    from deepdream_core import LayerTarget
    from deepdream_core.dreaming.objectives import class_index

    dreamer, figures = ctx["lite0"], {}
    names = dreamer.class_names()
    for parameterization in ("pixels", "fourier"):
        for target in NOISE_CLASSES:
            settings = ctx["base"].replace(
                max_size=224,
                steps=20,
                step_size=3,
                class_target=target,
                seed=0,
                layers=(LayerTarget("blocks.4", 0.0),),
                parameterization=parameterization,
            )
            image = dreamer.dream(None, settings)
            with torch.no_grad():
                logits = dreamer.module((pil_to_tensor(image, dreamer.device) - dreamer.mean) / dreamer.std)
            pixels = np.asarray(image, np.float64)
            pixels -= pixels.mean(axis=(0, 1))
            power = np.abs(np.fft.fft2(pixels, axes=(0, 1))) ** 2
            fy, fx = np.fft.fftfreq(pixels.shape[0])[:, None], np.fft.fftfreq(pixels.shape[1])[None]
            key = target.replace(" ", "_")
            figures.setdefault(f"noise_class_probability_{key}", {})[parameterization] = (
                logits.float().softmax(-1)[0, class_index(names, target, dreamer.name)].item()
            )
            figures.setdefault(f"noise_high_frequency_share_{key}", {})[parameterization] = float(
                power[np.hypot(fx, fy) > 0.25].sum() / power.sum()
            )
    for figure in ("noise_class_probability", "noise_high_frequency_share"):
        figures[f"{figure}_mean"] = {
            p: statistics.mean(figures[f"{figure}_{t.replace(' ', '_')}"][p] for t in NOISE_CLASSES)
            for p in ("pixels", "fourier")
        }
    return figures
