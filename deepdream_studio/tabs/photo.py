"""The Photo tab: a photo, a preset from the gallery, the result with Dream and Stop (:mod:`.dreaming`), share links.

Also holds every setting control (the motion tabs use them too), built by :class:`SettingControls`.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr
from PIL import Image, ImageDraw, ImageFont

from deepdream_core.dreaming.images import load_image
from deepdream_core.files.presets import Preset, load_preset

from .. import line, phone, sharing
from ..config import StudioConfig
from ..controls import (
    CHOICE_CONTROLS,
    SLIDERS,
    SettingControls,
    model_changed,
    values_from_settings,
)
from ..handlers import PROBLEM, USER_ERRORS, bind, by_component, in_status, problem
from ..sharing import look_about
from ..uploads import UPLOADS, photo_input
from . import dreaming, layers, remix
from .dreaming import RESULT_ACTIONS, START, shown

READY = "Ready: pick a look, then press **Dream**."
# How often the estimate under Dream is said again (the line moves, the load changes): one small event a visitor.
ESTIMATE_EVERY_S = 5
COPY_LINK_JS = """
(url) => {
  if (url && navigator.clipboard) { navigator.clipboard.writeText(url).catch(() => {}); }
  return url;
}
"""


@in_status
def photo_changed(photo: str | None, status: str) -> dict[str, Any]:
    """A new photo: check it, show it under the mask brush, keep its size (for the estimate), clear the last result.

    A file that is not a picture we read is taken out again (no broken image stays), and the status says why.
    """
    cleared = {"mask_editor": None, "photo_size": None, "result": None, "so_far": None, **shown(RESULT_ACTIONS, False)}
    if not photo:
        # Taking out a refused file must not wipe the message that says why it was refused.
        return {**cleared, "status": status if status.startswith(PROBLEM) else START}
    try:
        loaded = load_image(photo, max_size=1024)
    except USER_ERRORS as err:
        return {**cleared, "photo": None, "status": problem(err)}
    editor = {"background": loaded.image, "layers": [], "composite": loaded.image}
    return {**cleared, "mask_editor": editor, "photo_size": loaded.upright_size, "status": READY}


@in_status
def preset_chosen(name: str | None, photo: str | None = None) -> dict[str, Any]:
    """A preset's values in every control (nothing hidden), its guide image and its description, by name."""
    if not name:
        return {}
    preset = load_preset(name)
    next_step = "press **Dream**" if photo else "add a photo (or try a sample), then press **Dream**"
    return {
        **values_from_settings(preset.settings),
        "guide": str(preset.guide) if preset.guide else None,
        "preset_about": look_about(preset),
        "status": f"**{preset.title}** is set: {next_step}.",
    }


@functools.cache
def no_preview() -> Image.Image:
    """The gallery's card for a look whose picture is not made yet (its description says why): words, not a
    picture from another network standing in."""
    card = Image.new("RGB", (256, 256), (58, 46, 84))
    font = ImageFont.load_default(size=30)
    ImageDraw.Draw(card).multiline_text(
        (128, 128), "no preview\nyet", fill=(226, 218, 242), font=font, anchor="mm", align="center"
    )
    return card


def gallery_items(presets: Sequence[Preset]) -> list[tuple[str | Image.Image, str]]:
    """Every look in gallery order, so a click's index is the look's: its picture, or :func:`no_preview`."""
    return [(str(p.thumbnail) if p.thumbnail else no_preview(), p.title) for p in presets]


def gallery_selected(presets: Sequence[Preset], photo: str | None, evt: gr.SelectData) -> dict[str, Any]:
    """A thumbnail click: that preset's name in the preset dropdown, and its values everywhere."""
    name = presets[evt.index].name
    return {"preset": name, **preset_chosen(name, photo)}


# -- layout and wiring -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoTab:
    """What the other tabs use from this one: the photo, the guide and the setting controls."""

    photo: gr.Image
    guide: gr.Image
    controls: SettingControls


