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

from deepdream_core.jobs.estimate import Estimate, about, estimate_dream
from deepdream_core.jobs.load import Load, current_load

from .. import line
from ..config import StudioConfig
from ..controls import settings_from_values
from ..handlers import PROBLEM, USER_ERRORS, in_status, problem, quietly
from ..runs import DreamSoFar, PhotoFrame, dream_photo
from ..uploads import UPLOADS, load_optional, load_upload, mask_from_editor
from . import remix

START = "Add a photo (or try a sample), pick a look, then press **Dream**."
# The controls that act on a result, shown once there is one (and hidden while a new one is dreamed).
RESULT_ACTIONS = ("deeper_btn", "download", "remix_row", "compare")
# Dream says what is happening while a dream waits or runs (it cannot be pressed then: one dream at a time);
# Stop, shown then, leaves the line while the dream waits.
DREAM, DREAMING, IN_LINE = "✨ Dream", "Dreaming…", "In line…"
STOP, LEAVE = "Stop", "Leave the line"
# The load's slowdown from which the estimate says the machine is busy (below it, the estimate's own noise).
BUSY = 1.3
# One progress display, the status line: Gradio's own tracker still writes "queue: 1/1 | 0.5s" (and a handler that
# takes gr.Progress, "1/40 steps") into the outputs of an event whatever show_progress says (Gradio 6.31), so it is
# hidden in the dreams' outputs, on this tab and on the others that share the line.
DREAM_OUTPUTS = (
    "#status, #dream-result, #estimate, #anim-status, #anim-live, #anim-video, #video-status, #video-live, "
    "#video-result, #compare-status, #compare-sheet"
)
CSS = f"""
:is({DREAM_OUTPUTS}) :is(.progress-text, .meta-text, .meta-text-center, .eta-bar, .progress-bar, .progress-level) {{
  display: none !important;
}}
"""


# -- handlers ---------------------------------------------------------------------------------------------


def shown(names: Sequence[str], visible: bool) -> dict[str, Any]:
    return {name: gr.update(visible=visible) for name in names}


def buttons(running: str | None) -> dict[str, Any]:
    """Dream and Stop while a dream waits in line (``IN_LINE``) or runs (``DREAMING``), or when none does (None)."""
    if running is None:
        return {"dream_btn": gr.update(value=DREAM, interactive=True), "stop_btn": gr.update(value=STOP, visible=False)}
    stop = LEAVE if running == IN_LINE else STOP
    return {"dream_btn": gr.update(value=running, interactive=False), "stop_btn": gr.update(value=stop, visible=True)}


@in_status
def dream_ui(
    config: StudioConfig,
    photo: str | None,
    editor: dict | None,
    guide: str | None,
    preset: str | None = None,
    **controls: Any,
) -> Iterator[dict[str, Any]]:
    """Dream: stream previews into the result, then the PNG, the comparison and the download.

    ``preset`` is the look last picked; the PNG's record names it as where the settings started. Each preview
    comes with the same picture at full size (``so_far``), which a Stop keeps. The controls for a result hide
    while a new one grows, so none of them ever acts on a picture other than the one shown. The status line is
    the one progress display: no ``gr.Progress`` (Gradio would lay its own bar over the page).
    """
    line.handover()  # anything said from here on comes after the last "In line" of this page
    settings = settings_from_values(controls)
    image, notices = load_upload(photo, settings.max_size)
    guide_image = load_optional(guide, settings.max_size, "guide image")
    mask = mask_from_editor(editor, image.size)
    note = quietly(notices)
    frames = dream_photo(image, settings, guide_image, mask, config, preset=preset or None)
    first = next(frames)  # the settings are checked by now: only a dream that starts changes the page
    yield {
        "result": first.image,
        "status": first.status + note,
        "so_far": None,
        **buttons(DREAMING),
        **shown(RESULT_ACTIONS, False),
    }
    try:
        yield from _finished_or_previews(frames, image, note)
    except USER_ERRORS as err:  # after the start (a model that fails to load): the run ends here, Stop with it,
        # and the result box empties: the photo it showed at the start is no dream.
        yield {"result": None, "status": problem(err), "so_far": None, **buttons(None)}


def _finished_or_previews(frames: Iterator[PhotoFrame], image: Image.Image, note: str) -> Iterator[dict[str, Any]]:
    """The page's updates for each preview, then for the finished dream."""
    for frame in frames:
        if frame.png is not None:
            yield {
                "result": frame.png,
                "compare": gr.update(value=(image, frame.png), visible=True),
                "download": gr.update(value=frame.png, visible=True),
                "status": frame.status + note,
                "so_far": None,
                **buttons(None),
                **shown(("deeper_btn", "remix_row"), True),
            }
        else:
            yield {"result": frame.image, "status": frame.status + note, "so_far": frame.so_far}


