"""Exact outputs of the dream loop's small tensor transforms, on tiny tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from deepdream_core.dreaming.transforms import (
    gaussian_blur,
    octave_sizes,
    pil_to_tensor,
    resize,
    roll,
    tensor_to_pil,
    tile_slices,
)


def grid(height: int, width: int) -> torch.Tensor:
    """A (1, 1, H, W) tensor holding 0, 1, 2, ... row by row: every pixel can be told apart."""
    return torch.arange(height * width, dtype=torch.float32).view(1, 1, height, width)


def test_roll_moves_pixels_down_and_right_with_wrap_around() -> None:
    rolled = roll(grid(3, 4), (1, 2))
    assert rolled[0, 0].tolist() == [[10, 11, 8, 9], [2, 3, 0, 1], [6, 7, 4, 5]]


def test_roll_is_undone_by_the_opposite_shift() -> None:
    image = torch.rand(1, 3, 7, 9)
    for shift in [(3, -4), (-6, 8), (0, 0), (20, -31)]:
        assert torch.equal(roll(roll(image, shift), (-shift[0], -shift[1])), image)


def test_octave_sizes_run_small_to_large_and_end_at_the_full_size() -> None:
    assert octave_sizes((400, 300), 3, 2.0) == [(100, 75), (200, 150), (400, 300)]
    assert octave_sizes((90, 120), 1, 1.4) == [(90, 120)]


def test_octave_sizes_drop_octaves_under_the_minimum_side() -> None:
    # 100x80 / 4 = 25x20 is under 32 pixels: left out, the rest kept.
    assert octave_sizes((100, 80), 3, 2.0) == [(50, 40), (100, 80)]
    assert octave_sizes((64, 64), 3, 1.5) == [(43, 43), (64, 64)]
    assert octave_sizes((100, 80), 3, 2.0, min_side=10) == [(25, 20), (50, 40), (100, 80)]


def test_octave_sizes_keep_an_image_smaller_than_the_minimum() -> None:
    # A 20x30 image still dreams at its own size, only the smaller octaves go.
    assert octave_sizes((20, 30), 2, 2.0) == [(20, 30)]


@pytest.mark.parametrize(
    ("length", "tile", "expected"),
    [
        (10, 4, [(0, 3), (3, 7), (7, 10)]),
        (100, 64, [(0, 50), (50, 100)]),
        (64, 64, [(0, 64)]),
        (5, 64, [(0, 5)]),
        (129, 64, [(0, 43), (43, 86), (86, 129)]),
    ],
)
def test_tile_slices_cover_exactly_with_even_tiles(length: int, tile: int, expected: list[tuple[int, int]]) -> None:
    slices = tile_slices(length, tile)
    assert [(s.start, s.stop) for s in slices] == expected
    sizes = [s.stop - s.start for s in slices]
    assert max(sizes) <= tile and max(sizes) - min(sizes) <= 1  # no sliver at the end


def test_gaussian_blur_with_sigma_zero_is_the_identity() -> None:
    image = torch.rand(1, 3, 8, 8)
    assert gaussian_blur(image, 0) is image


def test_gaussian_blur_keeps_a_constant_image_constant() -> None:
    image = torch.full((1, 3, 12, 10), 0.25)
    assert torch.allclose(gaussian_blur(image, 1.5), image, atol=1e-6)
    # Smaller than the kernel's radius (3*sigma): replicated borders instead of reflected ones.
    small = torch.full((1, 3, 4, 4), 0.75)
    assert torch.allclose(gaussian_blur(small, 2.0), small, atol=1e-6)


def test_gaussian_blur_spreads_a_point_into_a_normalized_symmetric_bump() -> None:
    image = torch.zeros(1, 1, 21, 21)
    image[0, 0, 10, 10] = 1.0
    blurred = gaussian_blur(image, 1.0)[0, 0]
    assert blurred.sum().item() == pytest.approx(1.0, abs=1e-6)  # far from the borders nothing is lost
    assert blurred.argmax().item() == 10 * 21 + 10
    assert torch.allclose(blurred, blurred.T) and torch.allclose(blurred, blurred.flip(0))
    # Separable: the bump is the outer product of the 1-D Gaussian with itself.
    x = torch.arange(-3, 4, dtype=torch.float32)
    kernel = torch.exp(-0.5 * x**2)
    kernel /= kernel.sum()
    assert torch.allclose(blurred[7:14, 7:14], torch.outer(kernel, kernel), atol=1e-6)


def test_resize_to_the_same_size_is_a_no_op() -> None:
    image = torch.rand(1, 3, 6, 5)
    assert resize(image, (6, 5)) is image
    assert resize(image, (12, 10)).shape == (1, 3, 12, 10)
    assert resize(image, (3, 2)).shape == (1, 3, 3, 2)


def test_pil_and_tensor_round_trip_exactly() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    tensor = pil_to_tensor(Image.fromarray(pixels))
    assert tensor.shape == (1, 3, 5, 7) and tensor.dtype == torch.float32
    assert tensor.min() >= 0.0 and tensor.max() <= 1.0
    assert tensor[0, :, 2, 3].tolist() == pytest.approx((pixels[2, 3] / 255.0).tolist())
    assert np.array_equal(np.asarray(tensor_to_pil(tensor)), pixels)


def test_tensor_to_pil_clips_out_of_range_values() -> None:
    tensor = torch.tensor([-0.5, 0.5, 1.5]).view(1, 3, 1, 1)
    assert np.asarray(tensor_to_pil(tensor))[0, 0].tolist() == [0, 128, 255]