def build(
    demo: gr.Blocks, config: StudioConfig, presets: Sequence[Preset], samples: Sequence[str], link_note: dict
) -> PhotoTab:
    """The tab's layout and events (a share link is read when the page loads); called inside ``gr.Tab``."""
    controls = SettingControls(models=config.models)
    with gr.Row(equal_height=False, elem_id="photo-tab"):
        with gr.Column(scale=5, elem_id="photo-column"):
            parts = _photo_and_preset(config, controls, presets, samples)
        with gr.Column(scale=6, elem_id="result-column"):
            parts |= dreaming.layout()
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
    # The explanation above the box, not in its label: a long label covered the box's icon and text.
    parts["settings_about"] = gr.Markdown(sharing.SETTINGS_FROM_ABOUT, elem_id="settings-from-about")
    parts["settings_file"] = gr.File(
        label="Settings from a dream",
        show_label=False,
        type="filepath",  # any file: a JPEG gets our sentence (sharing.file_updates), not Gradio's toast
        height=130,
        elem_id="settings-from",
        elem_classes=[UPLOADS],
    )
    parts["page_url"] = gr.Textbox(visible=False)
    parts["so_far"] = gr.State(None)  # the running dream's picture at full size, for Stop
    parts["photo_size"] = gr.State(None)  # the photo's (width, height), upright: what the estimate needs of it
    # The estimate under Dream counts the line and the machine's load, which change while the visitor looks.
    parts["estimate_timer"] = gr.Timer(ESTIMATE_EVERY_S)
    # Go deeper dreams the result, an input too, so it is marked as one (dreaming.layout). (The mask brush needs no
    # check: Gradio requires "meta" on the files inside an editor's value, so a bare path there fails validation.)
    _wire(demo, config, presets, controls, {**parts, **link_note})
    return PhotoTab(parts["photo"], parts["guide"], controls)


