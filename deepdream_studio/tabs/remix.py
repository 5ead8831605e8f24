"""Remix, under a finished dream: the same photo and settings dreamed again with a new seed or one value changed.

The change is made in the controls first and the dream reads them back, so what is dreamed is what the controls
show and what a share link (made from the controls) holds.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from deepdream_core import DreamSettings, SettingsError
from deepdream_core.dreaming.settings import draw_seed, format_layer

from ..controls import SLIDERS, settings_from_values, values_from_settings
from ..handlers import by_component, in_status

NEW_SEED = "seed"
# What a remix may change: a new seed, or one of the settings a person tunes by hand.
CHOICES = [
    ("New seed", NEW_SEED),
    *[(SLIDERS[name].label, name) for name in SLIDERS if name != "tile_size"],
    ("Layers", "layers"),
    ("ImageNet class", "class_target"),
]


def shown(settings: DreamSettings, name: str) -> str:
    """A setting's value as a person reads it in the status line."""
    if name == "layers":
        return "; ".join(format_layer(target) for target in settings.layers) or "the network's default"
    value = getattr(settings, name)
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


@in_status
def remix_settings(change: str, value: str | None, **controls: Any) -> dict[str, Any]:
    """The controls' settings with ``change`` set to ``value`` (a new random seed when that is empty), by name.

    The seed is always fixed (drawn here if the controls ask for a random one), so a link made from the controls
    afterwards reproduces the remix. A bad value fails like anywhere else, naming the setting; nothing is dreamed.
    """
    settings, text = settings_from_values(controls), (value or "").strip()
    if change == NEW_SEED and not text:
        remixed = settings.replace(seed=draw_seed())
    else:
        remixed = DreamSettings.from_dict({change: text}, base=settings).with_seed()
    status = f"Remixing: {change} {shown(settings, change)} → {shown(remixed, change)}…"
    return {**values_from_settings(remixed), "status": status}


def remix_hint(change: str, **controls: Any) -> dict[str, Any]:
    """What the value box suggests for the setting chosen: its value now, or that a new seed is drawn."""
    if change == NEW_SEED:
        return gr.update(placeholder="a new random seed (or type one)")
    try:
        return gr.update(placeholder=f"now {shown(settings_from_values(controls), change)}")
    except SettingsError:  # a control holds a bad value: Remix (or Dream) says which in the status line
        return gr.update(placeholder="")


def layout() -> dict[str, Any]:
    """Remix and what to change, in one row under the result (shown once there is a result to remix)."""
    with gr.Row(equal_height=True, visible=False, elem_id="remix-row") as row:
        button = gr.Button("🎲 Remix", scale=1, min_width=100, elem_id="remix")
        change = gr.Dropdown(CHOICES, value=NEW_SEED, label="Change", scale=2, min_width=120, elem_id="remix-what")
        value = gr.Textbox(
            label="To", placeholder="a new random seed (or type one)", scale=2, min_width=100, elem_id="remix-value"
        )
    return {"remix_row": row, "remix_btn": button, "remix_what": change, "remix_value": value}


def wire(parts: dict[str, Any], controls: dict[str, Any], status: gr.Markdown) -> Any:
    """Remix fills the controls with the remixed settings; returns that event, for the dream to follow its success."""
    parts["remix_what"].change(
        remix_hint,
        parts["remix_what"],
        parts["remix_value"],
        inputs_kwargs=controls,
        concurrency_limit=None,
        api_visibility="private",
    )
    named = {**controls, "status": status}
    return parts["remix_btn"].click(
        by_component(remix_settings, named),
        [parts["remix_what"], parts["remix_value"]],
        list(named.values()),
        inputs_kwargs=controls,
        concurrency_limit=None,
        api_visibility="private",
    )
