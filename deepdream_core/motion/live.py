"""A live DeepDream mirror: camera frames in, dreamed frames out, one at a time (:class:`LiveSession`).

Each frame starts from the previous dream carried along the optical flow onto it (:func:`.video.carry_over`)
where the flow can be trusted, and from the new frame elsewhere; then a small dream (1-2 octaves, a few
steps) runs on it. So a still scene's dream grows and settles instead of flickering, and patterns follow
a moving head. The budget adapts to the machine, so a frame's latency stays near
:attr:`LiveSettings.target_latency`. A session belongs to one visitor; the model is shared (``get_dreamer``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from PIL import Image

from ..dreaming.cache import get_dreamer
from ..dreaming.color import color_stats, match_colors
from ..dreaming.images import MIN_SIDE, ImageInputError, fit_long_side, to_rgb
from ..dreaming.settings import DreamSettings, Range, RangedSettings, SettingsError
from .video import carry_over

# The look the CLI and the Live tab use when none is chosen: the gallery's "Eyes everywhere".
LIVE_LOOK = "eyes"

LIVE_RANGES: dict[str, Range] = {
    "strength": Range(0.0, 1.0),
    # Long side of the dreamed frame; 256 keeps 5 frames a second on two CPU cores (see README, Live).
    "size": Range(64, 768, integer=True),
    "target_latency": Range(0.05, 2.0),
}

# Per-frame budgets, cheapest first: (octaves, steps). The session picks the largest whose predicted
# time fits the target latency. A second octave (at 1/octave_scale the size) adds the larger shapes a
# few steps at full size cannot grow; it costs about half a step per step.
BUDGETS: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (2, 4))
START_BUDGET = 1  # (1, 2): the first frame has no timing yet
# How fast the timing estimate follows the machine: a new frame's time counts this much.
_SMOOTHING = 0.3
# Moving up a budget needs this much room left, so the session does not swing between two budgets.
_HEADROOM = 0.85


class LiveInputError(ImageInputError):
    """A camera frame that cannot be dreamed (none, empty, too small); the message says what to do."""


@dataclass(frozen=True)
class LiveSettings(RangedSettings):
    """How a live session dreams, on top of the look's :class:`DreamSettings`."""

    RANGES: ClassVar[dict[str, Range]] = LIVE_RANGES

    # 0 keeps a faint dream that follows every movement; 1 lets it grow strong and hold (it also trails
    # behind fast motion). It sets how much of the previous dream each frame keeps, and each frame's step.
    strength: float = 0.5
    # Long side of the dreamed frame, in pixels; camera frames are scaled down to it.
    size: int = 256
    # Seconds a frame may take; the per-frame budget (octaves, steps) adapts to stay near it.
    target_latency: float = 0.18
    # Each frame's starting point is held to the camera frame's colours, so dream colours cannot pile up.
    color_lock: bool = True

    @property
    def keep(self) -> float:
        """Share of the previous dream, moved along the flow, in a frame's starting point.

        The dream settles where what each frame adds balances what it forgets: at about a frame's own
        change / (1 - keep), so 0.825 (strength 0.5) holds about 6 frames' worth, reached in about a second.
        """
        return 0.7 + 0.25 * self.strength

    @property
    def step_scale(self) -> float:
        """Each frame's total change as a share of two of the look's steps (0.4 to 0.8 of that).

        Less per frame and more kept gives the same settled strength with less flicker: each frame's
        new jitter grows its change in slightly new places, and that part is what flickers."""
        return 0.4 + 0.4 * self.strength


@dataclass(frozen=True)
class LiveStats:
    """How a session keeps up: frames dreamed and dropped, and recent timing."""

    frames: int  # dreamed so far
    dropped: int  # given to frame() while another frame was dreaming, and replaced by a newer one
    latency_s: float  # smoothed seconds a frame takes: flow, colour lock and dream
    fps: float  # dreamed frames per second, from the smoothed latency
    octaves: int  # the budget now in use
    steps: int


