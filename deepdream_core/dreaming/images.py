"""Reading user images: common raster formats only, upright, RGB, within safe limits.

Every entry point (app, API, CLI) reads photos through :func:`load_image`, so a bad file gets
the same specific message everywhere, and anything changed on the way in (first frame of an
animation, transparency filled, downscaled) is reported as a notice the caller shows the user.
"""

from __future__ import annotations

import io
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from ..models.echo import shorten

# Larger images are refused before decoding: a small file can claim billions of pixels.
MAX_PIXELS = 50_000_000
MAX_FILE_BYTES = 50 * 1024 * 1024
# Smaller or thinner images leave the network nothing to see; refusing them says so instead of
# returning a few recoloured pixels.
MIN_SIDE = 16
MAX_ASPECT = 32
# Decoders Pillow may use on user files (JPEG covers phones' MPO files too). Others (EPS runs
# Ghostscript, and a long tail of rarely used parsers) are never reached by an upload.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
_FORMAT_HINT = "upload a JPEG, PNG, WebP, GIF, BMP or TIFF"
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class ImageInputError(ValueError):
    """The file is not an image we can dream on; the message says why and what to do."""


@dataclass(frozen=True)
class LoadedImage:
    """A user's image ready to dream on, and what was changed on the way in."""

    image: Image.Image  # upright RGB, no larger than the max_size asked for
    notices: tuple[str, ...] = ()  # one sentence per change the user should know about
    original_size: tuple[int, int] = (0, 0)  # (width, height) as stored in the file, before any change
    # (width, height) upright, before downscaling: what a dream fits to its max_size (the estimate keeps it, so a
    # change of a setting needs no decoding).
    upright_size: tuple[int, int] = (0, 0)


def load_image(
    source: str | os.PathLike | BinaryIO | bytes | Image.Image,
    max_size: int | None = None,
    max_pixels: int = MAX_PIXELS,
) -> LoadedImage:
    """Open, check and normalize a user's image: the first frame, upright, RGB.

    Transparency is composited onto white, so transparent areas dream like a white background.
    With ``max_size``, a larger image is downscaled (long side = ``max_size``) and a notice says so.
    An image of more than ``max_pixels`` is refused from its header, before it is decoded.
    Raises :class:`ImageInputError` with a message for the user when the file cannot be used.
    """
    notices: list[str] = []
    if isinstance(source, Image.Image):
        image = source
        if image.width * image.height > max_pixels:
            raise ImageInputError(_too_many_pixels(image.size, max_pixels))
    else:
        image = _decode(_read_bytes(source), max_pixels)
    original_size = image.size
    try:
        if getattr(image, "is_animated", False):
            notices.append(
                "the file holds several frames (an animation or a multi-page file); only the first frame is dreamed"
            )
            image.seek(0)
        if image.has_transparency_data and _has_transparent_pixels(image):
            notices.append("transparent areas were filled with white")
        image = to_rgb(image)
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageInputError(f"the image could not be converted to RGB ({err}); re-save it as PNG or JPEG") from None
    _check_shape(image.size)
    upright_size = image.size
    if max_size is not None and max(image.size) > max_size:
        width, height = image.size
        image = fit_long_side(image, max_size, reducing_gap=3.0)
        notices.append(
            f"the image is {width}x{height} pixels; it was scaled down to "
            f"{image.width}x{image.height} (the maximum working size is {max_size})"
        )
    return LoadedImage(image, tuple(notices), original_size, upright_size)


def open_image(source: str | os.PathLike | BinaryIO | bytes | Image.Image) -> Image.Image:
    """:func:`load_image` without notices or downscaling: just the upright RGB image."""
    return load_image(source).image


