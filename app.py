"""DeepDream Studio: the Gradio app (UI only; the engine is deepdream_core).

Structure, as in Gradio's own demos: handler functions, then the layout, then the event wiring,
then ``demo.launch()``. Every dream, from the UI or the API, goes through :func:`_dream_events`
(the one function that touches the GPU) with settings built by :class:`DreamSettings`, so a bad
value fails with the same message everywhere. No user image is kept at module level: each
request's images live in its own handler call (and the browser session's components).

Environment: ``DEEPDREAM_CONCURRENCY`` (dreams run at once, default 1), ``DEEPDREAM_QUEUE_SIZE``
(dreams waiting before new ones are told the queue is full, default 16), ``DEEPDREAM_PRESETS``
(presets folder), plus Gradio's own ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

import gradio as gr
import spaces
from gradio import processing_utils
from PIL import Image

from deepdream_core import (
    BUNDLED_MODEL, ZOO, AnimationSettings, DeviceError, DreamProgress, DreamSettings, FrameProgress, LayerTarget,
    SettingsError, UnknownModelError, VideoSettings, WeightsUnavailableError, animate, dream_frames, dream_video,
    get_spec, load_clip,
)
from deepdream_core.images import MAX_FILE_BYTES, ImageInputError, load_image
from deepdream_core.links import from_query, to_query
from deepdream_core.motion import MOTION_RANGES
from deepdream_core.presets import PRESETS_DIR, Preset, all_presets, load_preset
from deepdream_core.settings import RANGES
from deepdream_core.clips import Clip, write_video
from deepdream_core.zoo import class_index

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
# Live previews: at most this many pixels on the long side; the final frame is always sent at full working size.
PREVIEW_SIZE = 512
# Errors from the engine that are the user's to fix (or to read): shown as a message, never a traceback.
USER_ERRORS = (SettingsError, ImageInputError, WeightsUnavailableError, UnknownModelError, DeviceError)


def _env_int(name: str, default: int, low: int) -> int:
    text = os.environ.get(name, "")
    if not text:
        return default
    if not text.isdigit() or int(text) < low:
        raise SystemExit(f"{name} must be a whole number of at least {low}, got {text!r}")
    return int(text)


# At least this long between two live previews, so a fast GPU does not flood the browser.
PREVIEW_INTERVAL_S = _env_int("DEEPDREAM_PREVIEW_INTERVAL_MS", 250, 0) / 1000


def photo_input(**options: Any) -> gr.Image:
    """An image input whose uploads reach ``load_image`` undecoded, as a file path.

    ``gr.Image`` opens uploads with Pillow itself (every decoder, no pixel limit) before our code
    sees them, so a text file, an EPS or a decompression bomb would fail there with Gradio's
    generic error. Here the path goes straight to ``deepdream_core.images.load_image``, which
    checks size, format and pixels and says what is wrong. (Replacing the method on the instance
    rather than subclassing: Gradio writes a .pyi stub next to any module that subclasses a
    component, at import time.)
    """
    image = gr.Image(type="filepath", image_mode=None, **options)
    image.preprocess = _upload_path  # type: ignore[method-assign]
    return uploads_only(image)


def _upload_path(payload: Any) -> str | None:
    return None if payload is None or payload.path is None else str(payload.path)


def uploads_only(component: gr.components.Component) -> gr.components.Component:
    """Make a file input refuse any file that was not uploaded to this server.

    Gradio checks that an input file was uploaded only when the request marks it as a file
    (``"meta": {"_type": "gradio.FileData"}``); a bare ``{"path": "/some/server/file.png"}`` reaches
    ``preprocess`` unchecked (Gradio 6.31), and any image on the server could be dreamed and sent
    back. Here every path in the input must lie in Gradio's upload folder, or the request is
    refused before anything is opened, with one message whether or not the file exists.
    """
    preprocess = component.preprocess
    uploads = Path(component.GRADIO_CACHE).resolve()
    name = component.label or "file"

    def checked(payload: Any) -> Any:
        for path in _paths_in(payload.model_dump() if hasattr(payload, "model_dump") else payload):
            if not Path(path).resolve().is_relative_to(uploads):
                raise gr.Error(f"{name}: not an uploaded file. Upload the image (with gradio_client: "
                               f"handle_file(path)); paths on the server are not read")
        return preprocess(payload)

    component.preprocess = checked  # type: ignore[method-assign]
    return component


def _paths_in(data: Any) -> Iterator[str]:
    """Every ``"path"`` string in a file input's payload (an image, or an editor's background and layers)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "path" and isinstance(value, str):
                yield value
            else:
                yield from _paths_in(value)
    elif isinstance(data, (list, tuple)):
        for item in data:
            yield from _paths_in(item)


# -- settings <-> controls ----------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _class_choices(model: str) -> tuple[tuple[str, str], ...]:
    """The model's own ImageNet class names as dropdown choices (label, index as text)."""
    spec = get_spec(model)
    names = spec.class_names() if spec.class_names else []
    seen = {name for i, name in enumerate(names) if name in names[:i]}  # "crane" the bird and the machine
    return (("none", ""),) + tuple((f"{n} (#{i})" if n in seen else n, str(i)) for i, n in enumerate(names))


def _layer_choices(model: str) -> list[tuple[str, str]]:
    spec = get_spec(model)
    return [(f"{layer.path} — {layer.description}" + (" (default)" if layer.path == spec.default_layer else ""),
             layer.path) for layer in spec.layers]


def _model_choices() -> list[tuple[str, str]]:
    """The zoo, bundled default first; models that download say how much."""
    choices = []
    for spec in ZOO.values():
        label = spec.title
        if not spec.weights.offline:
            label += f" · downloads ~{spec.download_mb} MB on first use" if spec.download_mb else " · downloads on first use"
        choices.append((label, spec.name))
    return sorted(choices, key=lambda choice: choice[1] != BUNDLED_MODEL)


def _model_info(model: str) -> str:
    spec = get_spec(model)
    if spec.weights.offline:
        return "Works offline, fast on a CPU."
    size = f" (~{spec.download_mb} MB)" if spec.download_mb else ""
    return f"Weights download on the first dream{size}, then stay cached."


