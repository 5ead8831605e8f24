"""The run paths: one per kind of dream (photo, zoom animation, video), shared by the page and the API.

Each takes settings and loaded inputs (the page and the API only differ in how they read them), draws the seed
so the status can name it, runs the engine under ``@spaces.GPU`` (a GPU is attached on ZeroGPU Spaces; elsewhere
the decorator does nothing), throttles previews, and saves the results into Gradio's cache folder.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import gradio as gr
import spaces
from gradio import processing_utils
from PIL import Image

from deepdream_core import (
    AnimationSettings,
    DreamProgress,
    DreamSettings,
    FrameProgress,
    VideoSettings,
    animate,
    dream_video,
    load_clip,
)
from deepdream_core.dreaming.cache import dream_frames
from deepdream_core.dreaming.settings import SettingsError
from deepdream_core.files.clips import Clip
from deepdream_core.files.records import dream_record, png_bytes, save_video
from deepdream_core.jobs.estimate import (
    Estimate,
    about,
    estimate_animation,
    estimate_dream,
    estimate_video,
    spaces_duration,
)
from deepdream_core.jobs.load import current_load
from deepdream_core.jobs.timing import runs_in_progress, timed

from . import cache_files
from .config import PREVIEW_SIZE, StudioConfig
from .gpu import check_offered
from .line import current_event_id, handover
from .uploads import load_upload, upload_folder

# -- photos -----------------------------------------------------------------------------------------------


def photo_seconds(
    image: Image.Image,
    settings: DreamSettings,
    guide: Image.Image | None,
    mask: Image.Image | None,
    preview_interval_s: float | None,
) -> int:
    """The GPU seconds to ask ZeroGPU for a photo dream (same arguments as :func:`photo_events`).

    ZeroGPU checks the asked duration against the visitor's quota and ranks long asks lower in its queue,
    so each call asks for what its work needs (capped by ``DEEPDREAM_GPU_MAX_SECONDS``), not a fixed worst case.
    """
    return spaces_duration(estimate_dream(settings, image.size))


def animation_seconds(
    image: Image.Image | None, settings: DreamSettings, motion: AnimationSettings, guide: Image.Image | None
) -> int:
    """The GPU seconds to ask for a zoom animation (same arguments as :func:`animation_events`)."""
    return spaces_duration(estimate_animation(settings, motion, image.size if image is not None else None))


def video_seconds(clip: Clip, settings: DreamSettings, video: VideoSettings, guide: Image.Image | None) -> int:
    """The GPU seconds to ask for a video (same arguments as :func:`video_events`)."""
    return spaces_duration(estimate_video(settings, video, len(clip.frames), clip.frames[0].size))


@dataclass(frozen=True)
class _Taken:
    """A snapshot already taken, as plain data: on ZeroGPU events cross into another process, tensors cannot."""

    image: Image.Image

    def __call__(self) -> Image.Image:
        return self.image


@spaces.GPU(duration=photo_seconds)
def photo_events(
    image: Image.Image,
    settings: DreamSettings,
    guide: Image.Image | None,
    mask: Image.Image | None,
    preview_interval_s: float | None,
) -> Iterator[DreamProgress]:
    """The GPU work of a photo dream: every step's progress, and at most every ``preview_interval_s`` (None: never)
    a preview with the same picture at full size, taken here (what a Stop keeps), then the result."""
    last_preview = time.monotonic()
    frames = dream_frames(
        image,
        settings,
        guide=guide,
        mask=mask,
        preview_every=0 if preview_interval_s is None else 1,
        preview_size=PREVIEW_SIZE,
    )
    for event in frames:
        if event.final:
            yield dataclasses.replace(event, snapshot=None)
        elif event.image is not None and event.snapshot and time.monotonic() - last_preview >= preview_interval_s:
            last_preview = time.monotonic()
            # Taken now: the engine's picture moves on with the next step. Measured 40-200 ms at 512-1024 px on
            # this shared 2-core CPU against 2-4 s a step, and it is taken only for a preview that is shown.
            yield dataclasses.replace(event, snapshot=_Taken(event.snapshot()))
        else:
            yield dataclasses.replace(event, image=None, snapshot=None)


@dataclass(frozen=True)
class DreamSoFar:
    """A run's picture at full size as of its latest preview, and what made it: what Stop keeps."""

    image: Image.Image
    settings: DreamSettings  # with the seed drawn
    preset: str | None
    guide: Image.Image | None
    octave: int
    step: int
    where: str  # "Octave 2 of 4 · step 3 of 10", as the status said

    def save(self) -> str:
        """The picture as a full-size PNG whose record says where the run was stopped."""
        stopped = {"octave": self.octave, "step": self.step}
        return save_png(self.image, dream_record(self.settings, self.preset, guide=self.guide, stopped=stopped))


