"""The setting controls, by field name: built from ``DreamSettings`` and ``RANGES``, read back into settings.

Handlers take the controls' values as keyword arguments named after the controls (Gradio's ``inputs_kwargs``)
and fill them with a dict of updates, so no handler depends on the order of the controls. A numeric setting
needs its field and range in ``deepdream_core.dreaming.settings`` plus one entry in :data:`SLIDERS` (a setting of words
or a switch, one in :data:`CHOICE_CONTROLS`); a few settings have richer controls (:data:`COMPOSITE`);
where a dream runs (:data:`API_ONLY`) is not on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import gradio as gr

from deepdream_core import BUNDLED_MODEL, ZOO, DreamSettings, LayerTarget, get_spec
from deepdream_core.dreaming.objectives import class_index
from deepdream_core.dreaming.settings import AUTO, CHOICES, MACHINE_FIELDS, RANGES, SettingsError, format_layer
from deepdream_core.dreaming.tiles import CPU_TILE
from deepdream_core.models.echo import echo

# Where a dream runs is the server's choice on the page; the API and CLI take them.
API_ONLY = MACHINE_FIELDS


@dataclass(frozen=True)
class Slider:
    """A numeric setting's slider: bounds from ``RANGES``, label and help here."""

    label: str
    info: str
    step: float | None = None  # None: 1 for whole numbers, 0.01 otherwise
    section: str = "loop"  # where Advanced shows it: "loop", "objective" or "quality"


@dataclass(frozen=True)
class Choice:
    """A setting that takes one of a few words (``CHOICES``), or a switch (a bool field); label and help here."""

    label: str
    info: str
    names: tuple[str, ...] = ()  # what the page shows for each of CHOICES[field], in order; empty: the words


# The one studio entry a numeric setting needs, in the order the Advanced section shows them.
SLIDERS: dict[str, Slider] = {
    "octaves": Slider("Octaves", "How many sizes it dreams at, small to large: more = bigger shapes."),
    "octave_scale": Slider("Octave scale", "Size step between octaves."),
    "steps": Slider("Steps per octave", "More steps = stronger dream, slower."),
    "step_size": Slider("Step size", "How much each step changes the image."),
    "jitter": Slider("Jitter (px)", "Random shift per step; hides grid artefacts."),
    "smoothing": Slider("Smoothing", "Softer, less noisy detail."),
    "max_size": Slider("Max size (px)", "Long side of the working image; larger photos are scaled down.", step=16),
    "tile_size": Slider("Tile size (px)", "Memory per step; smaller uses less. Used when Auto is off.", step=16),
    "class_weight": Slider("Class weight", "How strongly the class pulls.", section="objective"),
    "guide_weight": Slider("Guide weight", "Dream the guide's textures into your photo.", section="objective"),
    "transform_robustness": Slider(
        "Steadier shapes",
        "Small random zoom and turn each step: only patterns that survive them grow (0 = off).",
        section="quality",
    ),
    "channel_count": Slider(
        "How many channels", "With the strongest or weakest channels: how many.", section="quality"
    ),
}

# The one studio entry a setting of words or a switch needs, in the order the Quality options show them.
CHOICE_CONTROLS: dict[str, Choice] = {
    "gradient_norm": Choice(
        "Detail",
        "Every scale evens out coarse shapes and fine detail (Laplacian pyramid).",
        ("Fine (classic)", "Every scale"),
    ),
    "parameterization": Choice(
        "From noise",
        "How a dream grows from nothing: Fourier gives crisp, colourful dreams.",
        ("Pixels", "Fourier, decorrelated colours"),
    ),
    "wrap": Choice(
        "Seamless edges",
        "Wrap left-right for 360° panoramas, or both ways for tileable textures.",
        ("None", "Left-right (panorama)", "Both (tile)"),
    ),
    "channel_pick": Choice(
        "Channels of the layer",
        "Dream only the channels that respond most (or least) to this photo.",
        ("All", "Strongest", "Weakest"),
    ),
    "keep_colors": Choice("Keep the photo's colours", "The dream changes brightness only."),
}

