"""The dream itself: gradient ascent on the pixels of an image, octave by octave, yielding progress.

:func:`dream_steps` is the loop, a function of a network, an objective, the start image and the settings;
:class:`~deepdream_core.dreaming.dreamer.Dreamer` builds those from a photo and settings and runs it.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import torch
from PIL import Image

from . import gradients
from .color import keep_chroma, luminance_only
from .devices import resolve_precision
from .images import fitted_size
from .network import Network
from .objectives import Objective
from .parameterization import fourier_step
from .settings import DreamSettings
from .transforms import (
    compose,
    gaussian_blur,
    laplacian_normalize,
    octave_sizes,
    random_view,
    resize,
    roll,
    tensor_to_pil,
)


@dataclass(frozen=True)
class DreamProgress:
    """One step of a dream, for progress bars and live previews."""

    octave: int  # 1-based
    octaves: int
    step: int  # 1-based, within the octave
    steps: int
    done: int  # steps done in the whole run
    total: int
    # The objective after this step. When the network replays its passes as CUDA graphs (Network.cuda_graphs) it
    # is read only with an image and at an octave's end (reading waits for the GPU); other steps repeat the last
    # one read (NaN before the first).
    loss: float
    image: Image.Image | None  # a preview when one was due; the full-size result when ``final``
    final: bool = False
    # The dream so far at full working size, made only when called (a Stop keeps it); valid until the next event.
    snapshot: Callable[[], Image.Image] | None = field(default=None, repr=False, compare=False)


def dream_steps(
    network: Network,
    objective: Objective,
    image: torch.Tensor,
    settings: DreamSettings,
    mask: torch.Tensor | None = None,
    from_noise: bool = False,
    preview_every: int = 1,
    preview_size: int | None = None,
) -> Generator[DreamProgress, None, None]:
    """Dream ``image`` (a (1, 3, H, W) batch in [0, 1] on the network's device), yielding progress after every
    step and the result last.

    The jitter follows ``settings.seed`` (None: a fresh one). ``mask`` ((1, 1, H, W), 1 = dream) limits the dream
    to part of the image; ``from_noise`` lets ``settings.parameterization`` act. A preview image rides along every
    ``preview_every`` steps (0: none), shrunk to ``preview_size`` if given.
    """
    shifts = random.Random(settings.seed)
    dtype = resolve_precision(settings.precision, network.device, network.mixed_precision)
    step_gradient = gradients.StepGradient(
        network, objective, network.tile_size(settings), dtype, settings.wrap, network.pass_graphs
    )
    ascend = functools.partial(_ascend, settings, shifts, step_gradient, _refinements(settings, from_noise))
    sizes = octave_sizes((image.shape[-2], image.shape[-1]), settings.octaves, settings.octave_scale, network.min_side)
    total, done = len(sizes) * settings.steps, 0
    detail = torch.zeros_like(resize(image, sizes[0]))
    for octave, size in enumerate(sizes, start=1):
        octave_base = resize(image, size, settings.wrap)
        # Carry the dreamed detail up to this size; the sum can leave [0, 1] (bilinear overshoot), so clamp.
        img = (octave_base + resize(detail, size, settings.wrap)).clamp(0, 1)
        octave_mask = resize(mask, size) if mask is not None else None
        for step in range(1, settings.steps + 1):
            ascend(img, step, octave_mask)
            done += 1
            due = preview_every and done % preview_every == 0 and done < total
            preview = _preview(img, preview_size) if due else None
            loss = step_gradient.loss(due=preview is not None or step == settings.steps)
            snapshot = functools.partial(_full_size, img, octave_base, image, settings)  # made only if called
            yield DreamProgress(octave, len(sizes), step, settings.steps, done, total, loss, preview, snapshot=snapshot)
        detail = img - octave_base
    if settings.keep_colors:
        img = keep_chroma(img, image)
    yield DreamProgress(
        len(sizes), len(sizes), settings.steps, settings.steps, total, total, loss, tensor_to_pil(img), final=True
    )


def _ascend(
    settings: DreamSettings,
    shifts: random.Random,
    step_gradient: gradients.StepGradient,
    refine: Callable[[torch.Tensor], torch.Tensor],
    img: torch.Tensor,
    step: int,
    mask: torch.Tensor | None,
) -> None:
    """One step of gradient ascent on ``img``, in place (``img`` is this run's own)."""
    jitter = min(settings.jitter, img.shape[-2] - 1, img.shape[-1] - 1)
    # Random roll, undone after: strided convolutions' grid and tile seams never stay put.
    shift = (shifts.randint(-jitter, jitter), shifts.randint(-jitter, jitter))
    # Optionally scaled and rotated a little too (transform_robustness); undone on the gradient.
    view = random_view(roll(img, shift), shifts, settings.transform_robustness, settings.wrap)
    # Smaller tiles if memory runs out, fp32 if low precision fails: see StepGradient.
    grad = view.undo(step_gradient(view.image))
    del view
    grad = roll(grad, (-shift[0], -shift[1]))
    # Smoothing grows with the steps: early steps find detail, later ones keep it soft.
    grad = refine(gaussian_blur(grad, settings.smoothing * (1 + 2 * step / settings.steps), settings.wrap))
    if mask is not None:
        grad = grad * mask
    # Normalized step: every step changes pixels by step_size grey levels on average. The floor
    # only guards a zero gradient: a fixed +1e-8 stalled networks whose gradients are tiny.
    # In place (img and grad are this run's own): no full-size temporaries on large images.
    mean_magnitude = grad.abs().mean().clamp_min(1e-30)
    img.add_(grad.mul_(settings.step_size / 255).div_(mean_magnitude)).clamp_(0, 1)


def _refinements(settings: DreamSettings, from_noise: bool) -> Callable[[torch.Tensor], torch.Tensor]:
    """The changes to each step's gradient that the settings ask for (none by default), as one function."""
    steps: list[Callable[[torch.Tensor], torch.Tensor]] = []
    if settings.gradient_norm == "laplacian":
        steps.append(functools.partial(laplacian_normalize, wrap=settings.wrap))
    if from_noise and settings.parameterization == "fourier":
        steps.append(fourier_step)
    if settings.keep_colors:
        steps.append(luminance_only)
    return compose(steps)


def _full_size(
    img: torch.Tensor, octave_base: torch.Tensor, base: torch.Tensor, settings: DreamSettings
) -> Image.Image:
    """The dream so far at the working size: its detail carried up as the next octave would carry it."""
    full = (base + resize(img - octave_base, (base.shape[-2], base.shape[-1]), settings.wrap)).clamp(0, 1)
    return tensor_to_pil(keep_chroma(full, base) if settings.keep_colors else full)


def _preview(img: torch.Tensor, preview_size: int | None) -> Image.Image:
    if preview_size:
        img = resize(img, fitted_size((img.shape[-2], img.shape[-1]), preview_size))  # a no-op when it fits
    return tensor_to_pil(img)