def settings_from_controls(
    model: str, layer: str | None, layer_weight: float, channels: str, extra_layers: str, class_target: str | None,
    class_weight: float, guide_weight: float, octaves: float, octave_scale: float, steps: float, step_size: float,
    jitter: float, smoothing: float, seed: float | None, random_seed: bool, max_size: float, tile_size: float,
) -> DreamSettings:
    """The one place the controls become settings; a bad value raises SettingsError naming it."""
    layers = ""
    if layer:
        channel_text = ",".join(part.strip() for part in (channels or "").replace(";", ",").split(",") if part.strip())
        layers = f"{layer}:{layer_weight:g}" + (f":{channel_text}" if channel_text else "")
    layers = ";".join(part.strip() for part in [layers, *(extra_layers or "").split(";")] if part.strip())
    return DreamSettings.from_dict({
        "model": model, "layers": layers, "class_target": class_target or None, "class_weight": class_weight,
        "guide_weight": guide_weight, "octaves": _whole(octaves), "octave_scale": octave_scale, "steps": _whole(steps),
        "step_size": step_size, "jitter": _whole(jitter), "smoothing": smoothing,
        "seed": None if random_seed else _whole(seed if seed is not None else 0),
        "max_size": _whole(max_size), "tile_size": _whole(tile_size),
    })


def _whole(value: float) -> float | int:
    """Sliders send 4.0 for 4; the settings want whole numbers where they are whole."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def controls_from_settings(settings: DreamSettings) -> list[Any]:
    """Updates for every control (in CONTROLS order) showing ``settings``."""
    spec = get_spec(settings.model)
    targets = settings.layers or (LayerTarget(spec.default_layer),)
    first, extra = targets[0], targets[1:]
    class_value = ""
    if settings.class_target:
        names = spec.class_names() if spec.class_names else None
        class_value = str(class_index(names, settings.class_target, spec.name))
    layer_choices = _layer_choices(spec.name)
    if first.layer not in {value for _, value in layer_choices}:
        layer_choices.append((first.layer, first.layer))
    return [
        gr.update(value=spec.name, info=_model_info(spec.name)),
        gr.update(choices=layer_choices, value=first.layer),
        first.weight,
        ", ".join(str(c) for c in first.channels),
        "; ".join(_layer_text(t) for t in extra),
        gr.update(choices=list(_class_choices(spec.name)), value=class_value),
        settings.class_weight, settings.guide_weight, settings.octaves, settings.octave_scale, settings.steps,
        settings.step_size, settings.jitter, settings.smoothing,
        settings.seed if settings.seed is not None else gr.skip(), settings.seed is None,
        settings.max_size, settings.tile_size,
    ]


def _layer_text(target: LayerTarget) -> str:
    text = f"{target.layer}:{target.weight:g}"
    return text + (":" + ",".join(str(c) for c in target.channels) if target.channels else "")


def _in_preset_terms(settings: DreamSettings, preset: Preset) -> DreamSettings:
    """Spell equal choices the way the preset does, so a link to an unchanged preset is just its name."""
    ours, theirs = settings, preset.settings
    spec = get_spec(ours.model)
    if ours.model == theirs.model and not theirs.layers and ours.layers == (LayerTarget(spec.default_layer),):
        ours = ours.replace(layers=())
    if ours.class_target and theirs.class_target and spec.class_names:
        names = spec.class_names()
        if class_index(names, ours.class_target, spec.name) == class_index(names, theirs.class_target, spec.name):
            ours = ours.replace(class_target=theirs.class_target)
    return ours


# -- handlers -----------------------------------------------------------------------------------------


@spaces.GPU(duration=120)
def _dream_events(image: Image.Image, settings: DreamSettings, guide: Image.Image | None,
                  mask: Image.Image | None, preview_every: int) -> Iterator[DreamProgress]:
    """The only GPU work: on ZeroGPU Spaces this runs with a GPU attached; elsewhere it is a plain generator."""
    yield from dream_frames(image, settings, guide=guide, mask=mask, preview_every=preview_every,
                            preview_size=PREVIEW_SIZE)


def _load_photo(path: str | None, max_size: int | None, what: str = "photo") -> tuple[Image.Image, tuple[str, ...]]:
    if not path:
        raise gr.Error(f"Add a {what} first: upload one, paste it, or take one with the webcam.")
    try:
        loaded = load_image(path, max_size=max_size)
    except ImageInputError as err:
        if what == "photo":
            raise
        # Say which of the uploads is wrong: "the file is empty" alone would point at the photo.
        raise ImageInputError(f"{what}: {err}") from None
    return loaded.image, loaded.notices


def _mask_from_editor(editor: dict | None, size: tuple[int, int]) -> Image.Image | None:
    """The painted strokes as a greyscale mask (white = dream) at the working size; None if nothing is painted."""
    if not editor or not editor.get("layers"):
        return None
    alpha = Image.new("L", editor["layers"][0].size, 0)
    for layer in editor["layers"]:
        alpha.paste(255, mask=layer.convert("RGBA").getchannel("A").point(lambda a: 255 if a else 0))
    if alpha.getbbox() is None:
        return None
    return alpha.resize(size, Image.Resampling.BILINEAR)


def _run(image: Image.Image, settings: DreamSettings, guide: Image.Image | None, mask: Image.Image | None,
         progress: gr.Progress | None, preview_every: int = 1) -> Iterator[tuple[Image.Image | None, str, bool]]:
    """Dream, yielding (frame, status, final): a throttled stream of previews, then the full-size result.

    Progress reaches ``progress`` (octave and step) on every step; a preview only when
    PREVIEW_INTERVAL_S has passed since the last one.
    """
    if settings.seed is None:  # draw it here, so the status can say which seed made this dream
        settings = settings.replace(seed=random.randrange(int(RANGES["seed"].high)))
    started = last_preview = time.monotonic()
    try:
        for event in _dream_events(image, settings, guide, mask, preview_every):
            where = f"Octave {event.octave} of {event.octaves} · step {event.step} of {event.steps}"
            if progress is not None:
                progress((event.done, event.total), desc=where)
            if event.final:
                seconds = time.monotonic() - started
                yield event.image, (f"Done in {seconds:.1f} s · {event.image.width}×{event.image.height} px · "
                                    f"seed {settings.seed}"), True
            elif event.image is not None and time.monotonic() - last_preview >= PREVIEW_INTERVAL_S:
                last_preview = time.monotonic()
                yield event.image, f"Dreaming… {where}", False
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from None


def _save_png(image: Image.Image) -> str:
    """The full-resolution result as a lossless PNG in Gradio's cache (cleaned up by delete_cache)."""
    return processing_utils.save_pil_to_cache(image, cache_dir=result.GRADIO_CACHE, name="deepdream", format="png")


