"""Render the before/after pictures of the README's "Quality options" section into ``docs/quality/``.

    python scripts/quality_pictures.py              # every picture (a few minutes on two CPU cores)
    python scripts/quality_pictures.py wrap keep-colors   # only these

Most pictures put the same dream with an option off (left) and on (right); the README says what each
panel is. They are made with the project's own code on scikit-image's photos (the bundled model,
seed 0) and saved as small JPEGs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # runs from a checkout without installing the package

from deepdream_core import AnimationSettings, DreamSettings, LayerTarget, animate, dream  # noqa: E402

OUT = REPO / "docs" / "quality"
SIDE = 224  # working size of every dream: big enough to see the difference, small enough for 2 cores
GAP = 4  # pixels of white between the panels


def photo(name: str = "chelsea") -> Image.Image:
    from skimage import data

    return Image.fromarray(getattr(data, name)()).convert("RGB")


def side_by_side(*panels: Image.Image) -> Image.Image:
    height = max(panel.height for panel in panels)
    strip = Image.new("RGB", (sum(panel.width for panel in panels) + GAP * (len(panels) - 1), height), "white")
    x = 0
    for panel in panels:
        strip.paste(panel, (x, 0))
        x += panel.width + GAP
    return strip


def tiled(image: Image.Image, times: int = 2) -> Image.Image:
    """``image`` repeated ``times`` x ``times``, shrunk back to its size: any seam shows as a cross."""
    grid = Image.new("RGB", (image.width * times, image.height * times))
    for x in range(times):
        for y in range(times):
            grid.paste(image, (x * image.width, y * image.height))
    return grid.resize(image.size, Image.Resampling.LANCZOS)


def pair(start: Image.Image | None, settings: DreamSettings, **option: object) -> Image.Image:
    """The dream without and with ``option`` (its default against the value given)."""
    return side_by_side(dream(start, settings), dream(start, settings.replace(**option)))


BASE = DreamSettings(max_size=SIDE, seed=0)
FROM_NOISE = BASE.replace(steps=20, step_size=3)


def zoom_colors() -> Image.Image:
    """Frame 1 of a 120-frame zoom, then frame 120 without and with the colour lock."""
    settings = BASE.replace(max_size=128)
    last = {}
    for lock in (False, True):
        frames = list(animate(photo(), settings, AnimationSettings(frames=120, color_lock=lock)))
        first, last[lock] = frames[0].image, frames[-1].image
    return side_by_side(first, last[False], last[True])


PICTURES: dict[str, Callable[[], Image.Image]] = {
    "gradient-norm": lambda: pair(photo("astronaut"), BASE, gradient_norm="laplacian"),
    "parameterization": lambda: pair(
        None,
        FROM_NOISE.replace(class_target="volcano", layers=(LayerTarget("blocks.4", 0.0),)),
        parameterization="fourier",
    ),
    "transform-robustness": lambda: pair(
        None,
        FROM_NOISE.replace(parameterization="fourier", layers=(LayerTarget("blocks.3"),)),
        transform_robustness=1.0,
    ),
    "keep-colors": lambda: pair(photo(), BASE, keep_colors=True),
    "color-lock": zoom_colors,
    "wrap": lambda: side_by_side(
        *(
            tiled(
                dream(
                    None, FROM_NOISE.replace(parameterization="fourier", wrap=wrap, layers=(LayerTarget("blocks.2"),))
                )
            )
            for wrap in ("none", "xy")
        )
    ),
    "channel-pick": lambda: side_by_side(
        *(dream(photo(), BASE.replace(channel_pick=pick)) for pick in ("strongest", "weakest"))
    ),
}


def main(names: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names or PICTURES:
        begun = time.perf_counter()
        out = OUT / f"{name}.jpg"
        PICTURES[name]().save(out, quality=80, optimize=True)
        print(
            f"{out.relative_to(REPO)}  {out.stat().st_size // 1024} KB  {time.perf_counter() - begun:.0f} s", flush=True
        )


if __name__ == "__main__":
    main(sys.argv[1:])