def deeper_ui(
    config: StudioConfig,
    result: str | None,
    editor: dict | None,
    guide: str | None,
    preset: str | None = None,
    **controls: Any,
) -> Iterator[dict[str, Any]]:
    """Go deeper: dream the picture shown (the finished dream, or the full-size one a Stop kept) once more."""
    if not result:
        yield {"status": f"{PROBLEM} There is no dream to go deeper into yet: press **Dream** first."}
        return
    yield from dream_ui(config, result, editor, guide, preset, **controls)


def remixed_ui(
    config: StudioConfig,
    status: str,
    photo: str | None,
    editor: dict | None,
    guide: str | None,
    preset: str | None = None,
    **controls: Any,
) -> Iterator[dict[str, Any]]:
    """Remix's dream: the photo with the remixed controls, unless the remix was refused (its status says why)."""
    if status.startswith(PROBLEM):
        yield {}  # nothing changes: the refused value's message stays in the status line
        return
    yield from dream_ui(config, photo, editor, guide, preset, **controls)


def stop_ui(so_far: DreamSoFar | None, photo: str | None, stop: str = STOP) -> dict[str, Any]:
    """Stop: the picture on screen, at full size, becomes the result that Download saves and Go deeper dreams.

    ``stop`` is the button's label when it was pressed: while the dream waited in line it read "Leave the line".
    """
    if so_far is None:
        if stop == LEAVE:
            said = "You left the line: nothing was dreamed. Press **Dream** to join it again."
        else:
            said = "Stopped before the first preview: nothing to keep. Press **Dream** to start again."
        return {"status": said, **buttons(None)}
    png = so_far.save()
    before = load_upload(photo, so_far.settings.max_size)[0] if photo else so_far.image
    width, height = so_far.image.size
    return {
        "result": png,
        "compare": gr.update(value=(before, png), visible=True),
        "download": gr.update(value=png, visible=True),
        "status": f"Stopped at {so_far.where.lower()}: this is the dream so far, at full size ({width}×{height} px). "
        "**Go deeper** dreams on from it.",
        "so_far": None,
        **buttons(None),
        **shown(("deeper_btn", "remix_row"), True),
    }


def settled() -> dict[str, Any]:
    """After a dream ends however it ends (done, stopped, failed): Dream can be pressed again, Stop is gone."""
    return buttons(None)


def waiting_updates(place: line.Place, estimate: Estimate | None = None) -> dict[str, Any]:
    """The page while its dream waits in line: the wait in the status line, Leave the line, Dream saying so, and
    under it the dream's own time (the wait is said once, in the status line)."""
    updates = {"status": line.said(place), **buttons(IN_LINE)}
    if estimate is not None:  # on the server's event loop: the load as last measured, never waited for
        updates["estimate"] = said_estimate(estimate, current_load(wait=False), line.Place(0, 0.0, place.alongside))
    return updates


def estimate_ui(size: tuple[int, int] | None, **controls: Any) -> str:
    """About how long a dream with these settings takes here, shown under Dream: on this machine as busy as it is
    now, after the dreams in line ahead of it. Nothing without a photo (``size``: the upright photo's, kept when it
    was added, so a change of a setting decodes nothing)."""
    estimate = quiet_estimate(size, controls)
    if estimate is None:
        return ""  # no photo yet, or a setting the Dream button will say is wrong
    place = line.place_if_joined(line.current_queue(), line.current_session())
    return said_estimate(estimate, current_load(), place)


def quiet_estimate(size: tuple[int, int] | None, controls: dict[str, Any]) -> Estimate | None:
    """The estimate of a dream of a photo of ``size`` with these controls, on a quiet machine; None without a photo
    or with a setting that is not valid."""
    if not size:
        return None
    try:
        return estimate_dream(settings_from_values(controls), (int(size[0]), int(size[1])))
    except USER_ERRORS:
        return None


def said_estimate(estimate: Estimate, load: Load, place: line.Place) -> str:
    """The estimate in words: the run at the machine's load (beside the dreams still running when it starts),
    and the wait in line before it."""
    run = estimate.under(load, place.alongside)
    notes = [
        note for note, true in (("a first guess", not estimate.measured), ("busy now", run.slowdown >= BUSY)) if true
    ]
    text = f"{about(run.seconds).capitalize()} on this machine" + (f" ({', '.join(notes)})" if notes else "")
    if place.ahead and place.seconds >= 1:  # under a second, it starts at once (beside the others, if any)
        text += f", after {about(place.seconds)} in line ({place.ahead} dream{'s' if place.ahead != 1 else ''} ahead)"
    return text + "."


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
        dream_btn = gr.Button(DREAM, variant="primary", size="lg", elem_id="dream")
        stop_btn = gr.Button(STOP, variant="stop", size="lg", visible=False, elem_id="stop")
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
