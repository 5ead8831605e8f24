"""The time estimate: the work the loop will do, its cost on a device, and ZeroGPU durations.

The arithmetic is checked on known settings with cost tables made for the test (no timing). The
work is checked against the real loop (the octave sizes a tiny CNN is dreamed at), and calibration
against the bundled model, without asserting how fast anything ran.
"""

from __future__ import annotations

import math

import pytest
from torch import nn

from deepdream_core import ZOO, AnimationSettings, Dreamer, DreamSettings, LayerTarget, VideoSettings, get_dreamer
from deepdream_core.dreaming.objectives import LOGITS
from deepdream_core.jobs.costs import DEFAULT_COSTS, CostTable, DefaultCost
from deepdream_core.jobs.estimate import (
    FLOW_SECONDS_PER_MEGAPIXEL,
    GPU_MIN_SECONDS,
    Estimate,
    about,
    estimate_animation,
    estimate_dream,
    estimate_video,
    gpu_max_seconds,
    megapixel_steps,
    spaces_duration,
)
from tests.support.photos import skimage_photo

LITE0 = "efficientnet_lite0"
# 512, 366, 261 and 187 px squares (octave_scale 1.4), 10 steps each.
DEFAULT_512_MPS = (512**2 + 366**2 + 261**2 + 187**2) / 1e6 * 10


def table(cpu: float = 2.0, shares: dict[str, float] | None = None, step: float = 0.0) -> CostTable:
    """A cost table for the bundled model with round numbers, so the expected times are plain arithmetic."""
    return CostTable({LITE0: DefaultCost(cpu=cpu, gpu=cpu / 10, shares=shares or {}, cpu_step=step, gpu_step=step)})


def seconds(
    settings: DreamSettings, size: tuple[int, int] | None = (512, 512), costs: CostTable | None = None
) -> float:
    return estimate_dream(settings, size, costs=costs or table()).seconds


CPU = DreamSettings(device="cpu")


# -- the work -----------------------------------------------------------------------------------------


def test_work_is_the_octaves_pixels_times_the_steps() -> None:
    assert megapixel_steps(CPU, (512, 512)) == pytest.approx(DEFAULT_512_MPS)
    estimate = estimate_dream(CPU.replace(max_size=512), (512, 512), costs=table(cpu=2.0))
    assert estimate == Estimate(
        seconds=pytest.approx(2.0 * DEFAULT_512_MPS),
        megapixel_steps=pytest.approx(DEFAULT_512_MPS),
        model=LITE0,
        device="cpu",
        measured=False,
        # Each octave's work of one step, smallest first: how far along a run is (see share_done).
        octave_work=pytest.approx([side**2 / 1e6 for side in (187, 261, 366, 512)]),
        steps=10,
    )


@pytest.mark.parametrize(
    ("size", "settings", "min_side"),
    [
        ((160, 106), DreamSettings(octaves=4, steps=2), 32),
        ((160, 106), DreamSettings(octaves=3, octave_scale=2.0, steps=1), 32),  # the 40x26 octave is skipped
        ((100, 67), DreamSettings(octaves=4, steps=1), 50),  # min_side leaves the full size alone
    ],
)
def test_work_counts_the_pixels_the_loop_dreams(
    tiny_cnn: nn.Module, size: tuple[int, int], settings: DreamSettings, min_side: int
) -> None:
    """Every step's full-size preview shows the octave it dreamed: their pixels add up to the work."""
    photo = skimage_photo("chelsea", max(size))
    assert photo.size == size
    dreamer = Dreamer(tiny_cnn, default_layer="conv3", min_side=min_side)
    *steps, _last_step, result = dreamer.dream_frames(photo, settings.replace(max_size=max(size)), preview_every=1)
    pictures = [event.image for event in steps] + [result.image]  # the last step's picture is the result
    assert megapixel_steps(settings, size, min_side) * 1e6 == pytest.approx(sum(i.width * i.height for i in pictures))


