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
from ..dreaming.images import MIN_SIDE, ImageInputError, fit_long_side, fitted_size, to_rgb
from ..dreaming.settings import DreamSettings, Range, RangedSettings, SettingsError
from .video import carry_over

# The look the CLI and the Live tab use when none is chosen: the gallery's "Eyes everywhere".
LIVE_LOOK = "eyes"

# Camera frames with more pixels are refused from their header, before they are decoded: 4096x4096 holds a 4K
# camera's (3840x2160) and a phone's 12 MP stills; a photo may have 50 MP (MAX_PIXELS), a frame streamed several
# times a second may not (decoded, one 9000x9000 frame took 1.2 GB).
CAMERA_MAX_PIXELS = 4096 * 4096

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
# How fast the timing and change estimates follow the machine and the scene: a new frame counts this much.
_SMOOTHING = 0.3
# A frame's step may not exceed this (grey levels per step): past it a step overshoots into noise.
_MAX_STEP = 20.0
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
        """Share of the previous dream, moved along the flow, in a frame's starting point (0.85 to 0.95).

        The dream settles where what each frame adds balances what it forgets. Each frame forgets more than
        ``1 - keep``: warping along the flow blurs the finest detail, and each frame's jitter grows patterns in
        slightly new places. Measured on a still 256 px camera with the default look (bench/live.py), the settled
        dream stood 5.9 grey levels from the camera at 0.825 and 9.6 at 0.95 (flicker 1.3x the camera's either
        way); past 0.95 the camera's own picture would be refreshed too little where the flow holds.
        """
        return min(0.95, 0.85 + 0.2 * self.strength)

    @property
    def frame_change(self) -> float:
        """How far each frame's dream moves its starting point (mean over pixels), in the look's steps (0.75 to 1.5).

        Less per frame and more kept gives the same settled strength with less flicker: each frame's new jitter
        grows its change in slightly new places, and that part is what flickers (a third more per frame took the
        still scene's flicker from 1.3x to 1.7x the camera's); above strength 0.5 only this grows.
        """
        return 0.75 * (1 + self.strength)


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
        self._live = live or LiveSettings()
        self.dreamer = get_dreamer(settings.model, settings.device)
        if budget is not None and budget not in BUDGETS:
            raise SettingsError("budget", f"must be one of {', '.join(map(str, BUDGETS))}, got {budget!r}")
        self._fixed = budget is not None
        self._budget = BUDGETS.index(budget) if budget is not None else START_BUDGET
        self._unit_s: float | None = None  # seconds one step at full size takes, smoothed
        self._overhead_s = 0.0  # flow and colour lock per frame, smoothed
        self._latency_s = 0.0
        self._frames = self._dropped = 0
        # Per budget: how far a frame's dream moves its pixels (mean grey levels) per grey level of step_size,
        # measured on its frames and smoothed. Extra steps point partly other ways (the jitter moves) and a
        # second octave adds its own change, so it is about 0.9 for (1, 1) and 3 for (2, 4) (more for
        # smoother looks); each budget's step is sized from it, so every budget changes a frame alike.
        self._efficiency: dict[tuple[int, int], float] = {}
        self._source: np.ndarray | None = None  # the last camera frame, at working size
        self._dream: Image.Image | None = None  # and its dream
        self._lock = threading.Lock()  # one frame dreams at a time
        self._tickets = threading.Lock()
        self._newest = 0  # ticket of the newest frame given

    @property
    def live(self) -> LiveSettings:
        """The live settings of the newest frame (give new ones to :meth:`frame`)."""
        return self._live

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

    def warm_up(self, image: Image.Image | np.ndarray, live: LiveSettings | None = None) -> None:
        """Dream ``image`` once and forget it, timing and counts included: the first dream of a size pays one-off
        set-up costs (oneDNN picks its kernels), which should not count as live latency."""
        self.frame(image, live)
        with self._lock:
            self._source = self._dream = None
            self._frames = self._dropped = 0
            self._unit_s, self._overhead_s, self._latency_s = None, 0.0, 0.0

    def frame(self, image: Image.Image | np.ndarray | None, live: LiveSettings | None = None) -> Image.Image:
        """``image`` (a camera frame: RGB, RGBA or greyscale) dreamed at the live size.

        ``live`` (strength, size...) applies from this frame on and becomes :attr:`live`; None keeps the
        session's. Raises :class:`LiveInputError` for no frame, an empty one or one too small to dream.
        """
        live = live or self._live
        source = camera_frame(image, live.size)
        with self._tickets:
            self._newest += 1
            ticket = self._newest
        with self._lock:
            self._live = live
            if ticket != self._newest and self._dream is not None:
                self._dropped += 1  # a newer frame came while this one waited: it will be dreamed instead
                return self._dream
            return self._dream_one(source)

    def _dream_one(self, source: np.ndarray) -> Image.Image:
        start_time = time.perf_counter()
        live, look = self._live, self.settings
        budget = BUDGETS[self._budget]
        efficiency = self._efficiency.get(budget) or first_efficiency(*budget)
        step_size = min(_MAX_STEP, look.step_size * live.frame_change / efficiency)
        frame_settings = look.replace(
            max_size=live.size,
            tile_size=live.size,  # the frame in one tile: no seams to hide in a few steps
            octaves=budget[0],
            steps=budget[1],
            step_size=step_size,  # the same change per frame whatever the budget: fewer steps, not a fainter dream
            # A new jitter sequence per frame, so the strided network's grid never grows in one place.
            seed=(int(look.seed or 0) + self._frames) % 2**31,
        )
        start = source
        if self._source is not None and self._dream is not None and self._source.shape == source.shape:
            start = carry_over(self._source, source, np.asarray(self._dream), live.keep)
            if live.color_lock:
                start = np.asarray(match_colors(start, color_stats(source)))
        dream_start = time.perf_counter()
        dreamed = self.dreamer.dream(Image.fromarray(start), frame_settings)
        end = time.perf_counter()
        change = float(np.abs(np.asarray(dreamed, np.int16) - start.astype(np.int16)).mean())
        self._efficiency[budget] = _smooth(self._efficiency.get(budget), max(change, 0.01) / step_size)
        self._source, self._dream = source, dreamed
        self._frames += 1
        self._adapt(dream_start - start_time, end - dream_start, *budget)
        return dreamed

    def _adapt(self, overhead: float, dream: float, octaves: int, steps: int) -> None:
        """Update the timing and pick the next frame's budget: the largest predicted to fit the target."""
        self._unit_s = _smooth(self._unit_s, dream / _units(octaves, steps, self.settings.octave_scale))
        self._overhead_s = _smooth(self._overhead_s, overhead)
        self._latency_s = _smooth(self._latency_s, overhead + dream)
        if not self._fixed:
            self._budget = choose_budget(
                self._unit_s, self._overhead_s, self._live.target_latency, self._budget, self.settings.octave_scale
            )


