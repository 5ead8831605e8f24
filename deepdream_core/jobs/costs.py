"""Seconds per megapixel-step of each model on each device: what :mod:`.estimate` multiplies the work by.

The numbers come from built-in defaults (:data:`DEFAULT_COSTS`), then a short timed pass on this device
(:meth:`CostTable.calibrate`), then every finished run (:meth:`CostTable.record_run`, which :mod:`.timing` calls for
every photo dream of every path), as a moving average, each run's time taken back to what it would have been on a
quiet machine. One table per process (:data:`COSTS`) is shared by every request.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from ..dreaming.objectives import LOGITS
from ..dreaming.settings import DreamSettings, LayerTarget

if TYPE_CHECKING:
    from ..dreaming.dreamer import Dreamer
    from ..dreaming.loop import DreamProgress

# The fixed cost of a step, in megapixels of work. CPU: the bundled model's one-thread step at 128 and
# 256 px (1.39 and 1.12 s per megapixel, median of 5 interleaved steps) fit t = a + b x pixels with
# a = 6 ms = 0.006 MP. GPU (CUDA): measured on one H100 (issue 24, torch 2.11, eager, 2048 px tiles),
# DreamSettings() on a 1024 px and a 2048 px square photo took 0.21 s and 0.54 s; t = a + b x pixels
# over their octaves gives b = 0.0055 s per megapixel-step and a = 2.5 ms per step = 0.45 MP.
CPU_STEP_MEGAPIXELS = 0.006
GPU_STEP_MEGAPIXELS = 0.45
# A GPU's cost per megapixel-step against the CPU's, for a network not measured on a GPU: the bundled
# model's measured H100 figure (above) over its CPU figure (below). A guess for the others.
GPU_PER_CPU = 0.0055 / 0.56


@dataclass(frozen=True)
class DefaultCost:
    """What a model costs before anything was measured on this device.

    ``cpu`` and ``gpu`` are seconds per megapixel-step at the model's default layer, and ``*_step`` a
    step's fixed cost in megapixels; ``shares`` is the cost at another layer (or at
    :data:`~deepdream_core.dreaming.objectives.LOGITS`, for a class target) relative to the default layer's. A
    layer not listed counts as the default layer.
    """

    cpu: float
    gpu: float  # any accelerator (CUDA, MPS)
    shares: Mapping[str, float] = field(default_factory=dict)
    cpu_step: float = CPU_STEP_MEGAPIXELS
    gpu_step: float = GPU_STEP_MEGAPIXELS

    def on(self, device: str) -> tuple[float, float]:
        """(seconds per megapixel-step, step megapixels) on a device type."""
        return (self.cpu, self.cpu_step) if device == "cpu" else (self.gpu, self.gpu_step)


# The Caffe GoogLeNets' layer shares, one table for both (their entries below say where they come from).
_CAFFE_GOOGLENET_SHARES = {
    "conv2/3x3": 0.47,
    "inception_3a/output": 0.67,
    "inception_3b/5x5_reduce": 0.72,
    "inception_3b/output": 0.86,
    "inception_4a/output": 0.87,
    "inception_4b/output": 0.95,
    "inception_4c/output": 1.0,
    "inception_4d/output": 1.03,
    "inception_4e/output": 1.14,
    "inception_5a/output": 1.23,
    "inception_5b/output": 1.23,
    LOGITS: 1.25,
}

# CPU: the bench machine (AMD EPYC, 2 cores with AVX512-BF16, torch 2.14.1, 2 threads, precision "auto").
# End to end on a quiet machine (bench/results.json): the bundled model, 0.56 s per megapixel-step at
# blocks.4 (default_512_s 2.9 s for 5.2 MP-steps counting the steps' fixed cost, default_1024_s 11.8 s
# for 20.2), and VGG16, 2.9 at features.22 (vgg16_equal_work_s "auto" 10.6 s for 3.7 MP-steps: 2.4 times
# what the one-thread timing below gives it; why was not measured, its tiles and bf16 are suspects).
# The others, rough: timed while the machine was shared and busy, so in thread CPU time on one thread
# (which other processes' load hardly changes), dreaming noise at 384 px with every layer interleaved
# step by step, then scaled by the bundled model's 0.56 / 1.07 (its own one-thread figure). Shares come
# from the same one-thread timings (7 steps per layer, median), made non-decreasing with depth where
# noise reversed two neighbours: a deeper layer runs everything a shallower one does.
# GPU (CUDA), what runs by default there (eager, tile_size "auto" = 2048 px tiles, precision "auto"):
# measured on one H100 for the bundled model (0.0055, above) and for VGG16 (its equal-work dream at
# 600x399 and 2048x1362, bf16, channels_last, 2048 px tiles: 0.099 s and 0.278 s, fit as above: 0.0049 s
# per megapixel-step and a 2.1 ms step, 0.42 MP). The bundled model's was measured before its network ran
# channels_last on CUDA, so its estimate may read long. The others: their CPU figure times GPU_PER_CPU,
# a guess until a GPU times them. The first timed pass or finished run on a GPU replaces it.
DEFAULT_COSTS: dict[str, DefaultCost] = {
    "efficientnet_lite0": DefaultCost(
        cpu=0.56,
        gpu=0.0055,
        shares={
            "blocks.1": 0.56,
            "blocks.2": 0.69,
            "blocks.3.0": 0.75,
            "blocks.3": 0.85,
            "blocks.4": 1.0,
            "blocks.5.0": 1.05,
            "blocks.5": 1.17,
            "blocks.6": 1.24,
            LOGITS: 1.27,
        },
    ),
    "googlenet": DefaultCost(
        cpu=0.52,
        gpu=0.52 * GPU_PER_CPU,
        shares={
            "conv3": 0.64,
            "inception3a": 0.64,
            "inception3b": 0.77,
            "inception4a": 0.85,
            "inception4b": 0.92,
            "inception4c": 1.0,
            "inception4d": 1.08,
            "inception4e": 1.15,
            "inception5a": 1.24,
            "inception5b": 1.31,
            LOGITS: 1.44,
        },
    ),
    # The Caffe GoogLeNets (one network, two sets of weights): bench/zoo_costs.py on a quiet machine (an Intel Xeon,
    # taskset -c 0,1, load average under 2): 1.51 s per megapixel-step at inception_4c/output for both, one thread in
    # thread CPU time, against the bundled model's 0.92 at blocks.4 in the same run, so 0.56 x 1.51 / 0.92 = 0.92 (a
    # ratio within one run, so the machine matters little). A first run on a busy machine, scaled by torchvision's
    # GoogLeNet instead, gave 0.64: the 256 px classic look then read half its real time (bench/estimate.py). Shares
    # from the busy run, averaged over the two and made non-decreasing with depth, within 0.05 of the quiet run's
    # below logits; a class target's pass runs every block (its logits come from inception_4d's classifier, the rest
    # still runs), so it costs at least inception_5b's.
    "bvlc_googlenet": DefaultCost(cpu=0.92, gpu=0.92 * GPU_PER_CPU, shares=_CAFFE_GOOGLENET_SHARES),
    "googlenet_places365": DefaultCost(
        cpu=0.92,
        gpu=0.92 * GPU_PER_CPU,
        shares={k: v for k, v in _CAFFE_GOOGLENET_SHARES.items() if k != "inception_3b/5x5_reduce"},  # not listed
    ),
    "inception_v3": DefaultCost(
        cpu=0.64,
        gpu=0.64 * GPU_PER_CPU,
        shares={
            "Conv2d_4a_3x3": 0.52,
            "Mixed_5b": 0.52,
            "Mixed_5d": 0.69,
            "Mixed_6a": 0.78,
            "Mixed_6c": 1.0,
            "Mixed_6e": 1.2,
            "Mixed_7b": 1.52,
            LOGITS: 1.74,
        },
    ),
    "vgg16": DefaultCost(
        cpu=2.9,
        gpu=0.0049,
        gpu_step=0.42,
        shares={
            "features.8": 0.84,
            "features.15": 0.9,
            "features.22": 1.0,
            "features.29": 1.03,
        },
    ),
    "resnet50": DefaultCost(
        cpu=0.91,
        gpu=0.91 * GPU_PER_CPU,
        shares={
            "layer1": 0.65,
            "layer2": 0.81,
            "layer3.2": 0.92,
            "layer3": 1.0,
            "layer4.0": 1.13,
            "layer4": 1.24,
            LOGITS: 1.33,
        },
    ),
}
# Any other model (a timm name) before calibration: about what the zoo's mid-sized networks cost.
UNKNOWN_MODEL_COST = DefaultCost(cpu=1.0, gpu=1.0 * GPU_PER_CPU)

# The timed pass: CALIBRATION_WARMUP untimed steps, then this many timed steps, on noise this many
# pixels square, each layer at both sizes (their difference is the cost per pixel, the rest the fixed
# cost of a step). About a second and a half for the bundled model on a CPU.
CALIBRATION_SIDES = (128, 384)
CALIBRATION_STEPS = 5
# Untimed steps first: in a fresh process the first two steps at a new size are slower (oneDNN builds
# its kernels, the allocator grows); with one, a cold pass read a step's fixed cost 40 % high.
CALIBRATION_WARMUP = 2
# Weight of each finished run in the moving average: recent runs count most (the machine's load
# changes), one odd run moves the estimate by at most this share of its error.
RUN_WEIGHT = 0.3


class CostTable:
    """Seconds per megapixel-step per model and device: defaults, then calibrations and finished runs.

    Shared by every request of a process, so every read and write holds a lock.
    """

    def __init__(self, defaults: Mapping[str, DefaultCost] = DEFAULT_COSTS) -> None:
        self._defaults = defaults
        self._lock = threading.Lock()
        self._calibrating = threading.Lock()  # one timed pass at a time: two would slow each other down
        # Measured on this device: seconds per megapixel-step, step megapixels, layer shares.
        self._seconds: dict[tuple[str, str], float] = {}
        self._step: dict[tuple[str, str], float] = {}
        # Per layer: (cost per pixel / the default layer's, fixed cost of a step in megapixels).
        self._layers: dict[tuple[str, str, str], tuple[float, float]] = {}
        self._runs: dict[tuple[str, str], int] = {}  # finished runs folded in, per model and device

    def seconds_per_megapixel_step(self, model: str, device: str) -> tuple[float, bool]:
        """The cost at the model's default layer, and whether it was measured on this device."""
        with self._lock:
            measured = self._seconds.get((model, device))
        if measured is not None:
            return measured, True
        return self._defaults.get(model, UNKNOWN_MODEL_COST).on(device)[0], False

    def layer_cost(self, model: str, device: str, layers: Iterable[str]) -> tuple[float, float]:
        """The cost of a step at ``layers`` (the deepest decides): per pixel, relative to the default
        layer's, and its fixed part, in megapixels at the default layer's cost per pixel."""
        default = self._defaults.get(model, UNKNOWN_MODEL_COST)
        with self._lock:
            step = self._step.get((model, device), default.on(device)[1])
            costs = [self._layers.get((model, device, layer)) for layer in layers]
        shares = [default.shares.get(layer, 1.0) for layer in layers]
        # Not timed on this device: a built-in share of both parts.
        return max(
            (cost or (share, step * share) for cost, share in zip(costs, shares, strict=True)), default=(1.0, step)
        )

    def is_calibrated(self, model: str, device: str, layers: Iterable[str] = ()) -> bool:
        with self._lock:
            return (model, device) in self._step and all((model, device, layer) in self._layers for layer in layers)

    def calibrate(self, dreamer: Dreamer, layers: Iterable[str] = ()) -> None:
        """Time the dreamer's device for its model and ``layers``, unless that was done: a few steps each.

        Every layer is timed at two sizes: the difference is its cost per pixel, the rest its fixed
        cost per step (a shallow layer's is much smaller: fewer modules run). The first pass sets the
        model's cost on that device (at the default layer); each pass sets the new layers' costs
        relative to the default layer's, timed again in the same pass. All are timed in turn, step by
        step, so a change in the machine's load touches all of them alike.
        """
        layers = list(layers)
        reference = dreamer.default_layer or next(iter(layers), None)
        if reference is None:
            raise ValueError(f"model {dreamer.name!r} has no default layer; name the layers to calibrate")
        model, device = dreamer.name, dreamer.device.type
        with self._calibrating:
            if self.is_calibrated(model, device, layers):  # perhaps by another request while this one waited
                return
            small, large = CALIBRATION_SIDES
            with self._lock:
                first = (model, device) not in self._step
                new = [
                    layer for layer in dict.fromkeys([reference, *layers]) if (model, device, layer) not in self._layers
                ]
            timed = list(dict.fromkeys([reference, *new]))
            step = _time_steps(dreamer, [(layer, side) for layer in timed for side in (large, small)])
            pixels = {side: side**2 / 1e6 for side in CALIBRATION_SIDES}
            per_pixel = {
                # Noise can make the difference tiny or negative (a GPU barely notices these sizes):
                # at least a twentieth of the larger size's average cost per pixel.
                layer: max(
                    (step[layer, large] - step[layer, small]) / (pixels[large] - pixels[small]),
                    step[layer, large] / pixels[large] / 20,
                )
                for layer in timed
            }
            # Each layer's fixed cost of a step, in megapixels at the default layer's cost per pixel.
            unit = per_pixel[reference]
            fixed = {layer: max(0.0, (step[layer, large] - per_pixel[layer] * pixels[large]) / unit) for layer in timed}
            with self._lock:
                if first:  # a later pass leaves the cost alone: by then finished runs have refined it
                    self._seconds.setdefault((model, device), per_pixel[reference])
                    self._step[(model, device)] = fixed[reference]
                for layer in new:
                    self._layers[(model, device, layer)] = (per_pixel[layer] / per_pixel[reference], fixed[layer])

    def record_run(
        self, model: str, device: str, megapixel_steps: float, seconds: float, slowdown: float = 1.0
    ) -> None:
        """Fold a finished run into the model's cost on ``device``: a moving average over runs.

        ``megapixel_steps`` is :attr:`Estimate.megapixel_steps` (the work at the default layer's cost) and
        ``seconds`` the run's time less :attr:`Estimate.flow_seconds`; ``slowdown`` how many times longer than
        alone the machine's load made it (:meth:`.load.Load.slowdown`), so the table keeps a quiet machine's
        cost. The first run on a device whose cost is still a built-in default replaces the default.
        """
        if not (megapixel_steps > 0 and seconds > 0 and math.isfinite(seconds) and slowdown >= 1):
            return
        observed = seconds / megapixel_steps / slowdown
        key = (model, _device_type(device))
        with self._lock:
            previous = self._seconds.get(key)
            self._seconds[key] = observed if previous is None else previous + RUN_WEIGHT * (observed - previous)
            self._runs[key] = self._runs.get(key, 0) + 1

    def runs_recorded(self, model: str, device: str) -> int:
        """How many finished runs have taught the model's cost on ``device`` in this process."""
        with self._lock:
            return self._runs.get((model, _device_type(device)), 0)