def test_every_step_adds_its_fixed_cost() -> None:
    """512, 366, 261 and 187 px octaves: four octaves of 10 steps, each step 0.01 MP more."""
    with_step = seconds(CPU, costs=table(cpu=2.0, step=0.01))
    assert with_step == pytest.approx(2.0 * (DEFAULT_512_MPS + 4 * 10 * 0.01))
    assert megapixel_steps(CPU, (512, 512), step_megapixels=0.01) == pytest.approx(DEFAULT_512_MPS + 0.4)


def test_photos_are_fitted_to_max_size_and_noise_is_max_size_square() -> None:
    settings = CPU.replace(max_size=512)
    assert seconds(settings, (1024, 768)) == seconds(settings, (512, 384))
    assert seconds(settings, (300, 200)) == pytest.approx(2.0 * megapixel_steps(settings, (300, 200)))  # not enlarged
    assert seconds(settings, None) == seconds(settings, (512, 512))


def test_more_steps_pixels_or_octaves_take_longer() -> None:
    for low, high in [
        (CPU.replace(steps=5), CPU.replace(steps=6)),
        (CPU.replace(max_size=256), CPU.replace(max_size=257)),
        (CPU.replace(octaves=2), CPU.replace(octaves=3)),
        (CPU.replace(octave_scale=2.0), CPU.replace(octave_scale=1.5)),
    ]:
        assert seconds(low, None) < seconds(high, None), (low, high)


def test_octaves_smaller_than_the_model_takes_add_nothing() -> None:
    """Inception v3 skips octaves under 75 px: a fifth octave of a 100 px photo is not dreamed."""
    settings = DreamSettings(model="inception_v3", device="cpu", max_size=100)
    costs = CostTable({"inception_v3": DefaultCost(cpu=1.0, gpu=0.1, cpu_step=0.0)})
    one, five = (estimate_dream(settings.replace(octaves=n), (100, 100), costs=costs).seconds for n in (1, 5))
    assert one == five == pytest.approx(100 * 100 / 1e6 * settings.steps)


def test_deeper_layers_and_class_targets_cost_more_and_the_deepest_layer_decides() -> None:
    costs = table(cpu=1.0, shares={"blocks.1": 0.5, "blocks.5": 1.2, LOGITS: 1.5})
    at = {name: seconds(CPU.replace(layers=(LayerTarget(name),)), costs=costs) for name in ("blocks.1", "blocks.4")}
    assert at["blocks.1"] == pytest.approx(0.5 * DEFAULT_512_MPS)
    assert at["blocks.4"] == seconds(CPU, costs=costs)  # the default layer, not listed: 1.0
    both = CPU.replace(layers=(LayerTarget("blocks.1"), LayerTarget("blocks.5", 0.3)))
    assert seconds(both, costs=costs) == pytest.approx(1.2 * at["blocks.4"])
    assert seconds(CPU.replace(class_target="tabby cat"), costs=costs) == pytest.approx(1.5 * at["blocks.4"])


@pytest.mark.parametrize("name", ZOO)
def test_every_zoo_model_has_built_in_costs_for_every_layer_growing_with_depth(name: str) -> None:
    spec, cost = ZOO[name], DEFAULT_COSTS[name]
    layers = [layer.path for layer in spec.layers] + ([LOGITS] if spec.class_names else [])
    assert set(cost.shares) == set(layers)
    shares = [cost.shares[layer] for layer in layers]  # the zoo lists layers shallow to deep
    assert shares == sorted(shares) and cost.shares[spec.default_layer] == 1.0
    assert 0 < cost.gpu < cost.cpu


# -- motion -------------------------------------------------------------------------------------------


def test_an_animation_is_its_first_frame_then_cheaper_feedback_frames() -> None:
    settings = CPU.replace(octaves=4, steps=10, max_size=384)
    motion = AnimationSettings(frames=5, feedback_octaves=2, feedback_steps=5)
    photo = (600, 400)
    first = seconds(settings, photo)
    later = seconds(settings.replace(octaves=2, steps=5), photo)
    assert estimate_animation(settings, motion, photo, costs=table()).seconds == pytest.approx(first + 4 * later)
    assert estimate_animation(settings, AnimationSettings(frames=1), photo, costs=table()).seconds == pytest.approx(
        first
    )
    # Settings already below the feedback caps: every frame costs the same.
    light = settings.replace(octaves=1, steps=3)
    assert estimate_animation(light, motion, None, costs=table()).seconds == pytest.approx(5 * seconds(light, None))