def _smooth(old: float | None, new: float) -> float:
    return new if not old else (1 - _SMOOTHING) * old + _SMOOTHING * new


def first_efficiency(octaves: int, steps: int) -> float:
    """A budget's change per grey level of step size before any frame measured it (see ``LiveSession._efficiency``).

    Measured on the bundled model's looks at 256 px (eyes, swirls, dog faces, gentle): 0.87-0.91 for one step,
    x steps^0.62 for more (1.36-1.39 for 2, 1.71-1.82 for 3); a second octave x1.4-1.6.
    """
    return 0.9 * steps**0.62 * (1.5 if octaves > 1 else 1.0)


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
        image = _array_image(image)
    elif not isinstance(image, Image.Image):
        raise LiveInputError(f"a camera frame must be a PIL image or a numpy array, got {type(image).__name__}")
    width, height = image.size
    fitted = fitted_size(image.size, size)
    if min(fitted) < MIN_SIDE:
        scaled = f"; at the live size ({size} px long) it would be {fitted[0]}x{fitted[1]}"
        scaled = scaled if fitted != image.size else ""
        raise LiveInputError(
            f"the camera frame is {width}x{height} pixels{scaled}: a live dream needs at least {MIN_SIDE} on each "
            f"side. Use a frame closer to a rectangle, or a larger size"
        )
    try:
        rgb = to_rgb(image)
    except (OSError, ValueError) as err:  # a mode Pillow cannot turn into RGB (HSV, LAB...)
        raise LiveInputError(f"the camera frame (mode {image.mode}) cannot be read as RGB ({err})") from None
    return np.asarray(fit_long_side(rgb, size))


def _array_image(array: np.ndarray) -> Image.Image:
    """A camera frame given as an array, as an image: (H, W) greyscale or (H, W, 1, 3 or 4 channels), 8-bit."""
    if array.size == 0:
        raise LiveInputError("the camera sent an empty frame; check the camera, then start again")
    if array.dtype != np.uint8:
        raise LiveInputError(f"camera frames must be 8-bit pixels, got {array.dtype}; convert the frame first")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise LiveInputError(
            f"a camera frame must be (height, width) greyscale or (height, width, 3 or 4) colour pixels, "
            f"got an array of shape {array.shape}"
        )
    return Image.fromarray(np.ascontiguousarray(array))


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
