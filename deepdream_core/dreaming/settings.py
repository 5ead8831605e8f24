"""One validated settings object shared by the UI, the API, the CLI, presets and share links.

Every entry point builds a :class:`DreamSettings` (directly, or from a plain dict with
:meth:`DreamSettings.from_dict`), so an unknown or out-of-range value fails the same way
everywhere: a :class:`SettingsError` naming the field and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import random
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from ..models.echo import echo, shorten

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
# Where a dream runs: it changes the pixels only by rounding, not the look, so share links and
# preset fingerprints leave these fields out.
MACHINE_FIELDS = ("device", "precision")
# What a setting that allows it (``Range.auto``) takes to mean "the engine picks for the device".
AUTO = "auto"

# Settings that take one of a few words, as data (like RANGES) so UIs can build dropdowns from them.
CHOICES: dict[str, tuple[str, ...]] = {
    "device": DEVICES,
    "precision": PRECISIONS,
    "gradient_norm": ("mean", "laplacian"),
    "parameterization": ("pixels", "fourier"),
    "wrap": ("none", "x", "xy"),
    "channel_pick": ("all", "strongest", "weakest"),
}


class SettingsError(ValueError):
    """A setting has a value that is not allowed; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class Range:
    """Inclusive bounds of a numeric setting, kept as data so UIs can build sliders from it."""

    low: float
    high: float
    integer: bool = False
    # Whether the setting also takes AUTO, for the engine to pick on the device it runs on (tile_size).
    auto: bool = False

    @property
    def span(self) -> str:
        """The allowed values in words: "from 64 to 2048, or auto" (whole bounds in full: 2147483647, not 2.15e+09)."""
        low, high = (int(bound) if float(bound).is_integer() else f"{bound:g}" for bound in (self.low, self.high))
        return f"from {low} to {high}" + (f", or {AUTO}" if self.auto else "")

    def check(self, name: str, value: Any) -> None:
        kind = "a whole number" if self.integer else "a number"
        if self.auto and value == AUTO:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsError(name, f"must be {kind} {self.span}, got {echo(value)}")
        # NaN and the infinities (JSON's NaN, Infinity, 1e309; "nan" or "inf" as text) are no number at all;
        # refused first, since int() of one raises ValueError or OverflowError.
        if isinstance(value, float) and not math.isfinite(value):
            raise SettingsError(name, f"must be a number {self.span}, got {echo(value)}")
        if self.integer and int(value) != value:
            raise SettingsError(name, f"must be a whole number {self.span}, got {echo(value)}")
        if not (self.low <= value <= self.high):
            raise SettingsError(name, f"must be {self.span}, got {echo(value)}")

    def parse(self, name: str, value: Any) -> Any:
        """Text (query parameters, CLI flags) as a number (or AUTO); other values pass through to :meth:`check`."""
        if not isinstance(value, str) or (self.auto and value == AUTO):
            return value
        try:
            number = float(value)
        except ValueError:
            kind = "a whole number" if self.integer else "a number"
            raise SettingsError(name, f"must be {kind} {self.span}, got {echo(value)}") from None
        # "3" -> 3 for whole-number fields; "1.5" stays 1.5 so the range check names the problem.
        return int(number) if self.integer and number.is_integer() else number


@dataclass(frozen=True)
class LayerTarget:
    """One term of the objective: a layer (module path), its weight, and optionally some of its channels."""

    layer: str
    weight: float = 1.0
    channels: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"layer": self.layer, "weight": self.weight}
        if self.channels:
            out["channels"] = list(self.channels)
        return out


# Bounds for every numeric field. The caps keep a public demo responsive; they are the same
# for every entry point because they live here and nowhere else.
RANGES: dict[str, Range] = {
    "octaves": Range(1, 8, integer=True),
    "octave_scale": Range(1.05, 2.5),
    "steps": Range(1, 100, integer=True),
    "step_size": Range(0.01, 20.0),
    "jitter": Range(0, 128, integer=True),
    "smoothing": Range(0.0, 5.0),
    "seed": Range(0, 2**31 - 1, integer=True),
    "max_size": Range(32, 4096, integer=True),
    "tile_size": Range(64, 2048, integer=True, auto=True),
    "class_weight": Range(0.0, 100.0),
    "guide_weight": Range(0.0, 100.0),
    "layer_weight": Range(-10.0, 10.0),
    "channel": Range(0, 65535, integer=True),
    "transform_robustness": Range(0.0, 1.0),
    "channel_count": Range(1, 1024, integer=True),
}
MAX_LAYERS = 8


