"""The Photo tab: a photo, a preset from the gallery, Dream with live previews, Stop, Go deeper, share links.

Also holds every setting control (the motion tabs use them too), built by :class:`SettingControls`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from deepdream_core.dreaming.images import load_image
from deepdream_core.files.presets import Preset, load_preset
from deepdream_core.jobs.estimate import about, estimate_dream

from .. import phone, sharing
from ..config import StudioConfig
from ..controls import (
    CHOICE_CONTROLS,
    SLIDERS,
    SettingControls,
    model_changed,
    settings_from_values,
    values_from_settings,
)
from ..handlers import USER_ERRORS, bind, by_component, user_errors, warn
from ..runs import dream_photo
from ..uploads import load_optional, load_upload, mask_from_editor, photo_input, uploads_only
from . import layers, remix

READY = "Ready: pick a look, then press **Dream**."
START = "Upload a photo, pick a look, then press **Dream**."
COPY_LINK_JS = """
(url) => {
  if (url && navigator.clipboard) { navigator.clipboard.writeText(url).catch(() => {}); }
  return url;
}
"""


# -- handlers ---------------------------------------------------------------------------------------------


@user_errors
def dream_ui(
    config: StudioConfig,
    photo: str | None,
    editor: dict | None,
    guide: str | None,
    progress: gr.Progress = gr.Progress(),
    preset: str | None = None,
    **controls: Any,
) -> Iterator[tuple]:
    """The Dream button: stream previews into the result, then the PNG, the comparison and the download.

    ``preset`` is the look last picked; the PNG's record names it as where the settings started.
    """
    settings = settings_from_values(controls)
    image, notices = load_upload(photo, settings.max_size)
    guide_image = load_optional(guide, settings.max_size, "guide image")
    warn(notices)
    mask = mask_from_editor(editor, image.size)
    for frame in dream_photo(image, settings, guide_image, mask, config, progress, preset=preset or None):
        if frame.png is not None:
            yield (
                frame.png,
                gr.update(value=(image, frame.png), visible=True),
                gr.update(value=frame.png, visible=True),
                frame.status,
            )
        else:
            yield frame.image, gr.skip(), gr.skip(), frame.status


def estimate_ui(photo: str | None, **controls: Any) -> str:
    """About how long a dream with these settings takes on this machine, shown next to Dream."""
    try:
        settings = settings_from_values(controls)
        size = load_upload(photo, None)[0].size if photo else None
        estimate = estimate_dream(settings, size)
    except USER_ERRORS:
        return ""  # the Dream button says what is wrong
    rough = "" if estimate.measured else " (a first guess until this machine is timed)"
    return f"{about(estimate.seconds).capitalize()} on this machine{rough}."


def stop_ui() -> str:
    return "Stopped. The last frame stays; press **Dream** to start again or **Go deeper** to dream this frame."


@user_errors
def photo_changed(photo: str | None) -> tuple:
    """A new photo: check it, show it under the mask brush, and clear the last result."""
    if not photo:
        return None, None, gr.update(visible=False), gr.update(visible=False), START
    loaded = load_image(photo, max_size=1024)
    editor = {"background": loaded.image, "layers": [], "composite": loaded.image}
    return editor, None, gr.update(value=None, visible=False), gr.update(visible=False), READY


@user_errors
def preset_chosen(name: str | None) -> dict[str, Any]:
    """A preset's values in every control (nothing hidden), its guide image and its description, by name."""
    if not name:
        return {}
    preset = load_preset(name)
    about = f"**{preset.title}** — {preset.description}" if preset.description else f"**{preset.title}**"
    return {
        **values_from_settings(preset.settings),
        "guide": str(preset.guide) if preset.guide else None,
        "preset_about": about,
    }


def gallery_selected(presets: Sequence[Preset], evt: gr.SelectData) -> dict[str, Any]:
    """A thumbnail click: that preset's name in the preset dropdown, and its values everywhere."""
    name = presets[evt.index].name
    return {"preset": name, **preset_chosen(name)}


# -- layout and wiring -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoTab:
    """What the other tabs use from this one: the photo, the guide and the setting controls."""

    photo: gr.Image
    guide: gr.Image
    controls: SettingControls


