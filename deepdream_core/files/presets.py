"""Presets: one JSON file per preset in ``presets/``, read into the one settings object.

The file format is documented in ``presets/README.md``: a title, a description, the family it
belongs to in the gallery, its thumbnail, an optional guide image, and ``settings`` as
:meth:`DreamSettings.from_dict` reads them. The sample photos the app offers live in ``samples/``.
Both folders sit at the top of a checkout; an installed wheel carries them inside this package
(see ``setup.py``), so the CLI, the Python API and the app find them from any folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..dreaming.json_input import load_json
from ..dreaming.settings import MACHINE_FIELDS, DreamSettings, SettingsError
from ..dreaming.tiles import planned_tile_size
from ..models.echo import echo


def _shipped_folder(name: str) -> Path:
    """The checkout's top-level ``name/`` folder when running from a checkout, else the installed copy.

    A checkout is told by its ``pyproject.toml`` beside the folder, so a stray ``presets/`` next to an
    installed package in site-packages is never taken for ours.
    """
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / name).is_dir():
        return checkout / name
    return Path(str(resources.files("deepdream_core") / f"_{name}"))  # where setup.py puts it in the wheel


PRESETS_DIR = Path(os.environ.get("DEEPDREAM_PRESETS") or _shipped_folder("presets"))
SAMPLES_DIR = _shipped_folder("samples")
_KNOWN_KEYS = {"title", "description", "family", "order", "thumbnail", "guide", "start", "settings"}
# What a preset is made to dream: a photo, or (textures grown from nothing) noise.
STARTS = ("photo", "noise")


@dataclass(frozen=True)
class Preset:
    name: str  # file stem, used in share links and on the CLI
    title: str
    description: str
    family: str  # gallery grouping, e.g. "textures", "creatures"
    order: int  # position in the gallery, lowest first
    settings: DreamSettings
    thumbnail: Path | None  # None when the preset names none, or it is not rendered yet
    guide: Path | None  # guide image shipped with the preset, for guide-image presets
    start: str = "photo"  # one of STARTS; its thumbnail is dreamed from the same


def preset_names(folder: Path = PRESETS_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.json"))


def load_preset(name: str, folder: Path = PRESETS_DIR) -> Preset:
    """A preset by name; unknown names and bad values fail like any other setting."""
    known = preset_names(folder)
    if name not in known:  # also keeps names like "../x" from reaching the file system
        raise SettingsError("preset", f"unknown preset {echo(name)}; choose one of {', '.join(known)}")
    data = load_json((folder / f"{name}.json").read_text(), f"preset {name}")
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise SettingsError(
            "preset",
            f"preset {name!r} has unknown key {echo(unknown[0])}; known keys are {', '.join(sorted(_KNOWN_KEYS))}",
        )
    try:
        settings = DreamSettings.from_dict(data.get("settings", {}))
    except SettingsError as err:
        raise SettingsError(err.field, f"in preset {name!r}: {err}") from None
    start = data.get("start", "photo")
    if start not in STARTS:
        raise SettingsError("preset", f"preset {name!r}: start must be one of {', '.join(STARTS)}, got {echo(start)}")
    return Preset(
        name=name,
        title=data.get("title", name),
        description=data.get("description", ""),
        family=data.get("family", ""),
        order=int(data.get("order", 1000)),
        settings=settings,
        # A new preset's thumbnail does not exist until scripts/render_thumbnails.py renders it.
        thumbnail=_file_in(folder, data.get("thumbnail"), name, "thumbnail", missing_ok=True),
        guide=_file_in(folder, data.get("guide"), name, "guide"),
        start=start,
    )


def all_presets(folder: Path = PRESETS_DIR) -> list[Preset]:
    """Every preset in gallery order."""
    return sorted((load_preset(name, folder) for name in preset_names(folder)), key=lambda p: (p.order, p.name))


def settings_with_preset(data: Mapping[str, Any], folder: Path = PRESETS_DIR) -> tuple[DreamSettings, Preset | None]:
    """Settings by name on top of an optional ``"preset"`` to start from (the API's JSON, the CLI's flags).

    Returns the settings and the preset (None when none is named). An unknown preset, an unknown
    setting or a bad value raises :class:`SettingsError`.
    """
    settings = dict(data)
    name = settings.pop("preset", None)
    preset = load_preset(str(name), folder) if name else None
    return DreamSettings.from_dict(settings, base=preset.settings if preset else None), preset


def guide_path(preset: Preset | None, given: str | Path | None = None) -> Path | None:
    """The guide image to use: the one ``given``, else the one ``preset`` ships with, else None."""
    if given:
        return Path(given)
    return preset.guide if preset else None


def _file_in(folder: Path, relative: str | None, preset: str, key: str, missing_ok: bool = False) -> Path | None:
    """A file named by a preset, which must stay inside the presets folder; None if missing and that is ok."""
    if not relative:
        return None
    path = (folder / relative).resolve()
    if path.is_relative_to(folder.resolve()) and (path.is_file() or (missing_ok and not path.exists())):
        return path if path.is_file() else None
    raise SettingsError("preset", f"preset {preset!r}: {key} {echo(relative)} is not a file in {folder.name}/")


# The settings there were when thumbnails were first stamped. A setting added since counts only when it
# differs from its default: at its default it draws what was drawn before it existed, so adding a
# setting does not make every thumbnail stale.
_FIRST_SETTINGS = (
    "model",
    "layers",
    "class_target",
    "class_weight",
    "guide_weight",
    "octaves",
    "octave_scale",
    "steps",
    "step_size",
    "jitter",
    "smoothing",
    "seed",
    "max_size",
    "tile_size",
)


def fingerprint(settings: DreamSettings, guide: Path | None, sample: Path | None) -> str:
    """A short hash of everything a preset's thumbnail depends on.

    The settings as rendered, the guide image's bytes and the sample photo's bytes (None: the
    thumbnail is dreamed from noise): when any of them changes, a thumbnail stamped with the old
    fingerprint is stale.
    """
    defaults = DreamSettings().to_dict()
    look = {
        k: v
        for k, v in settings.to_dict().items()
        if k not in MACHINE_FIELDS and (k in _FIRST_SETTINGS or v != defaults[k])
    }
    # Thumbnails are dreamed on the CPU, where tile_size "auto" is the 512 px every older stamp was made with.
    look["tile_size"] = planned_tile_size(settings.tile_size, "cpu")
    digest = hashlib.sha256(json.dumps(look, sort_keys=True).encode())
    for path in (guide, sample):
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path else b"no file")
    return digest.hexdigest()[:16]