@dataclass(frozen=True)
class PhotoFrame:
    """A preview on the way (``png`` None), or the finished dream saved as a full-size PNG.

    A preview carries the same picture at full size (``so_far``), so a Stop keeps what was on screen.
    """

    image: Image.Image
    status: str
    png: str | None = None
    so_far: DreamSoFar | None = None


def dream_photo(
    image: Image.Image,
    settings: DreamSettings,
    guide: Image.Image | None,
    mask: Image.Image | None,
    config: StudioConfig,
    progress: gr.Progress | None = None,
    previews: bool = True,
    preset: str | None = None,
) -> Iterator[PhotoFrame]:
    """Dream, yielding previews at most every ``config.preview_interval_s``, then the result saved as a PNG.

    Progress reaches ``progress`` (octave and step) on every step; without ``previews`` only the result comes.
    The PNG carries its settings (and ``preset``, the one they started from), so it can be dreamed again.
    """
    check_offered(settings.model, config.models)
    settings = settings.with_seed()  # drawn here, so the status can say which seed made this dream
    estimate = check_estimate(estimate_dream(settings, image.size), config)
    started = time.monotonic()
    if previews:
        # As busy as the machine is now, with the app's other dreams running beside this one.
        busy = estimate.under(current_load(), len(runs_in_progress(estimate.device)))
        yield PhotoFrame(image, f"Dreaming… {about(busy.seconds)}")
    # Timed by the engine (the estimate learns from it), under this queue event's name, so the line can say
    # how long this run has left.
    events = timed(
        photo_events(image, settings, guide, mask, config.preview_interval_s if previews else None),
        estimate,
        current_event_id(),
    )
    for event in events:
        where = f"Octave {event.octave} of {event.octaves} · step {event.step} of {event.steps}"
        if progress is not None:
            progress((event.done, event.total), desc=where)
        if event.final:
            seconds = time.monotonic() - started
            yield PhotoFrame(
                event.image,
                f"Done in {seconds:.1f} s · {event.image.width}×{event.image.height} px · seed {settings.seed}",
                save_png(event.image, dream_record(settings, preset, guide=guide)),
            )
        elif event.image is not None:  # a preview, at most every config.preview_interval_s
            so_far = None
            if event.snapshot is not None:
                so_far = DreamSoFar(event.snapshot(), settings, preset, guide, event.octave, event.step, where)
            yield PhotoFrame(event.image, f"Dreaming… {where}", so_far=so_far)


def check_estimate(estimate: Estimate, config: StudioConfig) -> Estimate:
    """Refuse a dream estimated above the app's time limit (a public demo's), saying what to lower."""
    if config.max_seconds and estimate.seconds > config.max_seconds:
        raise SettingsError(
            "max_size",
            f"this dream would take {about(estimate.seconds)} here, over this "
            f"app's limit of {config.max_seconds} s; lower max_size, steps or octaves",
        )
    return estimate


def save_png(image: Image.Image, record: dict) -> str:
    """The full-size result as a lossless PNG with its settings record, in Gradio's cache (``delete_cache`` cleans).

    Written whole before it can be served (:mod:`.cache_files`): the same dream again must not rewrite it in place.
    """
    return cache_files.save_bytes(png_bytes(image, record), "deepdream.png", upload_folder())


# -- zoom animations and videos ---------------------------------------------------------------------------


@spaces.GPU(duration=animation_seconds)
def animation_events(
    image: Image.Image | None, settings: DreamSettings, motion: AnimationSettings, guide: Image.Image | None
) -> Iterator[FrameProgress]:
    """The GPU work of a zoom animation."""
    yield from animate(image, settings, motion, guide)


@spaces.GPU(duration=video_seconds)
def video_events(
    clip: Clip, settings: DreamSettings, video: VideoSettings, guide: Image.Image | None
) -> Iterator[FrameProgress]:
    """The GPU work of a video dream."""
    yield from dream_video(clip, settings, video, guide)


@dataclass
class MotionRun:
    """An animation or video being dreamed: the frames so far (kept for Stop) and how to save them."""

    name: str  # file stem of the downloads
    fps: float | Fraction
    settings: DreamSettings  # with the seed drawn
    motion: AnimationSettings | VideoSettings  # what the files' records say besides the settings
    preset: str | None = None  # the preset the settings started from, for the records
    notices: tuple[str, ...] = ()  # about the input and the caps, for the user
    audio_from: Clip | None = None
    frames: list[Image.Image] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def save(self, suffix: str) -> str:
        """The frames as an MP4 (with the clip's audio) or GIF file in Gradio's cache, its settings inside."""
        kind = "video" if self.audio_from is not None else "animation"
        record = dream_record(self.settings, self.preset, motion=self.motion, kind=kind)
        with tempfile.TemporaryDirectory(prefix="deepdream-") as folder:
            path = save_video(
                self.frames,
                Path(folder) / f"{self.name}{suffix}",
                self.fps,
                record,
                audio_from=self.audio_from if suffix == ".mp4" else None,
            )
            return processing_utils.save_file_to_cache(path, cache_dir=upload_folder())

    def summary(self, stopped: bool = False) -> str:
        width, height = self.frames[-1].size
        sound = " · with the clip's sound" if self.audio_from is not None and self.audio_from.has_audio else ""
        count = f"{len(self.frames)} frame" + ("s" if len(self.frames) != 1 else "")
        what = f"{count} · {width}×{height} px · {float(self.fps):g} fps{sound}"
        if stopped:
            return f"Stopped: kept the {what}."
        return f"Done in {time.monotonic() - self.started:.1f} s · {what} · seed {self.settings.seed}"