# Settings shown by more than a slider: the field, and the controls that together hold it.
COMPOSITE: dict[str, tuple[str, ...]] = {
    "model": ("model",),
    "layers": ("layer", "layer_weight", "channels", "extra_layers"),
    "class_target": ("class_target",),
    "seed": ("seed", "random_seed"),
    # A setting that also takes "auto" (Range.auto): its slider, and a box that picks auto.
    **{name: (name, f"{name}_auto") for name in SLIDERS if RANGES[name].auto},
}


# -- choices ----------------------------------------------------------------------------------------------


def model_choices(offered: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """The zoo (or the models this app offers) by short name, bundled default first; models that download say so.

    Short, so a name is read whole in the dropdown on a phone; the rest of a model's title is its info line.
    """
    choices = []
    for spec in [get_spec(name) for name in offered] if offered else ZOO.values():
        label = _title(spec.name)[0] + ("" if spec.weights.offline else " · downloads on first use")
        choices.append((label, spec.name))
    return sorted(choices, key=lambda choice: choice[1] != BUNDLED_MODEL)


def model_info(model: str) -> str:
    """Under the Network dropdown: what the model is, and whether its weights download."""
    spec, aside = get_spec(model), _title(model)[1]
    about = f"{aside[0].upper()}{aside[1:]}. " if aside else ""
    if spec.weights.offline:
        return f"{about}Fast on a CPU."
    size = f" (~{spec.download_mb} MB)" if spec.download_mb else ""
    return f"{about}Weights download on the first dream{size}, then stay cached."


def _title(model: str) -> tuple[str, str]:
    """A model's title as its name and the aside in brackets: ("GoogLeNet", "the original 2015 DeepDream network")."""
    name, _, aside = get_spec(model).title.partition(" (")
    return name, aside.removesuffix(")")


def layer_choices(model: str) -> list[tuple[str, str]]:
    """The model's dream layers, each with what it tends to draw; the default one marked."""
    spec = get_spec(model)
    return [
        (f"{layer.path} — {layer.description}" + (" (default)" if layer.path == spec.default_layer else ""), layer.path)
        for layer in spec.layers
    ]


@lru_cache(maxsize=16)
def class_choices(model: str) -> tuple[tuple[str, str], ...]:
    """The model's own ImageNet class names as dropdown choices (label, index as text)."""
    spec = get_spec(model)
    names = spec.class_names() if spec.class_names else []
    seen = {name for i, name in enumerate(names) if name in names[:i]}  # "crane" the bird and the machine
    return (("none", ""), *tuple((f"{n} (#{i})" if n in seen else n, str(i)) for i, n in enumerate(names)))


# -- building ----------------------------------------------------------------------------------------------


class SettingControls:
    """The page's setting controls, created by name inside a ``gr.Blocks`` and kept in :attr:`by_name`."""

    def __init__(self, defaults: DreamSettings | None = None, models: tuple[str, ...] | None = None) -> None:
        self.defaults = defaults or DreamSettings()
        self.models = models  # None: every model of the zoo
        self.by_name: dict[str, gr.components.Component] = {}

    def _keep(self, name: str, component: gr.components.Component) -> Any:
        self.by_name[name] = component
        return component

    def slider(self, name: str) -> gr.Slider:
        """The slider of a numeric setting, within the bounds every entry point checks; for a setting that also
        takes "auto", a checkbox under it picks that (the slider then shows the CPU's tile)."""
        spec, bounds, value = SLIDERS[name], RANGES[name], getattr(self.defaults, name)
        slider = self._keep(
            name,
            gr.Slider(
                bounds.low,
                bounds.high,
                value=CPU_TILE if value == AUTO else value,
                step=spec.step or (1 if bounds.integer else 0.01),
                label=spec.label,
                info=spec.info,
                elem_id=name.replace("_", "-"),
            ),
        )
        if bounds.auto:
            self._keep(
                f"{name}_auto",
                gr.Checkbox(
                    value == AUTO,
                    label=f"Auto: {CPU_TILE} on a CPU, the largest that fits on a GPU",
                    elem_id=f"{name}-auto".replace("_", "-"),
                ),
            )
        return slider

    def choice(self, name: str) -> gr.components.Component:
        """A radio for a setting of words (CHOICES), a checkbox for a switch."""
        spec, value = CHOICE_CONTROLS[name], getattr(self.defaults, name)
        elem_id = name.replace("_", "-")
        if isinstance(value, bool):
            return self._keep(name, gr.Checkbox(value, label=spec.label, info=spec.info, elem_id=elem_id))
        words = CHOICES[name]
        return self._keep(
            name,
            gr.Radio(
                list(zip(spec.names or words, words, strict=False)),
                value=value,
                label=spec.label,
                info=spec.info,
                elem_id=elem_id,
            ),
        )

    def model(self) -> gr.Dropdown:
        return self._keep(
            "model",
            gr.Dropdown(
                model_choices(self.models),
                value=self.defaults.model,
                label="Network",
                info=model_info(self.defaults.model),
                elem_id="model",
            ),
        )

    def layer(self) -> gr.Dropdown:
        spec = get_spec(self.defaults.model)
        return self._keep(
            "layer",
            gr.Dropdown(
                layer_choices(spec.name),
                value=spec.default_layer,
                label="What it dreams of",
                allow_custom_value=True,
                elem_id="layer",
                info="Deeper layers draw bigger things: strokes → eyes → whole animals.",
            ),
        )

    def layer_mix(self) -> None:
        """The first layer's weight and channels, and more layers mixed in."""
        weight = RANGES["layer_weight"]
        self._keep(
            "layer_weight",
            gr.Slider(
                weight.low,
                weight.high,
                value=1.0,
                step=0.01,
                label="Layer weight",
                info="Negative weights suppress it.",
                elem_id="layer-weight",
            ),
        )
        self._keep(
            "channels",
            gr.Textbox(
                label="Channels",
                placeholder="all",
                elem_id="channels",
                info="Only these channels of the layer, e.g. 3, 17 (empty = all).",
            ),
        )
        self._keep(
            "extra_layers",
            gr.Textbox(
                label="Mix in more layers",
                placeholder="e.g. blocks.2:0.5; blocks.5.0:0.3",
                info="layer:weight[:channels], separated by ;",
                elem_id="extra-layers",
            ),
        )

    def class_target(self) -> gr.Dropdown:
        return self._keep(
            "class_target",
            gr.Dropdown(
                list(class_choices(self.defaults.model)),
                value="",
                filterable=True,
                label="ImageNet class",
                elem_id="class-target",
                info="Type to search, e.g. 'tabby' or 'pizza': makes it look more like that.",
            ),
        )

    def seed(self) -> None:
        bounds = RANGES["seed"]
        self._keep(
            "seed",
            gr.Number(
                self.defaults.seed,
                label="Seed",
                precision=0,
                minimum=bounds.low,
                maximum=bounds.high,
                info="Same seed + settings = same dream.",
                elem_id="seed",
            ),
        )
        self._keep(
            "random_seed",
            gr.Checkbox(self.defaults.seed is None, label="New random seed every run", elem_id="random-seed"),
        )

    def updates(self, settings: DreamSettings) -> dict[gr.components.Component, Any]:
        """Updates for every control, showing ``settings``; an output dict for any handler that lists them."""
        return {self.by_name[name]: value for name, value in values_from_settings(settings).items()}

    @property
    def components(self) -> list[gr.components.Component]:
        return list(self.by_name.values())


# -- values <-> settings -----------------------------------------------------------------------------------


def settings_from_values(values: Mapping[str, Any]) -> DreamSettings:
    """The one place the controls' values (by control name) become settings; a bad value raises SettingsError."""
    data: dict[str, Any] = {name: whole(values[name]) for name in SLIDERS}
    data.update({name: AUTO for name in SLIDERS if RANGES[name].auto and values[f"{name}_auto"]})
    data.update({name: values[name] for name in CHOICE_CONTROLS})
    data["model"] = values["model"]
    data["layers"] = _layers_text(values)
    data["class_target"] = values["class_target"] or None
    data["seed"] = None if values["random_seed"] else whole(values["seed"])
    if data["seed"] is None and not values["random_seed"]:
        RANGES["seed"].check("seed", None)  # an emptied box is refused, not read as 0 (or as a random seed)
    return DreamSettings.from_dict(data)


def _layers_text(values: Mapping[str, Any]) -> str:
    """The layer, its weight and channels, and the layers mixed in, as ``parse_layer`` reads them.

    The weight and channels are checked here, by their own controls' names: joined into ``layer:weight:channels``
    first, a bad one was reported as that joined text, which the visitor never typed.
    """
    first = ""
    if values["layer"]:
        weight = whole(values["layer_weight"])
        RANGES["layer_weight"].check("layer_weight", weight)
        channels = ",".join(str(channel) for channel in channels_typed(values["channels"] or ""))
        first = f"{values['layer']}:{weight:g}" + (f":{channels}" if channels else "")
    return ";".join(part.strip() for part in [first, *(values["extra_layers"] or "").split(";")] if part.strip())


def channels_typed(text: str) -> list[int]:
    """The Channels box ("3, 17"; ";" also separates) as channel numbers; anything else is refused, by that name."""
    channels = []
    for part in (part.strip() for part in text.replace(";", ",").split(",")):
        if not part:
            continue
        try:
            channel = int(part)
        except ValueError:
            channel = None
        if channel is None or not RANGES["channel"].low <= channel <= RANGES["channel"].high:
            raise SettingsError(
                "channels",
                f"each must be a whole number {RANGES['channel'].span}, separated by commas, got {echo(part)}",
            )
        channels.append(channel)
    return channels


def whole(value: Any) -> Any:
    """Sliders send 4.0 for 4; the settings want whole numbers where they are whole."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def values_from_settings(settings: DreamSettings) -> dict[str, Any]:
    """Every control's value (or update) showing ``settings``, by control name."""
    spec = get_spec(settings.model)
    targets = settings.layers or (LayerTarget(spec.default_layer),)
    first, extra = targets[0], targets[1:]
    class_value = ""
    if settings.class_target:
        names = spec.class_names() if spec.class_names else None
        class_value = str(class_index(names, settings.class_target, spec.name))
    layers = layer_choices(spec.name)
    if first.layer not in {value for _, value in layers}:
        layers.append((first.layer, first.layer))
    auto = {name: getattr(settings, name) == AUTO for name in SLIDERS if RANGES[name].auto}
    return {
        **{name: getattr(settings, name) for name in (*SLIDERS, *CHOICE_CONTROLS)},
        # An auto setting leaves its slider at the number it showed, for when auto is turned off.
        **{name: gr.skip() for name, is_auto in auto.items() if is_auto},
        **{f"{name}_auto": is_auto for name, is_auto in auto.items()},
        "model": gr.update(value=spec.name, info=model_info(spec.name)),
        "layer": gr.update(choices=layers, value=first.layer),
        "layer_weight": first.weight,
        "channels": ", ".join(str(c) for c in first.channels),
        "extra_layers": "; ".join(format_layer(t) for t in extra),
        "class_target": gr.update(choices=list(class_choices(spec.name)), value=class_value),
        "seed": settings.seed if settings.seed is not None else gr.skip(),
        "random_seed": settings.seed is None,
    }


def model_changed(model: str) -> dict[str, Any]:
    """Another model: its layers (default selected), its classes and where its weights come from, by control name."""
    spec = get_spec(model)
    return {
        "model": gr.update(info=model_info(model)),
        "layer": gr.update(choices=layer_choices(model), value=spec.default_layer),
        "class_target": gr.update(choices=list(class_choices(model)), value=""),
    }
