"""The API (gradio_client and MCP): endpoints that take a photo or clip and the settings as JSON.

Settings arrive as one JSON object (any setting by name, plus an optional ``"preset"`` to start from), go through
the same ``DreamSettings`` as the page, and run on the same run paths (:mod:`deepdream_studio.runs`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from deepdream_core import AnimationSettings, DreamSettings, VideoSettings
from deepdream_core.dreaming.json_input import load_json
from deepdream_core.dreaming.settings import SettingsError
from deepdream_core.files.presets import Preset, guide_path, settings_with_preset

from .config import StudioConfig
from .handlers import bind, user_errors
from .runs import animation_run, dream_animation, dream_clip, dream_photo, video_run
from .sweeps import SWEEP_EXAMPLE, dream_sheet, variants_from_request
from .uploads import clip_input, load_optional, load_upload, mask_from_upload, photo_input


def json_object(text: str | None, name: str, example: str) -> dict[str, Any]:
    """An API argument that holds a JSON object; anything else is a SettingsError showing ``example``."""
    data = load_json(text or "{}", name, example)
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
    return image, settings, guide_image, mask_from_upload(mask, image.size), notices, preset.name if preset else None


@user_errors
def dream(
    config: StudioConfig,
    photo: str | None,
    settings_json: str = "{}",
    guide: str | None = None,
    mask: str | None = None,
) -> tuple[str, str]:
    """Dream a photo with DeepDream: a network paints what it sees (eyes, fur, dog faces, swirls) into the picture.

    Args:
        photo: the photo to dream on (JPEG, PNG, WebP, GIF, BMP or TIFF, at most 50 MB).
        settings_json: JSON settings, e.g. {"preset": "eyes", "steps": 12}: a preset and/or any setting by name.
        guide: optional guide image; the dream pulls the photo's features towards this image's.
        mask: optional mask image, white where the dream may go and black where the photo stays.

    Returns:
        The full-size dream as a PNG, and a status line with the seed used and any notices about the photo.
    """
    image, settings, guide_image, mask_image, notices, preset = _photo_inputs(photo, settings_json, guide, mask)
    for frame in dream_photo(image, settings, guide_image, mask_image, config, previews=False, preset=preset):
        if frame.png is not None:
            return frame.png, "; ".join([frame.status, *notices])
    raise gr.Error("the dream ended without a result")


@user_errors
def dream_stream(
    config: StudioConfig,
    photo: str | None,
    settings_json: str = "{}",
    guide: str | None = None,
    mask: str | None = None,
    progress: gr.Progress = gr.Progress(),
) -> Iterator[tuple[Any, str]]:
    """Dream a photo, streaming previews (at most 4 a second, 512 px) before the full-size PNG.

    Args:
        photo: the photo to dream on (JPEG, PNG, WebP, GIF, BMP or TIFF, at most 50 MB).
        settings_json: JSON settings, e.g. {"preset": "eyes", "steps": 12}: a preset and/or any setting by name.
        guide: optional guide image; the dream pulls the photo's features towards this image's.
        mask: optional mask image, white where the dream may go and black where the photo stays.

    Returns:
        Previews with "Dreaming… Octave 2 of 4 · step 3 of 10", then the full-size PNG with "Done …" and the seed.
    """
    image, settings, guide_image, mask_image, notices, preset = _photo_inputs(photo, settings_json, guide, mask)
    for frame in dream_photo(image, settings, guide_image, mask_image, config, progress, preset=preset):
        yield (frame.png, "; ".join([frame.status, *notices])) if frame.png else (frame.image, frame.status)


@user_errors
def animate(
    config: StudioConfig,
    photo: str | None = None,
    settings_json: str = "{}",
    motion_json: str = "{}",
    progress: gr.Progress = gr.Progress(),
) -> Iterator[tuple]:
    """A zoom animation: dream a photo (or noise), zoom or turn it a little, dream again, frame after frame.

    Args:
        photo: the start image, or nothing to grow the animation out of noise.
        settings_json: JSON settings, e.g. {"preset": "eyes", "steps": 12}: a preset and/or any setting by name.
        motion_json: JSON motion, e.g. {"frames": 24, "zoom": 1.05, "rotate": 0.5, "translate_x": 2, "fps": 12}.

    Returns:
        Each frame as it is dreamed; at the end the last frame, the MP4, a looping GIF and a status line.
    """
    settings, preset = settings_from_json(settings_json)
    motion = AnimationSettings.from_dict(
        json_object(motion_json, "motion", '{"frames": 24, "zoom": 1.05, "rotate": 0.5}')
    )
    run, image, motion = animation_run(photo, settings, motion, config, preset.name if preset else None)
    guide = load_optional(guide_path(preset), run.settings.max_size, "guide image")
    for frame in dream_animation(run, image, motion, guide, progress):
        if frame.files:
            yield frame.image, frame.files[".mp4"], frame.files[".gif"], "; ".join([frame.status, *run.notices])
        else:
            yield frame.image, None, None, frame.status


@user_errors
def dream_video(
    config: StudioConfig,
    clip_path: str | None,
    settings_json: str = "{}",
    video_json: str = "{}",
    progress: gr.Progress = gr.Progress(),
) -> Iterator[tuple]:
    """Dream every frame of a video clip, each starting from the last dream moved with the picture (no flicker).

    Args:
        clip_path: the clip (MP4, MOV, WebM, MKV, AVI or GIF); long clips are cut and large ones scaled down.
        settings_json: JSON settings, e.g. {"preset": "eyes", "steps": 12}: a preset and/or any setting by name.
        video_json: JSON video settings, e.g. {"blend": 0.6, "max_frames": 24}; blend 0-0.95 keeps the last dream.

    Returns:
        Each frame as it is dreamed; at the end the last frame, the MP4 (the clip's fps and sound) and a status.
    """
    if not clip_path:
        raise gr.Error("clip: send a video file (MP4, MOV, WebM, MKV, AVI or GIF)")
    settings, preset = settings_from_json(settings_json)
    video = VideoSettings.from_dict(json_object(video_json, "video", '{"blend": 0.6, "max_frames": 24}'))
    run, loaded, video = video_run(clip_path, settings, video, config, preset.name if preset else None)
    guide = load_optional(guide_path(preset), run.settings.max_size, "guide image")
    for frame in dream_clip(run, loaded, video, guide, progress):
        if frame.files:
            yield frame.image, frame.files[".mp4"], "; ".join([frame.status, *run.notices])
        else:
            yield frame.image, None, frame.status


@user_errors
def sweep(
    config: StudioConfig,
    photo: str | None,
    settings_json: str = "{}",
    sweep_json: str = "{}",
    progress: gr.Progress = gr.Progress(),
) -> Iterator[tuple[Any, str]]:
    """A labelled contact sheet of one photo dreamed several ways: 3-6 values of one setting, or 2-6 presets.

    Args:
        photo: the photo to dream on (JPEG, PNG, WebP, GIF, BMP or TIFF, at most 50 MB).
        settings_json: JSON settings every cell shares, e.g. {"max_size": 256, "seed": 1}.
        sweep_json: JSON, {"setting": "steps", "values": [5, 10, 20]} or {"presets": ["eyes", "gentle"]}.

    Returns:
        The sheet after each finished cell, then the whole sheet as one PNG with a status line.
    """
    variants = variants_from_request(
        json_object(settings_json, "settings", '{"max_size": 256}'), json_object(sweep_json, "sweep", SWEEP_EXAMPLE)
    )
    image, notices = load_upload(photo, max(variant.settings.max_size for variant in variants))
    for frame in dream_sheet(image, variants, config.models, progress):
        yield (frame.png, "; ".join([frame.status, *notices])) if frame.png else (frame.sheet, frame.status)


def build(config: StudioConfig) -> None:
    """The endpoints and their (hidden) components; called inside the page's ``gr.Blocks``."""
    with gr.Column(visible=False):
        photo = photo_input(label="photo")
        settings_json = gr.Textbox(label="settings_json", value="{}")
        guide = photo_input(label="guide")
        mask = photo_input(label="mask")
        result = gr.Image(label="dream", type="filepath", image_mode=None, format="png")
        status = gr.Textbox(label="status")
        clip_file = clip_input(label="clip")
        motion_json = gr.Textbox(label="motion_json", value="{}")
        video_json = gr.Textbox(label="video_json", value="{}")
        sweep_json = gr.Textbox(label="sweep_json", value="{}")
        sheet = gr.Image(label="sheet", type="filepath", format="png")
        frame = gr.Image(label="frame", type="pil", format="png")
        video = gr.Video(label="video")
        gif = gr.File(label="gif")

    # Every endpoint shares the page's queue (concurrency_id "dream").
    def endpoint(handler: Any, inputs: list, outputs: list, api_name: str) -> None:
        gr.Button(visible=False).click(
            bind(handler, config), inputs, outputs, api_name=api_name, concurrency_id="dream"
        )

    endpoint(dream, [photo, settings_json, guide, mask], [result, status], "dream")
    endpoint(dream_stream, [photo, settings_json, guide, mask], [result, status], "dream_stream")
    endpoint(animate, [photo, settings_json, motion_json], [frame, video, gif, status], "animate")
    endpoint(dream_video, [clip_file, settings_json, video_json], [frame, video, status], "dream_video")
    endpoint(sweep, [photo, settings_json, sweep_json], [sheet, status], "sweep")
