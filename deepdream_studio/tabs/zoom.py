"""The Zoom animation tab: dream, zoom in a little, dream again; frames stream in, then an MP4 and a GIF."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

from deepdream_core import AnimationSettings
from deepdream_core.files.presets import Preset

from ..config import StudioConfig
from ..controls import whole
from ..handlers import bind, in_status_at, quietly
from ..runs import MotionRun, animation_run, dream_animation
from ..uploads import photo_input
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


@in_status_at(6, 4)
def animate_ui(
    config: StudioConfig,
    start: str | None,
    preset: str | None,
    size: float,
    frames: float,
    zoom: float,
    rotate: float,
    translate_x: float,
    translate_y: float,
    fps: float,
    loop: bool,
    color_lock: bool,
    guide: str | None,
    progress: gr.Progress = gr.Progress(),
    **controls: Any,
) -> Iterator[tuple]:
    """Render: stream each frame into the live view, then show the MP4 and offer MP4 and GIF downloads."""
    settings, guide_image = chosen_settings(preset, size, guide, controls)
    motion = AnimationSettings.from_dict(
        {
            "frames": whole(frames),
            "zoom": zoom,
            "rotate": rotate,
            "translate_x": translate_x,
            "translate_y": translate_y,
            "fps": whole(fps),
            "loop": loop,
            "color_lock": color_lock,
        }
    )
    run, image, motion = animation_run(start, settings, motion, config, preset or None)
    note = quietly(run.notices)  # frames cut to the app's caps, a photo scaled down: said, not warned
    # The last run's animation and downloads go away as this one starts.
    hidden = gr.update(value=None, visible=False)
    yield gr.skip(), None, hidden, hidden, f"Dreaming… Frame 1 of {motion.frames}{note}", run
    for frame in dream_animation(run, image, motion, guide_image, progress):
        if frame.files:
            yield (
                frame.image,
                frame.files[".mp4"],
                gr.update(value=frame.files[".mp4"], visible=True),
                gr.update(value=frame.files[".gif"], visible=True),
                frame.status + note,
                None,
            )
        else:
            yield frame.image, gr.skip(), gr.skip(), gr.skip(), frame.status + note, run


def stop_animation_ui(run: MotionRun | None) -> tuple:
    """Stop: the frames dreamed so far still become an MP4 and a GIF."""
    if run is None or not run.frames:
        return gr.skip(), gr.skip(), gr.skip(), "Stopped before the first frame was done.", None
    mp4, gif = run.save(".mp4"), run.save(".gif")
    return mp4, gr.update(value=mp4, visible=True), gr.update(value=gif, visible=True), run.summary(stopped=True), None


def photo_tab_photo(path: str | None) -> str | None:
    if not path:
        raise gr.Error("The Photo tab has no photo yet: upload one here, or there first.")
    return path


def build(config: StudioConfig, presets: Sequence[Preset], photo_tab: PhotoTab) -> None:
    """The tab's layout and events; called inside ``gr.Tab``."""
    gr.Markdown(
        "Dream a picture, zoom into it a little, dream again — over and over, so new dreams grow "
        "out of the old ones. Start from a photo, or leave it empty to grow a dream out of noise."
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            with gr.Row():
                # A short label: in this half-column, "Start image (optional)" ran under the picture's corner buttons
                # (full screen, clear) once one was loaded. The text above says it may stay empty.
                start = photo_input(
                    label="Start image", height=220, sources=["upload", "clipboard"], elem_id="anim-start"
                )
                with gr.Column():
                    use_photo = gr.Button("Use the Photo tab's photo", size="sm", elem_id="anim-use-photo")
                    preset = preset_dropdown(presets, "anim-look")
                    size = size_slider(config, "anim-size")
            motion = _motion_sliders(config)
        with gr.Column(scale=6):
            out = _outputs()
    run = gr.State(None)

    use_photo.click(photo_tab_photo, photo_tab.photo, start, concurrency_limit=None, api_visibility="private")
    # The same queue as photo dreams (concurrency_id "dream"), its wait said in the status; Stop keeps what was
    # dreamed, or leaves the line.
    render = run_with_stop(
        out["render_btn"],
        out["stop_btn"],
        out["status"],
        bind(animate_ui, config),
        [start, preset, size, *(motion[name] for name in MOTION_INPUTS), photo_tab.guide],
        [out["live"], out["video"], out["mp4"], out["gif"], out["status"], run],
        inputs_kwargs=photo_tab.controls.by_name,
        concurrency_id="dream",
        show_progress="hidden",  # the status line is the one progress display
        api_visibility="private",
    )
    wire_stop(
        out["stop_btn"], render, stop_animation_ui, run, [out["video"], out["mp4"], out["gif"], out["status"], run]
    )


# animate_ui's motion parameters, in its order.
MOTION_INPUTS = ("frames", "zoom", "rotate", "translate_x", "translate_y", "fps", "loop", "color_lock")


def _motion_sliders(config: StudioConfig) -> dict:
    """How the animation moves: frames and speed, zoom and turn, loop and colour lock, drift."""
    with gr.Row():
        frames = motion_slider(
            "frames",
            "Frames",
            "How many pictures; more = a longer clip.",
            min(24, config.motion_max_frames),
            "anim-frames",
            high=config.motion_max_frames,
        )
        fps = motion_slider("fps", "Frames per second", "Playback speed.", 12, "anim-fps")
    with gr.Row():
        zoom = motion_slider(
            "zoom",
            "Zoom per frame",
            "Above 1 flies in, below 1 pulls out.",
            AnimationSettings.zoom,
            "anim-zoom",
            low=0.8,
            high=1.25,
            step=0.01,
        )
        rotate = motion_slider(
            "rotate",
            "Turn per frame (°)",
            "Positive turns to the left.",
            0.0,
            "anim-rotate",
            low=-10,
            high=10,
            step=0.5,
        )
    return {"frames": frames, "zoom": zoom, "rotate": rotate, "fps": fps, **_loop_and_drift()}


def _loop_and_drift() -> dict:
    """Whether the clip loops and holds its colours, and how it drifts sideways."""
    with gr.Row():
        loop = gr.Checkbox(
            False,
            label="Loop",
            elem_id="anim-loop",
            info="The last frames flow into the first, so the GIF plays forever with no jump.",
        )
        color_lock = color_lock_checkbox("anim-color-lock")
    with gr.Accordion("Drift sideways", open=False), gr.Row():
        translate_x = motion_slider(
            "translate_x",
            "Right (px per frame)",
            "Negative = left.",
            0.0,
            "anim-translate-x",
            low=-16,
            high=16,
            step=0.5,
        )
        translate_y = motion_slider(
            "translate_y",
            "Down (px per frame)",
            "Negative = up.",
            0.0,
            "anim-translate-y",
            low=-16,
            high=16,
            step=0.5,
        )
    return {"loop": loop, "color_lock": color_lock, "translate_x": translate_x, "translate_y": translate_y}


def _outputs() -> dict:
    """The latest frame with Render and Stop under it (in view with what they make), the status, the animation and
    its downloads."""
    live = gr.Image(
        label="Latest frame",
        type="pil",
        format="webp",
        interactive=False,
        height=300,
        buttons=["fullscreen"],
        elem_id="anim-live",
    )
    render_btn, stop_btn = run_button_row("🎞 Render animation", "animate", "anim-stop")
    status = gr.Markdown("Pick a look and a motion, then press **Render animation**.", elem_id="anim-status")
    video = gr.Video(
        label="Your animation", interactive=False, autoplay=True, loop=True, height=300, elem_id="anim-video"
    )
    with gr.Row():
        mp4 = gr.DownloadButton("⬇ Download MP4", visible=False, elem_id="anim-mp4")
        gif = gr.DownloadButton("⬇ Download GIF", visible=False, elem_id="anim-gif")
    return {
        "live": live,
        "render_btn": render_btn,
        "stop_btn": stop_btn,
        "status": status,
        "video": video,
        "mp4": mp4,
        "gif": gif,
    }
