"""Lucid's decorrelated Fourier parameterization, for dreams from noise.

Lucid (and Lucent, ``param.image(fft=True, decorrelate=True)``) optimizes not the pixels but a
spectrum ``s`` in a decorrelated colour space: ``pixels = C @ irfft2(w * s)``, where ``w`` falls as
1 / frequency and ``C`` turns decorrelated colours into RGB, and it steps with Adam, which moves
every coefficient of ``s`` by about the same amount in the direction of its gradient.
:func:`fourier_step` is that step's change of the pixels, from the pixels' gradient ``g``: the
gradient of ``s`` is ``w * rfft2(C^T g)``; each coefficient keeps only its direction (its phase);
and the pixels move by ``C @ irfft2(w * direction)``. So the dream loop keeps working on pixels
(octaves, tiles, jitter, clamping) and takes the spectrum's steps: every frequency and every
decorrelated colour gets its share of the change, weighted by ``w``, which gives coarse, colourful
shapes instead of pixel-sized speckle. Lucid squashes pixels with a sigmoid; here they are clamped
to valid values like every dream's.
"""

from __future__ import annotations

from functools import lru_cache

import torch

# Lucid's square root of ImageNet's colour correlation, columns scaled to a largest norm of 1:
# RGB = _COLOR @ decorrelated.
_COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
_COLOR = _COLOR_SQRT / _COLOR_SQRT.norm(dim=0).max()


@lru_cache(maxsize=16)
def _spectrum_weights(height: int, width: int) -> torch.Tensor:
    """Lucid's ``1 / max(frequency, 1 / longest side)`` for each bin of ``rfft2`` of an image this size."""
    fy = torch.fft.fftfreq(height).view(-1, 1)
    fx = torch.fft.rfftfreq(width).view(1, -1)
    return 1 / torch.sqrt(fx**2 + fy**2).clamp_min(1 / max(height, width))


def _mix_colors(image: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", matrix.to(image.device, image.dtype), image)


def fourier_step(grad: torch.Tensor) -> torch.Tensor:
    """The pixels' change for one step on the decorrelated spectrum, from the pixels' gradient (see above).

    Its scale is arbitrary: the dream loop normalizes every step to ``step_size``.
    """
    height, width = grad.shape[-2:]
    weights = _spectrum_weights(height, width).to(grad.device)
    spectrum = torch.fft.rfft2(_mix_colors(grad.float(), _COLOR.T), norm="ortho")
    # The scale w of the spectrum's gradient does not change its direction, so it is left out here.
    direction = spectrum / spectrum.abs().clamp_min(1e-30)
    return _mix_colors(torch.fft.irfft2(direction * weights, s=(height, width), norm="ortho"), _COLOR)


def fourier_noise(size: tuple[int, int], generator: torch.Generator) -> torch.Tensor:
    """A start image as Lucid's: mid grey plus a faint random spectrum (standard deviation 0.01), in [0, 1]."""
    height, width = size
    weights = _spectrum_weights(height, width)
    spectrum = torch.complex(*torch.randn(2, 1, 3, *weights.shape, generator=generator)) * 0.01 * weights
    # Lucid divides by 4 and squashes with a sigmoid, whose slope at 0 is 1/4.
    image = _mix_colors(torch.fft.irfft2(spectrum, s=(height, width), norm="ortho"), _COLOR) / 16
    return (0.5 + image).clamp(0, 1)
