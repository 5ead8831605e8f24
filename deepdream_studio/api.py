"""The API (gradio_client, and MCP later): endpoints that take a photo or clip and the settings as JSON.

Settings arrive as one JSON object (any setting by name, plus an optional ``"preset"`` to start from), go through
the same ``DreamSettings`` as the page, and run on the same run paths (:mod:`deepdream_studio.runs`).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import gradio as gr

from deepdream_core import AnimationSettings, DreamSettings, VideoSettings
from deepdream_core.presets import Preset, guide_path, settings_with_preset
from deepdream_core.settings import SettingsError

from .config import StudioConfig
from .handlers import bind, user_errors
from .runs import animation_run, dream_animation, dream_clip, dream_photo, video_run
from .sweeps import SWEEP_EXAMPLE, dream_sheet, variants_from_request
from .uploads import clip_input, load_optional, load_upload, mask_from_upload, photo_input


def json_object(text: str | None, name: str, example: str) -> dict[str, Any]:
    """An API argument that holds a JSON object; anything else is a SettingsError showing ``example``."""
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError as err:
        raise SettingsError(name, f"not valid JSON ({err.msg} at character {err.pos}); "
                                  f"send an object such as {example}") from None
    if not isinstance(data, dict):
        raise SettingsError(name, f"send a JSON object such as {example}")
    return data


def settings_from_json(settings_json: str | None) -> tuple[DreamSettings, Preset | None]:
    """The API's settings: an optional "preset" to start from, then any settings by name."""
    return settings_with_preset(json_object(settings_json, "settings", '{"preset": "eyes", "steps": 12}'))


def _photo_inputs(photo: str | None, settings_json: str, guide: str | None, mask: str | None) -> tuple:
    settings, preset = settings_from_json(settings_json)
    image, notices = load_upload(photo, settings.max_size)
    guide_image = load_optional(guide_path(preset, guide), settings.max_size, "guide image")
    return image, settings, guide_image, mask_from_upload(mask, image.size), notices


@user_errors
def dream_api(config: StudioConfig, photo: str | None, settings_json: str, guide: str | None,
              mask: str | None) -> tuple[str, str]:
    """Dream a photo; returns the full-resolution PNG and a status line (with any notices about the photo)."""
    image, settings, guide_image, mask_image, notices = _photo_inputs(photo, settings_json, guide, mask)
    for frame in dream_photo(image, settings, guide_image, mask_image, config, previews=False):
        if frame.png is not None:
            return frame.png, "; ".join([frame.status, *notices])
    raise gr.Error("the dream ended without a result")


@user_errors
def dream_stream_api(config: StudioConfig, photo: str | None, settings_json: str, guide: str | None,
                     mask: str | None, progress: gr.Progress = gr.Progress()) -> Iterator[tuple[Any, str]]:
    """Like /dream, but yields previews (at most 4 a second, 512 px) before the full-resolution PNG."""
    image, settings, guide_image, mask_image, notices = _photo_inputs(photo, settings_json, guide, mask)
    for frame in dream_photo(image, settings, guide_image, mask_image, config, progress):
        yield (frame.png, "; ".join([frame.status, *notices])) if frame.png else (frame.image, frame.status)


@user_errors
def animate_api(config: StudioConfig, photo: str | None, settings_json: str, motion_json: str,
                progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:
    """Zoom animation from a photo (or noise when none): each frame as it is dreamed, then the MP4 and GIF."""
    settings, preset = settings_from_json(settings_json)
    motion = AnimationSettings.from_dict(
        json_object(motion_json, "motion", '{"frames": 24, "zoom": 1.05, "rotate": 0.5}'))
    run, image, motion = animation_run(photo, settings, motion, config)
    guide = load_optional(guide_path(preset), run.settings.max_size, "guide image")
    for frame in dream_animation(run, image, motion, guide, progress):
        if frame.files:
            yield frame.image, frame.files[".mp4"], frame.files[".gif"], "; ".join([frame.status, *run.notices])
        else:
            yield frame.image, None, None, frame.status


@user_errors
def dream_video_api(config: StudioConfig, clip_path: str | None, settings_json: str, video_json: str,
                    progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:
    """Dream a clip: each frame as it is dreamed, then the MP4 (H.264, the clip's fps and audio)."""
    if not clip_path:
        raise gr.Error("clip: send a video file (MP4, MOV, WebM, MKV, AVI or GIF)")
    settings, preset = settings_from_json(settings_json)
    video = VideoSettings.from_dict(json_object(video_json, "video", '{"blend": 0.6, "max_frames": 24}'))
    run, clip, video = video_run(clip_path, settings, video, config)
    guide = load_optional(guide_path(preset), run.settings.max_size, "guide image")
    for frame in dream_clip(run, clip, video, guide, progress):
        if frame.files:
            yield frame.image, frame.files[".mp4"], "; ".join([frame.status, *run.notices])
        else:
            yield frame.image, None, frame.status


@user_errors
def sweep_api(config: StudioConfig, photo: str | None, settings_json: str, sweep_json: str,
              progress: gr.Progress = gr.Progress()) -> Iterator[tuple[Any, str]]:
    """A contact sheet of the photo dreamed several ways: the sheet after each cell, then the PNG."""
    variants = variants_from_request(json_object(settings_json, "settings", '{"max_size": 256}'),
                                     json_object(sweep_json, "sweep", SWEEP_EXAMPLE))
    image, notices = load_upload(photo, max(variant.settings.max_size for variant in variants))
    for frame in dream_sheet(image, variants, progress):
        yield (frame.png, "; ".join([frame.status, *notices])) if frame.png else (frame.sheet, frame.status)


def build(config: StudioConfig) -> None:
    """The endpoints and their (hidden) components; called inside the page's ``gr.Blocks``."""
    with gr.Column(visible=False):
        photo = photo_input(label="photo")
        settings_json = gr.Textbox(label="settings_json", value="{}")
        guide = photo_input(label="guide")
        mask = photo_input(label="mask")
        dream = gr.Image(label="dream", type="filepath", image_mode=None, format="png")
        status = gr.Textbox(label="status")
        clip = clip_input(label="clip")
        motion_json = gr.Textbox(label="motion_json", value="{}")
        video_json = gr.Textbox(label="video_json", value="{}")
        sweep_json = gr.Textbox(label="sweep_json", value="{}")
        sheet = gr.Image(label="sheet", type="filepath", format="png")
        frame = gr.Image(label="frame", type="pil", format="png")
        video = gr.Video(label="video")
        gif = gr.File(label="gif")

    # Every endpoint shares the page's queue (concurrency_id "dream").
    def endpoint(handler: Any, inputs: list, outputs: list, api_name: str) -> None:
        gr.Button(visible=False).click(bind(handler, config), inputs, outputs, api_name=api_name,
                                       concurrency_id="dream")

    endpoint(dream_api, [photo, settings_json, guide, mask], [dream, status], "dream")
    endpoint(dream_stream_api, [photo, settings_json, guide, mask], [dream, status], "dream_stream")
    endpoint(animate_api, [photo, settings_json, motion_json], [frame, video, gif, status], "animate")
    endpoint(dream_video_api, [clip, settings_json, video_json], [frame, video, status], "dream_video")
    endpoint(sweep_api, [photo, settings_json, sweep_json], [sheet, status], "sweep")
