"""Objectives: functions of a dict of activations that return a scalar to maximize.

They combine with ``+`` and scalar ``*`` (as in Lucid), and each knows which layers it reads,
so the dream loop can run the network only as far as it must. :func:`objective_for` builds the
one a dream's settings ask for, on a network.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Protocol

import torch
from PIL import Image

from ..models.echo import echo, shorten
from .images import fit_long_side, to_rgb
from .settings import DreamSettings, LayerTarget, SettingsError
from .transforms import pil_to_tensor, resize

Activations = dict[str, torch.Tensor]

# The name under which the network's final output (the class logits) appears in the activations.
LOGITS = "logits"


class Objective:
    """``key`` tells objectives apart by value (two dreams of one look share a CUDA graph, see :mod:`.graphs`);
    without one, an objective is only equal to itself."""

    def __init__(
        self, fn: Callable[[Activations], torch.Tensor], layers: frozenset[str], name: str, key: Hashable = None
    ) -> None:
        self.fn = fn
        self.layers = layers
        self.name = name
        self.key = key if key is not None else ("object", id(self))

    def __call__(self, acts: Activations) -> torch.Tensor:
        return self.fn(acts)

    def __add__(self, other: Objective) -> Objective:
        return Objective(
            lambda acts: self(acts) + other(acts),
            self.layers | other.layers,
            f"{self.name} + {other.name}",
            ("+", self.key, other.key),
        )

    def __mul__(self, scale: float) -> Objective:
        return Objective(
            lambda acts: scale * self(acts), self.layers, f"{scale:g} * {self.name}", ("*", float(scale), self.key)
        )

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Objective({self.name})"


def layer(name: str) -> Objective:
    """The DeepDream objective: mean of the squared activations of a layer."""
    return Objective(
        lambda acts: acts[name].float().pow(2).mean(), frozenset([name]), f"layer({name})", key=("layer", name)
    )


def channels(name: str, indices: tuple[int, ...]) -> Objective:
    """Only some channels of a layer grow: one channel draws one kind of thing."""
    index = list(indices)

    def fn(acts: Activations) -> torch.Tensor:
        act = acts[name]
        if max(index) >= act.shape[1]:
            # A SettingsError, so the CLI and the app report it as bad input, not as a crash.
            raise SettingsError(
                "layers", f"layer {echo(name)} has {act.shape[1]} channels (0 to {act.shape[1] - 1}), got {max(index)}"
            )
        return act[:, index].float().pow(2).mean()

    return Objective(fn, frozenset([name]), f"channels({name}, {index})", ("channels", name, tuple(index)))


def class_logit(index: int) -> Objective:
    """Raise one ImageNet class's logit: "make it more cat-like"."""
    return Objective(
        lambda acts: acts[LOGITS][:, index].float().mean(), frozenset([LOGITS]), f"class({index})", key=("class", index)
    )


def guide(name: str, guide_features: torch.Tensor) -> Objective:
    """Pull a layer's features towards a guide image's (the 2015 notebook's ``objective_guide``).

    Each position is matched to the guide feature with which it has the largest dot product,
    and that dot product grows. ``guide_features`` is the guide's activation, shape (1, C, h, w).
    """
    target = guide_features.detach().flatten(2)[0].float()  # (C, h*w)

    def fn(acts: Activations) -> torch.Tensor:
        x = acts[name].float().flatten(2)[0]  # (C, H*W)
        best = (x.T @ target).argmax(dim=1)  # for each position, the best-matching guide position
        return (x * target[:, best]).sum(0).mean()

    return Objective(fn, frozenset([name]), f"guide({name})")