@dataclass(frozen=True)
class MotionFrame:
    """A frame just dreamed, with its status; the last one of a finished run carries the saved files."""

    run: MotionRun
    image: Image.Image
    status: str
    files: dict[str, str] | None = None  # suffix -> path, when the run is done


def animation_run(
    start: str | None,
    settings: DreamSettings,
    motion: AnimationSettings,
    config: StudioConfig,
    preset: str | None = None,
) -> tuple[MotionRun, Image.Image | None, AnimationSettings]:
    """A zoom animation within the app's caps, and its start image (None: noise); raises user errors."""
    handover()  # the page says nothing of this run before the last word of its wait in the line
    check_offered(settings.model, config.models)
    settings, notices = settings.with_seed(), []
    if motion.frames > config.motion_max_frames:
        notices.append(
            f"this app makes at most {config.motion_max_frames} frames per animation; "
            f"rendering {config.motion_max_frames} of the {motion.frames} asked for"
        )
        motion = dataclasses.replace(motion, frames=config.motion_max_frames)
    if settings.max_size > config.motion_max_side:
        notices.append(f"animations are dreamed at most {config.motion_max_side} px on the long side here")
        settings = settings.replace(max_size=config.motion_max_side)
    image, photo_notices = load_upload(start, settings.max_size) if start else (None, ())
    run = MotionRun("deepdream-zoom", motion.fps, settings, motion, preset, (*notices, *photo_notices))
    return run, image, motion


def video_run(
    clip_path: str, settings: DreamSettings, video: VideoSettings, config: StudioConfig, preset: str | None = None
) -> tuple[MotionRun, Clip, VideoSettings]:
    """A clip read within the app's caps (``load_clip`` notes what it cut); raises user errors."""
    handover()  # the page says nothing of this run before the last word of its wait in the line
    check_offered(settings.model, config.models)
    settings = settings.with_seed()
    video = dataclasses.replace(
        video,
        max_frames=min(video.max_frames, config.motion_max_frames),
        max_side=min(video.max_side, config.motion_max_side),
    )
    clip = load_clip(clip_path, settings, video)
    return MotionRun("deepdream-video", clip.fps, settings, video, preset, clip.notices, audio_from=clip), clip, video


def dream_animation(
    run: MotionRun,
    image: Image.Image | None,
    motion: AnimationSettings,
    guide: Image.Image | None,
    progress: gr.Progress | None = None,
) -> Iterator[MotionFrame]:
    """Each frame as it is dreamed, then the last one with the MP4 and GIF."""
    yield from _frames(run, animation_events(image, run.settings, motion, guide), progress)
    yield MotionFrame(run, run.frames[-1], run.summary(), {".mp4": run.save(".mp4"), ".gif": run.save(".gif")})


def dream_clip(
    run: MotionRun, clip: Clip, video: VideoSettings, guide: Image.Image | None, progress: gr.Progress | None = None
) -> Iterator[MotionFrame]:
    """Each dreamed frame as it comes, then the last one with the MP4 (the clip's fps and sound)."""
    yield from _frames(run, video_events(clip, run.settings, video, guide), progress)
    yield MotionFrame(run, run.frames[-1], run.summary(), {".mp4": run.save(".mp4")})


def _frames(run: MotionRun, events: Iterator[FrameProgress], progress: gr.Progress | None) -> Iterator[MotionFrame]:
    """Each dreamed frame with "frame i of N" and a rough time left; frames are kept in ``run``."""
    first_done = None
    for event in events:
        run.frames.append(event.image)
        # Frames after the first take about the same time each (the first is a full dream, the rest feedback).
        left = ""
        if first_done is None:
            first_done = time.monotonic()
        elif event.index < event.total:
            seconds = (time.monotonic() - first_done) / (event.index - 1) * (event.total - event.index)
            left = f" · {about(seconds)} left"
        where = f"Frame {event.index} of {event.total}"
        if progress is not None:
            progress((event.index, event.total), desc=where)
        yield MotionFrame(run, event.image, f"Dreaming… {where} done{left}")