class LiveSession:
    """One visitor's live dream: ``session.frame(camera_image)`` returns it dreamed.

    ``settings`` is the look (a preset's settings); its size and per-frame budget come from ``live``.
    The session is safe to call from several threads: a frame given while another is dreaming waits
    for that one only; if a newer frame arrives meanwhile, the older call then returns the dream just
    finished, without dreaming, and is counted as dropped. So a camera faster than the dream gets its
    newest frame dreamed, never a queue of stale ones.
    """

    def __init__(
        self, settings: DreamSettings, live: LiveSettings | None = None, budget: tuple[int, int] | None = None
    ) -> None:
        """``budget`` (octaves, steps), one of :data:`BUDGETS`, fixes every frame's budget: the same frames on
        any machine (tests, comparisons). By default the budget adapts to the target latency."""
        self.settings = settings.with_seed()
        self.live = live or LiveSettings()
        self.dreamer = get_dreamer(settings.model, settings.device)
        if budget is not None and budget not in BUDGETS:
            raise SettingsError("budget", f"must be one of {', '.join(map(str, BUDGETS))}, got {budget!r}")
        self._fixed = budget is not None
        self._budget = BUDGETS.index(budget) if budget is not None else START_BUDGET
        self._unit_s: float | None = None  # seconds one step at full size takes, smoothed
        self._overhead_s = 0.0  # flow and colour lock per frame, smoothed
        self._latency_s = 0.0
        self._frames = self._dropped = 0
        self._source: np.ndarray | None = None  # the last camera frame, at working size
        self._dream: Image.Image | None = None  # and its dream
        self._lock = threading.Lock()  # one frame dreams at a time
        self._tickets = threading.Lock()
        self._newest = 0  # ticket of the newest frame given

    @property
    def last(self) -> Image.Image | None:
        """The newest dreamed frame (None before the first)."""
        return self._dream

    @property
    def stats(self) -> LiveStats:
        octaves, steps = BUDGETS[self._budget]
        fps = 1 / self._latency_s if self._latency_s else 0.0
        return LiveStats(self._frames, self._dropped, self._latency_s, fps, octaves, steps)

    def reset(self) -> None:
        """Forget the dream so far: the next frame starts fresh (the timing is kept)."""
        with self._lock:
            self._source = self._dream = None

    def warm_up(self, image: Image.Image | np.ndarray) -> None:
        """Dream ``image`` once and forget it, timing included: the first dream of a size pays one-off
        set-up costs (oneDNN picks its kernels), which should not count as live latency."""
        self.frame(image)
        self.reset()
        self._frames, self._unit_s, self._overhead_s, self._latency_s = 0, None, 0.0, 0.0

    def frame(self, image: Image.Image | np.ndarray | None) -> Image.Image:
        """``image`` (a camera frame: RGB, RGBA or greyscale) dreamed at the live size.

        Raises :class:`LiveInputError` for no frame, an empty one or one too small to dream.
        """
        source = camera_frame(image, self.live.size)
        with self._tickets:
            self._newest += 1
            ticket = self._newest
        with self._lock:
            if ticket != self._newest and self._dream is not None:
                self._dropped += 1  # a newer frame came while this one waited: it will be dreamed instead
                return self._dream
            return self._dream_one(source)

    def _dream_one(self, source: np.ndarray) -> Image.Image:
        start_time = time.perf_counter()
        octaves, steps = BUDGETS[self._budget]
        look = self.settings
        frame_settings = look.replace(
            max_size=self.live.size,
            tile_size=self.live.size,  # the frame in one tile: no seams to hide in a few steps
            octaves=octaves,
            steps=steps,
            # The frame's change stays the same whatever the budget: more steps aim it better, not further.
            step_size=min(20.0, look.step_size * 2 * self.live.step_scale / steps),
            # A new jitter sequence per frame, so the strided network's grid never grows in one place.
            seed=(int(look.seed or 0) + self._frames) % 2**31,
        )
        start = source
        if self._source is not None and self._dream is not None and self._source.shape == source.shape:
            start = carry_over(self._source, source, np.asarray(self._dream), self.live.keep)
            if self.live.color_lock:
                start = np.asarray(match_colors(start, color_stats(source)))
        dream_start = time.perf_counter()
        dreamed = self.dreamer.dream(Image.fromarray(start), frame_settings)
        end = time.perf_counter()
        self._source, self._dream = source, dreamed
        self._frames += 1
        self._adapt(dream_start - start_time, end - dream_start, octaves, steps)
        return dreamed

    def _adapt(self, overhead: float, dream: float, octaves: int, steps: int) -> None:
        """Update the timing and pick the next frame's budget: the largest predicted to fit the target."""
        unit = dream / _units(octaves, steps, self.settings.octave_scale)

        def smooth(old: float | None, new: float) -> float:
            return new if old is None or old == 0 else (1 - _SMOOTHING) * old + _SMOOTHING * new

        self._unit_s = smooth(self._unit_s, unit)
        self._overhead_s = smooth(self._overhead_s, overhead)
        self._latency_s = smooth(self._latency_s, overhead + dream)
        if not self._fixed:
            self._budget = choose_budget(
                self._unit_s, self._overhead_s, self.live.target_latency, self._budget, self.settings.octave_scale
            )


