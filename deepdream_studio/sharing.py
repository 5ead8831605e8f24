"""Share links on the page: the settings (never the photos) as a URL, and a URL's settings back in the controls.

The link format itself (a preset plus what differs from it, read leniently) is ``deepdream_core.files.links``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from deepdream_core import BUNDLED_MODEL, DreamSettings, LayerTarget, SettingsError, UnknownModelError, get_spec
from deepdream_core.dreaming.objectives import class_index
from deepdream_core.files.links import SharedLink, from_query, to_query
from deepdream_core.files.presets import Preset, load_preset
from deepdream_core.files.records import settings_from_file

from .controls import settings_from_values, values_from_settings
from .gpu import check_offered
from .handlers import user_errors


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
    """What a link's query parameters restore: every control, the preset, its guide and a note, by name."""
    link = from_query(params)
    if not link.preset and link.settings == DreamSettings() and not link.ignored:
        return {}
    return restored(link, "This link", offered)


@user_errors
def file_updates(offered: tuple[str, ...] | None, path: str | None) -> dict[str, Any]:
    """A dreamed PNG, GIF or MP4 dropped in: its settings record restores the controls, as a share link does.

    Only the record is read (never a pickle, never the pixels); what it holds that cannot be used is noted.
    """
    return restored(settings_from_file(path), "This file", offered) if path else {}


def restored(link: SharedLink, what: str, offered: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Every control showing ``link``'s settings, its preset and guide, and a note of what was skipped, by name.

    A model the app does not offer (``offered``; None: any) is skipped before anything of it is looked up.
    """
    ignored, settings = list(link.ignored), link.settings
    try:
        check_offered(settings.model, offered)
        values = values_from_settings(settings)
    except (UnknownModelError, SettingsError) as err:
        ignored.append(str(err))
        values = values_from_settings(settings.replace(model=BUNDLED_MODEL, layers=(), class_target=None))
    preset_guide = load_preset(link.preset).guide if link.preset else None
    note = ""
    if ignored:
        note = f"**{what} had values that were ignored:**\n" + "\n".join(f"- {message}" for message in ignored)
    return {
        **values,
        "preset": link.preset,
        "guide": str(preset_guide) if preset_guide else None,
        "link_note": gr.update(value=note, visible=bool(note)),
    }
