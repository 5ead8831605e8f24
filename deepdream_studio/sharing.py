"""Share links on the page: the settings (never the photos) as a URL, and a URL's settings back in the controls.

The link format itself (a preset plus what differs from it, read leniently) is ``deepdream_core.files.links``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import gradio as gr

from deepdream_core import BUNDLED_MODEL, DreamSettings, LayerTarget, SettingsError, UnknownModelError, get_spec
from deepdream_core.dreaming.objectives import class_index
from deepdream_core.files.links import SharedLink, from_query, to_query
from deepdream_core.files.presets import Preset, load_preset
from deepdream_core.files.records import settings_from_file
from deepdream_core.models.echo import echo

from .controls import model_choices, settings_from_values, values_from_settings
from .gpu import check_offered
from .handlers import user_errors

NEXT = "Add a photo (or try a sample), then press **Dream**."


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


@user_errors
def make_link(page_url: str, preset: str | None, **controls: Any) -> tuple[str, str]:
    """A URL restoring these settings (never the images): the preset and what differs from it."""
    settings = settings_from_values(controls)
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

    Only the record is read (never a pickle, never the pixels); what it holds that cannot be used is noted.
    """
    if not path:
        return {}
    updates = restored(settings_from_file(path), "This file", offered)
    said = updates["status"].removesuffix(f" {NEXT}")
    gr.Info(re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", said))  # seen at the foot of the page, where it was dropped
    return updates


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
        note = f"**{what} had values that were ignored:**\n" + "\n".join(f"- {message}" for message in ignored)
    look = load_preset(link.preset) if link.preset else None
    return {
        **values,
        "preset": link.preset,
        "guide": str(preset_guide) if preset_guide else None,
        "link_note": gr.update(value=note, visible=bool(note)),
        **({"preset_about": look_about(look)} if look else {}),
        "status": f"{what} set every control: {what_was_set(settings, look)}. {NEXT}",
    }


def what_was_set(settings: DreamSettings, look: Preset | None) -> str:
    """A short account of restored settings: the look (if any), network, layer, steps and seed."""
    layer = ", ".join(target.layer for target in settings.layers) or get_spec(settings.model).default_layer
    seed = f" · seed {settings.seed}" if settings.seed is not None else ""
    start = f"**{look.title}** · " if look else ""
    network = get_spec(settings.model).title.split(" (")[0]  # "EfficientNet-Lite0", without "(bundled, ...)"
    return f"{start}{network} · {layer} · {settings.octaves} octaves of {settings.steps} steps{seed}"
