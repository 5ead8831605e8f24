"""What a dream step costs per megapixel on each zoo network and layer: the figures of jobs/costs.py's DEFAULT_COSTS.

    python bench/zoo_costs.py                                   # every zoo network
    python bench/zoo_costs.py bvlc_googlenet googlenet_places365

Random weights (timing does not depend on them; nothing is downloaded). Each network dreams noise at 384 px,
one octave of a few steps per layer, one thread, timed in thread CPU time, which other processes' load
hardly changes (wall time on a shared machine does); the layers are interleaved step by step. A step's
time over the octave's megapixels is the layer's cost; the network's figure is its default layer's, scaled
by the bundled model's end-to-end figure over its own figure here (DEFAULT_COSTS' 0.56 s, timed on a quiet
machine with two threads), so every network is on the same footing. Shares are each layer's cost over the
default layer's, and the cost of a class target's pass (``logits``).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deepdream_core import ZOO, Dreamer, DreamSettings, LayerTarget
from deepdream_core.dreaming.objectives import LOGITS
from deepdream_core.jobs.costs import DEFAULT_COSTS

SIDE = 384
STEPS = 7
BUNDLED = "efficientnet_lite0"


def step_seconds(dreamer: Dreamer, layer: str) -> list[float]:
    """Thread CPU seconds of each step of one octave of noise at ``layer`` (or a class's logit)."""
    options = {"class_target": "0"} if layer == LOGITS else {"layers": (LayerTarget(layer),)}
    settings = DreamSettings(max_size=SIDE, octaves=1, steps=STEPS, seed=0, precision="fp32", **options)
    times, start = [], time.thread_time()
    for _ in dreamer.dream_frames(None, settings, preview_every=0):
        now = time.thread_time()
        times.append(now - start)
        start = now
    return times[1:]  # the first step builds oneDNN's kernels


def network_costs(name: str) -> dict[str, float]:
    """Seconds per megapixel-step at each dream layer (and the logits, where the network has a classifier)."""
    spec = ZOO[name]
    torch.manual_seed(0)
    dreamer = Dreamer.from_spec(spec, spec.build(), "cpu")
    layers = [layer.path for layer in spec.layers] + ([LOGITS] if spec.class_names else [])
    runs: dict[str, list[float]] = {layer: [] for layer in layers}
    for _ in range(2):  # interleaved: a change in the machine's load touches every layer alike
        for layer in layers:
            runs[layer] += step_seconds(dreamer, layer)
    megapixels = SIDE * SIDE / 1e6
    return {layer: statistics.median(times) / megapixels for layer, times in runs.items()}


def main(names: list[str]) -> None:
    torch.set_num_threads(1)
    names = names or list(ZOO)
    bundled = network_costs(BUNDLED)
    scale = DEFAULT_COSTS[BUNDLED].cpu / bundled[ZOO[BUNDLED].default_layer]
    print(f"{BUNDLED}: {bundled[ZOO[BUNDLED].default_layer]:.2f} s per megapixel-step here; scale {scale:.3f}")
    for name in names:
        costs = bundled if name == BUNDLED else network_costs(name)
        default = costs[ZOO[name].default_layer]
        shares = ", ".join(f"{layer}: {cost / default:.2f}" for layer, cost in costs.items())
        print(f"{name}: cpu={default * scale:.2f} (here {default:.2f}); shares {shares}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
