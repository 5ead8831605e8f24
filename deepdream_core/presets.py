"""Presets: one JSON file per preset in ``presets/``, read into the one settings object."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .settings import DreamSettings, SettingsError

PRESETS_DIR = Path(os.environ.get("DEEPDREAM_PRESETS", Path(__file__).resolve().parent.parent / "presets"))


@dataclass(frozen=True)
class Preset:
    name: str  # file stem, used in share links and on the CLI
    title: str
    description: str
    settings: DreamSettings
    thumbnail: Path | None


def preset_names(folder: Path = PRESETS_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.json"))


def load_preset(name: str, folder: Path = PRESETS_DIR) -> Preset:
    """A preset by name; unknown names and bad values fail like any other setting."""
    known = preset_names(folder)
    if name not in known:  # also keeps names like "../x" from reaching the file system
        raise SettingsError("preset", f"unknown preset {name!r}; choose one of {', '.join(known)}")
    path = folder / f"{name}.json"
    data = json.loads(path.read_text())
    thumbnail = folder / data["thumbnail"] if data.get("thumbnail") else None
    try:
        settings = DreamSettings.from_dict(data.get("settings", {}))
    except SettingsError as err:
        raise SettingsError(err.field, f"in preset {name!r}: {err}") from None
    return Preset(name, data.get("title", name), data.get("description", ""), settings, thumbnail)
