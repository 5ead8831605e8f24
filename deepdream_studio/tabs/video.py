"""The Video tab: every frame of a clip dreamed, each starting from the last dream moved along with the picture."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

from deepdream_core import VideoSettings
from deepdream_core.dreaming.images import ImageInputError
from deepdream_core.files.presets import Preset

from ..config import StudioConfig
from ..handlers import bind, in_status_at, quietly
from ..runs import MotionRun, dream_clip, video_run
from ..uploads import clip_input
from .motion_controls import (
    chosen_settings,
    color_lock_checkbox,
    motion_slider,
    preset_dropdown,
    run_button_row,
    run_with_stop,
    size_slider,
    wire_stop,
)
from .photo import PhotoTab


@in_status_at(4, 2)
def video_ui(
    config: StudioConfig,
    clip: str | None,
    preset: str | None,
    size: float,
    blend: float,
    color_lock: bool,
    guide: str | None,
    progress: gr.Progress = gr.Progress(),
    **controls: Any,
) -> Iterator[tuple]:
    """Render: stream each dreamed frame into the live view, then show the MP4 with the clip's sound."""
    if not clip:
        raise ImageInputError("Add a clip first: upload a short video (MP4, MOV, WebM, MKV, AVI or GIF).")
    settings, guide_image = chosen_settings(preset, size, guide, controls)
    video = VideoSettings.from_dict({"blend": blend, "color_lock": color_lock})
    run, loaded, video = video_run(clip, settings, video, config, preset or None)
    note = quietly(run.notices)  # frames or size cut to the app's caps: said, not warned
    yield gr.skip(), None, f"Dreaming… Frame 1 of {len(loaded.frames)}{note}", run
    for frame in dream_clip(run, loaded, video, guide_image, progress):
        if frame.files:
            yield frame.image, frame.files[".mp4"], frame.status + note, None
        else:
            yield frame.image, gr.skip(), frame.status + note, run


def stop_video_ui(run: MotionRun | None) -> tuple:
    """Stop: the frames dreamed so far still become an MP4, with the clip's sound for as long."""
    if run is None or not run.frames:
        return gr.skip(), "Stopped before the first frame was done.", None
    return run.save(".mp4"), run.summary(stopped=True), None


def build(config: StudioConfig, presets: Sequence[Preset], photo_tab: PhotoTab) -> None:
    """The tab's layout and events; called inside ``gr.Tab``."""
    most = config.motion_max_frames
    gr.Markdown(
        f"Upload a short clip and every frame is dreamed. Each frame starts from the last dream, moved "
        f"along with the picture, so the patterns stay on things instead of flickering. The sound is "
        f"kept. **Limits here:** the first {most} frames (about {most / 24:.2g} s at 24 fps), at "
        f"most {config.motion_max_side} px; longer clips are cut and larger ones scaled down."
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            clip = clip_input(label="Your clip", height=260, elem_id="video-clip")
            preset = preset_dropdown(presets, "video-look")
            with gr.Row():
                size = size_slider(config, "video-size")
                blend = motion_slider(
                    "blend",
                    "Steadiness",
                    "How much of the last dream each frame keeps: higher = calmer "
                    "patterns that stick to things; 0 = every frame dreamed on its own (flickers).",
                    VideoSettings.blend,
                    "video-blend",
                    step=0.05,
                )
            color_lock = color_lock_checkbox("video-color-lock")
        with gr.Column(scale=6):
            live = gr.Image(
                label="Latest frame",
                type="pil",
                format="webp",
                interactive=False,
                height=300,
                buttons=["fullscreen"],
                elem_id="video-live",
            )
            # Under the picture it makes, in view at 1366x768 (as on the Photo tab).
            dream_btn, stop_btn = run_button_row("🎬 Dream the video", "dream-video", "video-stop")
            status = gr.Markdown("Upload a clip, then press **Dream the video**.", elem_id="video-status")
            result = gr.Video(
                label="Your dreamed video", interactive=False, height=300, buttons=["download"], elem_id="video-result"
            )
    run = gr.State(None)

    # The same queue as photo dreams (concurrency_id "dream"), its wait said in the status; Stop keeps what was
    # dreamed, or leaves the line.
    dream = run_with_stop(
        dream_btn,
        stop_btn,
        status,
        bind(video_ui, config),
        [clip, preset, size, blend, color_lock, photo_tab.guide],
        [live, result, status, run],
        inputs_kwargs=photo_tab.controls.by_name,
        concurrency_id="dream",
        show_progress="hidden",  # the status line is the one progress display
        api_visibility="private",
    )
    wire_stop(stop_btn, dream, stop_video_ui, run, [result, status, run])
