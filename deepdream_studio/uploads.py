"""What users upload: file inputs that only take files uploaded to this server, and reading them safely.

Every image goes to ``deepdream_core.dreaming.images.load_image`` undecoded (it checks size, format and pixels and says
what is wrong), and every clip to ``load_clip``; no input accepts a path on the server.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.data_classes import GradioRootModel
from gradio.utils import get_upload_folder
from PIL import Image

from deepdream_core.dreaming.images import ImageInputError, load_image
from deepdream_core.models.echo import echo, shorten


def upload_folder() -> str:
    """Gradio's folder for uploads and results (``GRADIO_TEMP_DIR``), the same for every component."""
    return get_upload_folder()


# The mark of a file input that takes uploads only, read by the checks :func:`install` puts on the classes. A CSS
# class because Gradio keeps it: it rebuilds a control from its constructor's arguments whenever a handler updates
# it in a session (gr.skip() included, which fills every output a handler's dict leaves out), and a method replaced
# on the first instance was gone from the rebuilt one, so after the first photo Gradio decoded the next upload
# itself (a 12000x12000 PNG: two DecompressionBombWarnings) and took bare server paths again.
UPLOADS = "deepdream-uploads"


def photo_input(**options: Any) -> gr.Image:
    """An image input whose uploads reach ``load_image`` undecoded, as a file path in the upload folder.

    ``gr.Image`` opens uploads with Pillow itself (every decoder, no pixel limit) before our code
    sees them, so a text file, an EPS or a decompression bomb would fail there with Gradio's
    generic error. Here the path goes straight to ``deepdream_core.dreaming.images.load_image``, which
    checks size, format and pixels and says what is wrong.
    """
    return gr.Image(type="filepath", image_mode=None, elem_classes=[UPLOADS], **options)


def clip_input(**options: Any) -> gr.Video:
    """A video input whose uploads reach ``load_clip`` as they were sent, as a file path in the upload folder.

    ``gr.Video`` may run the ffmpeg program on uploads (to mirror webcam clips or change the format),
    which is not installed everywhere and would open any file before our checks; PyAV does the decoding.
    """
    return gr.Video(sources=["upload"], format=None, include_audio=True, elem_classes=[UPLOADS], **options)


def install() -> None:
    """Give every ``gr.Image``, ``gr.Video`` and ``gr.File`` marked :data:`UPLOADS` the upload checks, on the classes.

    - Gradio checks that an input file was uploaded only when the request marks it as a file
      (``"meta": {"_type": "gradio.FileData"}``); a bare ``{"path": "/some/server/file.png"}`` reaches
      ``preprocess`` unchecked (Gradio 6.31), and any image on the server could be dreamed and sent back. Here
      every path in a marked input must lie in Gradio's upload folder, or the request is refused before anything
      is opened, with one message whether or not the file exists.
    - A marked image or clip is handed over as its path, undecoded (see :func:`photo_input`, :func:`clip_input`).
    - A file given as a URL that Gradio refuses to fetch is refused in our words (:func:`_fetch_said_plainly`).

    Unmarked inputs (the Live tab's camera) keep Gradio's own behaviour. Called when the page is built (and the
    API's endpoints), never at import; calling it again changes nothing.
    """
    for kind in (gr.Image, gr.Video, gr.File):
        if not getattr(kind.preprocess, "checks_uploads", False):
            kind.preprocess = _checked(kind.preprocess, undecoded=kind is not gr.File)  # type: ignore[method-assign]
            kind.async_move_resource_to_block_cache = _fetch_said_plainly(  # type: ignore[method-assign]
                kind.async_move_resource_to_block_cache
            )


def _marked(component: gr.components.Component) -> bool:
    classes = component.elem_classes
    return UPLOADS in ([classes] if isinstance(classes, str) else classes or [])


def _checked(preprocess: Callable[..., Any], undecoded: bool) -> Callable[..., Any]:
    def checked(self: gr.components.Component, payload: Any) -> Any:
        if not _marked(self):
            return preprocess(self, payload)
        uploads = Path(upload_folder()).resolve()
        for path in _paths_in(payload.model_dump() if hasattr(payload, "model_dump") else payload):
            if not Path(path).resolve().is_relative_to(uploads):
                raise gr.Error(
                    f"{self.label or 'file'}: not an uploaded file. Upload the image (with gradio_client: "
                    f"handle_file(path)); paths on the server are not read"
                )
        if undecoded:
            return None if payload is None or payload.path is None else str(payload.path)
        return preprocess(self, payload)

    checked.checks_uploads = True  # type: ignore[attr-defined]
    return checked


def _fetch_said_plainly(fetch: Callable[..., Awaitable[str | None]]) -> Callable[..., Any]:
    """Gradio's download of a file given as a URL (the API's and MCP's ``{"path": "https://..."}``), with our message.

    Gradio fetches such a URL before ``preprocess``, through ``safehttpx``, which raises ``ValueError`` for an
    address that is private, loopback, link-local or reserved (``127.0.0.1``, ``localhost``, ``127.1``,
    ``2130706433``, ``0x7f000001``, ``[::ffff:127.0.0.1]``, ``10.x``...) and for a name it cannot resolve, so the
    server never reaches itself or its network. Uncaught, the caller got Gradio's generic error; this says what
    was refused and what to send instead. Nothing is fetched that Gradio would not fetch; only its refusal is reworded.
    """
    instead = (
        "Send a public https:// URL, or the file itself: an upload (gradio_client: handle_file(path)) "
        "or, over MCP, inline as data:image/png;base64,..."
    )

    async def fetched(self: gr.components.Component, url_or_path: Any) -> str | None:
        is_url = isinstance(url_or_path, str) and url_or_path.startswith(("http://", "https://"))
        if not (is_url and _marked(self)):
            return await fetch(self, url_or_path)  # an upload, already in Gradio's folder
        name = self.label or "file"
        try:
            return await fetch(self, url_or_path)
        except ValueError:
            raise gr.Error(
                f"{name}: {shorten(str(url_or_path))} was not fetched: this server refuses private and local "
                f"addresses (such as 127.0.0.1, localhost or 10.0.0.1) and names it cannot look up. {instead}"
            ) from None
        except Exception as err:  # httpx's errors, or Gradio's bare Exception for an answer other than 200
            raise gr.Error(f"{name}: could not download {shorten(str(url_or_path))} ({err}). {instead}") from None

    return fetched


