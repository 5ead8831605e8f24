"""About how long a dream will take, before it runs, and how long to ask ZeroGPU for.

A dream's work is counted in megapixel-steps: the sum over its octaves of the octave's pixels (in
millions) times the steps, with the same octave sizes the loop uses. Every step also has a cost that
does not grow with the image (Python, kernel launches, small tensors): it is counted as a model's
``step_megapixels`` more pixels per step, which matters for small octaves and on GPUs. A deeper layer
costs more (the network runs further), so the work is weighted by the layer's cost relative to the
model's default layer, per pixel and per step. Settings that make every step dearer (wrap-around
padding, transformation robustness, tiles above 512 px square) multiply it. The time is the work
times the model's seconds per megapixel-step on this device; these numbers come from

1. built-in defaults (:data:`DEFAULT_COSTS`), until
2. a short timed pass on this device (:meth:`CostTable.calibrate`, done on first use when the
   estimate is given the :class:`~deepdream_core.dreamer.Dreamer` that will run), and then
3. every finished run (:func:`record_run`), as a moving average.

:func:`spaces_duration` turns an estimate into the seconds a ``@spaces.GPU`` function asks for.
Left out, as small next to the load of a shared machine: a precision other than ``auto``, the guide
image's one forward pass, the mask, and the first step at a new size (about one more step's time on a
CPU, once per size and process). Nothing here imports gradio or spaces.
"""

from __future__ import annotations

import math
import os
import statistics
import threading
import time
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .devices import resolve_device
from .images import fitted_size
from .motion import AnimationSettings, VideoSettings, carried_settings, feedback_settings
from .objectives import LOGITS
from .settings import DreamSettings, LayerTarget
from .transforms import octave_sizes, spanned_wrap, tile_slices
from .zoo import get_spec

if TYPE_CHECKING:
    from .dreamer import Dreamer, DreamProgress


# The fixed cost of a step, in megapixels of work. CPU: the bundled model's one-thread step at 128 and
# 256 px (1.39 and 1.12 s per megapixel, median of 5 interleaved steps) fit t = a + b x pixels with
# a = 6 ms = 0.006 MP. GPU: a guess, not measured: eager PyTorch launches about a thousand small
# kernels per EfficientNet-Lite0 step, some 10 ms, as long as 0.5 MP of its pixel work.
CPU_STEP_MEGAPIXELS = 0.006
GPU_STEP_MEGAPIXELS = 0.5


