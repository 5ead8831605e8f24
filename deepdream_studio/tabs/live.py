"""The Live tab: the visitor's webcam, dreamed frame by frame as it streams in (a DeepDream mirror).

Gradio's input streaming sends the camera's newest frame every ``STREAM_EVERY`` seconds; a frame that
arrives while the last one is still dreaming replaces it (Gradio keeps one pending frame per stream), so
the dream always works on the newest picture. Each visitor's :class:`~deepdream_core.LiveSession` lives
in their own ``gr.State``; only the model is shared. Frames come in and go out inside the event's messages,
never as files: a camera frame is read only from the request (:func:`~deepdream_studio.uploads.camera_input`)
and the dream goes back as a JPEG data URL (the stream skips gr.Image's postprocess), so streaming writes nothing
to disk. No event may send an update (``gr.update``, ``gr.skip``) to the camera: Gradio would rebuild it for the
session from its constructor, without camera_input's checks.
"""

from __future__ import annotations

import base64
import io
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import gradio as gr
from PIL import Image

from deepdream_core import LiveSession, LiveSettings, dream_record
from deepdream_core.dreaming.images import ImageInputError, load_image
from deepdream_core.files.presets import Preset, load_preset
from deepdream_core.motion.live import CAMERA_MAX_PIXELS, LIVE_LOOK, LIVE_RANGES

from ..config import StudioConfig
from ..controls import whole
from ..gpu import on_zero_gpu
from ..handlers import bind, user_errors
from ..phone import PHONE_WIDTH_PX
from ..runs import save_png
from ..uploads import camera_input
from .replay import RECORD_SECONDS, Replay, save_clip

# Seconds between two camera frames sent to the server. Below the ~0.2 s a frame takes to dream on two
# CPU cores, so a fresh frame is always waiting; Gradio keeps only the newest, so nothing piles up.
STREAM_EVERY = 0.1
# Frames/s shown is the dreamed frames in this many seconds, so it settles within a few seconds.
FPS_WINDOW_S = 3.0
# No camera frame for this long: the stream has stopped (Stop, the time limit, a closed camera). Ten times the
# interval frames are sent at, so a slow frame or a busy machine is not mistaken for a stop.
STOPPED_AFTER_S = 1.5
# JPEG quality of the dream sent to the page (and kept for Record): 256x192 is about 12 KB.
JPEG_QUALITY = 88

# Desktop: the dream fills its box as the camera's video does (at its own 256 px it was a stamp in a 655 px box).
# Phone (one column): the dream leads, full width, with its readout; under it the camera, small, beside the buttons
# (its start button on the first screen); then the look and sliders. Until the first frame the empty dream box is
# short, so the camera's start button is on the first screen.
CSS = f"""
#live-dream img {{ width: 100%; height: 100%; object-fit: contain; }}
@media (max-width: {PHONE_WIDTH_PX}px) {{
  #live-intro * {{ font-size: var(--text-sm) !important; line-height: 1.35 !important; }}
  #live-row {{ display: grid !important; grid-template-columns: 1fr 1fr; }}
  #live-camera-column, #live-dream-column {{ display: contents; }}
  #live-row > * > * {{ grid-column: 1 / -1; order: 3; }}
  #live-dream {{ order: 0; height: auto !important; aspect-ratio: 4 / 3; }}
  #live-dream:not(:has(img)) {{ aspect-ratio: auto; height: 96px !important; }}
  #live-fps {{ order: 1; }}
  #live-camera {{ grid-column: 1; order: 2; height: 132px !important; }}
  #live-buttons {{ grid-column: 2; order: 2; flex-direction: column; justify-content: space-between; gap: 6px; }}
  #live-buttons button {{ padding: 6px; min-height: 0; }}
}}
"""

# Asks for the camera when the tab opens, so a refused or missing camera gets a message saying what to do
# (Gradio's own webcam says nothing when there is no camera at all).
CHECK_CAMERA_JS = """
async () => {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return "**This browser cannot use a camera on this page.** Open it over https (or on localhost).";
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({video: true});
    stream.getTracks().forEach((track) => track.stop());
    return "";
  } catch (err) {
    if (err.name === "NotAllowedError" || err.name === "SecurityError") {
      return "**The camera was refused.** Allow this page to use the camera (address bar), then reload.";
    }
    if (err.name === "NotFoundError" || err.name === "OverconstrainedError") {
      return "**No camera found.** Plug one in (or enable it), then reload the page.";
    }
    return "**The camera could not start** (" + err.name + "). Close other apps that use it, then reload the page.";
  }
}
"""


