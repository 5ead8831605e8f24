"""Real photos from scikit-image, for tests of every layer."""

from __future__ import annotations

from PIL import Image


def skimage_photo(name: str, max_side: int | None = None) -> Image.Image:
    """One of scikit-image's bundled photos (chelsea, astronaut, coffee, rocket...) as RGB, optionally shrunk."""
    from skimage import data

    image = Image.fromarray(getattr(data, name)()).convert("RGB")
    if max_side:
        image.thumbnail((max_side, max_side))
    return image