def _paths_in(data: Any) -> Iterator[str]:
    """Every ``"path"`` string in a file input's payload (an image, or an editor's background and layers)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "path" and isinstance(value, str):
                yield value
            else:
                yield from _paths_in(value)
    elif isinstance(data, (list, tuple)):
        for item in data:
            yield from _paths_in(item)


def load_upload(
    path: str | Path | None, max_size: int | None, what: str = "photo"
) -> tuple[Image.Image, tuple[str, ...]]:
    """An uploaded image at working size and the notices about it; ImageInputError names ``what`` is wrong."""
    if not path:
        raise ImageInputError(f"Add a {what} first: upload one, paste it, or take one with the webcam.")
    try:
        loaded = load_image(path, max_size=max_size)
    except ImageInputError as err:
        if what == "photo":
            raise
        # Say which of the uploads is wrong: "the file is empty" alone would point at the photo.
        raise ImageInputError(f"{what}: {err}") from None
    return loaded.image, loaded.notices


def load_optional(path: str | Path | None, max_size: int, what: str) -> Image.Image | None:
    """A second image (a guide) when one was given; None otherwise."""
    return load_upload(path, max_size, what)[0] if path else None


def mask_from_editor(editor: dict | None, size: tuple[int, int]) -> Image.Image | None:
    """The painted strokes as a greyscale mask (white = dream) at the working size; None if nothing is painted."""
    if not editor or not editor.get("layers"):
        return None
    alpha = Image.new("L", editor["layers"][0].size, 0)
    for layer in editor["layers"]:
        alpha.paste(255, mask=layer.convert("RGBA").getchannel("A").point(lambda a: 255 if a else 0))
    if alpha.getbbox() is None:
        return None
    return alpha.resize(size, Image.Resampling.BILINEAR)


def mask_from_upload(path: str | None, size: tuple[int, int]) -> Image.Image | None:
    """An uploaded mask image (white = dream) as greyscale at the working size; None when none was sent."""
    return load_upload(path, None, "mask")[0].convert("L").resize(size) if path else None


def camera_input(**options: Any) -> gr.Image:
    """A streaming webcam input whose frames reach the handler as the bytes the request carried, undecoded.

    The browser sends each streamed frame inline, as ``{"url": "data:image/jpeg;base64,..."}``, to the queue and
    then to ``/gradio_api/stream/{event}``. ``gr.Image`` would decode it itself (any format, no pixel limit) and
    would open a ``{"path": ...}`` a client sent instead, anywhere on the server (a FIFO blocks it). Here a
    frame is read only from the request: its bytes go to ``load_image``, which checks size, format and
    pixels as it does an upload's; a path or a web URL is refused without being opened. Any JSON is taken
    as the payload (Gradio's own model would refuse a frame that is not an object with a bare error), so
    every malformed frame gets a sentence.
    """
    camera = gr.Image(sources=["webcam"], streaming=True, **options)
    camera.data_model = CameraPayload
    camera.preprocess = inline_frame  # type: ignore[method-assign]
    # A frame marked as a Gradio file is fetched (a URL) or copied (a path) before preprocess: neither, ever.
    camera.async_move_resource_to_block_cache = _never_fetched  # type: ignore[method-assign]
    return camera


class CameraPayload(GradioRootModel):
    """A streamed frame as the client sent it, any JSON: :func:`inline_frame` says what is wrong with it."""

    root: Any = None


def _not_inline(what: str) -> gr.Error:
    return gr.Error(
        f"camera frame: {what} was sent; a frame is read only from the request itself, as "
        '{"url": "data:image/jpeg;base64,..."} (as the page\'s camera sends it). Paths and URLs are not read'
    )


async def _never_fetched(url_or_path: Any) -> str | None:
    if url_or_path is None:
        return None
    text = str(url_or_path)
    raise _not_inline(f"the URL {shorten(text)}" if "://" in text else "a file path")


def inline_frame(payload: CameraPayload | None) -> bytes | None:
    """A streamed frame's bytes, from the data URL it arrived as (base64 or percent-encoded)."""
    sent = payload.root if payload is not None else None
    if sent is None:
        return None
    url = sent if isinstance(sent, str) else sent.get("url") if isinstance(sent, dict) else None
    if not isinstance(url, str) or not url.startswith("data:"):
        what = (
            "a file path"
            if isinstance(sent, dict) and sent.get("path")
            else f"the URL {shorten(url)}"
            if isinstance(url, str) and "://" in url
            else echo(url if isinstance(url, str) else sent)
        )
        raise _not_inline(what)
    header, _, data = url.partition(",")  # its size and what it holds are load_image's to check
    if not header.endswith(";base64"):
        return urllib.parse.unquote_to_bytes(data)
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error as err:
        raise gr.Error(
            f"camera frame: its data is not valid base64 ({err}); send data:image/jpeg;base64,... "
            f"with the JPEG or PNG encoded whole"
        ) from None
