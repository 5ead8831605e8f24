"""Render the bundled model's layer atlas with the project's own dream code.

    python scripts/render_atlas.py                  # every dream layer of the bundled model
    python scripts/render_atlas.py blocks.3 blocks.4   # only these

Each picture (the sample photo dreamed at a layer beside the layer dreamed from noise) goes to
``presets/atlas/<model>/<layer>.jpg``, stamped with :func:`deepdream_core.jobs.atlas.picture_fingerprint`, so the
tests can tell a stale picture from a fresh one. Other models' atlases are rendered on request into the cache.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # runs from a checkout without installing the package

from deepdream_core import BUNDLED_MODEL, get_spec  # noqa: E402
from deepdream_core.jobs.atlas import SHIPPED_DIR, SHIPPED_SIZE, model_folder, render_picture  # noqa: E402


def main(layers: list[str]) -> None:
    started = time.perf_counter()
    folder = model_folder(SHIPPED_DIR, BUNDLED_MODEL)
    for layer in layers or [layer.path for layer in get_spec(BUNDLED_MODEL).layers]:
        begun = time.perf_counter()
        out = render_picture(BUNDLED_MODEL, layer, folder / f"{layer}.jpg", SHIPPED_SIZE)
        print(
            f"{out.relative_to(REPO)}  {out.stat().st_size // 1024} KB  {time.perf_counter() - begun:.1f} s", flush=True
        )
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
