"""Share links on the page: the settings (never the photos) as a URL, and a URL's settings back in the controls.

The link format itself (a preset plus what differs from it, read leniently) is ``deepdream_core.files.links``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gradio as gr

from deepdream_core import BUNDLED_MODEL, DreamSettings, LayerTarget, SettingsError, UnknownModelError, get_spec
from deepdream_core.dreaming.objectives import class_index
from deepdream_core.files.links import SharedLink, from_query, to_query
from deepdream_core.files.presets import Preset, load_preset
from deepdream_core.files.records import RecordError, read_record, settings_from_record
from deepdream_core.models.echo import echo

from .controls import model_choices, settings_from_values, values_from_settings
from .gpu import check_offered
from .handlers import PROBLEM, USER_ERRORS, problem, user_errors
from .labels import in_page_words

NEXT = "Add a photo (or try a sample), then press **Dream**."
SETTINGS_FROM_ABOUT = (
    "**Use the settings of a dream:** drop a PNG, GIF or MP4 made here, and every control is set as it was."
)
# The note floats over the page's top right corner, out of the page's flow: in it, a note of several lines pushed
# Dream below the fold at 1366x768. It scrolls within 45 % of the screen's height, and closes with its button.
CSS = """
#link-note-box {
  position: fixed; top: 12px; right: 12px; z-index: 100; width: min(30rem, calc(100vw - 24px)); gap: 0;
  pointer-events: none;
}
#link-note-box > * { pointer-events: auto; }
#link-note {
  background: var(--background-fill-primary); border: 1px solid var(--color-accent); border-radius: var(--radius-lg);
  box-shadow: var(--shadow-drop-lg); padding: 10px 44px 10px 14px; max-height: 45vh; overflow-y: auto;
}
#link-note-close {
  position: absolute; top: 6px; right: 6px; min-width: 0; width: 32px; height: 32px; padding: 0;
}
"""


def note_layout() -> dict[str, Any]:
    """The note a link (or a dropped file) opens with when it holds values it could not use, and its close button.

    Shown by :func:`restored`, which names both; the button hides them again.
    """
    with gr.Column(elem_id="link-note-box"):
        note = gr.Markdown(visible=False, elem_id="link-note")
        close = gr.Button("✕", visible=False, size="sm", elem_id="link-note-close")
    hidden = gr.update(visible=False)
    close.click(lambda: (hidden, hidden), None, [note, close], queue=False, api_visibility="private")
    return {"link_note": note, "link_note_close": close}


def look_about(preset: Preset) -> str:
    """A look's name and what it does, shown under the gallery."""
    return f"**{preset.title}** — {preset.description}" if preset.description else f"**{preset.title}**"


def in_preset_terms(settings: DreamSettings, preset: Preset) -> DreamSettings:
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


def make_link(page_url: str, preset: str | None, **controls: Any) -> tuple[str, str]:
    """A URL restoring these settings (never the images): the preset and what differs from it.

    A control holding a bad value makes no link (the box is emptied, so no older link is copied in its place):
    the status line says which, as Dream would.
    """
    try:
        settings = settings_from_values(controls)
    except USER_ERRORS as err:
        return "", problem(err)
    if preset:
        settings = in_preset_terms(settings, load_preset(preset))
    query = to_query(settings, preset=preset or None)
    base = (page_url or "").split("?")[0].split("#")[0]
    return f"{base}?{query}" if query else base, "Link ready (it holds the settings, not your photos)."


def restore_link(offered: tuple[str, ...] | None, request: gr.Request) -> dict[str, Any]:
    """Open ?preset=...&steps=...: fill every control, by name; skipped values are listed in a visible note."""
    return link_updates(dict(request.query_params) if request else {}, offered)


def link_updates(params: Mapping[str, str], offered: tuple[str, ...] | None = None) -> dict[str, Any]:
    """What a link's query parameters restore: every control, the preset, its guide and a note, by name.

    ``offered`` are the networks this page offers (None: all), named in the note if the link asks for another.
    """
    link = from_query(params)
    if not link.preset and link.settings == DreamSettings() and not link.ignored:
        return {}
    return restored(link, "This link", offered)


@user_errors
def file_updates(path: str | None, offered: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A dreamed PNG, GIF or MP4 dropped in: its settings record restores the controls, as a share link does.

    Only the record is read (never a pickle, never the pixels); what it holds that cannot be used is noted. A file
    with no record to read (a photo, a JPEG) changes no control: the line over the drop box says why, where the
    eye is, and the file is taken out again. The box takes any file, so that sentence, not Gradio's "Invalid file
    type" toast, answers a JPEG.
    """
    if not path:
        return {}
    try:
        record = read_record(path)
    except RecordError as err:
        name = html.escape(Path(path).name, quote=False)
        return {
            "settings_file": None,
            "settings_about": f"{PROBLEM} {name} has no settings to use: {html.escape(str(err), quote=False)}. "
            "Only dreams made here carry them: drop a PNG, GIF or MP4 made with DeepDream Studio.",
        }
    updates = restored(settings_from_record(record), "This file", offered)
    said = updates["status"].removesuffix(f" {NEXT}")
    gr.Info(re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", said))  # seen at the foot of the page, where it was dropped
    return {**updates, "settings_about": SETTINGS_FROM_ABOUT}


def restored(link: SharedLink, what: str, offered: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Every control showing ``link``'s settings, its preset and guide, and a note of what was skipped, by name.

    A model the app does not offer (``offered``; None: any) is skipped before anything of it is looked up.
    """
    ignored, settings = list(link.ignored), link.settings
    try:
        check_offered(settings.model, offered)
        values = values_from_settings(settings)
    except (UnknownModelError, SettingsError) as err:
        if isinstance(err, UnknownModelError) or err.field == "model":
            # The engine's message tells a programmer how to list models, the API's names them by id; a
            # visitor needs the networks on this page, by their titles.
            networks = ", ".join(label.split(" · ")[0] for label, _ in model_choices(offered))
            name = echo(settings.model)
            ignored.append(f"model: there is no network called {name} here; this page offers {networks}")
        else:
            ignored.append(str(err))
        settings = settings.replace(model=BUNDLED_MODEL, layers=(), class_target=None)
        values = values_from_settings(settings)
    preset_guide = load_preset(link.preset).guide if link.preset else None
    note = ""
    if ignored:
        note = f"**{what} had values that were ignored:**\n" + "\n".join(
            f"- {in_page_words(message)}" for message in ignored
        )
    look = load_preset(link.preset) if link.preset else None
    if ignored:
        said = f"{what} set the controls, except the values the note at the top names"
    else:
        said = f"{what} set every control"
    return {
        **values,
        "preset": link.preset,
        "guide": str(preset_guide) if preset_guide else None,
        "link_note": gr.update(value=note, visible=bool(note)),
        "link_note_close": gr.update(visible=bool(note)),
        **({"preset_about": look_about(look)} if look else {}),
        "status": f"{said}: {what_was_set(settings, look)}. {NEXT}",
    }


def what_was_set(settings: DreamSettings, look: Preset | None) -> str:
    """A short account of restored settings: the look (if any), network, layer, steps and seed."""
    layer = ", ".join(target.layer for target in settings.layers) or get_spec(settings.model).default_layer
    seed = f" · seed {settings.seed}" if settings.seed is not None else ""
    start = f"**{look.title}** · " if look else ""
    network = get_spec(settings.model).title.split(" (")[0]  # "EfficientNet-Lite0", without "(bundled, ...)"
    return f"{start}{network} · {layer} · {settings.octaves} octaves of {settings.steps} steps{seed}"