def draw_seed() -> int:
    """A fresh random seed, anywhere in ``RANGES["seed"]``."""
    return random.randint(int(RANGES["seed"].low), int(RANGES["seed"].high))


# -- each field read and checked by its kind ---------------------------------------------------------------


@dataclass(frozen=True)
class FieldKind:
    """How a settings field's value is read from JSON or text (``read``) and checked (``check``).

    A field's kind follows from its settings class and its type (:func:`field_kinds`): a number has its range in
    the class's ``RANGES``, a word its choices in ``CHOICES``; a switch is a ``bool``; text is a ``str`` (what
    it must be in the field's ``metadata["means"]``); layers are a tuple of :class:`LayerTarget`. An optional
    field (``| None``) also takes None, which text writes as "" (or the field's ``metadata["none"]``).
    """

    read: Callable[[str, Any], Any]  # (field name, value) -> the value as the field's type, not yet checked
    check: Callable[[str, Any], None]  # (field name, value): raises SettingsError for a value not allowed
    allowed: str = ""  # what it takes, in a few words for a flag's help: "1 to 100", "mean|laplacian"
    switch: bool = False  # on or off (a bool)


def _number(rng: Range, optional: bool, none_word: str | None) -> FieldKind:
    def read(name: str, value: Any) -> Any:
        return None if optional and value in (None, "", none_word) else rng.parse(name, value)

    def check(name: str, value: Any) -> None:
        if not (optional and value is None):
            rng.check(name, value)

    return FieldKind(read, check, f"{rng.low:g} to {rng.high:g}{f', or {AUTO}' if rng.auto else ''}")


def _choice(allowed: tuple[str, ...]) -> FieldKind:
    def check(name: str, value: Any) -> None:
        if value not in allowed:
            raise SettingsError(name, f"must be one of {', '.join(allowed)}, got {echo(value)}")

    return FieldKind(_as_text, check, "|".join(allowed))


def _text(optional: bool, means: str) -> FieldKind:
    def read(name: str, value: Any) -> Any:
        return None if optional and value in (None, "") else _as_text(name, value)

    def check(name: str, value: Any) -> None:
        if not (optional and value is None) and (not isinstance(value, str) or not value.strip()):
            raise SettingsError(name, f"must be {means}")

    return FieldKind(read, check)


