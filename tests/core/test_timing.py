"""The timing of a run and the machine's load: every path's dream teaches the estimate, at a quiet machine's cost.

Real dreams with the bundled model (64 px, a few steps) through the CLI, the Python API, batch and the sheets; the
arithmetic of what a run teaches and of the load on made-up event streams and CPU counters (no timing asserted).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deepdream_core import DreamProgress, DreamSettings, dream, dream_frames
from deepdream_core.cli import main
from deepdream_core.dreaming.transforms import octave_sizes
from deepdream_core.jobs import timing
from deepdream_core.jobs.costs import COSTS, CostTable, DefaultCost
from deepdream_core.jobs.estimate import estimate_dream
from deepdream_core.jobs.load import QUIET, CpuMeter, Load
from deepdream_core.jobs.sheets import dream_variants, setting_variants
from deepdream_core.jobs.timing import Run, runs_in_progress, timed
from tests.support.photos import skimage_photo

LITE0 = "efficientnet_lite0"
TINY = DreamSettings(max_size=64, steps=3, octaves=2, seed=1, device="cpu")


def taught() -> int:
    return COSTS.runs_recorded(LITE0, "cpu")


def test_a_dream_from_every_path_teaches_the_estimate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI, the Python API (dream, dream_frames), batch and the sheets: each finished dream is one run taught."""
    monkeypatch.setattr(timing, "MIN_TIMED_S", 0.0)  # these dreams are tiny: taught however short
    monkeypatch.setattr(timing, "MIN_TIMED_MEGAPIXEL_STEPS", 0.0)
    photo = tmp_path / "in" / "chelsea.png"
    photo.parent.mkdir()
    skimage_photo("chelsea", 96).save(photo)
    quick = ["--max-size", "64", "--steps", "3", "--octaves", "2", "--quiet"]

    before = taught()
    assert main(["dream", str(photo), "-o", str(tmp_path / "cli.png"), *quick]) == 0
    assert taught() == before + 1, "the CLI's dream"
    dream(skimage_photo("chelsea", 64), TINY)
    assert taught() == before + 2, "the Python API's dream()"
    assert list(dream_frames(None, TINY, preview_every=0))[-1].final
    assert taught() == before + 3, "the Python API's dream_frames(), from noise"
    assert main(["batch", str(photo.parent), "-o", str(tmp_path / "out"), *quick]) == 0
    assert taught() == before + 4, "batch's dream"
    cells = list(dream_variants(skimage_photo("chelsea", 64), setting_variants(TINY, "steps", ["2", "3"])))
    assert len(cells) == 2 and taught() == before + 6, "a sheet's two dreams"


def steps(
    settings: DreamSettings, pause_s: float = 0.0, first_s: float = 0.0, times: list[float] | None = None
) -> Iterator[DreamProgress]:
    """The events a dream of ``settings`` yields, taking ``first_s`` for each octave's first step and ``pause_s``
    times the octave's share of the last octave's pixels for each other (the loop's shape without its work); when
    each was yielded goes to ``times``."""
    total, done = settings.octaves * settings.steps, 0
    side = settings.max_size
    pixels = [h * w for h, w in octave_sizes((side, side), settings.octaves, settings.octave_scale)]
    for octave in range(1, settings.octaves + 1):
        for step in range(1, settings.steps + 1):
            time.sleep(first_s if step == 1 else pause_s * pixels[octave - 1] / pixels[-1])
            done += 1
            if times is not None:
                times.append(time.monotonic())
            yield DreamProgress(octave, settings.octaves, step, settings.steps, done, total, 0.0, None)
    yield DreamProgress(
        settings.octaves, settings.octaves, settings.steps, settings.steps, total, total, 0.0, None, True
    )


def cost_table() -> CostTable:
    return CostTable({LITE0: DefaultCost(cpu=1.0, gpu=0.1, cpu_step=0.0, gpu_step=0.0)})


def test_a_run_teaches_from_after_its_first_step_at_a_quiet_machines_cost() -> None:
    """The first step (the model's load in a first dream) is left out, and the load as it ran is taken out."""
    settings = DreamSettings(max_size=512, steps=4, octaves=1, device="cpu")
    costs = cost_table()
    estimate = estimate_dream(settings, (512, 512), costs=costs)
    times: list[float] = []
    events = steps(settings, pause_s=0.2, first_s=0.5, times=times)
    busy = Load(others=2.0, cores=2.0, threads=2.0)  # every core wanted twice over: a dream takes twice as long
    assert list(timed(events, estimate, costs=costs, load=lambda: busy))[-1].final
    learned, measured = costs.seconds_per_megapixel_step(LITE0, "cpu")
    # The three steps after the first, of 512x512 pixels each, halved for the load; the slow first step not counted.
    expected = (times[-1] - times[0]) / (3 * 512 * 512 / 1e6) / 2
    assert measured and learned == pytest.approx(expected, rel=0.05)
    assert costs.runs_recorded(LITE0, "cpu") == 1


