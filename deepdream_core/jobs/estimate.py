"""About how long a dream will take, before it runs, and how long to ask ZeroGPU for.

A dream's work is counted in megapixel-steps: the sum over its octaves of the octave's pixels (in
millions) times the steps, with the same octave sizes the loop uses. Every step also has a cost that
does not grow with the image (Python, kernel launches, small tensors): it is counted as a model's
``step_megapixels`` more pixels per step, which matters for small octaves and on GPUs. A deeper layer
costs more (the network runs further), so the work is weighted by the layer's cost relative to the
model's default layer, per pixel and per step. Settings that make every step dearer (wrap-around
padding, transformation robustness, on a CPU tiles above 512 px square) multiply it. The time is the work
times the model's seconds per megapixel-step on this device, from :mod:`.costs`: built-in defaults,
then a short timed pass on this device (done on first use when the estimate is given the
:class:`~deepdream_core.dreaming.loop.Dreamer` that will run), then every finished run (:mod:`.timing`). That is
a quiet machine's time; :meth:`Estimate.under` gives it on a machine as busy as :mod:`.load` measures.

:func:`spaces_duration` turns an estimate into the seconds a ``@spaces.GPU`` function asks for.
Left out, as small next to the load of a shared machine: a precision other than ``auto``, the guide
image's one forward pass, the mask, and the first step at a new size (about one more step's time on a
CPU, once per size and process). Nothing here imports gradio or spaces.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..dreaming.devices import resolve_device
from ..dreaming.images import fitted_size
from ..dreaming.objectives import LOGITS
from ..dreaming.settings import DreamSettings, LayerTarget
from ..dreaming.tiles import planned_tile_size
from ..dreaming.transforms import octave_sizes, spanned_wrap, tile_slices
from ..models.zoo import get_spec
from ..motion.animation import AnimationSettings, feedback_settings
from ..motion.video import VideoSettings, carried_settings
from .costs import COSTS, CostTable
from .load import Load

if TYPE_CHECKING:
    from ..dreaming.dreamer import Dreamer

# A video frame that starts from the previous dream first pays for two optical flows, a warp and a
# reliability check (motion.video.carry_over) on the CPU, whatever device dreams: 0.31-0.36 s per megapixel
# of thread CPU time on one thread here (240 and 480 px frames), the high end kept.
FLOW_SECONDS_PER_MEGAPIXEL = 0.36
# What an option adds to every step, as a factor of the step's cost: the bundled model on this 2-core
# CPU, 180 to 1024 px, medians of interleaved steps (other devices not measured). Wrap-around padding
# copies each feature map before every padded convolution and pool (x: 1.4-1.7x, xy: 1.55-1.9x);
# transformation robustness resamples the view and its gradient (1.07-1.14x). The others (smoothing,
# the Laplacian or Fourier step, keep_colors) stay within 5 %.
WRAP_COST = {"none": 1.0, "x": 1.6, "xy": 1.75}
TRANSFORM_ROBUSTNESS_COST = 1.1
# On a CPU, tiles larger than the default 512 px square cost more per pixel: their feature maps no longer
# fit the caches (a 1024 px image in one tile took 1.35-2.1x as long per step as in four 512 px tiles).
# A GPU is the other way round (fewer passes, see deepdream_core.dreaming.tiles), and its costs were
# measured with 2048 px tiles.
LARGE_TILE_PIXELS = 512 * 512
LARGE_TILE_COST = 1.35


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
    # How many times longer than on a quiet machine ``seconds`` counts (see :meth:`under`); 1 unless asked.
    slowdown: float = 1.0
    # A photo or noise dream's work of one step in each octave, smallest first (``steps`` of each make
    # ``megapixel_steps``): how far along a run is by its octave and step (:meth:`share_done`).
    octave_work: tuple[float, ...] = ()
    steps: int = 0

    def under(self, load: Load, alongside: int = 0) -> Estimate:
        """This estimate on a machine with ``load``, ``alongside`` more dreams of this process running beside it."""
        factor = load.slowdown(self.device, alongside)
        scale = factor / self.slowdown
        return replace(self, seconds=self.seconds * scale, flow_seconds=self.flow_seconds * scale, slowdown=factor)

    def share_done(self, octave: int, step: int, done: int, total: int) -> float:
        """The share of the work done once ``step`` of ``octave`` (both 1-based; ``done`` of ``total`` steps) is:
        later octaves are larger, so a step there counts for more. Without octaves, the share of the steps."""
        if len(self.octave_work) < octave or self.steps <= 0:
            return done / total if total else 0.0
        finished = sum(self.octave_work[: octave - 1]) * self.steps + self.octave_work[octave - 1] * step
        return min(1.0, finished / (sum(self.octave_work) * self.steps))


def about(seconds: float) -> str:
    """A duration as a person would say it: "under a second", "about 6 s", "about 3 min"."""
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {round(seconds)} s"
    return f"about {round(seconds / 60)} min"


# -- the work ---------------------------------------------------------------------------------------


def working_size(settings: DreamSettings, size: tuple[int, int] | None) -> tuple[int, int]:
    """(width, height) the loop dreams at: the image fitted to ``max_size``, or noise ``max_size`` square."""
    if size is None:
        return settings.max_size, settings.max_size
    return fitted_size(size, settings.max_size)


def megapixel_steps(
    settings: DreamSettings,
    size: tuple[int, int],
    min_side: int = 32,
    step_megapixels: float = 0.0,
    device: str = "cpu",
) -> float:
    """Sum over the octaves the loop runs of (octave pixels / 10^6 + ``step_megapixels``) x steps,
    at working size ``size`` (width, height), times what the options add on ``device`` (:func:`option_cost`)."""
    return sum(octave_steps(settings, size, min_side, step_megapixels, device)) * settings.steps


def octave_steps(
    settings: DreamSettings,
    size: tuple[int, int],
    min_side: int = 32,
    step_megapixels: float = 0.0,
    device: str = "cpu",
) -> list[float]:
    """The work of one step in each octave the loop runs, smallest first (see :func:`megapixel_steps`)."""
    width, height = size
    sizes = octave_sizes((height, width), settings.octaves, settings.octave_scale, min_side)
    return [(h * w / 1e6 + step_megapixels) * option_cost(settings, (w, h), device) for h, w in sizes]


def option_cost(settings: DreamSettings, octave: tuple[int, int], device: str = "cpu") -> float:
    """What the settings that change a step's cost per pixel multiply it by, at an octave of (width, height).

    Wrap-around padding runs only where one tile spans the wrapped axis, as in the loop. ``tile_size``
    "auto" counts as the device's usual tile (:func:`~deepdream_core.dreaming.tiles.planned_tile_size`).
    """
    width, height = octave
    tile = planned_tile_size(settings.tile_size, device)
    columns, rows = len(tile_slices(width, tile)), len(tile_slices(height, tile))
    wrap = spanned_wrap(settings.wrap, spans_x=columns == 1, spans_y=rows == 1)
    robustness = TRANSFORM_ROBUSTNESS_COST if settings.transform_robustness > 0 else 1.0
    large = device == "cpu" and width / columns * height / rows > LARGE_TILE_PIXELS
    return WRAP_COST[wrap] * robustness * (LARGE_TILE_COST if large else 1.0)


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
    octaves = [
        (part, [share * work for work in octave_steps(part, size, min_side, step / share, device)], count)
        for part, size, count in parts
        if count > 0
    ]
    work = sum(sum(steps) * part.steps * count for part, steps, count in octaves)
    cost, measured = costs.seconds_per_megapixel_step(model, device)
    # One dream (a photo, noise): its octaves, so a run can say how far along it is.
    single = len(parts) == 1 and parts[0][2] == 1
    return Estimate(
        seconds=work * cost + flow_seconds,
        megapixel_steps=work,
        model=model,
        device=device,
        measured=measured,
        flow_seconds=flow_seconds,
        octave_work=tuple(octaves[0][1]) if single else (),
        steps=settings.steps if single else 0,
    )


def _cost_layers(settings: DreamSettings, default_layer: str | None) -> list[str]:
    """The layers whose depth sets a step's cost: the network runs to the logits for a class target."""
    if settings.class_target is not None:
        return [LOGITS]
    targets = settings.layers or ((LayerTarget(default_layer),) if default_layer else ())
    return [target.layer for target in targets]


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


def spaces_duration(estimate: Estimate | Sequence[Estimate], max_seconds: int | None = None) -> int:
    """Whole seconds to ask ZeroGPU for: the estimate with a margin and the start-up overhead,
    at least :data:`GPU_MIN_SECONDS` and at most ``max_seconds`` (default :func:`gpu_max_seconds`).

    Several estimates: one call that dreams them one after another (a comparison sheet, an atlas).
    """
    cap = gpu_max_seconds() if max_seconds is None else max_seconds
    seconds = estimate.seconds if isinstance(estimate, Estimate) else sum(part.seconds for part in estimate)
    wanted = math.ceil(seconds * GPU_SAFETY_FACTOR + GPU_OVERHEAD_SECONDS)
    return min(cap, max(GPU_MIN_SECONDS, wanted))
