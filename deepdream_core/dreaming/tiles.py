"""What ``tile_size="auto"`` means on each device: the tile a dream's gradients are computed in.

A number is used as given. ``auto`` keeps 512 px on the CPU (and Apple's MPS): the size every CPU figure of
the project was measured with, whose feature maps stay in the caches (a 1024 px image in one tile took
1.35-2.1x as long per step as in four 512 px tiles). On a CUDA GPU every tile is one more pass of the
network with its fixed cost of kernel launches, so fewer, larger tiles are faster: on an H100 the default
dream of a 1024 px photo took 0.60-0.71 s with 512 px tiles and 0.21 s with 2048 px tiles (issue 24). There
``auto`` takes the largest tile whose pass fits in the memory free when the dream starts.
"""

from __future__ import annotations

import math

import torch

from .settings import AUTO, RANGES

CPU_TILE = 512
MIN_TILE, MAX_TILE = int(RANGES["tile_size"].low), int(RANGES["tile_size"].high)
# Tiles are whole multiples of this: the networks' largest stride is 32, so tile seams fall on their grid.
TILE_STEP = 64
# The share of the free memory a tile's pass may take: other dreams may share the GPU
# (DEEPDREAM_CONCURRENCY), and so does the allocator's fragmentation.
MEMORY_SHARE = 0.6
# What a pass needs above the tensors autograd saves (ModelSpec.pass_bytes_per_pixel): the gradients
# flowing back, the input's copies, cuDNN's workspaces. A guess until bench/gpu_figures.py has measured a GPU.
PASS_MEMORY_MARGIN = 1.5


def auto_tile_size(free_bytes: int, bytes_per_pixel: float) -> int:
    """The largest square tile side (a multiple of :data:`TILE_STEP`, within tile_size's range) whose pass,
    at ``bytes_per_pixel`` times :data:`PASS_MEMORY_MARGIN`, needs at most :data:`MEMORY_SHARE` of ``free_bytes``."""
    pixels = free_bytes * MEMORY_SHARE / (bytes_per_pixel * PASS_MEMORY_MARGIN)
    side = math.isqrt(max(0, int(pixels))) // TILE_STEP * TILE_STEP
    return max(MIN_TILE, min(MAX_TILE, side))


def tile_size_for(setting: int | str, device: torch.device, bytes_per_pixel: float) -> int:
    """The tile side a dream uses: the setting's number, or for ``auto`` the device's choice (see above)."""
    if setting != AUTO:
        return int(setting)
    if device.type != "cuda":
        return CPU_TILE
    free_bytes, _total = torch.cuda.mem_get_info(device)
    return auto_tile_size(free_bytes, bytes_per_pixel)


def planned_tile_size(setting: int | str, device_type: str) -> int:
    """The tile an estimate counts with, before any memory is asked: ``auto`` is the largest tile on a CUDA GPU
    (what an H100 or H200 fits for every zoo network, and what the GPU costs were measured with)."""
    if setting != AUTO:
        return int(setting)
    return MAX_TILE if device_type == "cuda" else CPU_TILE
