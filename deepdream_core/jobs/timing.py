"""The timing of a run: every photo dream, from any path, teaches the time estimate how long dreams take here.

:func:`timed` wraps a dream's progress: it keeps the run in this process's list of runs in progress
(:func:`runs_in_progress`: what the load counts as dreams running alongside, and what a queue reads to say how long
is left), and when the run ends, folds its time into the cost table (:meth:`.costs.CostTable.record_run`), timed
over the steps that are not an octave's first and taken back to a quiet machine's time by the load measured while
it ran. The public :func:`dream` and :func:`dream_frames` go through it, and so do the CLI, batch, the sheets and
the app.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import Image

from ..dreaming.settings import DreamSettings
from .costs import COSTS, CostTable
from .estimate import Estimate, estimate_dream
from .load import Load, current_load

if TYPE_CHECKING:
    from ..dreaming.dreamer import Dreamer
    from ..dreaming.loop import DreamProgress

# The load is read at the end of the first step, then at most this often, and at the end: each read costs about
# 0.1 ms (two counters), and a run's load changes over seconds.
LOAD_EVERY_S = 2.0
# A run whose steps after the first took less than this, or did less work (megapixel-steps), teaches nothing: a
# pause of the machine's scheduler, a garbage collection or a preview's encoding (tens of milliseconds) would be a
# large share of it, or the fixed cost of its steps (which a cost per megapixel models only roughly) most of it,
# and one run replaces a built-in cost whole. A visitor's default dream is about 5 megapixel-steps and seconds
# long; the app's own tests dream 64 px (0.01 megapixel-steps a step).
MIN_TIMED_S = 0.5
MIN_TIMED_MEGAPIXEL_STEPS = 0.25
# A run's own pace is trusted fully once this share of its work after its first step is done; before, its remaining
# time blends the pace with the estimate.
PACE_TRUSTED_SHARE = 0.2


@dataclass
class Run:
    """A photo dream in progress in this process: what it was estimated at, and how far it is."""

    estimate: Estimate  # on a quiet machine
    key: str | None = None  # the caller's name for it (the app: its queue's event id)
    started: float = field(default_factory=time.monotonic)
    first_step: float | None = None  # when its first step ended (the model is loaded by then)
    first_share: float = 0.0  # the share of the work done by then
    share: float = 0.0  # the share of the work done now
    # The time and share of the work of the steps that teach the cost table: every step but an octave's first.
    timed_s: float = 0.0
    timed_share: float = 0.0
    slowdowns: list[float] = field(default_factory=list)  # the load's slowdown, read as it ran

    def remaining(self, now: float | None = None) -> float:
        """Seconds until it ends: the estimate (at the load measured so far) less the time it has run, giving way to
        its own pace as the work after its first step grows (the first steps at a new size are slow and noisy)."""
        now = time.monotonic() if now is None else now
        slowdown = self.slowdowns[-1] if self.slowdowns else 1.0
        planned = max(0.0, self.estimate.seconds * slowdown * (1.0 - self.share) - (now - self.started))
        if self.first_step is None or self.share <= self.first_share:
            return planned
        paced = (now - self.first_step) / (self.share - self.first_share) * (1.0 - self.share)
        trust = min(1.0, (self.share - self.first_share) / PACE_TRUSTED_SHARE)
        return trust * paced + (1.0 - trust) * planned


_RUNS: list[Run] = []
_RUNS_LOCK = threading.Lock()


def runs_in_progress(device: str | None = None) -> list[Run]:
    """The dreams this process is running now (on ``device``'s type, if given), oldest first."""
    with _RUNS_LOCK:
        return [run for run in _RUNS if device is None or run.estimate.device == device.split(":")[0]]


def timed(
    events: Iterator[DreamProgress],
    estimate: Estimate,
    key: str | None = None,
    costs: CostTable | None = None,
    load: Callable[[], Load] = current_load,
) -> Iterator[DreamProgress]:
    """``events`` (a dream's progress, as the loop yields it) passed through, the run timed on the way.

    When the final event comes, the cost table (``costs``, default this process's) learns from every step but an
    octave's first: the first dream of a process also loads the model (a 3-step 128 px first dream took 7.9 s
    here, 5.7 s of it up to the end of the first step; timed whole, it taught a cost 2.4 times too high), and the
    first step at a new size is slow the first time a process takes it (the Caffe GoogLeNet's first 256 px dream:
    59, 81 and 112 ms for the later octaves' first steps against 27, 40 and 70 for the others; timed with them, its
    next look at 512 px was estimated 29 % long). It learns from the machine's ``load`` as it ran too, so the
    table keeps a quiet machine's cost. ``estimate`` is the dream's, on a quiet machine.
    """
    run = Run(estimate, key)
    with _RUNS_LOCK:
        _RUNS.append(run)
    last_read = last_event = 0.0
    try:
        for event in events:
            now = time.monotonic()
            share = estimate.share_done(event.octave, event.step, event.done, event.total)
            if run.first_step is None:
                run.first_step, run.first_share = now, share
            elif event.step > 1:
                run.timed_s += now - last_event
                run.timed_share += share - run.share
            run.share, last_event = share, now
            if event.final or now - last_read >= LOAD_EVERY_S:
                alongside = len(runs_in_progress(estimate.device)) - 1  # this process's other dreams
                run.slowdowns.append(load().slowdown(estimate.device, alongside))
                last_read = now
            if event.final:
                _learn(run, costs or COSTS)
            yield event
    finally:
        with _RUNS_LOCK:
            _RUNS.remove(run)


def _learn(run: Run, costs: CostTable) -> None:
    estimate = run.estimate
    seconds, work = run.timed_s, estimate.megapixel_steps * run.timed_share  # a one-step dream: none timed
    if seconds < MIN_TIMED_S or work < MIN_TIMED_MEGAPIXEL_STEPS:
        return
    costs.record_run(estimate.model, estimate.device, work, seconds, _mean(run.slowdowns))


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 1.0


# -- the public ways to dream with a zoo model, timed ------------------------------------------------------


def dream_frames(
    image: Image.Image | None,
    settings: DreamSettings,
    guide: Image.Image | None = None,
    mask: Image.Image | None = None,
    preview_every: int = 1,
    preview_size: int | None = None,
) -> Iterator[DreamProgress]:
    """Dream with the zoo model named in ``settings``, streaming progress (see
    :meth:`~deepdream_core.dreaming.dreamer.Dreamer.dream_frames`); the run teaches the time estimate."""
    from ..dreaming.cache import dream_frames as untimed

    events = untimed(image, settings, guide, mask, preview_every, preview_size)
    yield from timed(events, estimate_dream(settings, image.size if image is not None else None))


def dream(
    image: Image.Image | None,
    settings: DreamSettings | None = None,
    guide: Image.Image | None = None,
    mask: Image.Image | None = None,
) -> Image.Image:
    """Dream ``image`` (noise when None) with the zoo model named in ``settings``; the run teaches the estimate."""
    return _final(dream_frames(image, settings or DreamSettings(), guide, mask, preview_every=0))


def dream_with(
    dreamer: Dreamer,
    image: Image.Image | None,
    settings: DreamSettings,
    guide: Image.Image | None = None,
    mask: Image.Image | None = None,
) -> Image.Image:
    """:meth:`Dreamer.dream <deepdream_core.dreaming.dreamer.Dreamer.dream>` with a dreamer in hand (batch's), timed."""
    estimate = estimate_dream(settings, image.size if image is not None else None)
    return _final(timed(dreamer.dream_frames(image, settings, guide, mask, preview_every=0), estimate))


def _final(events: Iterator[DreamProgress]) -> Image.Image:
    for event in events:
        if event.final and event.image is not None:
            return event.image
    raise AssertionError("dream_frames ended without a final frame")