def _as_text(_name: str, value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _check_switch(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise SettingsError(name, f"must be true or false, got {echo(value)}")


def field_kinds(settings_class: type) -> dict[str, FieldKind]:
    """Each field of ``settings_class`` (a :class:`RangedSettings`) and its kind, in the fields' order."""
    if settings_class not in _kinds:  # worked out once per class (two threads at once work out the same)
        _kinds[settings_class] = _kinds_of(settings_class)
    return _kinds[settings_class]


_kinds: dict[type, dict[str, FieldKind]] = {}


def _kinds_of(settings_class: type) -> dict[str, FieldKind]:
    hints = typing.get_type_hints(settings_class)
    ranges: dict[str, Range] = getattr(settings_class, "RANGES", {})
    choices: dict[str, tuple[str, ...]] = getattr(settings_class, "CHOICES", {})
    kinds = {}
    for spec in dataclasses.fields(settings_class):
        hint = hints[spec.name]
        optional = type(None) in typing.get_args(hint)
        if spec.name in ranges:
            kinds[spec.name] = _number(ranges[spec.name], optional, spec.metadata.get("none"))
        elif spec.name in choices:
            kinds[spec.name] = _choice(choices[spec.name])
        elif hint is bool:
            kinds[spec.name] = FieldKind(parse_switch, _check_switch, switch=True)
        elif hint in (str, str | None):
            kinds[spec.name] = _text(optional, spec.metadata.get("means", "text"))
        elif hint == tuple[LayerTarget, ...]:
            kinds[spec.name] = FieldKind(_read_layers, _check_layers)
        else:
            raise TypeError(f"{settings_class.__name__}.{spec.name} ({hint}): give it a range or its choices")
    return kinds


_S = TypeVar("_S", bound="RangedSettings")
_MODEL_MEANS = "a model name; list them with `python -m deepdream_core models`"


class RangedSettings:
    """Frozen settings checked and read field by field, each by its kind (see :class:`FieldKind`).

    Subclasses are frozen dataclasses that name their ``RANGES`` (and ``CHOICES``): :class:`DreamSettings`, and
    the motion, video, segment and live settings.
    """

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]  # every subclass is a dataclass
    RANGES: ClassVar[dict[str, Range]] = {}
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __post_init__(self) -> None:
        for name, kind in field_kinds(type(self)).items():
            kind.check(name, getattr(self, name))

    @classmethod
    def from_dict(cls: type[_S], data: Mapping[str, Any], base: _S | None = None) -> _S:
        """Settings from a plain dict (JSON, a preset, query parameters or CLI flags, as text or values).

        Missing keys keep ``base``'s values (the defaults if none). Unknown keys and bad values raise
        :class:`SettingsError`; :func:`settings_from_dict_lenient` skips them instead.
        """
        start: Any = base or cls()
        reject_unknown(data, cls)
        kinds = field_kinds(cls)
        return dataclasses.replace(start, **{name: kinds[name].read(name, value) for name, value in data.items()})


@dataclass(frozen=True)
class DreamSettings(RangedSettings):
    """Everything that decides what a dream looks like (the images themselves are passed separately).

    A new setting is one field here with its range in :data:`RANGES` (or its words in :data:`CHOICES`): its
    check, how JSON and text are read into it, its CLI flag and its place in presets follow from that.
    """

    RANGES: ClassVar[dict[str, Range]] = RANGES
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = CHOICES

    # Zoo name ("efficientnet_lite0", "googlenet", ...) or any timm model name with Hub weights.
    model: str = field(default="efficientnet_lite0", metadata={"means": _MODEL_MEANS})
    # Layers whose activations grow; empty means the model's default layer.
    layers: tuple[LayerTarget, ...] = ()
    # An ImageNet class (name or index) whose logit is raised too: "make it more cat-like".
    class_target: str | None = field(
        default=None, metadata={"means": "an ImageNet class name or index, e.g. 'tabby cat' or '281'"}
    )
    class_weight: float = 1.0
    # How strongly features are pulled towards a guide image's, when one is given.
    guide_weight: float = 1.0
    # Pyramid of sizes, small to large; each octave is octave_scale times the previous one.
    octaves: int = 4
    octave_scale: float = 1.4
    # Gradient-ascent steps per octave.
    steps: int = 10
    # Mean change per step, in 0-255 grey levels (the 2015 notebook's 1.5).
    step_size: float = 1.5
    # Random roll, in pixels, before each step; hides the grid of strided convolutions and tile seams.
    jitter: int = 32
    # Gaussian smoothing of the gradient (0 = off); grows as the steps go on.
    smoothing: float = 0.5
    # Makes a run reproducible on the same device; None (in text, "random") draws a fresh one.
    seed: int | None = field(default=0, metadata={"none": "random"})
    # Longest side of the working image; larger inputs are downscaled.
    max_size: int = 768
    # Gradients are computed in tiles of this size, so memory stays bounded on any image size. "auto"
    # picks for the device (deepdream_core.dreaming.tiles): 512 on a CPU, the largest that fits on a GPU.
    tile_size: int | str = AUTO
    device: str = "auto"
    precision: str = "auto"
    # How each step's gradient is scaled: "mean" divides by its mean magnitude; "laplacian" also gives
    # every scale of detail (a band of a Laplacian pyramid) the same weight, so coarse shapes grow
    # along with fine ones instead of high-frequency speckle.
    gradient_norm: str = "mean"
    # What a dream from noise optimizes: the pixels, or (Lucid's fft + decorrelate) a colour-decorrelated
    # Fourier spectrum, which gives crisp, colourful dreams instead of grey speckle. Photos always use pixels.
    parameterization: str = "pixels"
    # Random scale (up to 10%) and rotation (up to 10 degrees) before each step, times this amount
    # (0 = off), as in Lucid: only patterns that survive small changes of view grow.
    transform_robustness: float = 0.0
    # Change the photo's brightness only, keeping its colours (neural-dream's original_colors).
    keep_colors: bool = False
    # Edges that wrap around: "x" for 360-degree panoramas, "xy" for tileable textures.
    wrap: str = "none"
    # Dream only the channel_count channels of each chosen layer that respond most ("strongest") or
    # least ("weakest") to this image; "all" dreams every channel (or the ones a layer names).
    channel_pick: str = "all"
    channel_count: int = 8

    def replace(self, **changes: Any) -> DreamSettings:
        """A copy with some fields changed, validated like any other."""
        return dataclasses.replace(self, **changes)

    def with_seed(self) -> DreamSettings:
        """These settings with a fixed seed: a freshly drawn one in place of None (random).

        Draw it before dreaming, so the output's record and status can say which seed made it.
        """
        return self if self.seed is not None else self.replace(seed=draw_seed())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; :meth:`from_dict` reads it back."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["layers"] = [t.to_dict() for t in self.layers]
        return out


def reject_unknown(data: Mapping[str, Any], settings_class: type) -> None:
    """Refuse keys that are not fields of ``settings_class``, naming the first and listing the known ones."""
    known = {f.name for f in dataclasses.fields(settings_class)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SettingsError(shorten(unknown[0]), f"unknown setting; known settings are {', '.join(sorted(known))}")


def settings_from_dict_lenient(
    data: Mapping[str, Any], base: DreamSettings | None = None
) -> tuple[DreamSettings, list[str]]:
    """Like :meth:`DreamSettings.from_dict`, but skips unknown or invalid entries.

    Returns the settings and one message per skipped entry, for share links that must open
    whatever they hold.
    """
    settings = base or DreamSettings()
    ignored: list[str] = []
    for key, value in data.items():
        try:
            settings = DreamSettings.from_dict({key: value}, base=settings)
        except SettingsError as err:
            ignored.append(str(err))
    return settings, ignored


def parse_layer(text: str) -> LayerTarget:
    """``"blocks.4"``, ``"blocks.4:0.5"`` or ``"blocks.4:1:3,7"`` (layer[:weight[:channels]]), as on the CLI."""
    parts = text.split(":")
    if len(parts) > 3 or not parts[0]:
        raise SettingsError("layers", f"write a layer as NAME[:WEIGHT[:CH,CH...]], got {echo(text)}")
    try:
        weight = float(parts[1]) if len(parts) > 1 and parts[1] else 1.0
        channels = tuple(int(c) for c in parts[2].split(",") if c) if len(parts) > 2 else ()
    except ValueError:
        raise SettingsError("layers", f"weight must be a number and channels whole numbers, got {echo(text)}") from None
    return LayerTarget(parts[0], weight, channels)


def format_layer(target: LayerTarget) -> str:
    """The text :func:`parse_layer` reads back to an equal target, e.g. ``"blocks.4:0.5:3,7"``."""
    weight = f"{target.weight:g}"
    if float(weight) != target.weight:  # :g keeps 6 digits; the text must restore the exact value
        weight = repr(float(target.weight))
    text = f"{target.layer}:{weight}"
    if target.channels:
        text += ":" + ",".join(str(c) for c in target.channels)
    return text


def parse_switch(name: str, value: Any) -> Any:
    """Text (query parameters, form fields) as a bool; other values pass through to validation."""
    if not isinstance(value, str):
        return value
    words = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}
    if value.strip().lower() not in words:
        raise SettingsError(name, f"must be true or false, got {echo(value)}")
    return words[value.strip().lower()]


def _read_layers(name: str, value: Any) -> tuple[LayerTarget, ...]:
    """Layers as JSON gives them (dicts, or "name:weight:channels" texts) or as one text ("a;b:0.5")."""
    if isinstance(value, str):
        return tuple(parse_layer(part) for part in value.split(";") if part)
    if not isinstance(value, (list, tuple)):
        raise SettingsError(name, f"must be a list of layers, got {echo(value)}")
    targets = []
    for item in value:
        if isinstance(item, LayerTarget):
            targets.append(item)
        elif isinstance(item, str):
            targets.append(parse_layer(item))
        elif isinstance(item, Mapping) and set(item) <= {"layer", "weight", "channels"} and "layer" in item:
            channels = item.get("channels", ())
            if not isinstance(channels, (list, tuple)):
                raise SettingsError(name, f"channels must be a list of whole numbers, got {echo(channels)}")
            targets.append(LayerTarget(str(item["layer"]), item.get("weight", 1.0), tuple(channels)))
        else:
            raise SettingsError(name, f"each layer is {{'layer', 'weight', 'channels'}}, got {echo(item)}")
    return tuple(targets)


def _check_layers(name: str, value: Any) -> None:
    if not isinstance(value, tuple):
        raise SettingsError(name, "must be a tuple of LayerTarget")
    if len(value) > MAX_LAYERS:
        raise SettingsError(name, f"at most {MAX_LAYERS} layers, got {len(value)}")
    for target in value:
        if not isinstance(target, LayerTarget) or not isinstance(target.layer, str) or not target.layer:
            raise SettingsError(name, f"each layer needs a module path, got {echo(target)}")
        RANGES["layer_weight"].check(f"{name}[{shorten(target.layer)}].weight", target.weight)
        for channel in target.channels:
            RANGES["channel"].check(f"{name}[{shorten(target.layer)}].channels", channel)