def test_a_video_dreams_later_frames_for_the_rest_of_the_steps_after_an_optical_flow() -> None:
    settings = CPU.replace(steps=10, max_size=768)
    clip = (480, 270)
    full = seconds(settings, clip)
    blended = estimate_video(settings, VideoSettings(blend=0.6), 12, clip, costs=table())
    flow = 11 * 480 * 270 / 1e6 * FLOW_SECONDS_PER_MEGAPIXEL
    assert blended.flow_seconds == pytest.approx(flow)
    assert blended.seconds == pytest.approx(full + 11 * seconds(settings.replace(steps=4), clip) + flow)
    alone = estimate_video(settings, VideoSettings(blend=0.0), 12, clip, costs=table())
    assert alone.seconds == pytest.approx(12 * full) and alone.flow_seconds == 0  # no flow without a blend


def test_a_video_estimate_keeps_to_the_videos_caps() -> None:
    settings = CPU.replace(steps=6, max_size=768)
    video = VideoSettings(blend=0.0, max_frames=10, max_side=240)
    capped = estimate_video(settings, video, 50, (1920, 1080), costs=table())
    assert capped.seconds == pytest.approx(10 * seconds(settings, (240, 135)))
    assert estimate_video(settings, video, 1, (1920, 1080), costs=table()).seconds == pytest.approx(
        seconds(settings, (240, 135))
    )


# -- costs: built in, timed on this device, refined by runs ----------------------------------------------


def test_finished_runs_replace_the_default_then_move_the_cost_as_a_moving_average() -> None:
    costs = table(cpu=2.0)
    assert costs.seconds_per_megapixel_step(LITE0, "cpu") == (2.0, False)
    costs.record_run(LITE0, "cpu", megapixel_steps=10.0, seconds=5.0)
    assert costs.seconds_per_megapixel_step(LITE0, "cpu") == (0.5, True)
    costs.record_run(LITE0, "cpu", megapixel_steps=10.0, seconds=15.0)
    assert costs.seconds_per_megapixel_step(LITE0, "cpu") == (pytest.approx(0.5 + 0.3 * (1.5 - 0.5)), True)
    costs.record_run(LITE0, "cpu", megapixel_steps=0.0, seconds=3.0)  # nothing was dreamed: ignored
    assert costs.seconds_per_megapixel_step(LITE0, "cpu")[0] == pytest.approx(0.8)
    assert costs.seconds_per_megapixel_step(LITE0, "cuda") == (0.2, False)  # per device
    costs.record_run(LITE0, "cuda:0", megapixel_steps=4.0, seconds=1.0)
    assert costs.seconds_per_megapixel_step(LITE0, "cuda") == (0.25, True)


def test_a_run_recorded_from_an_estimate_makes_the_next_estimate_match_it() -> None:
    costs = table(cpu=2.0, shares={"blocks.6": 1.5})
    settings = CPU.replace(layers=(LayerTarget("blocks.6"),))
    first = estimate_dream(settings, (640, 480), costs=costs)
    costs.record_run(first.model, first.device, first.megapixel_steps, seconds=3.0)
    assert estimate_dream(settings, (640, 480), costs=costs).seconds == pytest.approx(3.0)


