"""Pictures the app serves from Gradio's cache folder, written whole before anyone can fetch them.

Gradio serves a cached file (``/gradio_api/file=...``) with the size it finds when the request arrives, then reads
the file as it sends it. The cache is content-addressed (a folder per hash of the bytes), and Gradio 6.31 writes a
picture a handler returns (``processing_utils.save_pil_to_cache``: previews, the before/after slider, frames) in
place: saving the same picture again, while a browser was fetching it, truncated and rewrote the file under that
response, which then sent more (or fewer) bytes than it had declared, h11's "Too much data for declared
Content-Length" in the server log. A 1-step dream did it on its own: its first frame (the photo at the working
size) is the slider's "before" picture, saved again as the dream ends while the browser is still fetching the first.
Two visitors dreaming a sample photo with the same look do it to each other (a dream is reproducible to the byte).

Here a picture is written under a temporary name and renamed into place, and one already there (the same bytes, by
its folder's name) is left as it is: a response never reads a file that is being written.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from gradio import processing_utils
from PIL import Image


def save_bytes(data: bytes, name: str, folder: str | os.PathLike) -> str:
    """``data`` as ``folder/<sha256 of data>/name``, written whole (or already there); its path."""
    target = Path(folder) / hashlib.sha256(data).hexdigest() / Path(name).name
    if target.is_file():
        # The same bytes, being served perhaps: not rewritten. Its ctime is touched (only), since Gradio's
        # delete_cache ages files by ctime and this copy was just handed out again.
        stat = target.stat()
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        return str(target.resolve())
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(staging, target)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return str(target.resolve())


def save_pil_to_cache(img: Image.Image, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    """Gradio's ``processing_utils.save_pil_to_cache`` (same arguments and naming), written whole."""
    return save_bytes(processing_utils.encode_pil_to_bytes(img, format), f"{name}.{format}", cache_dir)


def install() -> None:
    """Have Gradio save every picture a handler returns with :func:`save_pil_to_cache`.

    Gradio's image components call ``processing_utils.save_pil_to_cache`` by its module name (``image_utils
    .save_image``), so this one replacement covers the result, the slider, the motion and live frames and the
    galleries. Called when the page is built, never at import.
    """
    processing_utils.save_pil_to_cache = save_pil_to_cache
