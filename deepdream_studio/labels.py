"""The page's names for the settings, and the engine's messages said with them, as a visitor reads them.

The engine names a setting by its key (``max_size: must be from 32 to 4096, got 9999``), which the API, the CLI
and the files use. A visitor knows the control's label ("Max size (px)"), so the status line and a link's note
say that, and leave out what only a programmer needs (the list of every setting's key, preset file names, the
command that lists a network's layers). Messages go into Markdown, so what they quote of the visitor's input is
escaped: a layer named ``<script>...`` was shown as ``''``.
"""

from __future__ import annotations

import html
import re

from deepdream_core import UnknownModelError, get_spec

from .controls import CHOICE_CONTROLS, SLIDERS

# Every setting the page shows, by key; settings only the API takes (device, precision) keep their keys.
LABELS: dict[str, str] = {
    **{name: spec.label for name, spec in SLIDERS.items()},
    **{name: spec.label for name, spec in CHOICE_CONTROLS.items()},
    "model": "Network",
    "layers": "What it dreams of",
    "layer_weight": "Layer weight",
    "channels": "Channels",
    "class_target": "ImageNet class",
    "seed": "Seed",
    "preset": "Look",
}

# The engine's reasons that name internal things, and what the page says instead (\1: the value as quoted).
_REWORDED = (
    (re.compile(r"unknown preset (.+?); choose one of .*", re.S), r"there is no look called \1 here"),
    (re.compile(r"unknown setting; known settings are .*", re.S), "this page has no such setting"),
    (re.compile(r"unknown setting$"), "this page has no such setting"),
    (re.compile(r"model '([^']*)' has no layer (.+?); list them with .*", re.S), r"\1 has no layer \2"),
    # None: an emptied box, or text the browser cannot read as a number ("1e999"), which it sends as nothing.
    (re.compile(r"(.*), got nothing$", re.S), r"\1, got no number"),
)


def in_page_words(message: str) -> str:
    """An engine message (``key: reason``) with the control's label for the key, the reason in the page's words,
    and HTML in it escaped for Markdown."""
    key, colon, reason = message.partition(": ")
    if colon:
        message = f"{LABELS.get(key, key)}: {_reworded(reason)}"
    return html.escape(message, quote=False)


def _reworded(reason: str) -> str:
    for pattern, words in _REWORDED:
        if pattern.match(reason):
            reworded = pattern.sub(words, reason)
            network = re.match(r"(\S+) has no layer", reworded)
            if network:  # the network's title, not its id: "EfficientNet-Lite0 has no layer 'blocks.99'"
                reworded = _network_title(network.group(1)) + reworded[network.end(1) :]
            return reworded
    return reason


def _network_title(model: str) -> str:
    try:
        return get_spec(model).title.split(" (")[0]
    except UnknownModelError:
        return model