def test_a_run_teaches_nothing_from_an_octaves_first_step() -> None:
    """A step at a new size is slow the first time a process takes it: no octave's first step is timed."""
    settings = DreamSettings(max_size=512, steps=4, octaves=3, device="cpu")
    costs = cost_table()
    estimate = estimate_dream(settings, (512, 512), costs=costs)
    events = steps(settings, pause_s=0.2, first_s=0.6)
    assert list(timed(events, estimate, costs=costs, load=lambda: QUIET))[-1].final
    learned, measured = costs.seconds_per_megapixel_step(LITE0, "cpu")
    # Each timed step took 0.2 s per 512x512 pixels, whatever its octave; the 0.6 s first steps would triple it.
    assert measured and learned == pytest.approx(0.2 / (512 * 512 / 1e6), rel=0.1)


def test_a_run_too_short_or_too_small_to_time_teaches_nothing() -> None:
    """A quick run (a scheduler's pause would be much of it), or a tiny one (its steps' fixed cost would be)."""
    costs = cost_table()
    for settings, pause_s in (
        (DreamSettings(max_size=512, steps=4, octaves=1, device="cpu"), 0.0),  # 0.8 megapixel-steps at once
        (DreamSettings(max_size=64, steps=4, octaves=1, device="cpu"), 0.2),  # 0.6 s for 0.01 megapixel-steps
    ):
        estimate = estimate_dream(settings, (settings.max_size,) * 2, costs=costs)
        assert list(timed(steps(settings, pause_s), estimate, costs=costs, load=lambda: QUIET))[-1].final
    assert costs.runs_recorded(LITE0, "cpu") == 0 and not costs.seconds_per_megapixel_step(LITE0, "cpu")[1]


def test_a_stopped_run_teaches_nothing_and_leaves_the_runs_in_progress() -> None:
    settings = DreamSettings(max_size=64, steps=5, octaves=1, device="cpu")
    costs = cost_table()
    run = timed(
        steps(settings), estimate_dream(settings, (64, 64), costs=costs), key="mine", costs=costs, load=lambda: QUIET
    )
    next(run)
    assert [r.key for r in runs_in_progress("cpu") if r.key == "mine"] == ["mine"]
    run.close()  # Stop
    assert not [r for r in runs_in_progress() if r.key == "mine"] and costs.runs_recorded(LITE0, "cpu") == 0


def test_a_run_says_how_long_it_has_left_by_the_work_of_its_octaves() -> None:
    """Later octaves are larger: halfway through the steps is not halfway through the work."""
    settings = DreamSettings(max_size=512, steps=10, octaves=2, octave_scale=2.0, device="cpu")
    estimate = estimate_dream(settings, (512, 512), costs=cost_table())
    assert estimate.share_done(1, 10, 10, 20) == pytest.approx(0.2, abs=0.01)  # 256 px octave: a fifth of the work
    assert estimate.share_done(2, 10, 20, 20) == 1.0
    run = Run(estimate, started=100.0)
    assert run.remaining(now=100.0) == pytest.approx(estimate.seconds)  # nothing done: the estimate
    run.first_step, run.first_share, run.share = 101.0, 0.02, 0.5
    # Past the share it trusts, the run's own pace: 0.48 of the work in 9 s, so 0.5 more takes about 9.4 s.
    assert run.remaining(now=110.0) == pytest.approx(9 / 0.48 * 0.5)


def test_the_load_is_other_processes_cpu_and_this_processs_dreams_alongside() -> None:
    load = Load(others=1.0, cores=2.0, threads=2.0)
    assert load.slowdown("cpu") == pytest.approx(1.5)  # two cores wanted by this dream, one by others
    assert load.slowdown("cpu", alongside=1) == pytest.approx(2.5)
    assert Load(others=0.0, cores=4.0, threads=2.0).slowdown("cpu", alongside=1) == 1.0  # room for both
    assert load.slowdown("cuda:0", alongside=2) == 3.0  # a GPU is shared by the dreams on it, not the CPU's load
    settings = DreamSettings(max_size=64, steps=2, octaves=1, device="cpu")
    quiet = estimate_dream(settings, (64, 64), costs=cost_table())
    busy = quiet.under(load, alongside=1)
    assert busy.seconds == pytest.approx(quiet.seconds * 2.5) and busy.slowdown == 2.5
    assert busy.under(QUIET).seconds == pytest.approx(quiet.seconds)  # back to a quiet machine


def test_the_meter_counts_the_cpu_time_other_processes_took() -> None:
    """Counters that say the machine was busy 1.5 cores more than this process over the window read as 1.5 cores."""
    started = time.monotonic()
    clock = {"busy": 1000.0}

    def busy() -> float:  # the machine's CPU seconds: this process's own, plus 1.5 cores of others since the start
        return clock["busy"] + time.process_time() + 1.5 * (time.monotonic() - started)

    meter = CpuMeter(read_busy=busy, cores=2.0)
    first = meter.load()  # no sample yet: two taken a quarter of a second apart
    assert first.others == pytest.approx(1.5, abs=0.2) and first.cores == 2.0
    time.sleep(1.1)
    assert meter.load().others == pytest.approx(1.5, abs=0.1)
    assert meter.load(wait=False).others == pytest.approx(1.5, abs=0.1)  # the last window, no waiting
    assert CpuMeter(read_busy=lambda: None, cores=2.0).load().others == 0.0  # no counters: none seen