def offered() -> bool:
    """Whether the tab is shown: not on ZeroGPU, where every frame would be its own GPU call (see README, Live)."""
    return not on_zero_gpu()


@dataclass
class LiveState:
    """One visitor's live dream: the session, the look it dreams, its frames' times, and the last seconds of it."""

    session: LiveSession
    look: str
    paused: bool = False
    seen: float = 0.0  # when the newest camera frame was answered (paused or not): the stream is alive
    dreaming: bool = False  # a frame is being dreamed now (on a busy machine one may take longer than a stop's gap)
    started: float = 0.0  # when this run's first frame arrived
    done: deque[float] = field(default_factory=lambda: deque(maxlen=64))  # when recent frames were dreamed
    run_frames: int = 0  # dreamed since the run started
    replay: Replay = field(default_factory=Replay)

    def fps(self, until: float | None = None) -> float:
        """Frames dreamed per second in the :data:`FPS_WINDOW_S` up to ``until`` (now)."""
        until = time.monotonic() if until is None else until
        recent = [t for t in self.done if 0 <= until - t <= FPS_WINDOW_S]
        return (len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) > 1 and recent[-1] > recent[0] else 0.0

    def restart(self, now: float) -> None:
        """A new run of the camera: the dream, the readout's counts and the recording start afresh."""
        self.session.reset()
        self.done.clear()
        self.replay.clear()
        self.started, self.run_frames = now, 0

    def forget(self) -> None:
        """The visitor left: free their frames now (Gradio keeps a closed session's state for an hour)."""
        self.session.reset()
        self.replay.clear()


def live_settings(strength: Any, size: Any) -> LiveSettings:
    return LiveSettings.from_dict({"strength": strength, "size": whole(size)})


def camera_image(frame: bytes | None) -> Image.Image | None:
    """A camera frame's bytes as an image, checked as an upload is (format, pixels, sides)."""
    if frame is None:
        return None
    try:
        # At full size: the session scales it to the live size, and says so if that leaves it too thin to dream.
        return load_image(frame, max_pixels=CAMERA_MAX_PIXELS).image
    except ImageInputError as err:  # not an image, too many pixels, too small...
        raise ImageInputError(f"camera frame: {err}") from None