def test_first_use_with_a_dreamer_times_it_once_on_its_device() -> None:
    costs = table(cpu=1000.0)  # a default no CPU is that slow: a measured cost replaces it
    dreamer = get_dreamer(LITE0, "cpu")
    settings = CPU.replace(layers=(LayerTarget("blocks.2"),))
    assert not costs.is_calibrated(LITE0, "cpu", ["blocks.2"])
    first = estimate_dream(settings, (512, 512), dreamer=dreamer, costs=costs)
    assert first.measured and costs.is_calibrated(LITE0, "cpu", ["blocks.2"])
    cost, measured = costs.seconds_per_megapixel_step(LITE0, "cpu")
    assert measured and 0 < cost < 1000.0 and math.isfinite(first.seconds)
    share, step = costs.layer_cost(LITE0, "cpu", ["blocks.2"])  # timed too, per pixel and per step
    assert 0 < share < 1 and 0 <= step < math.inf  # a shallower layer than the default (blocks.4)
    # Timed once: a second estimate reuses the measurement exactly.
    assert estimate_dream(settings, (512, 512), dreamer=dreamer, costs=costs) == first
    # A class target runs the whole network: the logits are timed when first asked for, and that pass
    # leaves the cost that finished runs refined alone.
    costs.record_run(LITE0, "cpu", megapixel_steps=1.0, seconds=123.0)
    refined = costs.seconds_per_megapixel_step(LITE0, "cpu")
    estimate_dream(CPU.replace(class_target="tabby cat"), (512, 512), dreamer=dreamer, costs=costs)
    assert costs.is_calibrated(LITE0, "cpu", [LOGITS]) and costs.seconds_per_megapixel_step(LITE0, "cpu") == refined


# -- ZeroGPU durations ----------------------------------------------------------------------------------


def estimate_of(seconds: float) -> Estimate:
    return Estimate(seconds=seconds, megapixel_steps=1.0, model=LITE0, device="cuda", measured=True)


def test_wrap_and_transformation_robustness_cost_more_per_step_and_the_others_do_not() -> None:
    def seconds(**changes: object) -> float:
        return estimate_dream(DreamSettings(max_size=256).replace(**changes), (256, 256)).seconds

    assert seconds() < seconds(transform_robustness=0.5) < seconds(wrap="x") < seconds(wrap="xy")
    # As in the loop, an octave in several tiles does not wrap: only the octaves of up to 128 px cost more.
    assert seconds() < seconds(wrap="xy", tile_size=128) < seconds(wrap="xy")
    for same in ({"gradient_norm": "laplacian"}, {"keep_colors": True}, {"smoothing": 2.0}):
        assert seconds(**same) == seconds()


def test_tiles_larger_than_512_px_cost_more_per_pixel() -> None:
    def seconds(tile_size: int) -> float:
        return estimate_dream(DreamSettings(max_size=1024, octaves=1, tile_size=tile_size), (1024, 1024)).seconds

    assert seconds(1024) == pytest.approx(seconds(512) * 1.35, rel=0.01)
    assert seconds(256) == seconds(512)


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0.2, "under a second"), (1.0, "about 1 s"), (6.4, "about 6 s"), (89, "about 89 s"), (200, "about 3 min")],
)
def test_a_duration_is_said_as_a_person_would(seconds: float, said: str) -> None:
    assert about(seconds) == said


def test_durations_add_a_margin_and_the_start_up_then_keep_to_the_floor_and_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DEEPDREAM_GPU_MAX_SECONDS", raising=False)
    assert spaces_duration(estimate_of(20.0)) == math.ceil(20.0 * 1.5 + 10) == 40
    assert spaces_duration(estimate_of(0.2)) == GPU_MIN_SECONDS
    assert spaces_duration(estimate_of(500.0)) == gpu_max_seconds() == 120
    assert spaces_duration(estimate_of(500.0), max_seconds=300) == 300
    monkeypatch.setenv("DEEPDREAM_GPU_MAX_SECONDS", "60")
    assert spaces_duration(estimate_of(500.0)) == 60
    assert isinstance(spaces_duration(estimate_of(33.3)), int)


@pytest.mark.parametrize("value", ["abc", "-5", "1.5", "3"])
def test_a_bad_gpu_time_limit_says_what_is_allowed(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DEEPDREAM_GPU_MAX_SECONDS", value)
    with pytest.raises(
        ValueError,
        match=f"DEEPDREAM_GPU_MAX_SECONDS must be a whole number of seconds, at least {GPU_MIN_SECONDS}, got '{value}'",
    ):
        spaces_duration(estimate_of(1.0))
