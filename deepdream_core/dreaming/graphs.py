"""A tile's network pass (forward and backward) as a CUDA graph: captured once, then replayed every step.

Off by default: on for a network made with ``cuda_graphs=True`` on a CUDA device (the studio's
``DEEPDREAM_CUDA_GRAPHS=1``, the CLI's ``--cuda-graphs``, :func:`~deepdream_core.dreaming.cache.set_cuda_graphs`
for the zoo's networks), until a GPU run has verified it (``bench/gpu.sh``: the graphed and eager dreams
agree, and the step is faster). Eager PyTorch spends a
dream step's time above the network's own on launching kernels one by one; a replayed graph launches
the whole pass at once (issue 24, H100: EfficientNet-Lite0 to ``blocks.4`` at 512x512, 4.43 ms eager,
1.57 ms as a graph).

As PyTorch's "CUDA Graphs" notes ask: a few warm-up passes on a side stream, then the capture
(``torch.cuda.graph``); autocast without its weight cache; ``torch.autograd.grad``, not ``.backward()``;
no host sync and no new allocation in the captured region. Each step copies its tile into the graph's
static input and clones the outputs, so a later replay never changes what a step holds. The random roll,
the view, the blur and the update stay outside the graph, so one graph serves every shift.

A graph is kept per (objective, wrap, tile shape, precision) of one network (its :class:`GraphCache`
lives on the :class:`~deepdream_core.dreaming.network.Network`), at most :data:`MAX_GRAPHS`, the least
recently used dropped first. A network's graphs share one memory pool, so they hold about the memory of
the largest pass, not the sum of every octave's (which tile_size "auto" did not plan for); that is safe
because one replay runs at a time and its outputs are cloned before the next. A capture that fails (an
operation a graph cannot hold, such as an index copied from the host; memory) is logged and that pass runs
eagerly from then on.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import torch

from .devices import autocast, tf32_matmuls
from .objectives import LayeredNetwork, Objective

log = logging.getLogger(__name__)

# A default dream (4 octaves, one tile each) needs 4 graphs; 8 keep a second look or photo size beside it.
MAX_GRAPHS = 8
# Passes before the capture, on a side stream, as PyTorch's notes do: cuDNN picks its algorithms and the
# allocator grows here, not inside the graph.
WARMUP_PASSES = 3


def replays(device: torch.device, cuda_graphs: bool) -> bool:
    """Whether a network on ``device`` that asks for ``cuda_graphs`` replays its passes as graphs: on CUDA only."""
    return cuda_graphs and device.type == "cuda"


@dataclass
class _Graph:
    graph: torch.cuda.CUDAGraph
    static_input: torch.Tensor
    grad: torch.Tensor
    loss: torch.Tensor
    objective: Objective  # kept, so an objective keyed by its identity is not collected while its graph lives


class GraphCache:
    """One network's captured passes, by (objective, wrap, tile shape, precision); thread-safe."""

    def __init__(self, max_graphs: int = MAX_GRAPHS) -> None:
        self.max_graphs = max_graphs
        self._graphs: OrderedDict[Hashable, _Graph | None] = OrderedDict()  # None: capture failed, run eagerly
        self._lock = threading.Lock()
        self._capturing = threading.Lock()  # one capture at a time
        self._replaying = threading.Lock()  # one replay at a time: the graphs share their memory pool
        # The shared pool, made at the first capture (torch's type for its handle is private).
        self._pool: Any = None

    def __len__(self) -> int:
        with self._lock:
            return sum(graph is not None for graph in self._graphs.values())

    def tile_gradient(
        self, network: LayeredNetwork, tile: torch.Tensor, objective: Objective, dtype: torch.dtype | None, wrap: str
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The pass's gradient and loss for ``tile``, replayed; None when this pass cannot be a graph."""
        key = (objective.key, wrap, tuple(tile.shape), dtype)
        tried, graph = self._get(key)
        if not tried:
            with self._capturing:
                tried, graph = self._get(key)  # perhaps captured by another dream while this one waited
                if not tried:
                    self._pool = self._pool or torch.cuda.graph_pool_handle()
                    graph = _capture(network, tile, objective, dtype, wrap, self._pool)
                    self._put(key, graph)
        if graph is None:
            return None
        with self._replaying:
            with torch.no_grad():
                graph.static_input.copy_(tile)
            graph.graph.replay()
            return graph.grad.clone(memory_format=torch.contiguous_format), graph.loss.clone()

    def _get(self, key: Hashable) -> tuple[bool, _Graph | None]:
        """Whether a capture for ``key`` was tried, and its graph (None if it failed)."""
        with self._lock:
            if key not in self._graphs:
                return False, None
            self._graphs.move_to_end(key)
            return True, self._graphs[key]

    def _put(self, key: Hashable, graph: _Graph | None) -> None:
        with self._lock:
            self._graphs[key] = graph
            while len(self._graphs) > self.max_graphs:
                self._graphs.popitem(last=False)  # its memory pool is freed with it


def _capture(
    network: LayeredNetwork,
    tile: torch.Tensor,
    objective: Objective,
    dtype: torch.dtype | None,
    wrap: str,
    pool: Any,
) -> _Graph | None:
    """Warm up and capture one pass on ``tile``'s shape; None (with a log line) if it cannot be captured."""
    device = network.device
    static_input = tile.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)

    def run() -> tuple[torch.Tensor, torch.Tensor]:
        with autocast(device, dtype, cache=False), tf32_matmuls(device):
            loss = objective(network.activations(static_input, objective.layers, wrap))
        (grad,) = torch.autograd.grad(loss, static_input)
        return grad, loss.detach().float()

    try:
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            for _ in range(WARMUP_PASSES):
                run()
        torch.cuda.current_stream(device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        # thread_local: other threads' dreams may go on using the GPU while this one captures.
        with torch.cuda.graph(graph, pool=pool, capture_error_mode="thread_local"):
            grad, loss = run()
    except RuntimeError as err:
        log.warning(
            "CUDA graph capture of %s on %s (%s, tile %s) failed, so it runs eagerly: %s",
            objective.name,
            network.name,
            dtype or "fp32",
            "x".join(str(n) for n in tile.shape[-2:]),
            err,
        )
        return None
    return _Graph(graph, static_input, grad, loss, objective)
