"""A dream step's gradient: tile by tile, smaller tiles when memory runs out, fp32 when low precision fails.

:class:`StepGradient` serves one dream. It runs eagerly, reading the loss after every step, unless it is
given a :class:`~deepdream_core.dreaming.graphs.GraphCache` (a network's ``pass_graphs``, on CUDA): then
each tile's pass is replayed from a captured CUDA graph, and nothing waits for the device until the loss
is read (:meth:`StepGradient.loss`), which also reads whether a low-precision step failed.
"""

from __future__ import annotations

import logging
import math

import torch

from ..models.echo import echo
from .devices import DeviceError, autocast, tf32_matmuls
from .graphs import GraphCache
from .objectives import LayeredNetwork, Objective
from .settings import RANGES, SettingsError
from .transforms import spanned_wrap, tile_slices

log = logging.getLogger(__name__)

# Out-of-memory fallback stops halving tiles here: the smallest tile a user may set.
MIN_TILE = int(RANGES["tile_size"].low)
# What torch says when an input is smaller than a network's kernels and pools can take.
_TOO_SMALL = ("can't be greater than actual input size", "Output size is too small")


def gradient(
    network: LayeredNetwork,
    image: torch.Tensor,
    objective: Objective,
    tile_size: int,
    dtype: torch.dtype | None = None,
    wrap: str = "none",
    graphs: GraphCache | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """d(objective)/d(pixels), and the objective, tile by tile so memory stays bounded on any image size.

    Each tile's gradient is weighted by its share of the image, so tiles add up to the gradient of the
    whole-image mean. With ``wrap``, the network's padding wraps around an axis when the tiles span it (the
    whole image, when it fits one tile); other tiles' edges are handled like any tile seam, moved about by
    the jitter. The loss stays on the device: reading it waits for the device.
    """
    height, width = image.shape[-2:]
    row_tiles, col_tiles = tile_slices(height, tile_size), tile_slices(width, tile_size)
    wrap = spanned_wrap(wrap, spans_x=len(col_tiles) == 1, spans_y=len(row_tiles) == 1)
    if len(row_tiles) == len(col_tiles) == 1:  # the common case: no tile bookkeeping, no extra copy
        grad, loss = _tile_gradient(network, image, objective, dtype, wrap, graphs)
        # Back from the network's channels_last to the loop's layout, which roll and blur are tuned for.
        return grad.contiguous(), loss
    grad = torch.empty_like(image)
    total = image.new_zeros((), dtype=torch.float32)
    for rows in row_tiles:
        for cols in col_tiles:
            tile_grad, loss = _tile_gradient(network, image[..., rows, cols], objective, dtype, wrap, graphs)
            share = tile_grad.shape[-2] * tile_grad.shape[-1] / (height * width)
            torch.mul(tile_grad, share, out=grad[..., rows, cols])
            total += loss * share
    return grad, total


def _tile_gradient(
    network: LayeredNetwork,
    tile: torch.Tensor,
    objective: Objective,
    dtype: torch.dtype | None,
    wrap: str,
    graphs: GraphCache | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    if graphs is not None:
        replayed = graphs.tile_gradient(network, tile, objective, dtype, wrap)
        if replayed is not None:
            return replayed
    tile = tile.detach().requires_grad_(True)
    with autocast(network.device, dtype), tf32_matmuls(network.device):
        loss = objective(network.activations(tile, objective.layers, wrap))
    (tile_grad,) = torch.autograd.grad(loss, tile)
    return tile_grad, loss.detach().float()


def gradient_in_memory(
    network: LayeredNetwork,
    image: torch.Tensor,
    objective: Objective,
    tile_size: int,
    dtype: torch.dtype | None,
    wrap: str,
    graphs: GraphCache | None = None,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """:func:`gradient`, halving the tiles whenever the device runs out of memory.

    Returns the tile size that fitted too, so the following steps start from it.
    """
    while True:
        try:
            return (*gradient(network, image, objective, tile_size, dtype, wrap, graphs), tile_size)
        except torch.OutOfMemoryError as err:
            if tile_size <= MIN_TILE:
                raise DeviceError(
                    f"{network.device} ran out of memory even with {MIN_TILE}-pixel tiles; "
                    f"lower max_size or use another device"
                ) from err
        except RuntimeError as err:
            # Unpadded convolutions and pools (Inception v3's stem) need a minimum input size.
            if not any(text in str(err) for text in _TOO_SMALL):
                raise
            height, width = image.shape[-2:]
            raise SettingsError(
                "max_size",
                f"model {echo(network.name)} cannot dream on an image this small ({width}x{height} pixels "
                f"at this octave); use a larger image or max_size, or fewer octaves",
            ) from err
        # Retried outside the except block, so the failed attempt's tensors are already freed.
        tile_size = max(MIN_TILE, min(tile_size, max(image.shape[-2:])) // 2)
        if network.device.type == "cuda":
            torch.cuda.empty_cache()


class StepGradient:
    """Each step's gradient for one dream, keeping what it learns: the tile size that fits, and fp32
    once a low-precision step has failed (fp16/bf16 overflowed or underflowed on this network), so a
    user never gets a black or frozen image for asking "auto"."""

    def __init__(
        self,
        network: LayeredNetwork,
        objective: Objective,
        tile_size: int,
        dtype: torch.dtype | None,
        wrap: str,
        graphs: GraphCache | None = None,
    ) -> None:
        self.network, self.objective, self.wrap, self.graphs = network, objective, wrap, graphs
        self.tile_size, self.dtype = tile_size, dtype
        self._loss = math.nan  # the last loss read
        self._pending: torch.Tensor | None = None  # with graphs: the last step's loss, still on the device
        self._failed: torch.Tensor | None = None  # with graphs: whether a low-precision step failed since a read

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """The gradient at ``image``; eagerly, a failed low-precision step is redone in fp32 at once."""
        grad, loss, self.tile_size = gradient_in_memory(
            self.network, image, self.objective, self.tile_size, self.dtype, self.wrap, self.graphs
        )
        if self.graphs is not None:
            return self._checked_on_device(grad, loss)
        self._loss = float(loss)
        if self.dtype is not None and not _usable(grad, self._loss):
            self.dtype = None
            grad, loss, self.tile_size = gradient_in_memory(
                self.network, image, self.objective, self.tile_size, None, self.wrap
            )
            self._loss = float(loss)
        return grad

    def loss(self, due: bool = True) -> float:
        """The last step's loss. With graphs it is read (waiting for the device) only when ``due``, and
        the steps between two reads report the earlier one; a failed low-precision step is noticed here."""
        if self._pending is None or not due:
            return self._loss
        failed = self._failed if self._failed is not None else torch.zeros((), device=self._pending.device)
        self._loss, was_failed = torch.stack([self._pending.float(), failed.float()]).tolist()
        self._pending, self._failed = None, None
        if was_failed and self.dtype is not None:
            log.warning("a %s step overflowed on %s; going on in fp32", self.dtype, self.network.name)
            self.dtype = None
        return self._loss

    def _checked_on_device(self, grad: torch.Tensor, loss: torch.Tensor) -> torch.Tensor:
        """A low-precision step's check without waiting for the device: a failed step's gradient becomes
        zero (the step changes nothing), and the failure is read with the next loss."""
        self._pending = loss
        if self.dtype is None:
            return grad
        magnitude = grad.abs().mean()
        usable = torch.isfinite(loss) & torch.isfinite(magnitude) & (magnitude > 0)
        self._failed = ~usable if self._failed is None else self._failed | ~usable
        return torch.where(usable, grad, torch.zeros((), dtype=grad.dtype, device=grad.device))


def _usable(grad: torch.Tensor, loss: float) -> bool:
    """A low-precision step is usable when its loss is finite and its gradient finite and not all zero."""
    magnitude = float(grad.abs().mean())
    return math.isfinite(loss) and math.isfinite(magnitude) and magnitude > 0
