"""The dream loop: gradient ascent on the pixels of an image, octave by octave.

A :class:`Dreamer` works on any ``torch.nn.Module`` plus its input normalization, so a user can
bring their own network; :func:`dream` and :func:`dream_frames` use the zoo's models.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import torch
from PIL import Image

from . import gradients, objectives
from .color import keep_chroma, luminance_only
from .devices import resolve_precision
from .graphs import graphs_enabled
from .images import fit_long_side, fitted_size, to_rgb
from .network import Network
from .objectives import Objective
from .parameterization import fourier_noise, fourier_step
from .settings import DreamSettings, LayerTarget, draw_seed
from .transforms import (
    compose,
    gaussian_blur,
    laplacian_normalize,
    octave_sizes,
    pil_to_tensor,
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
    # The objective after this step. With DEEPDREAM_CUDA_GRAPHS=1 on CUDA it is read only with an image and at
    # an octave's end (reading waits for the GPU); other steps repeat the last one read (NaN before the first).
    loss: float
    image: Image.Image | None  # a preview when one was due; the full-size result when ``final``
    final: bool = False
    # The dream so far at full working size, made only when called (a Stop keeps it); valid until the next event.
    snapshot: Callable[[], Image.Image] | None = field(default=None, repr=False, compare=False)


class Dreamer(Network):
    """DeepDream on any network: a :class:`~.network.Network` that builds objectives and dreams.

    The Dreamer moves ``module`` to ``device`` (and to channels_last) in place and keeps it: give it a
    module nothing else uses, or a copy.
    """

    def objective(
        self, settings: DreamSettings, guide: Image.Image | None = None, image: torch.Tensor | None = None
    ) -> Objective:
        """The settings' objective on this network; see :func:`.objectives.objective_for`."""
        return objectives.objective_for(self, settings, guide, image)

    def pick_channels(
        self, image: torch.Tensor, settings: DreamSettings, targets: Sequence[LayerTarget]
    ) -> dict[str, tuple[int, ...]]:
        """The channels ``channel_pick`` dreams on ``image``; see :func:`.objectives.pick_channels`."""
        return objectives.pick_channels(self, image, settings, targets)

    # -- the loop --------------------------------------------------------------------------------

    def dream_frames(
        self,
        image: Image.Image | None,
        settings: DreamSettings,
        guide: Image.Image | None = None,
        mask: Image.Image | None = None,
        preview_every: int = 1,
        preview_size: int | None = None,
    ) -> Generator[DreamProgress, None, None]:
        """Dream ``image`` (noise when None), yielding progress after every step and the result last.

        ``mask`` (greyscale, white = dream) limits the dream to part of the image. A preview image
        rides along every ``preview_every`` steps (0: none), shrunk to ``preview_size`` if given.
        """
        dtype = resolve_precision(settings.precision, self.device, self.mixed_precision)
        seed = settings.seed if settings.seed is not None else draw_seed()
        shifts = random.Random(seed)
        base = self._start_image(image, settings, seed)
        objective = self.objective(settings, guide, base)
        refine = _refinements(settings, from_noise=image is None)
        mask_full = pil_to_tensor(mask.convert("RGB"), self.device)[:, :1] if mask is not None else None
        sizes = octave_sizes((base.shape[-2], base.shape[-1]), settings.octaves, settings.octave_scale, self.min_side)
        total, done = len(sizes) * settings.steps, 0
        detail = torch.zeros_like(resize(base, sizes[0]))
        graphs = self.graphs if graphs_enabled(self.device) else None
        step_gradient = gradients.StepGradient(self, objective, self.tile_size(settings), dtype, settings.wrap, graphs)
        for octave, size in enumerate(sizes, start=1):
            octave_base = resize(base, size, settings.wrap)
            # Carry the dreamed detail up to this size; the sum can leave [0, 1] (bilinear overshoot), so clamp.
            img = (octave_base + resize(detail, size, settings.wrap)).clamp(0, 1)
            octave_mask = resize(mask_full, size) if mask_full is not None else None
            jitter = min(settings.jitter, size[0] - 1, size[1] - 1)
            for step in range(1, settings.steps + 1):
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
                if octave_mask is not None:
                    grad = grad * octave_mask
                # Normalized step: every step changes pixels by step_size grey levels on average. The floor
                # only guards a zero gradient: a fixed +1e-8 stalled networks whose gradients are tiny.
                # In place (img and grad are this run's own): no full-size temporaries on large images.
                mean_magnitude = grad.abs().mean().clamp_min(1e-30)
                img.add_(grad.mul_(settings.step_size / 255).div_(mean_magnitude)).clamp_(0, 1)
                done += 1
                preview = None
                if preview_every and done % preview_every == 0 and done < total:
                    preview = _preview(img, preview_size)
                loss = step_gradient.loss(due=preview is not None or step == settings.steps)
                snapshot = functools.partial(_full_size, img, octave_base, base, settings)  # made only if called
                yield DreamProgress(
                    octave, len(sizes), step, settings.steps, done, total, loss, preview, snapshot=snapshot
                )
            detail = img - octave_base
        if settings.keep_colors:
            img = keep_chroma(img, base)
        yield DreamProgress(
            len(sizes), len(sizes), settings.steps, settings.steps, total, total, loss, tensor_to_pil(img), final=True
        )

    def dream(
        self,
        image: Image.Image | None,
        settings: DreamSettings,
        guide: Image.Image | None = None,
        mask: Image.Image | None = None,
    ) -> Image.Image:
        """The dreamed image at working size."""
        for event in self.dream_frames(image, settings, guide, mask, preview_every=0):
            if event.final and event.image is not None:
                return event.image
        raise AssertionError("dream_frames ended without a final frame")

    def _start_image(self, image: Image.Image | None, settings: DreamSettings, seed: int) -> torch.Tensor:
        if image is None:
            generator = torch.Generator().manual_seed(seed)
            side = settings.max_size
            if settings.parameterization == "fourier":
                return fourier_noise((side, side), generator).to(self.device)
            noise = 0.5 + 0.1 * torch.randn(1, 3, side, side, generator=generator)
            return noise.clamp(0, 1).to(self.device)
        return pil_to_tensor(fit_image(image, settings.max_size), self.device)


def fit_image(image: Image.Image, max_size: int) -> Image.Image:
    """Upright RGB (see :func:`~deepdream_core.dreaming.images.to_rgb`) no larger than ``max_size`` on its long side."""
    return fit_long_side(to_rgb(image), max_size)


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