def choose_budget(unit_s: float, overhead_s: float, target_s: float, current: int, octave_scale: float) -> int:
    """The index in :data:`BUDGETS` of the largest budget predicted to fit ``target_s`` (the smallest if none does).

    A budget's predicted time is ``overhead_s`` (flow, colour lock) plus ``unit_s`` (one step at full size) per
    step, lower octaves counted by their pixels. A budget above ``current`` must fit with room to spare.
    """
    best = 0
    for index, (octaves, steps) in enumerate(BUDGETS):
        predicted = overhead_s + unit_s * _units(octaves, steps, octave_scale)
        if predicted <= target_s * (_HEADROOM if index > current else 1.0):
            best = index
    return best


def _units(octaves: int, steps: int, octave_scale: float) -> float:
    """A budget's cost in steps at full size: each lower octave has 1/scale^2 the pixels."""
    return steps * sum(octave_scale ** (-2 * k) for k in range(octaves))


def camera_frame(image: Image.Image | np.ndarray | None, size: int) -> np.ndarray:
    """A camera frame as an (H, W, 3) uint8 array, its long side at most ``size``; odd frames get a message."""
    if image is None:
        raise LiveInputError(
            "no camera frame arrived; allow the page to use the camera, or check that one is plugged in"
        )
    if isinstance(image, np.ndarray):
        if image.size == 0:
            raise LiveInputError("the camera sent an empty frame; check the camera, then start again")
        if image.dtype != np.uint8:
            raise LiveInputError(f"camera frames must be 8-bit pixels, got {image.dtype}; convert the frame first")
        image = Image.fromarray(image)
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise LiveInputError(
            f"the camera frame is {width}x{height} pixels; a live dream needs at least {MIN_SIDE} on each side"
        )
    return np.asarray(fit_long_side(to_rgb(image), size))


@dataclass(frozen=True)
class PlayedFrame:
    """What a screen showed at one camera frame's time while a clip played live (see :func:`play`)."""

    index: int  # the camera frame's number, 0-based
    shown: Image.Image  # the newest dream finished by then (the first dream until one is)
    # For a frame that was dreamed, seconds from its arrival to its dream; None for a dropped frame.
    latency_s: float | None


def play(session: LiveSession, frames: Sequence[Image.Image], fps: float) -> Iterator[PlayedFrame]:
    """Run ``frames`` through ``session`` as a camera at ``fps`` would: in real time, dropping what it misses.

    Frame ``i`` arrives at ``i / fps`` seconds. Whenever a dream finishes, the newest frame arrived by
    then is dreamed next; the ones in between are dropped, as a camera's are. Each camera frame's
    time shows the newest dream finished by then, so the result plays at the clip's pace.
    """
    begin = time.perf_counter()
    done: list[tuple[float, Image.Image]] = []  # (seconds from begin when it finished, the dream)
    latency: dict[int, float] = {}
    free_at, index = 0.0, 0  # when the dream is free again; the first frame not yet dreamed or dropped
    while index < len(frames):
        newest = min(len(frames) - 1, int(max(index / fps, free_at) * fps + 1e-9))
        wait = newest / fps - (time.perf_counter() - begin)
        if wait > 0:
            time.sleep(wait)  # a camera cannot give a frame before it is taken
        image = session.frame(frames[newest])
        free_at = time.perf_counter() - begin
        done.append((free_at, image))
        latency[newest] = free_at - newest / fps
        index = newest + 1
    for number in range(len(frames)):
        shown = next((image for at, image in reversed(done) if at <= number / fps), done[0][1])
        yield PlayedFrame(number, shown, latency.get(number))