def dream_ui(photo: str | None, editor: dict | None, guide: str | None, *controls: Any,
             progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:
    """The Dream button: stream previews into the result, then the PNG, the comparison and the download."""
    try:
        settings = settings_from_controls(*controls)
        image, notices = _load_photo(photo, settings.max_size)
        guide_image = _load_photo(guide, settings.max_size, "guide image")[0] if guide else None
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from None
    for notice in notices:
        gr.Warning(notice[0].upper() + notice[1:] + ".")
    mask = _mask_from_editor(editor, image.size)
    for frame, status, final in _run(image, settings, guide_image, mask, progress):
        if final:
            png = _save_png(frame)
            yield png, gr.update(value=(image, png), visible=True), gr.update(value=png, visible=True), status
        else:
            yield frame, gr.skip(), gr.skip(), status


def stop_ui() -> str:
    return "Stopped. The last frame stays; press **Dream** to start again or **Go deeper** to dream this frame."


def photo_changed(photo: str | None) -> tuple:
    """A new photo: check it, show it under the mask brush, and clear the last result."""
    if not photo:
        return None, None, gr.update(visible=False), gr.update(visible=False), \
            "Upload a photo, pick a look, then press **Dream**."
    try:
        loaded = load_image(photo, max_size=1024)
    except ImageInputError as err:
        raise gr.Error(str(err)) from None
    editor = {"background": loaded.image, "layers": [], "composite": loaded.image}
    return editor, None, gr.update(value=None, visible=False), gr.update(visible=False), \
        "Ready: pick a look, then press **Dream**."


def preset_chosen(name: str | None) -> list[Any]:
    """A preset's values in every control (nothing hidden), its guide image and its description."""
    if not name:
        return [gr.skip()] * (len(CONTROLS) + 2)
    try:
        preset = load_preset(name)
    except SettingsError as err:
        raise gr.Error(str(err)) from None
    about = f"**{preset.title}** — {preset.description}" if preset.description else f"**{preset.title}**"
    guide = str(preset.guide) if preset.guide else None
    return [*controls_from_settings(preset.settings), guide, about]


def gallery_selected(evt: gr.SelectData) -> list[Any]:
    """A thumbnail click: that preset's name in the Look dropdown, and its values everywhere."""
    name = PRESETS[evt.index].name
    return [name, *preset_chosen(name)]


def model_changed(model: str) -> tuple:
    """The user picked another model: its layers (default selected), its classes and where its weights come from."""
    try:
        spec = get_spec(model)
    except UnknownModelError as err:
        raise gr.Error(str(err)) from None
    return (gr.update(info=_model_info(model)), gr.update(choices=_layer_choices(model), value=spec.default_layer),
            gr.update(choices=list(_class_choices(model)), value=""))


def make_link(page_url: str, preset: str | None, *controls: Any) -> tuple[str, str]:
    """A URL restoring these settings (never the images): the preset and what differs from it."""
    try:
        settings = settings_from_controls(*controls)
        if preset:
            settings = _in_preset_terms(settings, load_preset(preset))
        query = to_query(settings, preset=preset or None)
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from None
    base = (page_url or "").split("?")[0].split("#")[0]
    return f"{base}?{query}" if query else base, "Link ready (it holds the settings, not your photos)."


def restore_link(request: gr.Request) -> list[Any]:
    """Open ?preset=...&steps=...: fill every control; skipped values are listed in a visible note."""
    params = dict(request.query_params) if request else {}
    link = from_query(params)
    if not link.preset and link.settings == DreamSettings() and not link.ignored:
        return [gr.skip()] * (len(CONTROLS) + 3)
    ignored = list(link.ignored)
    settings = link.settings
    try:
        updates = controls_from_settings(settings)
    except (UnknownModelError, SettingsError) as err:
        ignored.append(str(err))
        settings = settings.replace(model=BUNDLED_MODEL, layers=(), class_target=None)
        updates = controls_from_settings(settings)
    preset_guide = load_preset(link.preset).guide if link.preset else None
    guide = str(preset_guide) if preset_guide else None
    note = ""
    if ignored:
        note = "**This link had values that were ignored:**\n" + "\n".join(f"- {message}" for message in ignored)
    return [*updates, link.preset, guide, gr.update(value=note, visible=bool(note))]


# -- API (gradio_client) ----------------------------------------------------------------------------


def _json_object(text: str | None, name: str, example: str) -> dict[str, Any]:
    """An API argument that holds a JSON object; anything else is a gr.Error showing ``example``."""
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError as err:
        raise gr.Error(f"{name}: not valid JSON ({err.msg} at character {err.pos}); "
                       f"send an object such as {example}") from None
    if not isinstance(data, dict):
        raise gr.Error(f"{name}: send a JSON object such as {example}")
    return data


def _settings_from_json(settings_json: str | None) -> tuple[DreamSettings, Preset | None]:
    """The API's settings: an optional "preset" to start from, then any settings by name. Raises SettingsError."""
    data = _json_object(settings_json, "settings", '{"preset": "eyes", "steps": 12}')
    preset = load_preset(str(data.pop("preset"))) if data.get("preset") else None
    data.pop("preset", None)
    return DreamSettings.from_dict(data, base=preset.settings if preset else None), preset


def _api_inputs(photo: str | None, settings_json: str, guide: str | None, mask: str | None
                ) -> tuple[Image.Image, DreamSettings, Image.Image | None, Image.Image | None, tuple[str, ...]]:
    try:
        settings, preset = _settings_from_json(settings_json)
        image, notices = _load_photo(photo, settings.max_size)
        guide_path = guide or (str(preset.guide) if preset and preset.guide else None)
        guide_image = _load_photo(guide_path, settings.max_size, "guide image")[0] if guide_path else None
        mask_image = _load_photo(mask, None, "mask")[0].convert("L").resize(image.size) if mask else None
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from None
    return image, settings, guide_image, mask_image, notices


def dream_api(photo: str | None, settings_json: str, guide: str | None, mask: str | None) -> tuple[str, str]:
    """Dream a photo; returns the full-resolution PNG and a status line (with any notices about the photo)."""
    image, settings, guide_image, mask_image, notices = _api_inputs(photo, settings_json, guide, mask)
    for frame, status, final in _run(image, settings, guide_image, mask_image, None, preview_every=0):
        if final:
            return _save_png(frame), "; ".join([status, *notices])
    raise gr.Error("the dream ended without a result")


def dream_stream_api(photo: str | None, settings_json: str, guide: str | None, mask: str | None,
                     progress: gr.Progress = gr.Progress()) -> Iterator[tuple[str | Image.Image, str]]:
    """Like /dream, but yields previews (at most 4 a second, 512 px) before the full-resolution PNG."""
    image, settings, guide_image, mask_image, notices = _api_inputs(photo, settings_json, guide, mask)
    for frame, status, final in _run(image, settings, guide_image, mask_image, progress):
        yield (_save_png(frame), "; ".join([status, *notices])) if final else (frame, status)


# -- motion: zoom animations and videos ---------------------------------------------------------------

# Caps for the public demo, lower than the CLI's: a CPU Space dreams a 384 px frame in seconds, so these
# keep one run to minutes. Longer clips are cut and larger ones scaled down, with a notice.
MOTION_MAX_FRAMES = min(_env_int("DEEPDREAM_MOTION_MAX_FRAMES", 48, 1), int(MOTION_RANGES["frames"].high))
MOTION_MAX_SIDE = min(_env_int("DEEPDREAM_MOTION_MAX_SIDE", 384, 32), int(MOTION_RANGES["max_side"].high))
SAME_AS_PHOTO_TAB = ""  # the Look dropdown's first choice: the Photo tab's look and settings


@dataclass
class _Render:
    """A motion render of one browser session: what Stop needs to still save the frames dreamed so far."""

    name: str  # file stem of the downloads
    fps: float | Fraction
    audio_from: Clip | None = None
    frames: list[Image.Image] = field(default_factory=list)


def clip_input(**options: Any) -> gr.Video:
    """A video input whose uploads reach ``load_clip`` as they were sent, as a file path.

    ``gr.Video`` may run the ffmpeg program on uploads (to mirror webcam clips or change the format),
    which is not installed everywhere and would open any file before our checks; PyAV does the decoding.
    """
    clip = gr.Video(sources=["upload"], format=None, include_audio=True, **options)
    clip.preprocess = _upload_path  # type: ignore[method-assign]
    # Gradio 6.31 already refuses a clip's bare server path (FileData needs "meta"); this keeps it so if that changes.
    return uploads_only(clip)


@spaces.GPU(duration=300)
def _animation_events(image: Image.Image | None, settings: DreamSettings, motion: AnimationSettings,
                      guide: Image.Image | None) -> Iterator[FrameProgress]:
    """GPU work of a zoom animation, under the same queue (concurrency_id "dream") as photo dreams."""
    yield from animate(image, settings, motion, guide)


@spaces.GPU(duration=300)
def _video_events(clip: Clip, settings: DreamSettings, video: VideoSettings,
                  guide: Image.Image | None) -> Iterator[FrameProgress]:
    """GPU work of a video dream, under the same queue (concurrency_id "dream") as photo dreams."""
    yield from dream_video(clip, settings, video, guide)


def _capped_animation(settings: DreamSettings, motion: AnimationSettings
                      ) -> tuple[DreamSettings, AnimationSettings, list[str]]:
    notices = []
    if motion.frames > MOTION_MAX_FRAMES:
        notices.append(f"this app makes at most {MOTION_MAX_FRAMES} frames per animation; "
                       f"rendering {MOTION_MAX_FRAMES} of the {motion.frames} asked for")
        motion = dataclasses.replace(motion, frames=MOTION_MAX_FRAMES)
    if settings.max_size > MOTION_MAX_SIDE:
        notices.append(f"animations are dreamed at most {MOTION_MAX_SIDE} px on the long side here")
        settings = settings.replace(max_size=MOTION_MAX_SIDE)
    return settings, motion, notices


def _capped_video(video: VideoSettings) -> VideoSettings:
    """The clip caps of this app; ``load_clip`` adds the notice when a clip is cut or scaled down."""
    return dataclasses.replace(video, max_frames=min(video.max_frames, MOTION_MAX_FRAMES),
                               max_side=min(video.max_side, MOTION_MAX_SIDE))


def _with_seed(settings: DreamSettings) -> DreamSettings:
    """A drawn seed in place of "random", so the status can say which seed made this."""
    return settings if settings.seed is not None else settings.replace(seed=random.randrange(int(RANGES["seed"].high)))


def _look(look: str | None, size: float, guide: str | None, controls: tuple) -> tuple[DreamSettings, Image.Image | None]:
    """The motion tabs' look: a preset, or everything the Photo tab is set to; at ``size`` px."""
    if look:
        preset = load_preset(look)
        settings, guide = preset.settings, (str(preset.guide) if preset.guide else None)
    else:
        settings = settings_from_controls(*controls)
    settings = _with_seed(settings.replace(max_size=int(size)))
    guide_image = _load_photo(guide, settings.max_size, "guide image")[0] if guide else None
    return settings, guide_image


def _render(events: Iterator[FrameProgress], render: _Render,
            progress: gr.Progress | None) -> Iterator[tuple[Image.Image, str]]:
    """Each dreamed frame as it comes, with "frame i of N" and a rough time left; frames are kept in ``render``."""
    first_done = None
    try:
        for event in events:
            render.frames.append(event.image)
            # Frames after the first take about the same time each (the first is a full dream, the rest feedback).
            left = ""
            if first_done is None:
                first_done = time.monotonic()
            elif event.index < event.total:
                seconds = (time.monotonic() - first_done) / (event.index - 1) * (event.total - event.index)
                left = f" · about {seconds:.0f} s left"
            where = f"Frame {event.index} of {event.total}"
            if progress is not None:
                progress((event.index, event.total), desc=where)
            yield event.image, f"Dreaming… {where} done{left}"
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from None


def _save_motion(render: _Render, suffix: str, cache_dir: str) -> str:
    """``render``'s frames as an MP4 (with the clip's audio) or GIF file in Gradio's cache (cleaned up by delete_cache)."""
    with tempfile.TemporaryDirectory(prefix="deepdream-") as folder:
        path = write_video(render.frames, Path(folder) / f"{render.name}{suffix}", render.fps,
                           audio_from=render.audio_from if suffix == ".mp4" else None)
        return processing_utils.save_file_to_cache(path, cache_dir=cache_dir)


def _summary(render: _Render, started: float | None, seed: int | None) -> str:
    width, height = render.frames[-1].size
    took = f"Done in {time.monotonic() - started:.1f} s · " if started is not None else ""
    sound = " · with the clip's sound" if render.audio_from is not None and render.audio_from.has_audio else ""
    seed_text = f" · seed {seed}" if seed is not None else ""
    return f"{took}{len(render.frames)} frames · {width}×{height} px · {float(render.fps):g} fps{sound}{seed_text}"


def _warn(notices: Iterable[str]) -> None:
    for notice in notices:
        gr.Warning(notice[0].upper() + notice[1:] + ".")


def animate_ui(start: str | None, look: str | None, size: float, frames: float, zoom: float, rotate: float,
               translate_x: float, translate_y: float, fps: float, guide: str | None, *controls: Any,
               progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:
    """Render: stream each frame into the live view, then show the MP4 and offer MP4 and GIF downloads."""
    try:
        settings, guide_image = _look(look, size, guide, controls)
        motion = AnimationSettings.from_dict({"frames": _whole(frames), "zoom": zoom, "rotate": rotate,
                                              "translate_x": translate_x, "translate_y": translate_y,
                                              "fps": _whole(fps)})
        settings, motion, notices = _capped_animation(settings, motion)
        image, photo_notices = _load_photo(start, settings.max_size) if start else (None, ())
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from None
    _warn([*notices, *photo_notices])
    render, started = _Render("deepdream-zoom", motion.fps), time.monotonic()
    for frame, status in _render(_animation_events(image, settings, motion, guide_image), render, progress):
        if len(render.frames) == 1:  # the last run's animation and downloads go away
            yield frame, None, gr.update(value=None, visible=False), gr.update(value=None, visible=False), status, render
        else:
            yield frame, gr.skip(), gr.skip(), gr.skip(), status, render
    yield (*_animation_result(render), _summary(render, started, settings.seed), None)


def _animation_result(render: _Render) -> tuple:
    """The last frame, the MP4 to watch, and the MP4 and GIF download buttons."""
    mp4 = _save_motion(render, ".mp4", anim_video.GRADIO_CACHE)
    gif = _save_motion(render, ".gif", anim_video.GRADIO_CACHE)
    return (render.frames[-1], mp4, gr.update(value=mp4, visible=True), gr.update(value=gif, visible=True))


def video_ui(clip_path: str | None, look: str | None, size: float, blend: float, guide: str | None,
             *controls: Any, progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:
    """Render: stream each dreamed frame into the live view, then show the MP4 with the clip's sound."""
    if not clip_path:
        raise gr.Error("Add a clip first: upload a short video (MP4, MOV, WebM, MKV, AVI or GIF).")
    try:
        settings, guide_image = _look(look, size, guide, controls)
        video = _capped_video(VideoSettings.from_dict({"blend": blend}))
        clip = load_clip(clip_path, settings, video)
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from None
    _warn(clip.notices)
    render, started = _Render("deepdream-video", clip.fps, audio_from=clip), time.monotonic()
    for frame, status in _render(_video_events(clip, settings, video, guide_image), render, progress):
        yield frame, None if len(render.frames) == 1 else gr.skip(), status, render
    mp4 = _save_motion(render, ".mp4", video_result.GRADIO_CACHE)
    yield render.frames[-1], mp4, _summary(render, started, settings.seed), None


def photo_tab_photo(path: str | None) -> str | None:
    if not path:
        raise gr.Error("The Photo tab has no photo yet: upload one here, or there first.")
    return path


def stop_animation_ui(render: _Render | None) -> tuple:
    """Stop: the frames dreamed so far still become an MP4 and a GIF."""
    if render is None or not render.frames:
        return gr.skip(), gr.skip(), gr.skip(), "Stopped before the first frame was done.", None
    return (*_animation_result(render)[1:], f"Stopped: kept the {_summary(render, None, None)}.", None)


def stop_video_ui(render: _Render | None) -> tuple:
    """Stop: the frames dreamed so far still become an MP4, with the clip's sound for as long."""
    if render is None or not render.frames:
        return gr.skip(), "Stopped before the first frame was done.", None
    mp4 = _save_motion(render, ".mp4", video_result.GRADIO_CACHE)
    return mp4, f"Stopped: kept the {_summary(render, None, None)}.", None


def animate_api(photo: str | None, settings_json: str, motion_json: str,
                progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:
    """Zoom animation from a photo (or noise when none): each frame as it is dreamed, then the MP4 and GIF."""
    try:
        settings, preset = _settings_from_json(settings_json)
        motion = AnimationSettings.from_dict(
            _json_object(motion_json, "motion", '{"frames": 24, "zoom": 1.05, "rotate": 0.5}'))
        settings, motion, notices = _capped_animation(_with_seed(settings), motion)
        image, photo_notices = _load_photo(photo, settings.max_size) if photo else (None, ())
        guide = _load_photo(str(preset.guide), settings.max_size, "guide image")[0] if preset and preset.guide else None
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from None
    render, started = _Render("deepdream-zoom", motion.fps), time.monotonic()
    for frame, status in _render(_animation_events(image, settings, motion, guide), render, progress):
        yield frame, None, None, status
    mp4 = _save_motion(render, ".mp4", api_motion_video.GRADIO_CACHE)
    gif = _save_motion(render, ".gif", api_motion_video.GRADIO_CACHE)
    yield render.frames[-1], mp4, gif, "; ".join([_summary(render, started, settings.seed), *notices, *photo_notices])


def dream_video_api(clip_path: str | None, settings_json: str, video_json: str,
                    progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:
    """Dream a clip: each frame as it is dreamed, then the MP4 (H.264, the clip's fps and audio)."""
    if not clip_path:
        raise gr.Error("clip: send a video file (MP4, MOV, WebM, MKV, AVI or GIF)")
    try:
        settings, preset = _settings_from_json(settings_json)
        video = _capped_video(VideoSettings.from_dict(
            _json_object(video_json, "video", '{"blend": 0.6, "max_frames": 24}')))
        settings = _with_seed(settings)
        clip = load_clip(clip_path, settings, video)
        guide = _load_photo(str(preset.guide), settings.max_size, "guide image")[0] if preset and preset.guide else None
    except USER_ERRORS as err:
        raise gr.Error(str(err)) from None
    render, started = _Render("deepdream-video", clip.fps, audio_from=clip), time.monotonic()
    for frame, status in _render(_video_events(clip, settings, video, guide), render, progress):
        yield frame, None, status
    mp4 = _save_motion(render, ".mp4", api_motion_video.GRADIO_CACHE)
    yield render.frames[-1], mp4, "; ".join([_summary(render, started, settings.seed), *clip.notices])


# -- layout -------------------------------------------------------------------------------------------

PRESETS = all_presets() if PRESETS_DIR.is_dir() else []
SAMPLES = sorted(str(p) for p in SAMPLES_DIR.glob("*.jpg")) if SAMPLES_DIR.is_dir() else []
DEFAULTS = DreamSettings()
DEFAULT_SPEC = get_spec(DEFAULTS.model)


def _slider(name: str, label: str, info: str, value: float, step: float | None = None) -> gr.Slider:
    """A slider whose bounds come from settings.RANGES, the same bounds every entry point checks."""
    bounds = RANGES[name]
    return gr.Slider(bounds.low, bounds.high, value=value, step=step or (1 if bounds.integer else 0.01),
                     label=label, info=info, elem_id=name.replace("_", "-"))


def _motion_slider(name: str, label: str, info: str, value: float, elem_id: str, low: float | None = None,
                   high: float | None = None, step: float | None = None) -> gr.Slider:
    """A slider within motion.MOTION_RANGES (narrower where the full range is more than a person needs)."""
    bounds = MOTION_RANGES[name]
    return gr.Slider(max(bounds.low, low if low is not None else bounds.low),
                     min(bounds.high, high if high is not None else bounds.high), value=value,
                     step=step or (1 if bounds.integer else 0.01), label=label, info=info, elem_id=elem_id)


def _motion_size(elem_id: str) -> gr.Slider:
    return gr.Slider(min(64, MOTION_MAX_SIDE), MOTION_MAX_SIDE, value=min(256, MOTION_MAX_SIDE), step=16, label="Size (px)",
                     info="Long side of each frame; smaller is much faster.", elem_id=elem_id)


def _look_dropdown(elem_id: str) -> gr.Dropdown:
    return gr.Dropdown([("Same as the Photo tab", SAME_AS_PHOTO_TAB), *[(p.title, p.name) for p in PRESETS]],
                       value=SAME_AS_PHOTO_TAB, label="Look", elem_id=elem_id,
                       info="Uses the look and settings of the Photo tab, or pick one of the looks here.")


CSS = """
#dream-result img { object-fit: contain; }
#preset-gallery .caption-label { font-size: 0.8rem; }
#preset-gallery .grid-wrap { min-height: 0 !important; max-height: none !important; }  /* no empty rows */
#title { margin-bottom: 0; }
"""
COPY_LINK_JS = """
(url) => {
  if (url && navigator.clipboard) { navigator.clipboard.writeText(url).catch(() => {}); }
  return url;
}
"""

with gr.Blocks(title="DeepDream Studio", delete_cache=(1800, 3600)) as demo:
    gr.Markdown("# 🌀 DeepDream Studio\nTurn a photo into a dream: a neural network paints what it *sees* into "
                "your picture — eyes, fur, dog faces, swirls. **1** add a photo, **2** pick a look, **3** press Dream.",
                elem_id="title")
    link_note = gr.Markdown(visible=False, elem_id="link-note")
    with gr.Tabs():
        with gr.Tab("Photo", id="photo"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=5):
                    photo = photo_input(label="1 · Your photo", height=300,
                                        sources=["upload", "clipboard", "webcam"], elem_id="photo")
                    if SAMPLES:
                        gr.Examples(SAMPLES, inputs=photo, label="…or try a sample", cache_examples=False)
                    gallery = gr.Gallery(
                        [(str(p.thumbnail), p.title) for p in PRESETS if p.thumbnail],
                        label="2 · Pick a look", columns=4, height="auto", allow_preview=False,
                        object_fit="cover", buttons=[], elem_id="preset-gallery", visible=bool(PRESETS))
                    preset_about = gr.Markdown("Each look sets everything below; fine-tune it if you like.",
                                               elem_id="preset-about")
                    with gr.Row():
                        preset = gr.Dropdown([(p.title, p.name) for p in PRESETS], value=None, label="Look",
                                             info="The looks above, by name.", elem_id="preset")
                        model = gr.Dropdown(_model_choices(), value=DEFAULTS.model, label="Network",
                                            info=_model_info(DEFAULTS.model), elem_id="model")
                    layer = gr.Dropdown(_layer_choices(DEFAULTS.model), value=DEFAULT_SPEC.default_layer,
                                        label="What it dreams of", allow_custom_value=True, elem_id="layer",
                                        info="Deeper layers draw bigger things: strokes → eyes → whole animals.")
                    with gr.Row():
                        dream_btn = gr.Button("✨ Dream", variant="primary", size="lg", elem_id="dream")
                        stop_btn = gr.Button("Stop", variant="stop", size="lg", elem_id="stop")
                with gr.Column(scale=6):
                    result = gr.Image(label="3 · Your dream", type="filepath", image_mode=None, format="webp",
                                      interactive=False, height=420, buttons=["download", "fullscreen"],
                                      elem_id="dream-result")
                    status = gr.Markdown("Upload a photo, pick a look, then press **Dream**.", elem_id="status")
                    with gr.Row():
                        deeper_btn = gr.Button("🌀 Go deeper", elem_id="deeper")
                        download = gr.DownloadButton("⬇ Download PNG", visible=False, elem_id="download")
                    compare = gr.ImageSlider(label="Before / after: drag to compare", type="pil", interactive=False,
                                             max_height=420, visible=False, elem_id="compare")

            with gr.Accordion("Advanced: every setting", open=False, elem_id="advanced"):
                with gr.Row():
                    octaves = _slider("octaves", "Octaves", "How many sizes it dreams at, small to large: "
                                      "more = bigger shapes.", DEFAULTS.octaves)
                    octave_scale = _slider("octave_scale", "Octave scale", "Size step between octaves.",
                                           DEFAULTS.octave_scale)
                    steps = _slider("steps", "Steps per octave", "More steps = stronger dream, slower.",
                                    DEFAULTS.steps)
                with gr.Row():
                    step_size = _slider("step_size", "Step size", "How much each step changes the image.",
                                        DEFAULTS.step_size)
                    jitter = _slider("jitter", "Jitter (px)", "Random shift per step; hides grid artefacts.",
                                     DEFAULTS.jitter)
                    smoothing = _slider("smoothing", "Smoothing", "Softer, less noisy detail.", DEFAULTS.smoothing)
                with gr.Row():
                    max_size = _slider("max_size", "Max size (px)", "Long side of the working image; "
                                       "larger photos are scaled down.", DEFAULTS.max_size, step=16)
                    tile_size = _slider("tile_size", "Tile size (px)", "Memory per step; smaller uses less.",
                                        DEFAULTS.tile_size, step=16)
                    with gr.Column():
                        seed = gr.Number(DEFAULTS.seed, label="Seed", precision=0, minimum=RANGES["seed"].low,
                                         maximum=RANGES["seed"].high, info="Same seed + settings = same dream.",
                                         elem_id="seed")
                        random_seed = gr.Checkbox(DEFAULTS.seed is None, label="New random seed every run",
                                                  elem_id="random-seed")
                gr.Markdown("**Objective** — what the dream pulls towards.")
                with gr.Row():
                    layer_weight = _slider("layer_weight", "Layer weight", "Negative weights suppress it.", 1.0)
                    channels = gr.Textbox(label="Channels", placeholder="all", elem_id="channels",
                                          info="Only these channels of the layer, e.g. 3, 17 (empty = all).")
                    extra_layers = gr.Textbox(label="Mix in more layers", placeholder="e.g. blocks.2:0.5; blocks.5.0:0.3",
                                              info="layer:weight[:channels], separated by ;", elem_id="extra-layers")
                with gr.Row():
                    class_target = gr.Dropdown(list(_class_choices(DEFAULTS.model)), value="", filterable=True,
                                               label="ImageNet class", elem_id="class-target",
                                               info="Type to search, e.g. 'tabby' or 'pizza': makes it look more like that.")
                    class_weight = _slider("class_weight", "Class weight", "How strongly the class pulls.",
                                           DEFAULTS.class_weight)
                with gr.Row():
                    guide = photo_input(label="Guide image (optional)", height=200,
                                        sources=["upload", "clipboard"], elem_id="guide")
                    with gr.Column():
                        guide_weight = _slider("guide_weight", "Guide weight",
                                               "Dream the guide's textures into your photo.", DEFAULTS.guide_weight)
                mask_editor = gr.ImageEditor(
                    label="Where to dream (optional): paint over the parts to dream; leave empty to dream everywhere",
                    type="pil", sources=[], transforms=[], layers=False, height=360, elem_id="mask",
                    brush=gr.Brush(colors=["rgba(255, 0, 200, 0.6)"], color_mode="fixed"))

            with gr.Row(equal_height=True):
                copy_btn = gr.Button("🔗 Copy link to these settings", scale=1, elem_id="copy-link")
                link_box = gr.Textbox(label="Share link", show_label=False, scale=3, interactive=False,
                                      placeholder="A link to these settings appears here", elem_id="link",
                                      buttons=["copy"])
            page_url = gr.Textbox(visible=False)

        with gr.Tab("Zoom animation", id="zoom"):
            gr.Markdown("Dream a picture, zoom into it a little, dream again — over and over, so new dreams grow "
                        "out of the old ones. Start from a photo, or leave it empty to grow a dream out of noise.")
            with gr.Row(equal_height=False):
                with gr.Column(scale=5):
                    with gr.Row():
                        anim_start = photo_input(label="Start image (optional)", height=220,
                                                 sources=["upload", "clipboard"], elem_id="anim-start")
                        with gr.Column():
                            anim_use_photo = gr.Button("Use the Photo tab's photo", size="sm", elem_id="anim-use-photo")
                            anim_look = _look_dropdown("anim-look")
                            anim_size = _motion_size("anim-size")
                    with gr.Row():
                        anim_frames = _motion_slider("frames", "Frames", "How many pictures; more = a longer clip.",
                                                     min(24, MOTION_MAX_FRAMES), "anim-frames", high=MOTION_MAX_FRAMES)
                        anim_fps = _motion_slider("fps", "Frames per second", "Playback speed.", 12, "anim-fps")
                    with gr.Row():
                        anim_zoom = _motion_slider("zoom", "Zoom per frame", "Above 1 flies in, below 1 pulls out.",
                                                   AnimationSettings.zoom, "anim-zoom", low=0.8, high=1.25, step=0.01)
                        anim_rotate = _motion_slider("rotate", "Turn per frame (°)", "Positive turns to the left.",
                                                     0.0, "anim-rotate", low=-10, high=10, step=0.5)
                    with gr.Accordion("Drift sideways", open=False):
                        with gr.Row():
                            anim_tx = _motion_slider("translate_x", "Right (px per frame)", "Negative = left.",
                                                     0.0, "anim-translate-x", low=-16, high=16, step=0.5)
                            anim_ty = _motion_slider("translate_y", "Down (px per frame)", "Negative = up.",
                                                     0.0, "anim-translate-y", low=-16, high=16, step=0.5)
                    with gr.Row():
                        anim_btn = gr.Button("🎞 Render animation", variant="primary", size="lg", elem_id="animate")
                        anim_stop = gr.Button("Stop", variant="stop", size="lg", elem_id="anim-stop")
                with gr.Column(scale=6):
                    anim_live = gr.Image(label="Latest frame", type="pil", format="webp", interactive=False,
                                         height=300, buttons=["fullscreen"], elem_id="anim-live")
                    anim_status = gr.Markdown("Pick a look and a motion, then press **Render animation**.",
                                              elem_id="anim-status")
                    anim_video = gr.Video(label="Your animation", interactive=False, autoplay=True, loop=True,
                                          height=300, elem_id="anim-video")
                    with gr.Row():
                        anim_mp4 = gr.DownloadButton("⬇ Download MP4", visible=False, elem_id="anim-mp4")
                        anim_gif = gr.DownloadButton("⬇ Download GIF", visible=False, elem_id="anim-gif")
            anim_render = gr.State(None)

        with gr.Tab("Video", id="video"):
            gr.Markdown(f"Upload a short clip and every frame is dreamed. Each frame starts from the last dream, moved "
                        f"along with the picture, so the patterns stay on things instead of flickering. The sound is "
                        f"kept. **Limits here:** the first {MOTION_MAX_FRAMES} frames (about "
                        f"{MOTION_MAX_FRAMES / 24:.2g} s at 24 fps), at most {MOTION_MAX_SIDE} px; longer clips are "
                        f"cut and larger ones scaled down.")
            with gr.Row(equal_height=False):
                with gr.Column(scale=5):
                    video_clip = clip_input(label="Your clip", height=260, elem_id="video-clip")
                    video_look = _look_dropdown("video-look")
                    with gr.Row():
                        video_size = _motion_size("video-size")
                        video_blend = _motion_slider(
                            "blend", "Steadiness", "How much of the last dream each frame keeps: higher = calmer "
                            "patterns that stick to things; 0 = every frame dreamed on its own (flickers).",
                            VideoSettings.blend, "video-blend", step=0.05)
                    with gr.Row():
                        video_btn = gr.Button("🎬 Dream the video", variant="primary", size="lg", elem_id="dream-video")
                        video_stop = gr.Button("Stop", variant="stop", size="lg", elem_id="video-stop")
                with gr.Column(scale=6):
                    video_live = gr.Image(label="Latest frame", type="pil", format="webp", interactive=False,
                                          height=300, buttons=["fullscreen"], elem_id="video-live")
                    video_status = gr.Markdown("Upload a clip, then press **Dream the video**.", elem_id="video-status")
                    video_result = gr.Video(label="Your dreamed video", interactive=False, height=300,
                                            buttons=["download"], elem_id="video-result")
            video_render = gr.State(None)

    # Go deeper dreams the result, an input too. (The mask brush needs no check: Gradio requires
    # "meta" on the files inside an editor's value, so a bare path there fails validation.)
    uploads_only(result)

    # The API: one photo, settings as JSON, optional guide and mask (white = dream). Not shown in the page.
    with gr.Column(visible=False):
        api_photo = photo_input(label="photo")
        api_settings = gr.Textbox(label="settings_json", value="{}")
        api_guide = photo_input(label="guide")
        api_mask = photo_input(label="mask")
        api_result = gr.Image(label="dream", type="filepath", image_mode=None, format="png")
        api_status = gr.Textbox(label="status")
        # Motion: a clip, and the motion (animate) or video (dream_video) settings as JSON.
        api_clip = clip_input(label="clip")
        api_motion = gr.Textbox(label="motion_json", value="{}")
        api_video_json = gr.Textbox(label="video_json", value="{}")
        api_frame = gr.Image(label="frame", type="pil", format="png")
        api_motion_video = gr.Video(label="video")
        api_gif = gr.File(label="gif")

    # -- wiring ---------------------------------------------------------------------------------------
    CONTROLS = [model, layer, layer_weight, channels, extra_layers, class_target, class_weight, guide_weight,
                octaves, octave_scale, steps, step_size, jitter, smoothing, seed, random_seed, max_size, tile_size]
    dream_outputs = [result, compare, download, status]
    dream_event = dream_btn.click(
        dream_ui, [photo, mask_editor, guide, *CONTROLS], dream_outputs, concurrency_id="dream",
        show_progress="minimal", show_progress_on=[status], api_visibility="private")
    deeper_event = deeper_btn.click(
        dream_ui, [result, mask_editor, guide, *CONTROLS], dream_outputs, concurrency_id="dream",
        show_progress="minimal", show_progress_on=[status], api_visibility="private")
    # The note comes after the cancel, so no frame still on its way from the stopped run can overwrite it.
    stop_btn.click(None, None, None, cancels=[dream_event, deeper_event], api_visibility="private").then(
        stop_ui, None, status, concurrency_limit=None, api_visibility="private")

    photo.change(photo_changed, photo, [mask_editor, result, compare, download, status], concurrency_limit=None,
                 api_visibility="private")
    # .input, not .change: a share link sets the preset and its own values, which must not be overwritten.
    gallery.select(gallery_selected, None, [preset, *CONTROLS, guide, preset_about], concurrency_limit=None,
                   api_visibility="private")
    preset.input(preset_chosen, preset, [*CONTROLS, guide, preset_about], concurrency_limit=None,
                  api_visibility="private")
    model.input(model_changed, model, [model, layer, class_target], concurrency_limit=None, api_visibility="private")
    copy_btn.click(make_link, [page_url, preset, *CONTROLS], [link_box, status], concurrency_limit=None,
                   js="(url, ...rest) => [window.location.href, ...rest]", api_visibility="private"
                   ).then(None, link_box, None, js=COPY_LINK_JS)
    demo.load(restore_link, None, [*CONTROLS, preset, guide, link_note], concurrency_limit=None,
              api_visibility="private")

    api_inputs = [api_photo, api_settings, api_guide, api_mask]
    gr.Button(visible=False).click(dream_api, api_inputs, [api_result, api_status], api_name="dream",
                                   concurrency_id="dream")
    gr.Button(visible=False).click(dream_stream_api, api_inputs, [api_result, api_status], api_name="dream_stream",
                                   concurrency_id="dream")

    # Motion tabs: the same queue as photo dreams (concurrency_id "dream"); Stop keeps what was dreamed.
    look_inputs = [guide, *CONTROLS]
    anim_use_photo.click(photo_tab_photo, photo, anim_start, concurrency_limit=None, api_visibility="private")
    anim_event = anim_btn.click(
        animate_ui, [anim_start, anim_look, anim_size, anim_frames, anim_zoom, anim_rotate, anim_tx, anim_ty, anim_fps,
                     *look_inputs],
        [anim_live, anim_video, anim_mp4, anim_gif, anim_status, anim_render], concurrency_id="dream",
        show_progress="minimal", show_progress_on=[anim_status], api_visibility="private")
    anim_stop.click(None, None, None, cancels=[anim_event], api_visibility="private").then(
        stop_animation_ui, anim_render, [anim_video, anim_mp4, anim_gif, anim_status, anim_render],
        concurrency_limit=None, api_visibility="private")
    video_event = video_btn.click(
        video_ui, [video_clip, video_look, video_size, video_blend, *look_inputs],
        [video_live, video_result, video_status, video_render], concurrency_id="dream", show_progress="minimal",
        show_progress_on=[video_status], api_visibility="private")
    video_stop.click(None, None, None, cancels=[video_event], api_visibility="private").then(
        stop_video_ui, video_render, [video_result, video_status, video_render], concurrency_limit=None,
        api_visibility="private")
    gr.Button(visible=False).click(animate_api, [api_photo, api_settings, api_motion],
                                   [api_frame, api_motion_video, api_gif, api_status], api_name="animate",
                                   concurrency_id="dream")
    gr.Button(visible=False).click(dream_video_api, [api_clip, api_settings, api_video_json],
                                   [api_frame, api_motion_video, api_status], api_name="dream_video",
                                   concurrency_id="dream")

demo.queue(default_concurrency_limit=_env_int("DEEPDREAM_CONCURRENCY", 1, 1),
           max_size=_env_int("DEEPDREAM_QUEUE_SIZE", 16, 1))

if __name__ == "__main__":
    demo.launch(max_file_size=MAX_FILE_BYTES, allowed_paths=[str(PRESETS_DIR)],
                theme=gr.themes.Soft(primary_hue="violet", secondary_hue="pink"), css=CSS)
