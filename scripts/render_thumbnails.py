"""Render the presets' gallery thumbnails with the project's own dream code.

    python scripts/render_thumbnails.py             # every preset
    python scripts/render_thumbnails.py dog-faces   # only these
    python scripts/render_thumbnails.py classic-2015 pagodas   # where their networks can be downloaded

Each preset dreams the shipped sample photo (or noise, for a preset whose ``start`` is noise) at a
small working size (so the whole set renders in a few minutes on two CPU cores), is shrunk to a
thumbnail and saved as ``presets/<name>.jpg``.
The JPEG comment holds :func:`deepdream_core.files.presets.fingerprint` of what was rendered, so the
tests can tell a stale thumbnail from a fresh one.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # runs from a checkout without installing the package

from deepdream_core import DreamSettings, dream  # noqa: E402
from deepdream_core.files.presets import (  # noqa: E402
    PRESETS_DIR,
    SAMPLES_DIR,
    Preset,
    fingerprint,
    load_preset,
    preset_names,
)

SAMPLE = SAMPLES_DIR / "chelsea.jpg"
# Working size of the dream: big enough that the preset's look shows, small enough for 2 cores.
WORK_SIZE = 320
THUMB_SIZE = 256  # long side of the saved thumbnail
# The end of the description of a look whose network cannot be downloaded where the thumbnails were made, so it
# has no picture yet (the gallery shows a card saying so); taken out once its picture is rendered.
NO_PREVIEW = "No preview yet: its picture is made on a machine that can download the network."


def thumbnail_path(name: str, folder: Path = PRESETS_DIR) -> Path:
    """Where a preset's thumbnail goes; its ``thumbnail`` key names this file."""
    return folder / f"{name}.jpg"


def render_settings(preset: Preset, work_size: int = WORK_SIZE) -> DreamSettings:
    """The preset's settings at the thumbnail's working size (never larger than the preset's own)."""
    return preset.settings.replace(max_size=min(work_size, preset.settings.max_size))


def render_source(preset: Preset, sample: Path = SAMPLE) -> Path | None:
    """What the thumbnail dreams: the sample photo, or None (noise) for a preset made to start from noise."""
    return None if preset.start == "noise" else sample


def render_thumbnail(
    preset: Preset, out: Path, sample: Path = SAMPLE, work_size: int = WORK_SIZE, thumb_size: int = THUMB_SIZE
) -> Path:
    """Dream ``sample`` (or noise) with ``preset`` and save it to ``out``, stamped with its fingerprint."""
    settings = render_settings(preset, work_size)
    guide = Image.open(preset.guide) if preset.guide else None
    source = render_source(preset, sample)
    image = dream(Image.open(source) if source else None, settings, guide=guide)
    image.thumbnail((thumb_size, thumb_size), Image.Resampling.LANCZOS)
    image.save(out, quality=88, optimize=True, comment=fingerprint(settings, preset.guide, source))
    return out


def stamped_fingerprint(thumbnail: Path) -> str:
    """The fingerprint a thumbnail was stamped with ("" if none)."""
    with Image.open(thumbnail) as image:
        return image.info.get("comment", b"").decode()


def main(names: list[str]) -> None:
    started = time.perf_counter()
    for name in names or preset_names():
        preset = load_preset(name)
        begun = time.perf_counter()
        out = render_thumbnail(preset, thumbnail_path(name))
        print(f"{out.relative_to(REPO)}  {time.perf_counter() - begun:.1f} s", flush=True)
        if NO_PREVIEW in preset.description:
            print(f"  now take {NO_PREVIEW!r} out of presets/{name}.json's description", flush=True)
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
