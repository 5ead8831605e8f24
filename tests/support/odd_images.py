"""Every bad or unusual image file a user might upload, written from a real photo, and the message each bad one gets.

Shared by the engine/CLI tests (test_images.py) and the app tests (test_app_inputs.py), so both
check exactly the same files.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from deepdream_core.dreaming.images import MIN_SIDE

# file name -> the part of load_image's message that says what is wrong with it
BAD = {
    "empty.jpg": "empty (0 bytes)",
    "truncated.jpg": "damaged or truncated",
    "text.png": "not an image format",
    "bomb.png": "limit is 50 megapixels",
    "over_limit.png": "is 8000x8000 pixels; the limit is 50 megapixels",
    "drawing.svg": "SVG (vector) file; export it as PNG",
    "vector.eps": "not an image format",
    "one_pixel.png": f"at least {MIN_SIDE} pixels on each side",
    "strip.png": "is 10000x10 pixels",
}
# unusual but valid: each is dreamed
UNUSUAL = ("animated.gif", "cmyk.jpg", "grey16.png", "grey.png", "palette.png", "rgba.png", "sideways.jpg")


def png_claiming(width: int, height: int) -> bytes:
    """A valid greyscale PNG of zeros: tiny on disk, ``width*height`` bytes once decoded.

    One deflate block of zero rows, fully flushed so it stands alone, is repeated: building a
    30000x30000 bomb then costs a checksum pass, not 900 MB of compression.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = bytes(width + 1) * 64  # 64 rows, each a filter byte and zero pixels
    blocks, rest = divmod(height, 64)
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = head.compress(rows) + head.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = tail.compress(rows[: rest * (width + 1)]) + tail.flush()
    checksum = 1
    for _ in range(blocks):
        checksum = zlib.adler32(rows, checksum)
    checksum = zlib.adler32(rows[: rest * (width + 1)], checksum)
    stream = b"\x78\xda" + block * blocks + last + struct.pack(">I", checksum)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")


def header_claiming(fmt: str, width: int, height: int) -> bytes:
    """A small image saved as ``fmt`` whose header is rewritten to claim ``width``x``height`` (its data stays small).

    A reader that trusts the header before decoding sees the claimed size; nothing past the header is valid.
    """
    data = bytearray(encode(Image.new("L" if fmt != "GIF" else "P", (16, 16)), fmt))
    if fmt == "JPEG":
        sof = data.index(b"\xff\xc0")
        struct.pack_into(">HH", data, sof + 5, height, width)
    elif fmt == "BMP":
        struct.pack_into("<ii", data, 18, width, height)
    elif fmt == "GIF":
        struct.pack_into("<HH", data, 6, width, height)  # the logical screen
    elif fmt == "TIFF":
        (ifd,) = struct.unpack_from("<I", data, 4)
        (count,) = struct.unpack_from("<H", data, ifd)
        for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
            tag, kind = struct.unpack_from("<HH", data, entry)
            if tag in (256, 257):  # ImageWidth, ImageLength
                struct.pack_into("<H" if kind == 3 else "<I", data, entry + 8, width if tag == 256 else height)
    else:
        raise ValueError(fmt)
    return bytes(data)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def write_odd_images(folder: Path, cat: Image.Image) -> dict[str, Path]:
    """Write every odd file into ``folder`` (``cat`` is a small real photo); returns name -> path."""
    jpeg = encode(cat, "JPEG", quality=90)
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "lime", "blue")]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    rgba = cat.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(cat.size))  # transparent at the top, opaque at the bottom
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: viewers rotate it 90 degrees clockwise
    grey16 = Image.fromarray(np.full((48, 64), 32768, dtype=np.uint16))  # mid-grey in 16 bits
    contents = {
        "empty.jpg": b"",
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "text.png": b"Dear diary, this is not a picture.\n" * 20,
        "bomb.png": png_claiming(30000, 30000),
        "over_limit.png": png_claiming(8000, 8000),  # 64 MP: above our limit, below Pillow's own
        "drawing.svg": b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        b'<rect width="64" height="64" fill="red"/></svg>',
        "vector.eps": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\nnewpath 0 0 moveto 64 64 lineto stroke\n",
        "one_pixel.png": encode(Image.new("RGB", (1, 1), "red"), "PNG"),
        "strip.png": encode(Image.new("RGB", (10000, 10), "red"), "PNG"),
        "animated.gif": gif.getvalue(),
        "cmyk.jpg": encode(cat.convert("CMYK"), "JPEG", quality=95),
        "grey16.png": encode(grey16, "PNG"),
        "grey.png": encode(cat.convert("L"), "PNG"),
        "palette.png": encode(cat.convert("P", palette=Image.Palette.ADAPTIVE, colors=64), "PNG"),
        "rgba.png": encode(rgba, "PNG"),
        "sideways.jpg": encode(cat, "JPEG", quality=95, exif=exif),
        "photo.jpg": jpeg,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in contents}


def colour_distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0-255 (``b`` resized to ``a``'s size)."""
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b.resize(a.size), np.float32)).mean())