def _photo_and_preset(
    config: StudioConfig, controls: SettingControls, presets: Sequence[Preset], samples: Sequence[str]
) -> dict:
    """Steps 1 and 2: the photo (or a sample), the preset gallery, the network and layer (and its picker)."""
    photo = photo_input(label="1 · Your photo", height=300, sources=["upload", "clipboard", "webcam"], elem_id="photo")
    if samples:
        gr.Examples(list(samples), inputs=photo, label="…or try a sample", cache_examples=False, elem_id="samples")
    gallery = gr.Gallery(
        gallery_items(presets),
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
    # One to a line: the network's and the layer's names are long, and must be read whole.
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
    return {"photo": photo, "gallery": gallery, "preset_about": preset_about, "preset": preset, "picker": picker}


def _wire(
    demo: gr.Blocks, config: StudioConfig, presets: Sequence[Preset], controls: SettingControls, parts: dict
) -> None:
    """The tab's events: dreaming (and waiting in line) and stopping, a new photo; then :func:`_wire_settings`.

    Gradio 6.31's page runs the listeners of one trigger one after another, each to its end, so a dream's click
    only scrolls (on a phone) and then starts two events at once: the dream, in the line, and its waiter, which
    says where the dream stands while it waits (before, the scroll waited for the whole dream).
    """
    status, result = parts["status"], parts["result"]
    names = ("result", "status", "dream_btn", "stop_btn", "so_far", *RESULT_ACTIONS)
    outputs = {name: parts[name] for name in names}
    dream_options: dict[str, Any] = dict(
        inputs_kwargs={**controls.by_name, "preset": parts["preset"]},
        concurrency_id="dream",
        # The status line under the result is the one progress display (Gradio's overlay would be a second).
        show_progress="hidden",
        api_visibility="private",
    )
    # Remix dreams the photo (not the result): the settings it shows, with the photo, make the same dream again.
    remixed = remix.wire(parts, controls.by_name, status)
    starts = {
        name: trigger(None, js=phone.SHOW_RESULT_JS, api_visibility="private")
        for name, trigger in (
            ("dream", parts["dream_btn"].click),
            ("deeper", parts["deeper_btn"].click),
            ("remix", remixed.success),
        )
    }
    dream_events = [
        starts["dream"].then(
            by_component(bind(dreaming.dream_ui, config), outputs),
            [parts["photo"], parts["mask_editor"], parts["guide"]],
            list(outputs.values()),
            **dream_options,
        ),
        starts["deeper"].then(
            by_component(bind(dreaming.deeper_ui, config), outputs),
            [result, parts["mask_editor"], parts["guide"]],
            list(outputs.values()),
            **dream_options,
        ),
        starts["remix"].then(
            by_component(bind(dreaming.remixed_ui, config), outputs),
            [status, parts["photo"], parts["mask_editor"], parts["guide"]],
            list(outputs.values()),
            **dream_options,
        ),
    ]
    for event in dream_events:  # however a dream ends (done, stopped, failed), Dream can be pressed again
        event.then(by_component(dreaming.settled, outputs), None, list(outputs.values()), api_visibility="private")
    waits = _wire_line(controls, parts, list(starts.values()), {event["id"] for event in dream_events})
    layers.wire(config, parts["picker"], controls, parts["photo"])
    # Stop's own step comes after the cancel, so no frame still on its way from the stopped run can overwrite it.
    # While the dream waits, Stop reads "Leave the line": the cancel takes it out of the queue.
    parts["stop_btn"].click(None, None, None, cancels=[*dream_events, *waits], api_visibility="private").then(
        by_component(dreaming.stop_ui, outputs),
        [parts["so_far"], parts["photo"], parts["stop_btn"]],
        list(outputs.values()),
        concurrency_limit=None,
        api_visibility="private",
    )
    _wire_photo(controls, parts, outputs)
    _wire_settings(demo, presets, controls, parts, config.models)


def _wire_line(controls: SettingControls, parts: dict, starts: list[Any], fns: set[int]) -> list[Any]:
    """While a dream of this page waits in the line (its event one of ``fns``), the status line says where it
    stands and Stop reads "Leave the line": a waiter that starts with the dream (after each of ``starts``), outside
    the line."""
    outputs = {name: parts[name] for name in ("status", "dream_btn", "stop_btn", "estimate")}

    async def in_line(size: tuple[int, int] | None, request: gr.Request, **values: Any) -> AsyncIterator[Any]:
        estimate = dreaming.quiet_estimate(size, values)
        said = functools.partial(dreaming.waiting_updates, estimate=estimate)
        async for updates in line.waiting(request.session_hash, fns, estimate, said):
            yield {outputs[name]: value for name, value in updates.items()}
        # Last, a word that changes nothing: Gradio clears the outputs of a generator that yields nothing (6.31),
        # and this one does when its dream never waited.
        yield gr.skip()

    return [
        start.then(
            in_line,
            parts["photo_size"],
            list(outputs.values()),
            inputs_kwargs=controls.by_name,
            concurrency_limit=None,
            show_progress="hidden",
            api_visibility="private",
        )
        for start in starts
    ]


def _wire_photo(controls: SettingControls, parts: dict, outputs: dict) -> None:
    """A new photo (a setting, the line) changes the estimate; a new photo clears the last result, or is refused."""
    gr.on(
        [
            parts["photo_size"].change,
            parts["estimate_timer"].tick,
            *[control.change for control in controls.by_name.values()],
        ],
        dreaming.estimate_ui,
        parts["photo_size"],
        parts["estimate"],
        inputs_kwargs=controls.by_name,
        concurrency_limit=None,
        show_progress="hidden",
        api_visibility="private",
    )
    cleared = {
        **outputs,
        "photo": parts["photo"],
        "mask_editor": parts["mask_editor"],
        "photo_size": parts["photo_size"],
    }
    parts["photo"].change(
        by_component(photo_changed, cleared),
        [parts["photo"], parts["status"]],
        list(cleared.values()),
        concurrency_limit=None,
        show_progress="hidden",
        api_visibility="private",
    ).then(None, js=phone.SHOW_STATUS_JS, api_visibility="private")  # on a phone, a refusal is brought into view


def _wire_settings(
    demo: gr.Blocks, presets: Sequence[Preset], controls: SettingControls, parts: dict, offered: tuple[str, ...] | None
) -> None:
    """The events that set the controls: presets, another model, share links and dreamed files, and the estimate."""
    status, model = parts["status"], controls.by_name["model"]
    # The note last, as the page reads it.
    names = ("preset", "guide", "preset_about", "status", "link_note_close", "link_note")
    named = {**controls.by_name, **{name: parts[name] for name in names}}
    restorable = list(named.values())

    def file_updates(path: str | None) -> dict[str, Any]:
        """A dreamed file dropped in; a network it names that this page does not offer is noted with those it does."""
        return sharing.file_updates(path, offered)

    # .input, not .change: a share link sets the preset and its own values, which must not be overwritten.
    parts["gallery"].select(
        by_component(bind(gallery_selected, presets), named),
        parts["photo"],
        restorable,
        concurrency_limit=None,
        api_visibility="private",
    )
    parts["preset"].input(
        by_component(preset_chosen, named),
        [parts["preset"], parts["photo"]],
        restorable,
        concurrency_limit=None,
        api_visibility="private",
    )
    model.input(
        by_component(in_status(model_changed), named),
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
        by_component(bind(sharing.restore_link, offered), named),
        None,
        restorable,
        concurrency_limit=None,
        api_visibility="private",
    )
    dropped = {"settings_file": parts["settings_file"], "settings_about": parts["settings_about"], **named}
    parts["settings_file"].upload(
        by_component(file_updates, dropped),
        parts["settings_file"],
        list(dropped.values()),
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
