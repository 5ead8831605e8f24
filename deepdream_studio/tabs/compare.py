"""The Compare tab: one photo dreamed several ways, one setting at 2 to 6 values or 2 to 6 looks, on one sheet.

The cells fill the sheet as they finish; the finished sheet downloads as one PNG. The look to start from is the
Photo tab's (or a preset picked here), as in the motion tabs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

from deepdream_core.files.presets import Preset
from deepdream_core.jobs.sheets import preset_variants, setting_variants, split_values

from .. import line
from ..config import StudioConfig
from ..controls import SLIDERS, whole
from ..handlers import bind, in_status_at, quietly
from ..sweeps import dream_sheet
from ..uploads import load_upload, photo_input
from .motion_controls import chosen_settings, preset_dropdown, run_button_row, run_with_stop, size_slider, wire_stop
from .photo import PhotoTab
from .zoom import photo_tab_photo

ONE_SETTING, LOOKS = "One setting", "Looks"
# The settings worth comparing, each with values to start from.
EXAMPLES = {
    "steps": "5, 10, 20",
    "octaves": "2, 4, 6",
    "octave_scale": "1.2, 1.4, 1.8",
    "step_size": "0.75, 1.5, 3",
    "jitter": "0, 16, 64",
    "smoothing": "0, 0.5, 2",
    "class_weight": "0.5, 2, 8",
    "layers": "blocks.1, blocks.3, blocks.5.0",
    "class_target": "tabby cat, goldfish, palace",
    "seed": "1, 2, 3",
}
LABELS = {
    **{name: spec.label for name, spec in SLIDERS.items()},
    "layers": "Layer",
    "class_target": "ImageNet class",
    "seed": "Seed",
}


# -- handlers ---------------------------------------------------------------------------------------------


def mode_changed(mode: str) -> tuple[dict, dict, dict, dict]:
    """One setting shows the setting, its values and the look to start from; Looks shows the looks to pick."""
    one = mode == ONE_SETTING
    return gr.update(visible=one), gr.update(visible=one), gr.update(visible=one), gr.update(visible=not one)


def setting_changed(setting: str) -> str:
    return EXAMPLES.get(setting, "")


@in_status_at(3, 2)
def compare_ui(
    config: StudioConfig,
    photo: str | None,
    mode: str,
    setting: str,
    values: str,
    looks: list[str] | None,
    preset: str | None,
    size: float,
    guide: str | None,
    progress: gr.Progress = gr.Progress(),
    **controls: Any,
) -> Iterator[tuple]:
    """Compare: the sheet as each cell finishes, then the PNG and its download."""
    line.handover()  # after the last word of its wait in the line
    if mode == LOOKS:
        variants = preset_variants(looks or [], {"max_size": whole(size)})
    else:
        base, guide_image = chosen_settings(preset, size, guide, controls)
        variants = setting_variants(base, setting, split_values(values or ""), guide_image)
    image, notices = load_upload(photo, max(variant.settings.max_size for variant in variants))
    note = quietly(notices)  # a photo scaled to the working size is normal: said, not warned
    yield gr.skip(), gr.update(visible=False), f"Dreaming… 0 of {len(variants)} done{note}"
    for frame in dream_sheet(image, variants, config.models, progress):
        if frame.png:
            yield frame.png, gr.update(value=frame.png, visible=True), frame.status + note
        else:
            yield frame.sheet, gr.update(visible=False), frame.status + note


def stop_ui() -> str:
    return "Stopped. Press **Compare** to start again."


# -- layout and wiring -------------------------------------------------------------------------------------


def build(config: StudioConfig, presets: Sequence[Preset], photo_tab: PhotoTab) -> None:
    """The tab's layout and events; called inside ``gr.Tab``."""
    gr.Markdown(
        "The same photo dreamed several ways, side by side on one sheet: one setting at 2 to 6 values, or 2 to 6 looks."
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            with gr.Row():
                photo = photo_input(label="Photo", height=220, sources=["upload", "clipboard"], elem_id="compare-photo")
                with gr.Column():
                    use_photo = gr.Button("Use the Photo tab's photo", size="sm", elem_id="compare-use-photo")
                    size = size_slider(config, "compare-size", "each dream")
            mode = gr.Radio([ONE_SETTING, LOOKS], value=ONE_SETTING, label="Compare", elem_id="compare-mode")
            with gr.Row():
                setting = gr.Dropdown(
                    [(LABELS[name], name) for name in EXAMPLES],
                    value="steps",
                    label="Setting",
                    elem_id="compare-setting",
                )
                values = gr.Textbox(
                    EXAMPLES["steps"], label="Values", info="2 to 6, separated by commas", elem_id="compare-values"
                )
            preset = preset_dropdown(presets, "compare-look")
            looks = gr.Dropdown(
                [(p.title, p.name) for p in presets],
                multiselect=True,
                max_choices=6,
                visible=False,
                label="Looks",
                info="Pick 2 to 6.",
                elem_id="compare-looks",
            )
        with gr.Column(scale=6):
            sheet, compare_btn, stop_btn, status, download = _outputs()

    use_photo.click(photo_tab_photo, photo_tab.photo, photo, concurrency_limit=None, api_visibility="private")
    mode.change(mode_changed, mode, [setting, values, preset, looks], concurrency_limit=None, api_visibility="private")
    setting.input(setting_changed, setting, values, concurrency_limit=None, api_visibility="private")
    run = run_with_stop(
        compare_btn,
        stop_btn,
        status,
        bind(compare_ui, config),
        [photo, mode, setting, values, looks, preset, size, photo_tab.guide],
        [sheet, download, status],
        inputs_kwargs=photo_tab.controls.by_name,
        concurrency_id="dream",
        show_progress="hidden",  # the status line is the one progress display
        api_visibility="private",
    )
    wire_stop(stop_btn, run, stop_ui, None, status)


def _outputs() -> tuple[gr.Image, gr.Button, gr.Button, gr.Markdown, gr.DownloadButton]:
    """The sheet as its cells finish, Compare and Stop under it (in view with what they make), the status, and the
    sheet's download."""
    sheet = gr.Image(
        label="Contact sheet",
        type="filepath",
        format="png",
        interactive=False,
        height=340,  # fixed, so Compare under it stays where it is when a sheet (of any shape) arrives
        buttons=["fullscreen"],
        elem_id="compare-sheet",
    )
    compare_btn, stop_btn = run_button_row("🧪 Compare", "compare", "compare-stop")
    status = gr.Markdown("Pick what to compare, then press **Compare**.", elem_id="compare-status")
    download = gr.DownloadButton("⬇ Download sheet (PNG)", visible=False, elem_id="compare-download")
    return sheet, compare_btn, stop_btn, status, download