def build(
    demo: gr.Blocks, config: StudioConfig, presets: Sequence[Preset], samples: Sequence[str], link_note: gr.Markdown
) -> PhotoTab:
    """The tab's layout and events (a share link is read when the page loads); called inside ``gr.Tab``."""
    controls = SettingControls(models=config.models)
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            parts = _photo_and_preset(config, controls, presets, samples)
        with gr.Column(scale=6):
            parts |= _result()
    with gr.Accordion("Advanced: every setting", open=False, elem_id="advanced"):
        parts |= _advanced(controls)
    with gr.Row(equal_height=True):
        parts["copy_btn"] = gr.Button("🔗 Copy link to these settings", scale=1, elem_id="copy-link")
        parts["link_box"] = gr.Textbox(
            label="Share link",
            show_label=False,
            scale=3,
            interactive=False,
            placeholder="A link to these settings appears here",
            elem_id="link",
            buttons=["copy"],
        )
    parts["settings_file"] = uploads_only(
        gr.File(
            label="Use the settings of a dream: drop a PNG, GIF or MP4 made here to set every control as it was",
            file_types=[".png", ".gif", ".mp4"],
            type="filepath",
            height=80,
            elem_id="settings-from",
        )
    )
    parts["page_url"] = gr.Textbox(visible=False)
    # Go deeper dreams the result, an input too. (The mask brush needs no check: Gradio requires
    # "meta" on the files inside an editor's value, so a bare path there fails validation.)
    uploads_only(parts["result"])
    _wire(demo, config, presets, controls, {**parts, "link_note": link_note})
    return PhotoTab(parts["photo"], parts["guide"], controls)


def _photo_and_preset(
    config: StudioConfig, controls: SettingControls, presets: Sequence[Preset], samples: Sequence[str]
) -> dict:
    """Steps 1 and 2: the photo (or a sample), the preset gallery, the network and layer (and its picker), Dream."""
    photo = photo_input(label="1 · Your photo", height=300, sources=["upload", "clipboard", "webcam"], elem_id="photo")
    if samples:
        gr.Examples(list(samples), inputs=photo, label="…or try a sample", cache_examples=False)
    gallery = gr.Gallery(
        [(str(p.thumbnail), p.title) for p in presets if p.thumbnail],
        label="2 · Pick a look",
        columns=4,
        height="auto",
        allow_preview=False,
        object_fit="cover",
        buttons=[],
        elem_id="preset-gallery",
        visible=bool(presets),
    )
    preset_about = gr.Markdown("Each look sets everything below; fine-tune it if you like.", elem_id="preset-about")
    with gr.Row():
        preset = gr.Dropdown(
            [(p.title, p.name) for p in presets],
            value=None,
            label="Look",
            info="The looks above, by name.",
            elem_id="preset",
        )
        controls.model()
    controls.layer()
    picker = layers.layout(config, controls.defaults.model)
    with gr.Row(elem_id="dream-row"):
        dream_btn = gr.Button("✨ Dream", variant="primary", size="lg", elem_id="dream")
        stop_btn = gr.Button("Stop", variant="stop", size="lg", elem_id="stop")
    estimate = gr.Markdown("", elem_id="estimate")
    return {
        "photo": photo,
        "gallery": gallery,
        "preset_about": preset_about,
        "preset": preset,
        "dream_btn": dream_btn,
        "stop_btn": stop_btn,
        "picker": picker,
        "estimate": estimate,
    }


def _result() -> dict:
    """Step 3: the dream as it grows, the status, Go deeper, the download and the before/after slider."""
    result = gr.Image(
        label="3 · Your dream",
        type="filepath",
        image_mode=None,
        format="webp",
        interactive=False,
        height=420,
        buttons=["download", "fullscreen"],
        elem_id="dream-result",
    )
    status = gr.Markdown(START, elem_id="status")
    with gr.Row():
        deeper_btn = gr.Button("🌀 Go deeper", elem_id="deeper")
        download = gr.DownloadButton("⬇ Download PNG", visible=False, elem_id="download")
    remix_parts = remix.layout()
    compare = gr.ImageSlider(
        label="Before / after: drag to compare",
        type="pil",
        interactive=False,
        max_height=420,
        visible=False,
        elem_id="compare",
    )
    return {
        "result": result,
        "status": status,
        "deeper_btn": deeper_btn,
        "download": download,
        "compare": compare,
        **remix_parts,
    }


