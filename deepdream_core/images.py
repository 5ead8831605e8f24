"""Reading user images: any raster format Pillow knows, upright, RGB, within safe limits."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

# Larger images are refused before decoding: a small file can claim billions of pixels.
MAX_PIXELS = 50_000_000
MAX_FILE_BYTES = 50 * 1024 * 1024


class ImageInputError(ValueError):
    """The file is not an image we can dream on; the message says why and what to do."""


def open_image(source: str | os.PathLike | BinaryIO | bytes) -> Image.Image:
    """Open, check and normalize a user's image: the first frame, upright, RGB.

    Transparency is composited onto white, so transparent areas dream like a white background.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImageInputError(f"{path} does not exist or is not a file")
        size = path.stat().st_size
        if size == 0:
            raise ImageInputError(f"{path.name} is empty (0 bytes); upload a photo (JPEG, PNG, WebP...)")
        if size > MAX_FILE_BYTES:
            raise ImageInputError(f"{path.name} is {size / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB")
        source = path.read_bytes()
    if isinstance(source, bytes):
        if not source:
            raise ImageInputError("the file is empty (0 bytes); upload a photo (JPEG, PNG, WebP...)")
        source = io.BytesIO(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source)
            if image.width * image.height > MAX_PIXELS:
                raise ImageInputError(
                    f"the image is {image.width}x{image.height} pixels; the limit is {MAX_PIXELS // 1_000_000} "
                    f"megapixels. Scale it down and try again")
            image.seek(0)
            image.load()
    except ImageInputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageInputError(f"the image claims too many pixels (over {MAX_PIXELS // 1_000_000} megapixels); "
                              f"scale it down and try again") from None
    except UnidentifiedImageError:
        raise ImageInputError("this is not an image format we can read; upload a JPEG, PNG, WebP, GIF or BMP "
                              "(vector files like SVG must be exported as raster first)") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageInputError(f"the image is damaged or truncated ({err}); try re-saving it") from None
    return to_rgb(image)


def to_rgb(image: Image.Image) -> Image.Image:
    """Upright (EXIF orientation applied) RGB; transparency composited onto white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits rather than clipping everything above 255 to white.
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")