def to_rgb(image: Image.Image) -> Image.Image:
    """Upright (EXIF orientation applied) RGB; transparency composited onto white.

    The one place an image is made upright: photos, guides and images passed to the Python API. An image that is
    already upright RGB is returned as it is, not copied: the loop calls this on every photo the app already loaded.
    """
    if image.mode == "RGB" and ExifTags.Base.Orientation not in image.getexif() and not image.has_transparency_data:
        return image
    image = ImageOps.exif_transpose(image)
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in _SIXTEEN_BIT:
        # 16-bit greyscale: scale to 8 bits rather than clipping everything above 255 to white.
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def _read_bytes(source: str | os.PathLike | BinaryIO | bytes) -> bytes:
    """The file's bytes, refusing empty and oversized files before reading them whole."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImageInputError(no_such_file(source))
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImageInputError(_too_big(path.stat().st_size))
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        data = source.read(MAX_FILE_BYTES + 1)
    if not data:
        raise ImageInputError(f"the file is empty (0 bytes); {_FORMAT_HINT}")
    if len(data) > MAX_FILE_BYTES:
        raise ImageInputError(_too_big(len(data)))
    return data


def no_such_file(path: str | os.PathLike) -> str:
    """What to say of a path that names no file, as the user spelled it (``Path`` turns ``http://`` into ``http:/``).

    A URL is told that files are read from this computer, not fetched.
    """
    text = shorten(os.fspath(path))
    if _URL.match(text):
        return f"{text} is a URL; only files on this computer are read. Download it first, then give its path"
    return f"{text} does not exist or is not a file"


def _too_big(size: int) -> str:
    return f"the file is {size / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB. Save it smaller"


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    """Decode the first frame, refusing other formats and pixel counts beyond ``max_pixels``."""
    what = _non_raster(data[:512])
    if what:
        raise ImageInputError(f"this is {what}, not a photo; {_FORMAT_HINT}")
    try:
        image = _identify(data)
        if image.width * image.height > max_pixels:
            raise ImageInputError(_too_many_pixels(image.size, max_pixels))
        image.load()
    except ImageInputError:
        raise
    except Image.DecompressionBombError:
        raise ImageInputError(_too_many_pixels(None, max_pixels)) from None
    except UnidentifiedImageError:
        raise ImageInputError(f"this is not an image format we read; {_FORMAT_HINT}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageInputError(f"the image is damaged or truncated ({err}); re-save it and try again") from None
    return image


def _identify(data: bytes) -> Image.Image:
    """The file's header read by the first of Pillow's :data:`FORMATS` decoders that takes it; no pixel decoded.

    ``Image.open`` does this too, then checks the size against its own limit (89 megapixels), which warns with a
    ``DecompressionBombWarning`` in the server log before our lower limit could refuse the file (a 12000x12000
    PNG warned twice per upload). Warning filters are process-wide (and not thread-safe), so rather than silence
    it, the size is read with Pillow's registered decoders directly, as ``Image.open`` reads it, and checked by
    :func:`_decode`. (A GIF whose first frame is larger than its screen is still checked by Pillow as it opens.)
    """
    Image.init()
    prefix = data[:16]
    for name in FORMATS:
        if name not in Image.OPEN:
            continue  # a decoder this Pillow was built without (WebP needs libwebp)
        factory, accept = Image.OPEN[name]
        taken = not accept or accept(prefix)
        if taken and not isinstance(taken, str):  # a string is Pillow's "looks like it, but cannot be read"
            try:
                return factory(io.BytesIO(data), "")
            except (SyntaxError, IndexError, TypeError, struct.error):
                continue  # as Image.open does: the next format may take it
    raise UnidentifiedImageError("cannot identify image file")


def _too_many_pixels(size: tuple[int, int] | None, max_pixels: int) -> str:
    claim = f"is {size[0]}x{size[1]} pixels" if size else "claims too many pixels"
    return f"the image {claim}; the limit is {max_pixels // 1_000_000} megapixels. Scale it down and try again"


def _non_raster(head: bytes) -> str | None:
    """Name the kind of file for common non-photos, so the message can say what it is."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "an SVG (vector) file; export it as PNG first, then upload that"
    if text.startswith(b"%pdf"):
        return "a PDF document; export the page as PNG or JPEG first"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftyphevc"):
        return "a HEIC/HEIF photo, which we cannot read; export it as JPEG first"
    if text.startswith((b"<!doctype html", b"<html", b"<?xml")):
        return "an HTML or XML document"
    return None


def _has_transparent_pixels(image: Image.Image) -> bool:
    alpha = image.convert("RGBA").getchannel("A")
    return alpha.getextrema() != (255, 255)  # one band: (lowest, highest); anything under 255 is see-through


def _check_shape(size: tuple[int, int]) -> None:
    width, height = size
    if min(width, height) < MIN_SIDE:
        raise ImageInputError(
            f"the image is {width}x{height} pixels; DeepDream needs at least {MIN_SIDE} pixels "
            f"on each side. Use a larger image"
        )
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ImageInputError(
            f"the image is {width}x{height} pixels, too long and thin to dream on (at most "
            f"{MAX_ASPECT}:1). Crop it closer to a rectangle"
        )


def fitted_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``size`` scaled down so its long side is ``max_side``, or unchanged when it fits already.

    Either order works ((width, height) for images, (height, width) for tensors): both sides scale alike.
    """
    if max(size) <= max_side:
        return size
    scale = max_side / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def fit_long_side(
    image: Image.Image,
    max_side: int,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
    reducing_gap: float | None = None,
) -> Image.Image:
    """``image`` downscaled to :func:`fitted_size`, or itself when it fits; ``reducing_gap`` as in ``Image.resize``."""
    size = fitted_size(image.size, max_side)
    return image if size == image.size else image.resize(size, resample, reducing_gap=reducing_gap)


def fit_image(image: Image.Image, max_size: int) -> Image.Image:
    """Upright RGB (see :func:`to_rgb`) no larger than ``max_size`` on its long side."""
    return fit_long_side(to_rgb(image), max_size)