def _wire(
    demo: gr.Blocks, config: StudioConfig, presets: Sequence[Preset], controls: SettingControls, parts: dict
) -> None:
    """The tab's events: dreaming and stopping, a new photo; then :func:`_wire_settings`."""
    status, result = parts["status"], parts["result"]
    dream_outputs = [result, parts["compare"], parts["download"], status]
    dream_options: dict[str, Any] = dict(
        inputs_kwargs={**controls.by_name, "preset": parts["preset"]},
        concurrency_id="dream",
        show_progress="minimal",
        show_progress_on=[status],
        api_visibility="private",
    )
    dream_events = [
        button.click(
            bind(dream_ui, config), [source, parts["mask_editor"], parts["guide"]], dream_outputs, **dream_options
        )
        for button, source in ((parts["dream_btn"], parts["photo"]), (parts["deeper_btn"], result))
    ]
    # Remix dreams the photo (not the result): the settings it shows, with the photo, make the same dream again.
    remixed = remix.wire(parts, controls.by_name, status)
    dream_events.append(
        remixed.success(
            bind(dream_ui, config),
            [parts["photo"], parts["mask_editor"], parts["guide"]],
            dream_outputs,
            **dream_options,
        )
    )
    for button in (parts["dream_btn"], parts["deeper_btn"], parts["remix_btn"]):
        button.click(None, js=phone.SHOW_RESULT_JS, api_visibility="private")
    layers.wire(config, parts["picker"], controls, parts["photo"])
    # The note comes after the cancel, so no frame still on its way from the stopped run can overwrite it.
    parts["stop_btn"].click(None, None, None, cancels=dream_events, api_visibility="private").then(
        stop_ui, None, status, concurrency_limit=None, api_visibility="private"
    )
    gr.on(
        [parts["photo"].change, *[control.change for control in controls.by_name.values()]],
        estimate_ui,
        parts["photo"],
        parts["estimate"],
        inputs_kwargs=controls.by_name,
        concurrency_limit=None,
        show_progress="hidden",
        api_visibility="private",
    )
    parts["photo"].change(
        photo_changed,
        parts["photo"],
        [parts["mask_editor"], *dream_outputs],
        concurrency_limit=None,
        api_visibility="private",
    )
    _wire_settings(demo, config, presets, controls, parts)


def _wire_settings(
    demo: gr.Blocks, config: StudioConfig, presets: Sequence[Preset], controls: SettingControls, parts: dict
) -> None:
    """The events that set the controls: presets, another model, share links and dreamed files, and the estimate."""
    status, model = parts["status"], controls.by_name["model"]
    named = {**controls.by_name, **{name: parts[name] for name in ("preset", "guide", "preset_about", "link_note")}}
    restorable = list(named.values())
    # .input, not .change: a share link sets the preset and its own values, which must not be overwritten.
    parts["gallery"].select(
        by_component(bind(gallery_selected, presets), named),
        None,
        restorable,
        concurrency_limit=None,
        api_visibility="private",
    )
    parts["preset"].input(
        by_component(preset_chosen, named),
        parts["preset"],
        restorable,
        concurrency_limit=None,
        api_visibility="private",
    )
    model.input(
        by_component(user_errors(model_changed), named),
        model,
        restorable,
        concurrency_limit=None,
        api_visibility="private",
    )
    parts["copy_btn"].click(
        sharing.make_link,
        [parts["page_url"], parts["preset"]],
        [parts["link_box"], status],
        inputs_kwargs=controls.by_name,
        concurrency_limit=None,
        js="(url, ...rest) => [window.location.href, ...rest]",
        api_visibility="private",
    ).then(None, parts["link_box"], None, js=COPY_LINK_JS)
    demo.load(
        by_component(bind(sharing.restore_link, config.models), named),
        None,
        restorable,
        concurrency_limit=None,
        api_visibility="private",
    )
    parts["settings_file"].upload(
        by_component(bind(sharing.file_updates, config.models), named),
        parts["settings_file"],
        restorable,
        concurrency_limit=None,
        api_visibility="private",
    )


def _advanced(controls: SettingControls) -> dict:
    """Every setting: the loop's sliders, the objective, a guide image, quality options and the mask brush."""
    _rows([name for name, slider in SLIDERS.items() if slider.section == "loop"], controls.slider, controls.seed)
    gr.Markdown("**Objective** — what the dream pulls towards.")
    with gr.Row():
        controls.layer_mix()
    with gr.Row():
        controls.class_target()
        controls.slider("class_weight")
    with gr.Row():
        guide = photo_input(
            label="Guide image (optional)", height=200, sources=["upload", "clipboard"], elem_id="guide"
        )
        with gr.Column():
            controls.slider("guide_weight")
    gr.Markdown("**Quality options** — techniques of the best-known DeepDream and feature-visualisation code.")
    _rows(list(CHOICE_CONTROLS), controls.choice)
    _rows([name for name, slider in SLIDERS.items() if slider.section == "quality"], controls.slider)
    mask_editor = gr.ImageEditor(
        label="Where to dream (optional): paint over the parts to dream; leave empty to dream everywhere",
        type="pil",
        sources=[],
        transforms=[],
        layers=False,
        height=360,
        elem_id="mask",
        brush=gr.Brush(colors=["rgba(255, 0, 200, 0.6)"], color_mode="fixed"),
    )
    return {"guide": guide, "mask_editor": mask_editor}


def _rows(names: list[str], build: Any, last: Any = None) -> None:
    """Controls three to a row, in order; ``last`` (if given) ends the last row in a column of its own."""
    for row in range(0, len(names), 3):
        with gr.Row():
            for name in names[row : row + 3]:
                build(name)
            if last is not None and row + 3 >= len(names):
                with gr.Column():
                    last()