@user_errors
def live_frame(
    frame: bytes | None, look: str, strength: Any, size: Any, state: LiveState | None
) -> tuple[Any, str, LiveState | None, Any]:
    """One camera frame in, its dream out (``{"url": "data:image/jpeg;base64,..."}``, as the page shows it), with the
    frames/s readout; paused: the frame is ignored. The fourth output starts the stop watch (:func:`watch_stream`)
    when a run starts."""
    now = time.monotonic()
    if state is not None and state.paused:
        state.seen = now
        return gr.skip(), "Paused. Press **Resume** to dream again.", state, gr.skip()
    live = live_settings(strength, size)
    image = camera_image(frame)
    look = look or LIVE_LOOK
    starting = state is None or state.look != look or now - state.seen > STOPPED_AFTER_S
    if state is None or state.look != look:
        state = LiveState(LiveSession(load_preset(look).settings, live), look)
        state.session.warm_up(image, live)  # the first dream's one-off set-up must not skew the budget
    if starting:
        state.restart(now)
    state.dreaming = True
    try:
        dreamed = state.session.frame(image, live)
    finally:
        state.dreaming = False
    jpeg = jpeg_bytes(dreamed)
    state.seen = time.monotonic()
    state.done.append(state.seen)
    state.run_frames += 1
    state.replay.add(state.seen, jpeg)
    inline = {"url": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")}
    return inline, readout(state), state, gr.Timer(active=True) if starting else gr.skip()


def jpeg_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def readout(state: LiveState) -> str:
    stats = state.session.stats
    if len(state.done) < 2:
        return "Dreaming… the first frames set the pace."
    return (
        f"**{state.fps():.1f} frames/s** · {stats.latency_s * 1000:.0f} ms per frame · "
        f"{stats.octaves} octave{'s' if stats.octaves > 1 else ''} × {stats.steps} step{'s' if stats.steps > 1 else ''}"
    )


def watch_stream(seconds_limit: float, state: LiveState | None) -> tuple[Any, Any]:
    """Once camera frames stop coming (Stop, the time limit, a closed camera), the readout says so; the watch stops.

    Gradio tells the handler nothing when a stream ends, so without this the readout kept its last frames/s.
    """
    if state is None:
        return gr.skip(), gr.Timer(active=False)
    if state.dreaming or time.monotonic() - state.seen <= STOPPED_AFTER_S:
        return gr.skip(), gr.skip()
    ran = state.seen - state.started
    why = f"**Time's up** ({seconds_limit:g} s per start)" if ran >= seconds_limit - 1 else "**Stopped**"
    last = state.fps(until=state.done[-1]) if state.done else 0.0
    rate = f", {last:.1f} frames/s at the end" if last else ""
    keep = f" **Save last {RECORD_SECONDS:g} s** still can." if len(state.replay) else ""
    said = f"{why}: {state.run_frames} frames dreamed{rate}. Start the camera again to dream on.{keep}"
    return said, gr.Timer(active=False)


def toggle_pause(state: LiveState | None) -> tuple[LiveState | None, Any]:
    """Pause keeps the dream on screen and stops dreaming; Resume carries on from it."""
    if state is None:
        return None, gr.update(value="⏸ Pause")
    state.paused = not state.paused
    return state, gr.update(value="▶ Resume" if state.paused else "⏸ Pause")


@user_errors
def snapshot(state: LiveState | None) -> Any:
    """The current dreamed frame as a PNG that carries its settings (drop it on the Photo tab to dream it again)."""
    if state is None or state.session.last is None:
        raise gr.Error("Nothing to save yet: start the camera and wait for the first dreamed frame.")
    session = state.session
    record = dream_record(session.settings, state.look, motion=asdict(session.live), kind="live")
    return gr.update(value=save_png(session.last, record), visible=True)


@user_errors
def record(state: LiveState | None) -> Any:
    """The last seconds of the dream (up to :data:`RECORD_SECONDS`) as an MP4 and a GIF that carry its settings."""
    frames = state.replay.frames() if state is not None else []
    if state is None or not frames:
        raise gr.Error(f"Nothing to save yet: start the camera; this keeps the last {RECORD_SECONDS:g} s of the dream.")
    session = state.session
    record = dream_record(session.settings, state.look, motion=asdict(session.live), kind="live")
    return gr.update(value=save_clip(frames, record), visible=True)


def look_choices(presets: Sequence[Preset]) -> list[tuple[str, str]]:
    """The gallery's looks that dream a photo on their own (no noise start, no guide image, no wrap-around)."""
    return [(p.title, p.name) for p in presets if p.start == "photo" and p.guide is None and p.settings.wrap == "none"]


def build(config: StudioConfig, presets: Sequence[Preset], tab: gr.Tab, demo: gr.Blocks) -> None:
    """The tab's layout and events; called inside ``gr.Tab``."""
    gr.Markdown(
        f"A DeepDream mirror: allow the camera, press the record button under it, and watch your own picture "
        f"dream. Hold still and the patterns grow; move and they follow. **Limits here:** "
        f"{config.live_seconds} s per start, {config.live_visitors} visitor{'s' if config.live_visitors > 1 else ''} "
        f"at a time (the others wait their turn).",
        elem_id="live-intro",
    )
    parts = {"camera_note": gr.Markdown("", elem_id="live-camera-note")}
    with gr.Row(equal_height=False, elem_id="live-row"):
        with gr.Column(scale=1, elem_id="live-camera-column"):
            parts.update(_camera_column(presets))
        with gr.Column(scale=1, elem_id="live-dream-column"):
            parts.update(_dream_column())
    parts.update(state=gr.State(None), watch=gr.Timer(1.0, active=False))
    _wire(config, tab, demo, parts)


def _camera_column(presets: Sequence[Preset]) -> dict[str, Any]:
    """The camera, the look and the sliders."""
    choices = look_choices(presets)
    default_look = LIVE_LOOK if any(name == LIVE_LOOK for _, name in choices) else (choices[0][1] if choices else "")
    camera = camera_input(label="Your camera", height=300, elem_id="live-camera")
    look = gr.Dropdown(choices, value=default_look, label="Look", elem_id="live-look")
    with gr.Row():
        strength = gr.Slider(
            LIVE_RANGES["strength"].low,
            LIVE_RANGES["strength"].high,
            value=LiveSettings.strength,
            step=0.05,
            label="Strength",
            info="Higher: the dream grows stronger and holds; lower: fainter, follows every move.",
            elem_id="live-strength",
        )
        size = gr.Slider(
            128,
            min(512, int(LIVE_RANGES["size"].high)),
            value=LiveSettings.size,
            step=32,
            label="Size (px)",
            info="Long side of the dream; smaller is smoother.",
            elem_id="live-size",
        )
    return {"camera": camera, "look": look, "strength": strength, "size": size}


def _dream_column() -> dict[str, Any]:
    """The dream, its readout, the buttons and what they save."""
    dream = gr.Image(label="Live dream", interactive=False, height=300, elem_id="live-dream")
    fps = gr.Markdown("Start the camera to dream.", elem_id="live-fps")
    with gr.Row(elem_id="live-buttons"):
        pause = gr.Button("⏸ Pause", elem_id="live-pause")
        snap_btn = gr.Button("📸 Snapshot", elem_id="live-snapshot")
        # "Record" alone would read as the camera's own Record button, which starts the stream.
        record_btn = gr.Button(f"🎬 Save last {RECORD_SECONDS:g} s", variant="primary", elem_id="live-record")
    snap = gr.File(label="Snapshot (PNG with its settings)", interactive=False, visible=False, elem_id="live-snap-file")
    clip = gr.File(
        label=f"The last {RECORD_SECONDS:g} s (MP4 and GIF with their settings)",
        interactive=False,
        file_count="multiple",
        visible=False,
        elem_id="live-record-files",
    )
    return {
        "dream": dream,
        "fps": fps,
        "pause": pause,
        "snap_btn": snap_btn,
        "record_btn": record_btn,
        "snap": snap,
        "clip": clip,
    }


def _wire(config: StudioConfig, tab: gr.Tab, demo: gr.Blocks, parts: dict[str, Any]) -> None:
    state, watch, fps = parts["state"], parts["watch"], parts["fps"]
    visitors: weakref.WeakValueDictionary[str, LiveState] = weakref.WeakValueDictionary()
    quiet = {"concurrency_limit": None, "api_visibility": "private"}
    tab.select(None, None, parts["camera_note"], js=CHECK_CAMERA_JS, api_visibility="private")
    parts["camera"].stream(
        _remembered(live_frame, visitors),
        [parts[name] for name in ("camera", "look", "strength", "size", "state")],
        [parts["dream"], fps, state, watch],
        # The dream goes out as the handler made it, a data URL: gr.Image's postprocess would write every frame
        # into Gradio's cache, kept up to an hour (300 files a visitor-minute at 5 frames/s).
        postprocess=False,
        stream_every=STREAM_EVERY,
        time_limit=config.live_seconds,
        concurrency_limit=config.live_visitors,
        concurrency_id="live",
        show_progress="hidden",
        api_visibility="private",
    )
    watch.tick(bind(watch_stream, config.live_seconds), state, [fps, watch], show_progress="hidden", **quiet)
    parts["pause"].click(toggle_pause, state, [state, parts["pause"]], **quiet)
    parts["snap_btn"].click(snapshot, state, parts["snap"], **quiet)
    parts["record_btn"].click(record, state, parts["clip"], **quiet)

    def forget(request: gr.Request) -> None:
        """The visitor left: free their frames now (Gradio keeps a closed session's state for an hour)."""
        state = visitors.pop(request.session_hash or "", None)
        if state is not None:
            state.forget()

    demo.unload(forget)


def _remembered(handler: Callable[..., Any], visitors: weakref.WeakValueDictionary[str, LiveState]) -> Any:
    """``handler`` that also notes each visitor's state by session, weakly, so that leaving can free it."""

    def live_stream(
        frame: bytes | None, look: str, strength: Any, size: Any, state: LiveState | None, request: gr.Request
    ) -> tuple[Any, str, LiveState | None, Any]:
        out = handler(frame, look, strength, size, state)
        if out[2] is not None and request.session_hash:
            visitors[request.session_hash] = out[2]
        return out

    return live_stream
