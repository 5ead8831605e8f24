"""The Photo tab's result: the dream as it grows, Dream and Stop under it, and what acts on a finished result.

Dream streams previews into the result; each comes with the same picture at full working size (the engine's
``DreamProgress.snapshot``), kept in a ``gr.State``, so Stop can make the picture on screen the result: a full-size
PNG whose record says where the run stopped, which Download saves and Go deeper dreams. Go deeper, Download, Remix
and the before/after slider show once there is a result, and hide while a new one grows, so none of them ever acts
on a picture other than the one shown.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr
from PIL import Image

from deepdream_core.jobs.estimate import about, estimate_dream

from ..config import StudioConfig
from ..controls import settings_from_values
from ..handlers import PROBLEM, USER_ERRORS, in_status, problem, quietly
from ..runs import DreamSoFar, PhotoFrame, dream_photo
from ..uploads import UPLOADS, load_optional, load_upload, mask_from_editor
from . import remix

START = "Add a photo (or try a sample), pick a look, then press **Dream**."
# The controls that act on a result, shown once there is one (and hidden while a new one is dreamed).
RESULT_ACTIONS = ("deeper_btn", "download", "remix_row", "compare")


# -- handlers ---------------------------------------------------------------------------------------------


def shown(names: Sequence[str], visible: bool) -> dict[str, Any]:
    return {name: gr.update(visible=visible) for name in names}


@in_status
def dream_ui(
    config: StudioConfig,
    photo: str | None,
    editor: dict | None,
    guide: str | None,
    progress: gr.Progress = gr.Progress(),
    preset: str | None = None,
    **controls: Any,
) -> Iterator[dict[str, Any]]:
    """Dream: stream previews into the result, then the PNG, the comparison and the download.

    ``preset`` is the look last picked; the PNG's record names it as where the settings started. Each preview
    comes with the same picture at full size (``so_far``), which a Stop keeps. The controls for a result hide
    while a new one grows, so none of them ever acts on a picture other than the one shown.
    """
    settings = settings_from_values(controls)
    image, notices = load_upload(photo, settings.max_size)
    guide_image = load_optional(guide, settings.max_size, "guide image")
    mask = mask_from_editor(editor, image.size)
    note = quietly(notices)
    frames = dream_photo(image, settings, guide_image, mask, config, progress, preset=preset or None)
    first = next(frames)  # the settings are checked by now: only a dream that starts changes the page
    yield {
        "result": first.image,
        "status": first.status + note,
        "stop_btn": gr.update(visible=True),
        "so_far": None,
        **shown(RESULT_ACTIONS, False),
    }
    try:
        yield from _finished_or_previews(frames, image, note)
    except USER_ERRORS as err:  # after the start (a model that fails to load): the run ends here, Stop with it,
        # and the result box empties: the photo it showed at the start is no dream.
        yield {"result": None, "status": problem(err), "stop_btn": gr.update(visible=False), "so_far": None}


def _finished_or_previews(frames: Iterator[PhotoFrame], image: Image.Image, note: str) -> Iterator[dict[str, Any]]:
    """The page's updates for each preview, then for the finished dream."""
    for frame in frames:
        if frame.png is not None:
            yield {
                "result": frame.png,
                "compare": gr.update(value=(image, frame.png), visible=True),
                "download": gr.update(value=frame.png, visible=True),
                "status": frame.status + note,
                "stop_btn": gr.update(visible=False),
                "so_far": None,
                **shown(("deeper_btn", "remix_row"), True),
            }
        else:
            yield {"result": frame.image, "status": frame.status + note, "so_far": frame.so_far}


def deeper_ui(
    config: StudioConfig,
    result: str | None,
    editor: dict | None,
    guide: str | None,
    progress: gr.Progress = gr.Progress(),
    preset: str | None = None,
    **controls: Any,
) -> Iterator[dict[str, Any]]:
    """Go deeper: dream the picture shown (the finished dream, or the full-size one a Stop kept) once more."""
    if not result:
        yield {"status": f"{PROBLEM} There is no dream to go deeper into yet: press **Dream** first."}
        return
    yield from dream_ui(config, result, editor, guide, progress, preset, **controls)