# The process's table: every request's estimate and finished run goes through it.
COSTS = CostTable()


def record_run(model: str, device: str, megapixel_steps: float, seconds: float, slowdown: float = 1.0) -> None:
    """Fold a finished run into this process's costs; see :meth:`CostTable.record_run`."""
    COSTS.record_run(model, device, megapixel_steps, seconds, slowdown)


def _time_steps(dreamer: Dreamer, keys: list[tuple[str, int]]) -> dict[tuple[str, int], float]:
    """Median seconds of a step for each (layer, side), the runs taking turns step by step."""
    runs: dict[Any, Generator[DreamProgress, None, None]] = {
        key: dreamer.dream_frames(None, _calibration_settings(*key), preview_every=0) for key in keys
    }
    times: dict[tuple[str, int], list[float]] = {key: [] for key in keys}
    try:
        for _ in range(CALIBRATION_WARMUP):  # untimed: a new size costs extra on its first steps
            for run in runs.values():
                next(run)
        for _ in range(CALIBRATION_STEPS):
            for key, run in runs.items():
                start = time.perf_counter()
                next(run)  # one step
                if dreamer.device.type == "cuda":  # CUDA graphs' steps do not wait for the device on their own
                    torch.cuda.synchronize(dreamer.device)
                times[key].append(time.perf_counter() - start)
    finally:
        for run in runs.values():
            run.close()
    return {key: statistics.median(samples) for key, samples in times.items()}


def _calibration_settings(layer: str, side: int) -> DreamSettings:
    steps = CALIBRATION_WARMUP + CALIBRATION_STEPS
    if layer == LOGITS:  # the default layer plus a class: the whole network runs
        return DreamSettings(class_target="0", octaves=1, steps=steps, max_size=side, seed=0)
    return DreamSettings(layers=(LayerTarget(layer),), octaves=1, steps=steps, max_size=side, seed=0)


def _device_type(device: str) -> str:
    return device.split(":")[0]
