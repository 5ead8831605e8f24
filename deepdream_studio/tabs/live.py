"""The Live tab: the visitor's webcam, dreamed frame by frame as it streams in (a DeepDream mirror).

Gradio's input streaming sends the camera's newest frame every ``STREAM_EVERY`` seconds; a frame that
arrives while the last one is still dreaming replaces it (Gradio keeps one pending frame per stream), so
the dream always works on the newest picture. Each visitor's :class:`~deepdream_core.LiveSession` lives
in their own ``gr.State``; only the model is shared.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import gradio as gr
import numpy as np

from deepdream_core import LiveSession, LiveSettings, dream_record
from deepdream_core.files.presets import Preset, load_preset
from deepdream_core.motion.live import LIVE_LOOK, LIVE_RANGES

from ..config import StudioConfig
from ..controls import whole
from ..gpu import on_zero_gpu
from ..handlers import user_errors
from ..runs import save_png

# Seconds between two camera frames sent to the server. Below the ~0.2 s a frame takes to dream on two
# CPU cores, so a fresh frame is always waiting; Gradio keeps only the newest, so nothing piles up.
STREAM_EVERY = 0.1
# Frames/s shown is the dreamed frames in this many seconds, so it settles within a few seconds.
FPS_WINDOW_S = 3.0

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
    """One visitor's live dream: the session, the look it dreams, and when recent frames were dreamed."""

    session: LiveSession
    look: str
    paused: bool = False
    done: deque[float] = field(default_factory=lambda: deque(maxlen=64))

    def fps(self) -> float:
        now = time.monotonic()
        recent = [t for t in self.done if now - t <= FPS_WINDOW_S]
        return (len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) > 1 and recent[-1] > recent[0] else 0.0


def live_settings(strength: float, size: float) -> LiveSettings:
    return LiveSettings.from_dict({"strength": strength, "size": whole(size)})


@user_errors
def live_frame(
    frame: np.ndarray | None, look: str, strength: float, size: float, state: LiveState | None
) -> tuple[Any, str, LiveState | None]:
    """One camera frame in, its dream out, with the frames/s readout; paused: the camera frame is ignored."""
    if state is not None and state.paused:
        return gr.skip(), "Paused. Press **Resume** to dream again.", state
    live = live_settings(strength, size)
    look = look or LIVE_LOOK
    if state is None or state.look != look:
        state = LiveState(LiveSession(load_preset(look).settings, live), look)
        state.session.warm_up(frame)  # the first dream's one-off set-up must not skew the budget
    state.session.live = live  # strength and size apply from the next frame
    dreamed = state.session.frame(frame)
    state.done.append(time.monotonic())
    return dreamed, readout(state), state


def readout(state: LiveState) -> str:
    stats = state.session.stats
    if len(state.done) < 2:
        return "Dreaming… the first frames set the pace."
    return (
        f"**{state.fps():.1f} frames/s** · {stats.latency_s * 1000:.0f} ms per frame · "
        f"{stats.octaves} octave{'s' if stats.octaves > 1 else ''} × {stats.steps} step{'s' if stats.steps > 1 else ''}"
    )


def toggle_pause(state: LiveState | None) -> tuple[LiveState | None, Any]:
    """Pause keeps the dream on screen and stops dreaming; Resume carries on from it."""
    if state is None:
        return None, gr.update(value="⏸ Pause")
    state.paused = not state.paused
    return state, gr.update(value="▶ Resume" if state.paused else "⏸ Pause")


@user_errors
def snapshot(state: LiveState | None) -> str:
    """The current dreamed frame as a PNG that carries its settings (drop it on the Photo tab to dream it again)."""
    if state is None or state.session.last is None:
        raise gr.Error("Nothing to save yet: start the camera and wait for the first dreamed frame.")
    session = state.session
    record = dream_record(session.settings, state.look, motion=asdict(session.live), kind="live")
    return save_png(session.last, record)


def look_choices(presets: Sequence[Preset]) -> list[tuple[str, str]]:
    """The gallery's looks that dream a photo on their own (no noise start, no guide image, no wrap-around)."""
    return [(p.title, p.name) for p in presets if p.start == "photo" and p.guide is None and p.settings.wrap == "none"]


def build(config: StudioConfig, presets: Sequence[Preset], tab: gr.Tab) -> None:
    """The tab's layout and events; called inside ``gr.Tab``."""
    gr.Markdown(
        f"A DeepDream mirror: allow the camera, press the record button under it, and watch your own picture "
        f"dream. Hold still and the patterns grow; move and they follow. **Limits here:** "
        f"{config.live_seconds} s per start, {config.live_visitors} visitor{'s' if config.live_visitors > 1 else ''} "
        f"at a time (the others wait their turn)."
    )
    camera_note = gr.Markdown("", elem_id="live-camera-note")
    choices = look_choices(presets)
    default_look = LIVE_LOOK if any(name == LIVE_LOOK for _, name in choices) else (choices[0][1] if choices else "")
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            camera = gr.Image(
                label="Your camera", sources=["webcam"], streaming=True, type="numpy", height=300, elem_id="live-camera"
            )
            look = gr.Dropdown(choices, value=default_look, label="Look", elem_id="live-look")
            with gr.Row():
                strength = gr.Slider(
                    LIVE_RANGES["strength"].low,
                    LIVE_RANGES["strength"].high,
                    value=LiveSettings.strength,
                    step=0.05,
                    label="Strength",
                    info="Higher: the dream grows stronger and holds; lower: faint, follows every move.",
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
        with gr.Column(scale=6):
            dream = gr.Image(
                label="Live dream", type="pil", format="jpeg", interactive=False, height=300, elem_id="live-dream"
            )
            fps = gr.Markdown("Start the camera to dream.", elem_id="live-fps")
            with gr.Row():
                pause_btn = gr.Button("⏸ Pause", elem_id="live-pause")
                snap_btn = gr.Button("📸 Snapshot", variant="primary", elem_id="live-snapshot")
            snap = gr.File(label="Snapshot (PNG with its settings)", interactive=False, elem_id="live-snap-file")
    state = gr.State(None)

    tab.select(None, None, camera_note, js=CHECK_CAMERA_JS, api_visibility="private")
    camera.stream(
        live_frame,
        [camera, look, strength, size, state],
        [dream, fps, state],
        stream_every=STREAM_EVERY,
        time_limit=config.live_seconds,
        concurrency_limit=config.live_visitors,
        concurrency_id="live",
        show_progress="hidden",
        api_visibility="private",
    )
    pause_btn.click(toggle_pause, state, [state, pause_btn], concurrency_limit=None, api_visibility="private")
    snap_btn.click(snapshot, state, snap, concurrency_limit=None, api_visibility="private")