@dataclass(frozen=True)
class DefaultCost:
    """What a model costs before anything was measured on this device.

    ``cpu`` and ``gpu`` are seconds per megapixel-step at the model's default layer, and ``*_step`` a
    step's fixed cost in megapixels; ``shares`` is the cost at another layer (or at
    :data:`~deepdream_core.objectives.LOGITS`, for a class target) relative to the default layer's. A
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
# GPU: a guess, not measured (no GPU was available): the CPU figure over 40. The first timed pass or
# finished run on a GPU replaces it.
DEFAULT_COSTS: dict[str, DefaultCost] = {
    "efficientnet_lite0": DefaultCost(
        cpu=0.56,
        gpu=0.56 / 40,
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
        gpu=0.52 / 40,
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
    "inception_v3": DefaultCost(
        cpu=0.64,
        gpu=0.64 / 40,
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
        gpu=2.9 / 40,
        shares={
            "features.8": 0.84,
            "features.15": 0.9,
            "features.22": 1.0,
            "features.29": 1.03,
        },
    ),
    "resnet50": DefaultCost(
        cpu=0.91,
        gpu=0.91 / 40,
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
UNKNOWN_MODEL_COST = DefaultCost(cpu=1.0, gpu=1.0 / 40)

# The timed pass: CALIBRATION_WARMUP untimed steps, then this many timed steps, on noise this many
# pixels square, each layer at both sizes (their difference is the cost per pixel, the rest the fixed
# cost of a step). About a second and a half for the bundled model on a CPU.
CALIBRATION_SIDES = (128, 384)
CALIBRATION_STEPS = 5
# Untimed steps first: in a fresh process the first two steps at a new size are slower (oneDNN builds
# its kernels, the allocator grows); with one, a cold pass read a step's fixed cost 40 % high.
CALIBRATION_WARMUP = 2
# A video frame that starts from the previous dream first pays for two optical flows, a warp and a
# reliability check (motion.carry_over) on the CPU, whatever device dreams: 0.31-0.36 s per megapixel
# of thread CPU time on one thread here (240 and 480 px frames), the high end kept.
FLOW_SECONDS_PER_MEGAPIXEL = 0.36
# What an option adds to every step, as a factor of the step's cost: the bundled model on this 2-core
# CPU, 180 to 1024 px, medians of interleaved steps (other devices not measured). Wrap-around padding
# copies each feature map before every padded convolution and pool (x: 1.4-1.7x, xy: 1.55-1.9x);
# transformation robustness resamples the view and its gradient (1.07-1.14x). The others (smoothing,
# the Laplacian or Fourier step, keep_colors) stay within 5 %.
WRAP_COST = {"none": 1.0, "x": 1.6, "xy": 1.75}
TRANSFORM_ROBUSTNESS_COST = 1.1
# Tiles larger than the default 512 px square cost more per pixel: their feature maps no longer fit
# the caches (a 1024 px image in one tile took 1.35-2.1x as long per step as in four 512 px tiles).
LARGE_TILE_PIXELS = 512 * 512
LARGE_TILE_COST = 1.35

# Weight of each finished run in the moving average: recent runs count most (the machine's load
# changes), one odd run moves the estimate by at most this share of its error.
RUN_WEIGHT = 0.3


@dataclass(frozen=True)
class Estimate:
    """About how long a dream takes on a device, and the work it was computed from."""

    seconds: float
    # The work in megapixel-steps at the model's default layer (a deeper layer counts for more, and
    # each step its fixed cost): pass it to :func:`record_run` with the real time when the run finishes.
    megapixel_steps: float
    model: str
    device: str  # "cpu", "cuda", "mps"
    # False while the cost is still a built-in default, not yet timed on this device.
    measured: bool
    # The part of ``seconds`` spent on a video's optical flow, on the CPU: leave it out of what record_run gets.
    flow_seconds: float = 0.0


def about(seconds: float) -> str:
    """A duration as a person would say it: "under a second", "about 6 s", "about 3 min"."""
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {round(seconds)} s"
    return f"about {round(seconds / 60)} min"


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

    def record_run(self, model: str, device: str, megapixel_steps: float, seconds: float) -> None:
        """Fold a finished run into the model's cost on ``device``: a moving average over runs.

        ``megapixel_steps`` is :attr:`Estimate.megapixel_steps` (the work at the default layer's cost) and
        ``seconds`` the run's time less :attr:`Estimate.flow_seconds`. The first run on a device whose
        cost is still a built-in default replaces the default.
        """
        if not (megapixel_steps > 0 and seconds > 0 and math.isfinite(seconds)):
            return
        observed = seconds / megapixel_steps
        key = (model, _device_type(device))
        with self._lock:
            previous = self._seconds.get(key)
            self._seconds[key] = observed if previous is None else previous + RUN_WEIGHT * (observed - previous)


# The process's table: every request's estimate and finished run goes through it.
COSTS = CostTable()


def record_run(model: str, device: str, megapixel_steps: float, seconds: float) -> None:
    """Fold a finished run into this process's costs; see :meth:`CostTable.record_run`."""
    COSTS.record_run(model, device, megapixel_steps, seconds)


# -- the work ---------------------------------------------------------------------------------------


def working_size(settings: DreamSettings, size: tuple[int, int] | None) -> tuple[int, int]:
    """(width, height) the loop dreams at: the image fitted to ``max_size``, or noise ``max_size`` square."""
    if size is None:
        return settings.max_size, settings.max_size
    return fitted_size(size, settings.max_size)


def megapixel_steps(
    settings: DreamSettings, size: tuple[int, int], min_side: int = 32, step_megapixels: float = 0.0
) -> float:
    """Sum over the octaves the loop runs of (octave pixels / 10^6 + ``step_megapixels``) x steps,
    at working size ``size`` (width, height), times what the options add (:func:`option_cost`)."""
    width, height = size
    sizes = octave_sizes((height, width), settings.octaves, settings.octave_scale, min_side)
    return sum((h * w / 1e6 + step_megapixels) * option_cost(settings, (w, h)) for h, w in sizes) * settings.steps


def option_cost(settings: DreamSettings, octave: tuple[int, int]) -> float:
    """What the settings that change a step's cost per pixel multiply it by, at an octave of (width, height).

    Wrap-around padding runs only where one tile spans the wrapped axis, as in the loop.
    """
    width, height = octave
    columns, rows = len(tile_slices(width, settings.tile_size)), len(tile_slices(height, settings.tile_size))
    wrap = spanned_wrap(settings.wrap, spans_x=columns == 1, spans_y=rows == 1)
    robustness = TRANSFORM_ROBUSTNESS_COST if settings.transform_robustness > 0 else 1.0
    large_tiles = LARGE_TILE_COST if width / columns * height / rows > LARGE_TILE_PIXELS else 1.0
    return WRAP_COST[wrap] * robustness * large_tiles


def estimate_dream(
    settings: DreamSettings,
    size: tuple[int, int] | None,
    dreamer: Dreamer | None = None,
    costs: CostTable | None = None,
) -> Estimate:
    """A photo dream: ``size`` is the photo's (width, height) before fitting, None for noise.

    With ``dreamer`` (the one that will run), its device is timed first if it was not yet.
    """
    return _estimate([(settings, working_size(settings, size), 1)], settings, dreamer, costs)


def estimate_animation(
    settings: DreamSettings,
    motion: AnimationSettings,
    size: tuple[int, int] | None,
    dreamer: Dreamer | None = None,
    costs: CostTable | None = None,
) -> Estimate:
    """A zoom animation: the first frame dreamed in full, the rest with the feedback octaves and steps."""
    frame = working_size(settings, size)
    parts = [(settings, frame, 1), (feedback_settings(settings, motion), frame, motion.frames - 1)]
    return _estimate(parts, settings, dreamer, costs)


def estimate_video(
    settings: DreamSettings,
    video: VideoSettings,
    frames: int,
    size: tuple[int, int],
    dreamer: Dreamer | None = None,
    costs: CostTable | None = None,
) -> Estimate:
    """A video of ``frames`` frames of ``size``: the first dreamed in full, the rest for the (1 - blend) share
    of the steps after an optical flow, all within the video's caps."""
    frames = min(frames, video.max_frames)
    frame = fitted_size(size, min(video.max_side, settings.max_size))
    parts = [(settings, frame, min(frames, 1)), (carried_settings(settings, video), frame, frames - 1)]
    carried = max(0, frames - 1) if video.blend > 0 else 0  # blend 0 dreams every frame on its own: no flow
    flow_seconds = carried * frame[0] * frame[1] / 1e6 * FLOW_SECONDS_PER_MEGAPIXEL
    return _estimate(parts, settings, dreamer, costs, flow_seconds)


def _estimate(
    parts: list[tuple[DreamSettings, tuple[int, int], int]],
    settings: DreamSettings,
    dreamer: Dreamer | None,
    costs: CostTable | None,
    flow_seconds: float = 0.0,
) -> Estimate:
    costs = costs or COSTS
    if dreamer is not None:
        model, device, min_side, default_layer = (
            dreamer.name,
            dreamer.device.type,
            dreamer.min_side,
            dreamer.default_layer,
        )
    else:
        spec = get_spec(settings.model)
        model, device, min_side, default_layer = (
            spec.name,
            resolve_device(settings.device).type,
            spec.min_side,
            spec.default_layer,
        )
    layers = _cost_layers(settings, default_layer)
    if dreamer is not None:
        costs.calibrate(dreamer, layers)
    share, step = costs.layer_cost(model, device, layers)
    work = share * sum(
        megapixel_steps(part, size, min_side, step / share) * count for part, size, count in parts if count > 0
    )
    cost, measured = costs.seconds_per_megapixel_step(model, device)
    return Estimate(
        seconds=work * cost + flow_seconds,
        megapixel_steps=work,
        model=model,
        device=device,
        measured=measured,
        flow_seconds=flow_seconds,
    )


def _cost_layers(settings: DreamSettings, default_layer: str | None) -> list[str]:
    """The layers whose depth sets a step's cost: the network runs to the logits for a class target."""
    if settings.class_target is not None:
        return [LOGITS]
    targets = settings.layers or ((LayerTarget(default_layer),) if default_layer else ())
    return [target.layer for target in targets]


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
                next(run)  # one step; the loss it reports has waited for the device
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


# -- ZeroGPU durations --------------------------------------------------------------------------------

GPU_MAX_SECONDS_VARIABLE = "DEEPDREAM_GPU_MAX_SECONDS"
# A free account's whole daily ZeroGPU quota is 3.5 minutes, an anonymous visitor's 2: a call asking for
# more than the quota left is refused, so a demo should not ask for much more than a photo needs.
DEFAULT_GPU_MAX_SECONDS = 120
# ZeroGPU stops a call that outlives its duration: ask for half again the estimate (which is good to
# about +/-30 %), plus what a call costs before the first step when it lands in a fresh GPU worker
# (CUDA context, cuDNN's algorithm search for each new size; rough, not measured here).
GPU_SAFETY_FACTOR = 1.5
GPU_OVERHEAD_SECONDS = 10
GPU_MIN_SECONDS = 15


def gpu_max_seconds() -> int:
    """The most a ``@spaces.GPU`` call asks for: ``DEEPDREAM_GPU_MAX_SECONDS``, default 120."""
    text = os.environ.get(GPU_MAX_SECONDS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_GPU_MAX_SECONDS
    if not text.isdigit() or int(text) < GPU_MIN_SECONDS:
        raise ValueError(
            f"{GPU_MAX_SECONDS_VARIABLE} must be a whole number of seconds, at least {GPU_MIN_SECONDS}, got {text!r}"
        )
    return int(text)


def spaces_duration(estimate: Estimate, max_seconds: int | None = None) -> int:
    """Whole seconds to ask ZeroGPU for: the estimate with a margin and the start-up overhead,
    at least :data:`GPU_MIN_SECONDS` and at most ``max_seconds`` (default :func:`gpu_max_seconds`)."""
    cap = gpu_max_seconds() if max_seconds is None else max_seconds
    wanted = math.ceil(estimate.seconds * GPU_SAFETY_FACTOR + GPU_OVERHEAD_SECONDS)
    return min(cap, max(GPU_MIN_SECONDS, wanted))