def class_index(names: list[str] | None, target: str, model: str) -> int:
    """An ImageNet class by index ("281") or by name ("tabby cat", "tabby"), from the model's own metadata."""
    import difflib

    if names is None:
        raise SettingsError("class_target", f"model {echo(model)} has no ImageNet classifier; pick another model")
    text = target.strip().lower()
    if text.isascii() and text.isdigit():  # "²" is a digit to isdigit() but not to int()
        if len(text) > 6 or int(text) >= len(names):  # int() of over 4300 digits fails; no model has a million classes
            raise SettingsError("class_target", f"index must be from 0 to {len(names) - 1}, got {shorten(text)}")
        return int(text)
    synonyms = [[s.strip().lower() for s in name.split(",")] for name in names]
    for i, words in enumerate(synonyms):
        if text == names[i].lower() or text in words:
            return i
    partial = [i for i, words in enumerate(synonyms) if any(text in w for w in words)]
    if len(partial) == 1:
        return partial[0]
    close = difflib.get_close_matches(text, [w for words in synonyms for w in words], n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    kind = "an ImageNet class" if len(names) == 1000 else f"one of the {len(names)} classes of {echo(model)}"
    many = f" matches {len(partial)} classes" if partial else f" is not {kind}"
    raise SettingsError("class_target", f"{echo(target)}{many}{hint}")


# -- the objective a dream's settings ask for --------------------------------------------------------------


class LayeredNetwork(Protocol):
    """What an objective and a network pass need of a network: its layers by name and their activations, its
    classes, where it runs (:class:`~deepdream_core.dreaming.network.Network` is one)."""

    device: torch.device
    name: str
    layer_names: set[str]
    default_layer: str | None
    class_names: Callable[[], list[str]] | None

    def activations(self, image: torch.Tensor, layers: frozenset[str], wrap: str = "none") -> Activations: ...

    def tile_size(self, settings: DreamSettings) -> int: ...

    def how_to_list_layers(self) -> str: ...


def objective_for(
    network: LayeredNetwork,
    settings: DreamSettings,
    guide_image: Image.Image | None = None,
    image: torch.Tensor | None = None,
) -> Objective:
    """The settings' objective on ``network``: the chosen layers (or channels, or a guide), plus a class if asked.

    ``image`` (in [0, 1]) is what ``settings.channel_pick`` picks channels by; without it, every channel dreams.
    """
    targets = settings.layers or (LayerTarget(_default_layer(network)),)
    for target in targets:
        if target.layer not in network.layer_names:
            raise SettingsError(
                "layers",
                f"model {echo(network.name)} has no layer {echo(target.layer)}; {network.how_to_list_layers()}",
            )
    layers = frozenset(t.layer for t in targets)
    guide_acts = _guide_activations(network, guide_image, settings, layers) if guide_image else {}
    picked = pick_channels(network, image, settings, targets) if image is not None else {}
    terms: list[Objective] = []
    for target in targets:
        if guide_image is not None:
            term = guide(target.layer, guide_acts[target.layer]) * settings.guide_weight
        elif target.channels or target.layer in picked:
            term = channels(target.layer, target.channels or picked[target.layer])
        else:
            term = layer(target.layer)
        terms.append(term * target.weight)
    if settings.class_target is not None:
        names = network.class_names() if network.class_names else None
        index = class_index(names, settings.class_target, network.name)
        terms.append(class_logit(index) * settings.class_weight)
    objective = terms[0]
    for term in terms[1:]:
        objective = objective + term
    return objective


def pick_channels(
    network: LayeredNetwork, image: torch.Tensor, settings: DreamSettings, targets: Sequence[LayerTarget]
) -> dict[str, tuple[int, ...]]:
    """For ``channel_pick`` "strongest" / "weakest": each layer's ``channel_count`` channels whose mean
    squared activation on ``image`` (shrunk to at most one tile) is largest / smallest.

    Layers that name their own channels keep them; "all" picks nothing.
    """
    layers = frozenset(t.layer for t in targets if not t.channels)
    if settings.channel_pick == "all" or not layers:
        return {}
    height, width = image.shape[-2:]
    scale = min(1.0, network.tile_size(settings) / max(height, width))
    small = resize(image, (max(1, round(height * scale)), max(1, round(width * scale))))
    with torch.no_grad():
        acts = network.activations(small, layers)
    picked = {}
    for name in layers:
        response = acts[name].float().pow(2).mean(dim=(0, 2, 3))
        count = min(settings.channel_count, response.numel())
        top = response.topk(count, largest=settings.channel_pick == "strongest").indices
        picked[name] = tuple(sorted(top.tolist()))
    return picked


def _default_layer(network: LayeredNetwork) -> str:
    if network.default_layer is None:
        raise SettingsError("layers", f"choose a layer; model {echo(network.name)} has no default layer")
    return network.default_layer


def _guide_activations(
    network: LayeredNetwork, guide: Image.Image, settings: DreamSettings, layers: frozenset[str]
) -> Activations:
    # Bicubic with Pillow's default reducing gap, as Image.thumbnail did here before.
    guide = fit_long_side(to_rgb(guide), min(settings.max_size, 512), Image.Resampling.BICUBIC, reducing_gap=2.0)
    with torch.no_grad():
        return network.activations(pil_to_tensor(guide, network.device), layers)
