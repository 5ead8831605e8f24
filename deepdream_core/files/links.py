"""Share links: settings (never images) as URL query parameters, and back.

A link names a preset and only the settings that differ from it, so links stay short and keep
working when a preset is tuned. Reading a link is lenient: unknown or invalid entries are
skipped with a message saying which and why, so a link always opens.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..dreaming.settings import MACHINE_FIELDS, DreamSettings, SettingsError, format_layer, settings_from_dict_lenient
from ..models.echo import echo
from ..models.zoo import UnknownModelError, has_layer
from .presets import PRESETS_DIR, load_preset

# Notes a link or file gets at most, then one line counting the rest: a link of a thousand bad entries
# would otherwise be answered with a thousand lines.
MAX_NOTES = 10
# Query parameters that belong to Gradio itself (?__theme=dark, ?view=api), not to us.
_FOREIGN_PREFIXES = ("__",)
_FOREIGN = ("view",)


@dataclass(frozen=True)
class SharedLink:
    """What a link restores: the settings, the preset it starts from, and what it had to skip."""

    settings: DreamSettings
    preset: str | None = None
    ignored: list[str] = field(default_factory=list)


def to_query(settings: DreamSettings, preset: str | None = None, folder=PRESETS_DIR) -> str:
    """``preset=NAME&steps=20...``: the preset, then every shared setting that differs from it."""
    base = load_preset(preset, folder).settings if preset else DreamSettings()
    params: dict[str, str] = {"preset": preset} if preset else {}
    ours, theirs = settings.to_dict(), base.to_dict()
    for name, value in ours.items():
        if name not in MACHINE_FIELDS and value != theirs[name]:
            params[name] = _text(name, getattr(settings, name))
    return urllib.parse.urlencode(params, safe=":;,")


def from_query(params: Mapping[str, str], folder=PRESETS_DIR) -> SharedLink:
    """Settings from a link's query parameters; never raises for what a link holds."""
    return from_values({k: v for k, v in params.items() if not _foreign(k)}, folder)


def from_values(values: Mapping[str, Any], folder=PRESETS_DIR, notes: Sequence[str] = ()) -> SharedLink:
    """Settings from untrusted values (a link's, a file's record): an optional ``preset``, then the rest on top.

    Never raises for what ``values`` hold: what cannot be used is skipped with a message in ``ignored``, after
    the caller's own ``notes`` (about the file), at most :data:`MAX_NOTES` of them and a line counting the rest.
    """
    ignored: list[str] = list(notes)
    base, preset = DreamSettings(), values.get("preset") or None
    if preset is not None:
        try:
            if not isinstance(preset, str):
                raise SettingsError("preset", f"must be a preset's name, got {echo(preset)}")
            base = load_preset(preset, folder).settings
        except SettingsError as err:
            ignored.append(str(err))
            preset = None
    ours = {k: v for k, v in values.items() if k != "preset"}
    settings, skipped = settings_from_dict_lenient(ours, base)
    settings, unknown_layers = _known_layers(settings)
    ignored += skipped + unknown_layers
    if len(ignored) > MAX_NOTES:
        ignored[MAX_NOTES:] = [f"and {len(ignored) - MAX_NOTES} more entries that could not be used either"]
    return SharedLink(settings, preset, ignored)


def _known_layers(settings: DreamSettings) -> tuple[DreamSettings, list[str]]:
    """``settings`` without the layers its network does not have, and a note for each one left out.

    Refused when the link opens rather than when its dream fails: the controls then show what will be dreamed.
    A network that does not exist is left for whoever offers networks to say (the page names the ones it has).
    """
    try:
        known = [target for target in settings.layers if has_layer(settings.model, target.layer)]
    except UnknownModelError:
        return settings, []
    notes = [
        str(
            SettingsError(
                "layers",
                f"model {echo(settings.model)} has no layer {echo(target.layer)}; "
                f"list them with `python -m deepdream_core layers {settings.model}`",
            )
        )
        for target in settings.layers
        if target not in known
    ]
    return (settings.replace(layers=tuple(known)), notes) if notes else (settings, [])


def _foreign(key: str) -> bool:
    return key in _FOREIGN or key.startswith(_FOREIGN_PREFIXES)


def _text(name: str, value: Any) -> str:
    """A setting's value as the text that :meth:`DreamSettings.from_dict` reads back."""
    if name == "layers":
        return ";".join(format_layer(t) for t in value)
    if value is None:
        return "random" if name == "seed" else ""
    return str(value)