def remixed_ui(
    config: StudioConfig,
    status: str,
    photo: str | None,
    editor: dict | None,
    guide: str | None,
    progress: gr.Progress = gr.Progress(),
    preset: str | None = None,
    **controls: Any,
) -> Iterator[dict[str, Any]]:
    """Remix's dream: the photo with the remixed controls, unless the remix was refused (its status says why)."""
    if status.startswith(PROBLEM):
        yield {}  # nothing changes: the refused value's message stays in the status line
        return
    yield from dream_ui(config, photo, editor, guide, progress, preset, **controls)


def stop_ui(so_far: DreamSoFar | None, photo: str | None) -> dict[str, Any]:
    """Stop: the picture on screen, at full size, becomes the result that Download saves and Go deeper dreams."""
    if so_far is None:
        return {
            "status": "Stopped before the first preview: nothing to keep. Press **Dream** to start again.",
            "stop_btn": gr.update(visible=False),
        }
    png = so_far.save()
    before = load_upload(photo, so_far.settings.max_size)[0] if photo else so_far.image
    width, height = so_far.image.size
    return {
        "result": png,
        "compare": gr.update(value=(before, png), visible=True),
        "download": gr.update(value=png, visible=True),
        "status": f"Stopped at {so_far.where.lower()}: this is the dream so far, at full size ({width}×{height} px). "
        "**Go deeper** dreams on from it.",
        "stop_btn": gr.update(visible=False),
        "so_far": None,
        **shown(("deeper_btn", "remix_row"), True),
    }


def estimate_ui(photo: str | None, **controls: Any) -> str:
    """About how long a dream with these settings takes on this machine, shown next to Dream."""
    try:
        settings = settings_from_values(controls)
        size = load_upload(photo, None)[0].size if photo else None
        estimate = estimate_dream(settings, size)
    except USER_ERRORS:
        return ""  # the Dream button says what is wrong
    rough = "" if estimate.measured else " (a first guess until this machine is timed)"
    return f"{about(estimate.seconds).capitalize()} on this machine{rough}."


# -- layout -----------------------------------------------------------------------------------------------


def layout() -> dict:
    """Step 3: the dream as it grows with Dream and Stop under it, the status, then what acts on a result:
    Go deeper, the download, Remix and the before/after slider (shown once there is a result)."""
    result = gr.Image(
        label="3 · Your dream",
        type="filepath",
        image_mode=None,
        format="webp",
        interactive=False,
        height=420,
        buttons=["fullscreen"],  # no download of a preview: Download PNG saves the full-size picture shown
        elem_id="dream-result",
        elem_classes=[UPLOADS],  # Go deeper takes it as an input: uploads only (see uploads.install)
    )
    with gr.Row(elem_id="dream-row"):
        dream_btn = gr.Button("✨ Dream", variant="primary", size="lg", elem_id="dream")
        stop_btn = gr.Button("Stop", variant="stop", size="lg", visible=False, elem_id="stop")
    estimate = gr.Markdown("", elem_id="estimate")
    status = gr.Markdown(START, elem_id="status")
    with gr.Row():
        deeper_btn = gr.Button("🌀 Go deeper", visible=False, elem_id="deeper")
        download = gr.DownloadButton("⬇ Download PNG", visible=False, elem_id="download")
    remix_parts = remix.layout()
    compare = gr.ImageSlider(
        label="Before / after",
        type="pil",
        interactive=False,
        max_height=420,
        buttons=["fullscreen"],  # its download would save a picture other than the one Download PNG names
        visible=False,
        elem_id="compare",
    )
    return {
        "result": result,
        "dream_btn": dream_btn,
        "stop_btn": stop_btn,
        "estimate": estimate,
        "status": status,
        "deeper_btn": deeper_btn,
        "download": download,
        "compare": compare,
        **remix_parts,
    }
