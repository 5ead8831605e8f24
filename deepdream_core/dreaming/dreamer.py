"""The Dreamer: DeepDream on any network, from a photo (or noise) and settings to the dream.

A dream is made of three things, each in a module of its own: the network (:mod:`.network`), the objective
the settings ask for on it (:func:`.objectives.objective_for`) and the loop (:func:`.loop.dream_steps`). A
:class:`Dreamer` is a network that joins them: it turns the photo into the start image, builds the objective
and runs the loop. :func:`~deepdream_core.dreaming.cache.get_dreamer` gives the zoo's models as Dreamers.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

import torch
from PIL import Image

from . import objectives
from .images import fit_image
from .loop import DreamProgress, dream_steps
from .network import Network
from .objectives import Objective
from .parameterization import fourier_noise
from .settings import DreamSettings, LayerTarget
from .transforms import pil_to_tensor


class Dreamer(Network):
    """DeepDream on any network: ``Dreamer(module, mean, std, device).dream(photo, settings)``.

    ``module`` takes a normalized (N, 3, H, W) batch; see :class:`~.network.Network` for the rest. The Dreamer
    moves ``module`` to ``device`` (and to channels_last) in place and keeps it: give it a module nothing else
    uses, or a copy.
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
        settings = settings.with_seed()  # the noise and the jitter follow it
        start = _start_image(image, settings, self.device)
        objective = self.objective(settings, guide, start)
        mask_tensor = pil_to_tensor(mask.convert("RGB"), self.device)[:, :1] if mask is not None else None
        yield from dream_steps(
            self, objective, start, settings, mask_tensor, image is None, preview_every, preview_size
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


def _start_image(image: Image.Image | None, settings: DreamSettings, device: torch.device) -> torch.Tensor:
    """The photo at working size as a batch, or for None noise of ``settings.max_size`` (seeded, so ``seed`` set)."""
    if image is not None:
        return pil_to_tensor(fit_image(image, settings.max_size), device)
    assert settings.seed is not None, "a dream from noise draws its seed first (DreamSettings.with_seed)"
    generator = torch.Generator().manual_seed(settings.seed)
    side = settings.max_size
    if settings.parameterization == "fourier":
        return fourier_noise((side, side), generator).to(device)
    noise = 0.5 + 0.1 * torch.randn(1, 3, side, side, generator=generator)
    return noise.clamp(0, 1).to(device)
