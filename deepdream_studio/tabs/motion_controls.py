"""Controls the Zoom animation and Video tabs share: the preset picker, the frame size and motion sliders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr
from PIL import Image

from deepdream_core import DreamSettings
from deepdream_core.files.presets import Preset, guide_path, load_preset
from deepdream_core.motion.animation import MOTION_RANGES

from .. import line
from ..config import StudioConfig
from ..controls import settings_from_values, whole
from ..uploads import load_optional

SAME_AS_PHOTO_TAB = ""  # the preset dropdown's first choice: the Photo tab's look and settings


def preset_dropdown(presets: Sequence[Preset], elem_id: str) -> gr.Dropdown:
    return gr.Dropdown(
        [("Same as the Photo tab", SAME_AS_PHOTO_TAB), *[(p.title, p.name) for p in presets]],
        value=SAME_AS_PHOTO_TAB,
        label="Look",
        elem_id=elem_id,
        info="Uses the look and settings of the Photo tab, or pick one of the looks here.",
    )


def size_slider(config: StudioConfig, elem_id: str, what: str = "each frame") -> gr.Slider:
    """The working size, in pixels on the long side of ``what``."""
    side = config.motion_max_side
    return gr.Slider(
        min(64, side),
        side,
        value=min(256, side),
        step=16,
        label="Size (px)",
        info=f"Long side of {what}; smaller is much faster.",
        elem_id=elem_id,
    )


def motion_slider(
    name: str,
    label: str,
    info: str,
    value: float,
    elem_id: str,
    low: float | None = None,
    high: float | None = None,
    step: float | None = None,
) -> gr.Slider:
    """A slider within motion.MOTION_RANGES (narrower where the full range is more than a person needs)."""
    bounds = MOTION_RANGES[name]
    return gr.Slider(
        max(bounds.low, low if low is not None else bounds.low),
        min(bounds.high, high if high is not None else bounds.high),
        value=value,
        step=step or (1 if bounds.integer else 0.01),
        label=label,
        info=info,
        elem_id=elem_id,
    )


def run_button_row(label: str, elem_id: str, stop_id: str) -> tuple[gr.Button, gr.Button]:
    """The tab's action and its Stop, side by side; Stop shows only while a run is on (:func:`run_with_stop`)."""
    with gr.Row():
        button = gr.Button(label, variant="primary", size="lg", elem_id=elem_id)
        stop = gr.Button("Stop", variant="stop", size="lg", visible=False, elem_id=stop_id)
    return button, stop


def run_with_stop(
    button: gr.Button, stop: gr.Button, status: gr.Markdown, handler: Any, inputs: Any, outputs: Any, **options: Any
) -> tuple[Any, Any]:
    """``button`` runs ``handler`` with ``stop`` shown meanwhile (waiting in the queue too, so the visitor can leave
    the line) and the wait said in ``status`` (:func:`..line.say_the_wait`); ``stop`` hides again when the run ends.
    Returns the run's event and the waiter's, for :func:`wire_stop` to cancel."""
    pressed = button.click(_shown, None, stop, queue=False, show_progress="hidden", api_visibility="private")
    run = pressed.then(handler, inputs, outputs, **options)
    waits = line.say_the_wait(pressed, run, status)
    run.then(_hidden, None, stop, queue=False, show_progress="hidden", api_visibility="private")
    return run, waits


def wire_stop(stop: gr.Button, events: tuple[Any, Any], handler: Any, inputs: Any, outputs: Any) -> None:
    """``stop`` cancels the run and its waiter (:func:`run_with_stop`'s events) and hides, then ``handler`` keeps
    what the run made so far (or says the visitor left the line)."""
    stop.click(_hidden, None, stop, cancels=list(events), api_visibility="private").then(
        handler, inputs, outputs, concurrency_limit=None, api_visibility="private"
    )


def _shown() -> Any:
    return gr.update(visible=True)


def _hidden() -> Any:
    return gr.update(visible=False)


def color_lock_checkbox(elem_id: str) -> gr.Checkbox:
    return gr.Checkbox(
        True,
        label="Hold the colours",
        elem_id=elem_id,
        info="Keeps each frame to the first frame's colours, so long clips do not wash out.",
    )


def chosen_settings(
    preset: str | None, size: float, guide: str | None, controls: dict[str, Any]
) -> tuple[DreamSettings, Image.Image | None]:
    """The motion tabs' look: a preset, or everything the Photo tab is set to; at ``size`` px, with its guide."""
    if preset:
        chosen = load_preset(preset)
        settings, path = chosen.settings, guide_path(chosen)
    else:
        settings, path = settings_from_values(controls), guide
    settings = settings.replace(max_size=whole(size))
    return settings, load_optional(path, settings.max_size, "guide image")
