"""Hugging Face Spaces' ZeroGPU, done the documented way; off ZeroGPU nothing here changes anything.

On ZeroGPU each ``@spaces.GPU`` call runs in a worker process forked from the main one, with a GPU attached
for the call's declared duration. Weights moved to CUDA at module scope are packed once and streamed to every
worker, while a model built inside a call would be rebuilt in every cold worker: so the Space's models are built
at import (:func:`preload`). ``import spaces`` stays unconditional: the decorator is a no-op elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import spaces
import spaces.config

from deepdream_core import BUNDLED_MODEL, SettingsError, get_dreamer, get_spec
from deepdream_core.files.presets import Preset
from deepdream_core.models.echo import echo

# What a ZeroGPU Space offers when DEEPDREAM_SPACE_MODELS is unset: the bundled model and the two Caffe GoogLeNets
# of the 2015 look, whose files (about 50 MB each) README.md's front matter preloads while the Space is built.
ZERO_GPU_MODELS = (BUNDLED_MODEL, "bvlc_googlenet", "googlenet_places365")


def on_zero_gpu() -> bool:
    """True on a ZeroGPU Space (the ``spaces`` package reads ``SPACES_ZERO_GPU``)."""
    return bool(spaces.config.Config.zero_gpu)


def offered_models(environ: Mapping[str, str] = os.environ, zero_gpu: bool | None = None) -> tuple[str, ...] | None:
    """The models this app offers: ``DEEPDREAM_SPACE_MODELS`` (comma-separated), or on ZeroGPU :data:`ZERO_GPU_MODELS`.

    None means every model of the zoo (and any timm name), as on one's own machine. Each name is checked
    against the zoo now, so a typo stops the app at start-up with a message rather than failing a visitor.
    """
    text = environ.get("DEEPDREAM_SPACE_MODELS", "").strip()
    if not text:
        return ZERO_GPU_MODELS if (on_zero_gpu() if zero_gpu is None else zero_gpu) else None
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    for name in names:
        get_spec(name)  # UnknownModelError names the model and how to list them
    return names


def check_offered(model: str, offered: tuple[str, ...] | None) -> None:
    """Refuse a model this app does not offer (a public Space preloads a few), naming the ones it does."""
    if offered is not None and model not in offered:
        raise SettingsError("model", f"this app offers {', '.join(offered)}; {echo(model)} is not one of them")


def offered_looks(presets: Sequence[Preset], offered: tuple[str, ...] | None) -> list[Preset]:
    """The looks whose network this app offers: a Space that offers fewer models shows no look it would refuse."""
    return [preset for preset in presets if offered is None or preset.settings.model in offered]


def preload(models: tuple[str, ...] | None) -> None:
    """On ZeroGPU, build the offered models now and move them to CUDA at module scope, as ZeroGPU wants."""
    if on_zero_gpu() and models:
        for name in models:
            get_dreamer(name, "cuda")
